"""Deals taken against long-run income: does taking too few or too many deals lose?

Question: an influencer who takes few deals earns little; one who takes many makes its account
commercial, loses followers' trust, engagement and followers, and with them its price. Is
long-run income an inverted U in the deal load (Fainmesser & Galeotti 2021: influencers trade
endorsement revenue against audience engagement), and where do influencers choose to be?

Method: the experiments' market, two years, with the deal load forced: every micro
influencer takes exactly k sponsored posts a period (``influencers.sponsored_cap`` k and
``lookahead`` 0, so each takes every offer up to k), k from 0 to 8, under demand that always
exceeds it (40 brands, all buying micro accounts through the platform, their whole budget,
whatever the return). Income is counted at the recognition price of each post (its followers
and engagement at the time: ``income_at_list``), so the demand multiplier, which the forced
excess demand drives up, does not enter: what remains is what the load does to the account.
Per micro influencer: income per period in year 2, in units of its recognition price at the
start, and follower retention; means over accounts, then mean and 95% CI over R replications,
at the default follower sensitivity (1) and at a sensitive population (4). Beside it, the
loads micro influencers choose in the experiments' baseline market (their ``capacity``, set by
:func:`simulation.mechanisms.sponsorship_value`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..mechanisms import recognition_price
from .common import (
    Condition,
    Settings,
    base_config,
    mean_ci,
    run_conditions,
    save_figure,
    save_table,
    summarise,
    write_summary,
)

NAME = "influencer_balance"
QUESTION = "Is an influencer's long-run income an inverted U in the deals it takes?"

SENSITIVITIES = (1.0, 4.0)
LOADS = (0, 1, 2, 3, 4, 5, 6, 8)
FORCED = {
    "brands.n_brands": 40,
    "brands.share_micro": 1.0,
    "brands.share_celebrity": 0.0,
    "brands.platform_share": 1.0,
    "brands.own_share": 0.0,
    "brands.learning_rate": 0.0,
    "brands.hurdle": 0.0,
    "influencers.lookahead": 0.0,
}
YEAR = 365


def _extract(res, snaps):
    inf = res.influencers
    cfg = res.config.influencers
    day = min(k for k in snaps if isinstance(k, int))
    periods = (res.config.run.steps - day) / res.config.run.period
    mid = snaps[day]["list_income"]
    p0 = recognition_price(
        inf["followers_start"].to_numpy(),
        1.0,
        cfg.price_per_k,
        cfg.price_exponent,
        cfg.price_quality_elasticity,
    )
    out = inf[["influencer", "tier", "capacity", "deals", "retention", "commercial_share"]].copy()
    out["income_per_period_year2"] = (inf["income_at_list"].to_numpy() - mid) / p0 / periods
    return out


def _chosen(res, _snaps):
    inf = res.influencers
    return inf.loc[inf["tier"] == "micro", ["capacity", "authenticity"]].copy()


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=3, steps=2 * YEAR)
    mid = st.steps // 2
    _extract.snapshots = [mid]
    loads = (0, 2, 6) if quick else LOADS
    forced = {**FORCED, "brands.n_brands": 8} if quick else FORCED
    conds = [
        Condition(
            {"sensitivity": s, "load": k},
            base_config(
                quick,
                overrides={
                    **forced,
                    "influencers.sponsored_cap": k,
                    "population.sensitivity_mean": s,
                },
            ),
        )
        for s in SENSITIVITIES
        for k in loads
    ]
    runs = run_conditions(conds, st, _extract)
    inf = pd.concat(
        [x.assign(replicate=r, **lab) for lab, r, _, x in runs],
        ignore_index=True,
    )
    save_table(inf, out, "influencers")
    micro = inf[inf["tier"] == "micro"]
    per_rep = (
        micro.groupby(["sensitivity", "load", "replicate"])[
            ["income_per_period_year2", "retention", "commercial_share", "deals"]
        ]
        .mean()
        .reset_index()
    )
    table = None
    for o in ("income_per_period_year2", "retention", "commercial_share", "deals"):
        s = summarise(per_rep, ["sensitivity", "load"], o).rename(
            columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"}
        )
        s = s.drop(columns="n") if table is not None else s
        table = s if table is None else table.merge(s, on=["sensitivity", "load"])
    save_table(table, out, "income_by_load")

    # where influencers choose to be in the (unforced) market
    chosen_runs = run_conditions(
        [Condition({"market": "baseline"}, base_config(quick))], st, _chosen, progress=None
    )
    chosen = pd.concat([x for _, _, _, x in chosen_runs], ignore_index=True)
    save_table(chosen, out, "chosen_loads")
    choice = {
        "mean_capacity": float(chosen["capacity"].mean()),
        "share_by_capacity": {
            int(k): float(v) for k, v in chosen["capacity"].value_counts(normalize=True).items()
        },
    }

    peaks = {}
    for s, g in table.groupby("sensitivity"):
        g = g.sort_values("load")
        best = g.loc[g["income_per_period_year2"].idxmax()]
        top = float(g["load"].max())
        peaks[float(s)] = {
            "peak_load": float(best["load"]),
            "peak_income": float(best["income_per_period_year2"]),
            "income_at_max_load": float(g.loc[g["load"] == top, "income_per_period_year2"].iloc[0]),
            "inverted_u": bool(best["load"] < top and best["load"] > g["load"].min()),
        }
    # paired test of the turn: income at the peak minus income at the largest load
    turn = {}
    for s, g in per_rep.groupby("sensitivity"):
        w = g.pivot(index="replicate", columns="load", values="income_per_period_year2")
        p = peaks[float(s)]["peak_load"]
        m, lo, hi = mean_ci(w[p] - w[w.columns.max()])
        turn[float(s)] = {"peak_minus_max_load": m, "ci": [lo, hi]}

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    for (s, g), color in zip(table.groupby("sensitivity"), ("C0", "C3"), strict=False):
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
        color="C2",
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
    for (s, g), color in zip(table.groupby("sensitivity"), ("C0", "C3"), strict=False):
        g = g.sort_values("load")
        ax.plot(g["load"], g["retention"], marker="o", color=color, label=f"sensitivity {s:g}")
    ax.set_xlabel("sponsored posts a period (forced deal load)")
    ax.set_ylabel("followers at the end / at the start")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("Follower retention", fontsize=9)
    fig.suptitle(
        f"Deal load against long-run income (mean, 95% CI over R={st.replications})", fontsize=10
    )
    save_figure(fig, out, "influencer_balance")

    numbers = {
        "income_by_load": table.to_dict(orient="records"),
        "peaks": peaks,
        "turn": turn,
        "chosen": choice,
    }
    write_summary(out, NAME, st, numbers)
    return numbers
