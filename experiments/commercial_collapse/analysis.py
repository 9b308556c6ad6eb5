"""Commercial share against follower retention and engagement: where audiences collapse
(force 5, the unfollow effect).

Question: at what commercial share does an influencer's audience start to collapse, and how
does that depend on how sensitive followers are to commercial content?

Conditions (``sweep.toml`` and ``control.toml``): a market with demand that buys whatever
influencers offer (40 brands on the platform, their whole budget on influencers, whatever the
return) and influencers that take every offer up to ``influencers.sponsored_cap``
(``lookahead`` 0: myopic), so that the cap sets each account's commercial share. A grid of
``influencers.sponsored_cap`` (posts a period) by ``population.sensitivity_mean``
(``sweep.toml``), R replications each, 365 days. ``cap = 0`` (``control.toml``) is the control
with no sponsored posts (the same markets, by common seeds on the same root seed).

Outcomes: market-wide follower retention (followers at the end over the start) as a heatmap;
and per influencer, retention and engagement (relative to the same account in the control run
of the same replicate) against its commercial share over the run (sponsored posts over all its
posts; its share at the end would place accounts that collapsed and then sold nothing at low
shares), binned: bin means per replicate, then mean and 95% CI over replicates. An audience
counts as collapsed when it keeps less than half of what it keeps without deals.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import mean_ci, summarise
from simulation.sweep.store import read_table

SHARE_BINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0)
#: Retention below which an audience counts as collapsed (half of it gone).
COLLAPSE = 0.5
FACTORS = {"influencers__sponsored_cap": "cap", "population__sensitivity_mean": "sensitivity"}
INFLUENCER_COLUMNS = [
    "influencer",
    "tier",
    "followers_start",
    "retention",
    "engagement_rate",
    "commercial_share",
    "commercial_share_run",
    "deals",
]


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """Per run: each influencer's audience and commercial share, and the market's retention
    and sponsored share (one row)."""
    inf = res.influencers[INFLUENCER_COLUMNS].copy()
    inf["tier"] = inf["tier"].astype(str)
    market = pd.DataFrame(
        [
            {
                "retention": float(res.summary["follower_retention"]),
                "sponsored_share": float(res.summary["sponsored_share"]),
            }
        ]
    )
    return {"influencers": inf, "market": market}


def _read(sweeps: dict[str, Path], name: str) -> pd.DataFrame:
    """Table ``name`` of the grid and of the control, with ``cap`` and ``sensitivity``
    columns (the control's sensitivity NaN: it is not a level of the grid)."""
    grid = read_table(sweeps["sweep"], name).rename(columns=FACTORS)
    ctrl = read_table(sweeps["control"], name).rename(columns=FACTORS)
    ctrl.insert(ctrl.columns.get_loc("cap") + 1, "sensitivity", np.nan)
    df = pd.concat([ctrl, grid], ignore_index=True).drop(columns="point")
    df["cap"] = df["cap"].astype(int)
    return df


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweeps; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    market = _read(sweeps, "market")
    save_table(market, out, "market_runs")
    control = market[market["cap"] == 0]
    treated = market[market["cap"] > 0]
    grid = summarise(treated, ["cap", "sensitivity"], "retention")
    grid = grid.merge(
        summarise(treated, ["cap", "sensitivity"], "sponsored_share").rename(
            columns={"mean": "sponsored_share"}
        )[["cap", "sensitivity", "sponsored_share"]],
        on=["cap", "sensitivity"],
    )
    ctrl = mean_ci(control["retention"])
    save_table(grid, out, "retention_grid")
    r = int(market["replicate"].nunique())

    # influencer level: retention and engagement relative to the same account in the control
    # run of the same replicate (the same market, by common seeds)
    inf = _read(sweeps, "influencers")
    base = inf[inf["cap"] == 0].set_index(["replicate", "influencer"])
    infl = inf[inf["cap"] > 0].copy()
    key = pd.MultiIndex.from_frame(infl[["replicate", "influencer"]])
    infl["retention_vs_control"] = (
        infl["retention"].to_numpy() / base["retention"].reindex(key).to_numpy()
    )
    infl["engagement_vs_control"] = (
        infl["engagement_rate"].to_numpy() / base["engagement_rate"].reindex(key).to_numpy()
    )
    # the account's commercial share over the whole run (sponsored over all its posts): its
    # share at the end would put accounts that collapsed, and then sold nothing, at low shares
    infl["share_bin"] = pd.cut(infl["commercial_share_run"], SHARE_BINS, include_lowest=True)
    save_table(infl.drop(columns="share_bin"), out, "influencers")
    # mean per (sensitivity, bin, replicate), then CI over replicates
    per_rep = (
        infl.groupby(["sensitivity", "share_bin", "replicate"], observed=True)
        .agg(
            retention=("retention_vs_control", "mean"),
            engagement=("engagement_vs_control", "mean"),
            n=("retention", "size"),
        )
        .reset_index()
    )
    curves = summarise(per_rep, ["sensitivity", "share_bin"], "retention").merge(
        summarise(per_rep, ["sensitivity", "share_bin"], "engagement"),
        on=["sensitivity", "share_bin"],
        suffixes=("_retention", "_engagement"),
    )
    curves["share_mid"] = [b.mid for b in curves["share_bin"]]
    curves["share_bin"] = curves["share_bin"].astype(str)
    save_table(curves, out, "retention_by_share")
    collapse = {}
    for s, g in curves.groupby("sensitivity"):
        g = g.sort_values("share_mid")
        hit = g[g["mean_retention"] < COLLAPSE]
        collapse[float(s)] = float(hit["share_mid"].iloc[0]) if len(hit) else None

    # figure 1: phase diagram
    mat = grid.pivot(index="cap", columns="sensitivity", values="mean")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    im = ax.imshow(mat.to_numpy(), origin="lower", cmap="RdYlGn", vmin=0, vmax=1.1, aspect="auto")
    for i, c in enumerate(mat.index):
        for j, s in enumerate(mat.columns):
            row = grid[(grid["cap"] == c) & (grid["sensitivity"] == s)].iloc[0]
            ax.text(
                j,
                i,
                f"{row['mean']:.2f}\n±{(row['ci_high'] - row['ci_low']) / 2:.2f}\n"
                f"sp {row['sponsored_share']:.1%}",
                ha="center",
                va="center",
                fontsize=7,
            )
    ax.set_xticks(range(len(mat.columns)), [f"{s:g}" for s in mat.columns])
    ax.set_yticks(range(len(mat.index)), [str(c) for c in mat.index])
    ax.set_xlabel("population.sensitivity_mean (trust erosion multiplier)")
    ax.set_ylabel("influencers.sponsored_cap (posts / period)")
    fig.colorbar(im, ax=ax, label="follower retention after the run (end / start)")
    ax.set_title(
        f"Follower retention, mean ±95% CI half-width of R={r} (sp = sponsored "
        f"share);\ncontrol without sponsored posts: {ctrl[0]:.3f}",
        fontsize=9,
    )
    save_figure(fig, out, "retention_phase_diagram")

    # figure 2: per influencer, retention and engagement against commercial share
    sens = sorted(curves["sensitivity"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    cmap = plt.cm.plasma(np.linspace(0, 0.85, len(sens)))
    for color, (s, g) in zip(cmap, curves.groupby("sensitivity"), strict=False):
        g = g.sort_values("share_mid")
        for ax, what in zip(axes, ("retention", "engagement"), strict=True):
            ax.plot(
                g["share_mid"],
                g[f"mean_{what}"],
                "o-",
                color=color,
                ms=3,
                label=f"sensitivity {s:g}",
            )
            ax.fill_between(
                g["share_mid"],
                g[f"ci_low_{what}"].clip(lower=0),
                g[f"ci_high_{what}"],
                color=color,
                alpha=0.15,
                lw=0,
            )
    axes[0].axhline(COLLAPSE, color="0.5", ls=":", lw=1)
    axes[0].set_ylabel("follower retention / same account, no deals")
    axes[1].set_ylabel("engagement rate / same account, no deals")
    for ax in axes:
        ax.set_ylim(0, 1.4)
        ax.set_xlabel("commercial share over the run: sponsored / all posts (binned)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        "Per influencer: the more commercial the account, the more of its audience "
        f"it loses (mean, 95% CI over R={r})",
        fontsize=10,
        y=1.02,
    )
    save_figure(fig, out, "retention_vs_commercial_share")

    return {
        "control_retention": {"mean": ctrl[0], "ci": [ctrl[1], ctrl[2]]},
        "grid": grid.to_dict(orient="records"),
        "collapse_share_by_sensitivity": collapse,
        "by_share": curves.drop(columns="share_mid").to_dict(orient="records"),
    }


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    c = numbers["control_retention"]
    lines = [f"market retention without sponsored posts: {c['mean']:.3f}"]
    worst = min(numbers["grid"], key=lambda g: g["mean"])
    lines.append(
        f"lowest market retention: {worst['mean']:.2f} [{worst['ci_low']:.2f}, "
        f"{worst['ci_high']:.2f}] at cap {worst['cap']:g}, sensitivity {worst['sensitivity']:g}"
    )
    cells = "  ".join(
        f"{float(s):g}: {'not reached' if v is None else f'{v:.1%}'}"
        for s, v in numbers["collapse_share_by_sensitivity"].items()
    )
    lines.append(f"commercial share where an account keeps under half, by sensitivity: {cells}")
    return lines


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/commercial_collapse/ -> name in
#: docs/figures.
RESULTS_FIGURES = {
    "retention_phase_diagram.png": "commercial_collapse_phase.png",
    "retention_vs_commercial_share.png": "commercial_collapse_share.png",
}


def _bin_label(b: str) -> str:
    """``(0.1, 0.15]`` -> ``10-15%``."""
    lo, hi = (float(x) for x in b.strip("([])").split(","))
    return f"{max(lo, 0) * 100:g}-{hi * 100:g}%"


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est, est_d, num, table

    n = summary["results"]
    grid = {(int(r["cap"]), float(r["sensitivity"])): r for r in n["grid"]}
    caps = sorted({c for c, _ in grid})
    sens = sorted({s for _, s in grid})
    grid_rows = [
        [
            str(c),
            *[
                f"{est(grid[c, s]['mean'], grid[c, s]['ci_low'], grid[c, s]['ci_high'])} "
                f"({grid[c, s]['sponsored_share']:.1%})"
                for s in sens
            ],
        ]
        for c in caps
    ]
    bins = []
    for r in n["by_share"]:
        if r["share_bin"] not in bins:
            bins.append(r["share_bin"])
    bins.sort(key=lambda b: float(b.strip("([])").split(",")[0]))
    cell = {(float(r["sensitivity"]), r["share_bin"]): r for r in n["by_share"]}

    def show(s: float, b: str, what: str) -> str:
        r = cell.get((s, b))
        return "-" if r is None else num(r[f"mean_{what}"])

    ret_rows = [[f"sensitivity {s:g}", *[show(s, b, "retention") for b in bins]] for s in sens]
    eng_rows = [[f"sensitivity {s:g}", *[show(s, b, "engagement") for b in bins]] for s in sens]
    collapse = {float(k): v for k, v in n["collapse_share_by_sensitivity"].items()}
    words = []
    for s in sens:
        v = collapse.get(s)
        b = next((b for b in bins if v is not None and abs(_mid(b) - v) < 1e-9), None)
        words.append(
            f"at sensitivity {s:g} "
            + ("at no share tried" if v is None else f"from {_bin_label(b)} share")
        )
    ordered = [collapse[s] for s in sens if collapse.get(s) is not None]
    falls = all(a >= b for a, b in itertools.pairwise(ordered)) and len(ordered) > 1
    if falls:
        order = "the share where audiences collapse falls with sensitivity"
    elif not ordered:
        order = "no audience collapses in the range tried"
    else:
        order = "the collapse share does not fall with sensitivity in order"
    worst = min(n["grid"], key=lambda r: r["mean"])
    none_s = min(sens)
    grid_head = ["cap \\ sensitivity", *[f"{s:g}" for s in sens]]
    worst_est = est(worst["mean"], worst["ci_low"], worst["ci_high"])
    top = max(caps)
    head = (
        "![retention phase diagram](figures/commercial_collapse_phase.png)\n\n"
        "![retention against commercial share](figures/commercial_collapse_share.png)\n\n"
        "`influencer-sim experiment commercial_collapse` "
        "(`results/commercial_collapse/retention_phase_diagram.png`, "
        "`retention_vs_commercial_share.png`)."
    )
    return f"""## 5. The unfollow effect: where audiences collapse

{head}
With {scenario["brands"]["n_brands"]} brands buying whatever accounts offer and influencers
taking every offer up to a cap, the sponsored cap ({", ".join(map(str, caps))} posts a period)
is crossed with follower sensitivity to commercial content ({", ".join(f"{s:g}" for s in sens)};
{summary["replications"]} replications, {summary["steps"]} days,
{scenario["population"]["n_followers"]:,} followers). Market retention after the run (followers
at the end over the start; the control without sponsored posts keeps
{est_d(n["control_retention"], ".3f")}), with the market-wide sponsored share:

{table(grid_head, grid_rows)}

Market retention falls to {worst_est} at cap
{worst["cap"]:g} and sensitivity {worst["sensitivity"]:g}; without sensitivity it stays at
{num(grid[top, none_s]["mean"])} at cap {top} with {grid[top, none_s]["sponsored_share"]:.1%}
sponsored posts.

Per influencer, retention relative to the same account without deals (the control run of the
same replicate), by the account's commercial share over the run (- : no account in the bin):

{table(["", *[_bin_label(b) for b in bins]], ret_rows)}

An account keeps less than half its audience {"; ".join(words)}:
{order}
(`collapse_share_by_sensitivity` in `summary.json` gives the bins' midpoints). Engagement rate
relative to the same account without deals:

{table(["", *[_bin_label(b) for b in bins]], eng_rows)}

Demand here is forced (hurdle 0, every offer taken up to the cap); at the defaults influencers
choose their load and brands buy only above the hurdle (`baseline_market`). An account is
placed by its mean commercial share over the run, and the highest bins hold the accounts of few
replicates."""


def _mid(b: str) -> float:
    """The midpoint of a bin's text, as pandas gives it (``Interval.mid``)."""
    lo, hi = (float(x) for x in b.strip("([])").split(","))
    return (lo + hi) / 2
