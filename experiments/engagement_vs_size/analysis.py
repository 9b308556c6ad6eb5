"""Engagement against audience size (force 1), beside Markerly 2016's rates by follower range.

Question: does engagement per follower fall with follower count as Markerly's about 2M
Instagram accounts show (8%, 4%, 2.4%, 1.7% by range, roughly ``followers^-0.18``), and by how
much do micro accounts out-engage celebrities (2x to 5x)?

Conditions (``sweep.toml``): R replications of the experiments' market (the calibrated
baseline at 40,000 simulated followers, 365 days), one condition.

Per run (:func:`tables`): each influencer's pooled engagement rate over the run (engagements
over follower-posts) against its audience at the start; rates pooled by Markerly's ranges;
the micro / celebrity ratio of pooled tier rates. Per replication (:func:`analyze`): a
least-squares slope of log rate on log followers, over influencers and over the four ranges
at their geometric midpoints. Means and 95% intervals over replications.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration import engagement_by_bucket, markerly
from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import mean_ci, summarise
from simulation.sweep.store import read_table
from simulation.vocabulary import TIERS

#: Markerly's reference in the figures: a colour of neither a tier nor a strategy.
MARKERLY_COLOR = "#8c510a"


def _midpoints() -> np.ndarray:
    """Geometric midpoints of Markerly's ranges (the first from 100 followers), for range
    slopes."""
    return np.array([np.sqrt(max(lo, 100) * hi) for (lo, hi), _ in markerly()])


_COLS = [
    "influencer",
    "tier",
    "followers_start",
    "engagement_rate",
    "engagements",
    "follower_posts",
]


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """Every influencer's engagement, the pooled rate by Markerly's ranges, and the micro /
    celebrity ratio of a run."""
    inf = res.influencers[_COLS].copy()
    inf["tier"] = inf["tier"].astype(str)
    buckets = engagement_by_bucket(res.influencers)
    return {
        "influencers": inf,
        "ranges": pd.DataFrame({"range": list(buckets), "rate": list(buckets.values())}),
        "ratio": pd.DataFrame(
            {"micro_to_celebrity": [float(res.summary["micro_to_celebrity_engagement"])]}
        ),
    }


def _slope(inf: pd.DataFrame) -> float:
    ok = (
        (inf["followers_start"] > 0)
        & np.isfinite(inf["engagement_rate"])
        & (inf["engagement_rate"] > 0)
    )
    x = np.log(inf.loc[ok, "followers_start"].to_numpy())
    y = np.log(inf.loc[ok, "engagement_rate"].to_numpy())
    return float(np.polyfit(x, y, 1)[0]) if x.size > 2 else float("nan")


def _range_slope(rates: np.ndarray) -> float:
    """Slope of log rate on log midpoint over the ranges that have accounts."""
    ok = np.isfinite(rates) & (rates > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(_midpoints()[ok]), np.log(rates[ok]), 1)[0])


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = sweeps["sweep"]
    inf = read_table(folder, "influencers")
    save_table(inf.drop(columns=["point"]), out, "influencers")
    ranges = read_table(folder, "ranges")
    ratio_runs = read_table(folder, "ratio")
    r = int(ratio_runs["replicate"].nunique())

    table = markerly()
    order = [f"{lo:g}-{hi:g}" for (lo, hi), _ in table]
    by_range = summarise(ranges, ["range"], "rate")
    by_range["order"] = by_range["range"].map(order.index)
    by_range = by_range.sort_values("order").drop(columns="order").reset_index(drop=True)
    by_range["markerly"] = by_range["range"].map(
        dict(zip(order, (t for _, t in table), strict=True))
    )
    by_range["model_over_markerly"] = by_range["mean"] / by_range["markerly"]
    save_table(by_range, out, "engagement_by_range")

    per_rep = ratio_runs[["replicate", "seed", "micro_to_celebrity"]].copy()
    slopes = {k: _slope(g) for k, g in inf.groupby("replicate", sort=True)}
    per_rep["slope"] = per_rep["replicate"].map(slopes)
    # the same slope without the nano accounts, which are most of the accounts
    no_nano = {k: _slope(g[g["tier"] != "nano"]) for k, g in inf.groupby("replicate", sort=True)}
    per_rep["slope_without_nano"] = per_rep["replicate"].map(no_nano)
    save_table(per_rep, out, "per_replicate")
    range_slopes = [
        _range_slope(g.set_index("range")["rate"].reindex(order).to_numpy(dtype=float))
        for _, g in ranges.groupby("replicate", sort=True)
    ]
    ratio = mean_ci(per_rep["micro_to_celebrity"])
    slope = mean_ci(per_rep["slope"])
    range_slope = mean_ci(range_slopes)
    no_nano_slope = mean_ci(per_rep["slope_without_nano"])
    markerly_slope = _range_slope(np.array([t for _, t in table]))

    # figure 1: log-log scatter of influencers with the pooled rate by range
    tier_colors = _tier_colors()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    rep0 = inf[inf["replicate"] == inf["replicate"].min()]
    for tier in TIERS:
        g = rep0[rep0["tier"] == tier]
        if g.empty:
            continue
        ax.scatter(
            g["followers_start"],
            g["engagement_rate"],
            s=12,
            alpha=0.6,
            color=tier_colors[tier],
            label=f"{tier} (replicate 0)",
        )
    for ((lo, hi), target), (_, row) in zip(table, by_range.iterrows(), strict=True):
        lo = max(lo, 100)
        first = lo == 100
        ax.hlines(
            target,
            lo,
            hi,
            colors=MARKERLY_COLOR,
            lw=2.5,
            ls="--",
            label="Markerly 2016" if first else None,
        )
        ax.hlines(
            row["mean"],
            lo,
            hi,
            colors="black",
            lw=2,
            label=f"model, pooled by range (mean of {r})" if first else None,
        )
        ax.fill_between([lo, hi], row["ci_low"], row["ci_high"], color="black", alpha=0.2, lw=0)
    xs = np.logspace(2, 7, 20)
    mk = np.log([t for _, t in table])
    a = mk.mean() + 0.18 * np.log(_midpoints()).mean()
    ax.plot(
        xs,
        np.exp(a) * xs**-0.18,
        ls=":",
        color=MARKERLY_COLOR,
        label="followers$^{-0.18}$ (fit to Markerly)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers at the start of the run")
    ax.set_ylabel("engagements per follower per post (pooled over the run)")
    ax.set_title(
        f"log-log slope over influencers {slope[0]:.3f} [{slope[1]:.3f}, {slope[2]:.3f}]; "
        f"over the ranges {range_slope[0]:.3f} (Markerly {markerly_slope:.3f});\n"
        f"micro / celebrity engagement {ratio[0]:.2f}x [{ratio[1]:.2f}, {ratio[2]:.2f}] "
        f"(mean [95% CI] of {r} replications)",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, out, "engagement_vs_size")

    # figure 2: pooled rate by range beside Markerly's
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = np.arange(len(by_range))
    ax.bar(x - 0.2, by_range["markerly"], 0.4, color=MARKERLY_COLOR, label="Markerly 2016")
    ax.bar(
        x + 0.2,
        by_range["mean"],
        0.4,
        color="0.4",
        yerr=[by_range["mean"] - by_range["ci_low"], by_range["ci_high"] - by_range["mean"]],
        capsize=4,
        label=f"model (mean, 95% CI, R={r})",
    )
    ax.set_xticks(x, ["<1k", "1k-10k", "10k-100k", "100k-10M"])
    ax.set_xlabel("followers")
    ax.set_ylabel("engagement rate per follower per post")
    ax.legend(fontsize=8)
    ax.set_title("Pooled engagement rate by Markerly's follower ranges", fontsize=10)
    save_figure(fig, out, "engagement_by_range")

    return {
        "micro_to_celebrity": {"mean": ratio[0], "ci": [ratio[1], ratio[2]]},
        "slope_log_rate_log_followers": {"mean": slope[0], "ci": [slope[1], slope[2]]},
        "slope_without_nano": {"mean": no_nano_slope[0], "ci": list(no_nano_slope[1:])},
        "nano_accounts": int((rep0["tier"] == "nano").sum()),
        "slope_by_range": {"mean": range_slope[0], "ci": [range_slope[1], range_slope[2]]},
        "markerly_slope_by_range": markerly_slope,
        "by_range": by_range.to_dict(orient="records"),
    }


def _tier_colors() -> dict[str, str]:
    """One colour per tier, the page's (simulation.app.charts)."""
    from simulation.plots import TIER_COLORS

    return TIER_COLORS


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""

    def est(d: dict, fmt: str) -> str:
        return f"{d['mean']:{fmt}} [{d['ci'][0]:{fmt}}, {d['ci'][1]:{fmt}}]"

    rates = "  ".join(
        f"{r['range']}: {_pct(r['mean'])} (Markerly {r['markerly']:.1%})"
        for r in numbers["by_range"]
    )
    return [
        f"engagement by follower range: {rates}",
        f"slope of log rate on log followers over the ranges "
        f"{est(numbers['slope_by_range'], '.3f')} (Markerly "
        f"{numbers['markerly_slope_by_range']:.3f}); over influencers "
        f"{est(numbers['slope_log_rate_log_followers'], '.3f')}",
        f"micro / celebrity engagement {est(numbers['micro_to_celebrity'], '.2f')}x "
        "(published 2x-5x)",
    ]


def _pct(x: float) -> str:
    return f"{x:.2%}" if np.isfinite(x) else "none"


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/engagement_vs_size/ -> name in docs/figures.
RESULTS_FIGURES = {"engagement_vs_size.png": "engagement_vs_size.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import cite, est, est_d, figure, sign_word

    n = summary["results"]
    rates = n["by_range"]
    model = ", ".join(est(r["mean"], r["ci_low"], r["ci_high"], ".2%") for r in rates)
    published = ", ".join(f"{r['markerly']:.1%}" for r in rates)
    falls = all(a["ci_low"] > b["ci_high"] for a, b in itertools.pairwise(rates))
    order = (
        "each range engages less than the one below it, their intervals apart"
        if falls
        else "the ranges' rates do not fall in order, or their intervals overlap"
    )
    lo, hi = n["micro_to_celebrity"]["ci"]
    inside = "inside" if lo > 2 and hi < 5 else "not wholly inside"
    slope = n["slope_by_range"]
    direction = sign_word(*slope["ci"], "rises", "falls", neither="does not change distinguishably")
    steeper = sign_word(
        *n["slope_log_rate_log_followers"]["ci"],
        "shallower than",
        "steeper than",
        level=slope["mean"],
        neither="not distinguishable from",
    )
    head = figure(
        "engagement_vs_size",
        "engagement_vs_size.png",
        "engagement_vs_size.png",
        "engagement against followers",
    )
    return f"""## 1. Engagement falls with audience size

{head}
Each influencer's engagement rate over {summary["steps"]} days against its followers (log-log,
replicate 0), with the rate pooled by Markerly's follower ranges (black, 95% band over
{summary["replications"]} replications) beside {cite("markerly-2016", "Markerly 2016")}'s
(brown, dashed), {scenario["population"]["n_followers"]:,} simulated followers. Pooled by range
the model gives {model} against {published}: {order}. Engagement {direction} with size, a
slope of {est_d(slope, ".3f")} over the ranges against Markerly's
{n["markerly_slope_by_range"]:.3f}. Micro accounts engage {est_d(n["micro_to_celebrity"])}
times as much as celebrities, {inside} 2x to 5x (Markerly's tiers give 2.4x to 4.8x). These
rates are **calibration targets**
(`behaviour.engagement_base` and `engagement_size_exponent` were fitted to them), so this shows
that the fit holds in the experiments' market, not that the model is right. The slope over
individual accounts, {est_d(n["slope_log_rate_log_followers"], ".3f")}, is {steeper} the slope over
the ranges; without the {n["nano_accounts"]:,} nano accounts (replicate 0) it is
{est_d(n["slope_without_nano"], ".3f")}."""
