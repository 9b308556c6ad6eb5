"""Sales and earned value per dollar of celebrity, micro and mixed portfolios, with and
without relationship overhead and with and without a platform (forces 2 and 3).

Conditions (``sweep.toml``): the experiments' market with 12 brands, four of each strategy
(``micro``: micro accounts only; ``celebrity``: celebrities only; ``mixed``: every tier),
spending their whole budget on influencers with a fixed split, buying best first whatever the
expected return; relationship overhead $0, $50 and $200 per relationship per period crossed
with no platform and every brand on the platform (which shows every candidate with its
audience's measured trust and interest and cuts 70% of the overhead, for a fee of 20% of the
price); R replications each on common seeds; 365 days.

Per strategy and run (:func:`tables`): sales value per dollar (customers won, in people, times
``brands.margin``, over spend) and earned media value per dollar of influencer spend. Means
and 95% intervals over replications, and the paired difference micro - celebrity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import summarise, summarise_wide
from simulation.sweep.store import read_table
from simulation.vocabulary import STRATEGIES

FACTORS = {"brands__platform_share": "platform", "brands__relationship_cost": "overhead"}


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """One row per brand strategy of a run: returns per dollar and where the money went."""
    rows = []
    for s, g in res.brands.groupby("strategy", observed=True):
        spend = g["spend"].sum()
        influencer_spend = spend - g["own_spend"].sum()
        rows.append(
            {
                "strategy": s,
                "emv_per_dollar": (
                    g["earned_value"].sum() / influencer_spend if influencer_spend else np.nan
                ),
                "sales_per_dollar": g["sales_value"].sum() / spend if spend else np.nan,
                "overhead_share": g["overhead"].sum() / spend if spend else np.nan,
                "fee_share": g["platform_fees"].sum() / spend if spend else np.nan,
                "deals_per_brand": g["deals"].mean(),
                "spend_per_brand": g["spend"].mean(),
            }
        )
    return {"by_strategy": pd.DataFrame(rows)}


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = read_table(sweeps["sweep"], "by_strategy").rename(columns=FACTORS)
    df["platform"] = df["platform"].astype(bool)
    save_table(df.drop(columns="point"), out, "runs")
    keys = ["platform", "overhead", "strategy"]
    outcomes = ("sales_per_dollar", "emv_per_dollar", "overhead_share", "deals_per_brand")
    table = summarise_wide(df, keys, outcomes)
    save_table(table, out, "returns_by_strategy")

    # paired differences micro - celebrity (same replicate, same seed), per condition
    wide = df.pivot_table(
        index=["platform", "overhead", "replicate"], columns="strategy", values="sales_per_dollar"
    ).reset_index()
    diffs = []
    if {"micro", "celebrity"} <= set(wide.columns):
        wide["micro_minus_celebrity"] = wide["micro"] - wide["celebrity"]
        diffs = summarise(wide, ["platform", "overhead"], "micro_minus_celebrity")
        save_table(diffs, out, "micro_minus_celebrity")
        diffs = diffs.to_dict(orient="records")

    overheads = sorted(df["overhead"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    conds_order = [(p, o) for p in (False, True) for o in overheads]
    x = np.arange(len(conds_order))
    width = 0.26
    colors = strategy_colors()
    for ax, col, label in zip(
        axes,
        ("sales_per_dollar", "emv_per_dollar"),
        ("sales value per $ spent", "earned media value per $ of influencer spend"),
        strict=True,
    ):
        for i, strat in enumerate(STRATEGIES):
            g = table[table["strategy"] == strat].set_index(["platform", "overhead"])
            g = g.reindex(conds_order)
            ax.bar(
                x + (i - 1) * width,
                g[col],
                width,
                color=colors[strat],
                label=strat,
                yerr=[g[col] - g[f"{col}_lo"], g[f"{col}_hi"] - g[col]],
                capsize=3,
            )
        ax.set_xticks(
            x,
            [f"${o:g}\n{'platform' if p else 'none'}" for p, o in conds_order],
            fontsize=8,
        )
        ax.set_ylabel(label)
        ax.set_xlabel("relationship overhead ($ per relationship per period) / platform")
        ax.grid(axis="y", alpha=0.3)
    axes[1].axhline(6.5, color="0.2", ls=":", lw=1, label="Tomoson 2015: $6.50")
    axes[0].axhline(1.0, color="0.4", ls=":", lw=1, label="break even")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    r = int(df["replicate"].nunique())
    fig.suptitle(f"Return per dollar by portfolio (mean, 95% CI over R={r})", fontsize=10)
    save_figure(fig, out, "strategy_returns")
    return {"returns": table.to_dict(orient="records"), "micro_minus_celebrity": diffs}


def strategy_colors() -> dict[str, str]:
    """One colour per brand strategy, the page's (simulation.app.charts)."""
    from simulation.plots import STRATEGY_COLORS

    return STRATEGY_COLORS


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    lines = []
    by = {}
    for r in numbers["returns"]:
        by.setdefault((r["platform"], r["overhead"]), {})[r["strategy"]] = r["sales_per_dollar"]
    for (p, o), v in sorted(by.items()):
        cells = "  ".join(f"{s} {v[s]:.2f}" for s in STRATEGIES if s in v)
        lines.append(
            f"sales per $ at ${o:g} overhead, {'platform' if p else 'no platform'}: {cells}"
        )
    return lines
