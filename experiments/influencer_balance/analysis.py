"""Deals taken against long-run income: does taking too few or too many deals lose?

Question: an influencer who takes few deals earns little; one who takes many makes its account
commercial, loses followers' trust, engagement and followers, and with them its price. Is
long-run income an inverted U in the deal load (Fainmesser & Galeotti 2021: influencers trade
endorsement revenue against audience engagement), and where do influencers choose to be?

Conditions (``sweep.toml``): the experiments' market, two years, with the deal load forced:
every micro influencer takes exactly k sponsored posts a period (``influencers.sponsored_cap``
k and ``lookahead`` 0, so each takes every offer up to k), k from 0 to 8, under demand that
always exceeds it (40 brands, all buying micro accounts through the platform, their whole
budget, whatever the return), at the default follower sensitivity (1) and at a sensitive
population (4); R replications on common seeds. ``chosen.toml``: the experiments' baseline
market on the same seeds and days, where micro influencers choose their load (their
``capacity``, set by :func:`simulation.mechanisms.sponsorship_value`).

Income is counted at the recognition price of each post (its followers and engagement at the
time: ``income_at_list``), so the demand multiplier, which the forced excess demand drives up,
does not enter: what remains is what the load does to the account. Per micro influencer
(:func:`tables`): income per period in year 2 (from the snapshot at the middle of the run), in
units of its recognition price at the start, and follower retention; means over accounts, then
mean and 95% interval over replications. The turn is tested paired by replicate: income at the
peak load minus income at the largest load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.mechanisms import recognition_price
from simulation.sweep.analysis import mean_ci, summarise_wide
from simulation.sweep.store import read_table

FACTORS = {"population__sensitivity_mean": "sensitivity", "influencers__sponsored_cap": "load"}
OUTCOMES = ("income_per_period_year2", "retention", "commercial_share", "deals")
#: line colours of the two follower sensitivities (neither a tier nor a strategy)
SENSITIVITY_COLORS = ("C0", "C3")


def _middle(cfg) -> list[int]:
    """The snapshot day: the end of the first half of the run (year 1 of two)."""
    return [cfg.run.steps // 2]


def tables(res, snapshots) -> dict[str, pd.DataFrame]:
    """One row per influencer of a forced run: deals, retention, commercial share and income
    per period in the second half of the run, in units of its recognition price at the
    start."""
    inf = res.influencers
    cfg = res.config.influencers
    day = min(snapshots)
    periods = (res.config.run.steps - day) / res.config.run.period
    mid = snapshots[day]["list_income"]
    p0 = recognition_price(
        inf["followers_start"].to_numpy(),
        1.0,
        cfg.price_per_k,
        cfg.price_exponent,
        cfg.price_quality_elasticity,
    )
    out = inf[["influencer", "tier", "capacity", "deals", "retention", "commercial_share"]].copy()
    out["income_per_period_year2"] = (inf["income_at_list"].to_numpy() - mid) / p0 / periods
    return {"influencers": out}


tables.snapshot_days = _middle


def chosen(res, _snapshots) -> dict[str, pd.DataFrame]:
    """The load (capacity) and authenticity of each micro influencer of a baseline run."""
    inf = res.influencers
    return {"chosen_loads": inf.loc[inf["tier"] == "micro", ["capacity", "authenticity"]].copy()}


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweeps; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.plots import TIER_COLORS

    inf = read_table(sweeps["sweep"], "influencers").rename(columns=FACTORS)
    save_table(inf.drop(columns="point"), out, "influencers")
    micro = inf[inf["tier"] == "micro"]
    per_rep = (
        micro.groupby(["sensitivity", "load", "replicate"])[list(OUTCOMES)].mean().reset_index()
    )
    table = summarise_wide(per_rep, ["sensitivity", "load"], OUTCOMES, keep_n=True)
    save_table(table, out, "income_by_load")

    # where influencers choose to be in the (unforced) market
    chosen_loads = read_table(sweeps["chosen"], "chosen_loads").drop(columns=["point"])
    save_table(chosen_loads, out, "chosen_loads")
    choice = {
        "mean_capacity": float(chosen_loads["capacity"].mean()),
        "share_by_capacity": {
            int(k): float(v)
            for k, v in chosen_loads["capacity"].value_counts(normalize=True).items()
        },
        # the most authentic account at each chosen load: who takes the most deals
        "largest_authenticity_by_capacity": {
            int(k): float(v)
            for k, v in chosen_loads.groupby("capacity")["authenticity"].max().items()
        },
    }

    peaks = {}
    for s, g in table.groupby("sensitivity"):
        g = g.sort_values("load")
        best = g.loc[g["income_per_period_year2"].idxmax()]
        top = float(g["load"].max())
        first = float(g.loc[g["load"] > 0, "load"].min())
        peaks[float(s)] = {
            "peak_load": float(best["load"]),
            "peak_income": float(best["income_per_period_year2"]),
            "income_at_max_load": float(g.loc[g["load"] == top, "income_per_period_year2"].iloc[0]),
            # a peak inside the loads that earn anything: income at load 0 is 0 by
            # definition, so a peak at the smallest positive load is a fall, not a U
            "inverted_u": bool(first < best["load"] < top),
        }
    # paired test of the turn: income at the peak minus income at the largest load
    turn = {}
    for s, g in per_rep.groupby("sensitivity"):
        w = g.pivot(index="replicate", columns="load", values="income_per_period_year2")
        p = int(peaks[float(s)]["peak_load"])
        m, lo, hi = mean_ci(w[p] - w[w.columns.max()])
        turn[float(s)] = {"peak_minus_max_load": m, "ci": [lo, hi]}

    r = int(per_rep["replicate"].nunique())
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    for (s, g), color in zip(table.groupby("sensitivity"), SENSITIVITY_COLORS, strict=False):
        g = g.sort_values("load")
        ax.errorbar(
            g["load"],
            g["income_per_period_year2"],
            yerr=[
                g["income_per_period_year2"] - g["income_per_period_year2_lo"],
                g["income_per_period_year2_hi"] - g["income_per_period_year2"],
            ],
            marker="o",
            capsize=3,
            color=color,
            label=f"follower sensitivity {s:g}",
        )
    xs = np.array(sorted(table["load"].unique()), dtype=float)
    ax.plot(xs, xs, color="0.6", ls=":", label="k posts at the starting price (no loss)")
    ax.axvline(
        choice["mean_capacity"],
        color=TIER_COLORS["micro"],
        ls="--",
        lw=1,
        label=f"mean load chosen in the baseline ({choice['mean_capacity']:.1f})",
    )
    ax.set_xlabel("sponsored posts a period (forced deal load)")
    ax.set_ylabel("income a period in year 2 / starting price")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("Long-run income against the deal load (micro accounts)", fontsize=9)
    ax = axes[1]
    for (s, g), color in zip(table.groupby("sensitivity"), SENSITIVITY_COLORS, strict=False):
        g = g.sort_values("load")
        ax.plot(g["load"], g["retention"], marker="o", color=color, label=f"sensitivity {s:g}")
    ax.set_xlabel("sponsored posts a period (forced deal load)")
    ax.set_ylabel("followers at the end / at the start")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("Follower retention", fontsize=9)
    fig.suptitle(f"Deal load against long-run income (mean, 95% CI over R={r})", fontsize=10)
    save_figure(fig, out, "influencer_balance")

    return {
        "income_by_load": table.to_dict(orient="records"),
        "peaks": peaks,
        "turn": turn,
        "chosen": choice,
    }


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    lines = []
    for s, p in sorted(numbers["peaks"].items(), key=lambda kv: float(kv[0])):
        t = numbers["turn"].get(s) or numbers["turn"].get(str(s), {})
        lo, hi = t.get("ci", [float("nan")] * 2)
        posts = "post" if p["peak_load"] == 1 else "posts"
        lines.append(
            f"sensitivity {float(s):g}: income peaks at {p['peak_load']:g} {posts} a period "
            f"({p['peak_income']:.2f} starting prices), {p['income_at_max_load']:.2f} at the "
            f"largest load; peak - largest {t.get('peak_minus_max_load', float('nan')):+.2f} "
            f"[{lo:.2f}, {hi:.2f}]" + ("" if p["inverted_u"] else " (no inverted U)")
        )
    c = numbers["chosen"]
    shares = ", ".join(
        f"{k}: {v:.0%}" for k, v in sorted(c["share_by_capacity"].items(), key=lambda kv: -kv[1])
    )
    lines.append(f"loads chosen in the baseline: mean {c['mean_capacity']:.2f} ({shares})")
    return lines


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/influencer_balance/ -> name in
#: docs/figures.
RESULTS_FIGURES = {"influencer_balance.png": "influencer_balance.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est, est_row, figure, num, sign_word, table

    n = summary["results"]
    rows = sorted(n["income_by_load"], key=lambda r: (r["sensitivity"], r["load"]))
    sens = sorted({float(r["sensitivity"]) for r in rows})
    loads = sorted({r["load"] for r in rows})
    cell = {(float(r["sensitivity"]), r["load"]): r for r in rows}
    body = []
    for s in sens:
        body.append(
            [f"income / period, second half, sens. {s:g}"]
            + [est_row(cell[s, k], "income_per_period_year2") for k in loads]
        )
        body.append([f"retention, sens. {s:g}"] + [num(cell[s, k]["retention"]) for k in loads])
    lines = []
    for s in sens:
        p = {float(k): v for k, v in n["peaks"].items()}[s]
        t = {float(k): v for k, v in n["turn"].items()}[s]
        shape = (
            "an inverted U"
            if p["inverted_u"]
            else "highest at the fewest posts and falling with every post more"
            if p["peak_load"] == min(k for k in loads if k > 0)
            else "not an inverted U"
        )
        turn = sign_word(*t["ci"], "above", "below", neither="away from, not distinguishable from,")
        best = cell[s, p["peak_load"]]
        near = [
            k
            for k in loads
            if k != p["peak_load"]
            and cell[s, k]["income_per_period_year2_hi"] >= best["income_per_period_year2_lo"]
        ]
        tie = (
            f"; the intervals at {' and '.join(f'{k:g}' for k in near)} overlap its" if near else ""
        )
        lines.append(
            f"- At sensitivity {s:g} income in the second half of the run is {shape} in the "
            f"load: it peaks at {p['peak_load']:g} post{'s' if p['peak_load'] != 1 else ''} a "
            f"period ({num(p['peak_income'])}{tie}) and "
            f"is {num(p['income_at_max_load'])} at {max(loads):g}; the peak is "
            f"{est(t['peak_minus_max_load'], *t['ci'])} {turn} the income at {max(loads):g} "
            "(paired)."
        )
    c = n["chosen"]
    shares = sorted(c["share_by_capacity"].items(), key=lambda kv: -kv[1])
    most = ", ".join(f"{float(v):.1%} choose {k}" for k, v in shares)
    auth = {int(k): v for k, v in c.get("largest_authenticity_by_capacity", {}).items()}
    top = max(auth, default=None)
    who = (
        f"; every account at {top} has authenticity {num(auth[top])} or less"
        if top is not None and len(auth) > 1
        else ""
    )
    lines.append(
        f"- In the unforced baseline market micro influencers choose their load: {most} posts "
        f"a period (mean {num(c['mean_capacity'])}){who}."
    )
    head = figure(
        "influencer_balance", "influencer_balance.png", "influencer_balance.png", "income by load"
    )
    return f"""## An influencer's balance: deals against long-run income

{head}
Every micro influencer forced to take k sponsored posts a period under excess demand
({summary["steps"]} days, {summary["replications"]} replications,
{scenario["population"]["n_followers"]:,} followers), income counted at the recognition price
of each post (so scarcity premiums are left out), in units of the account's starting price;
a load of k posts with no loss would earn k:

{table(["posts a period (forced)", *[f"{k:g}" for k in loads]], body)}

""" + "\n".join(lines)
