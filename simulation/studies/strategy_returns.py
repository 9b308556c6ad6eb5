"""Sales and earned value per dollar of celebrity, micro and mixed portfolios, with and
without relationship overhead and with and without a platform (forces 2 and 3).

Question: if a brand spends its whole budget on one kind of portfolio, which returns most per
dollar once the cost of many small relationships is counted, and does a matching platform
change the answer?

Method: the experiments' market with 12 brands, four of each strategy (``micro``: micro
accounts only; ``celebrity``: celebrities only; ``mixed``: every tier). Every brand spends its
whole budget on influencers (``brands.own_share`` 0), keeps its split fixed
(``brands.learning_rate`` 0) and buys best first whatever the expected return
(``brands.hurdle`` 0), so each portfolio is measured on a full budget, as in
``configs/celebrity_vs_micro.toml``. Relationship overhead ``brands.relationship_cost`` of $0,
$50 (the default) and $200 per relationship per period, crossed with no platform and every
brand on the platform (``brands.platform_share`` 0 or 1; the platform shows every candidate
with its audience's measured trust and interest and cuts 70% of the overhead, for a fee of
20% of the price). R replications each (common seeds), 365 days. Per strategy and run: sales
value per dollar (customers won, in people, times ``brands.margin``, over spend) and earned
media value per dollar of influencer spend. Means and 95% CIs over replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .common import (
    Condition,
    Settings,
    base_config,
    run_conditions,
    save_figure,
    save_table,
    summarise,
    write_summary,
)

NAME = "strategy_returns"
QUESTION = "Which portfolio returns most per dollar, with overhead and with a platform?"

OVERHEADS = (0.0, 50.0, 200.0)
PLATFORM = (0.0, 1.0)
STRATEGY_MIX = {
    "brands.n_brands": 12,
    "brands.share_micro": 1 / 3,
    "brands.share_celebrity": 1 / 3,
    "brands.own_share": 0.0,
    "brands.learning_rate": 0.0,
    "brands.hurdle": 0.0,
}
STRATEGIES = ("micro", "mixed", "celebrity")


def _extract(res, _snaps):
    br = res.brands
    rows = {}
    for s, g in br.groupby("strategy"):
        spend = g["spend"].sum()
        rows[s] = {
            "emv_per_dollar": (
                g["earned_value"].sum() / (spend - g["own_spend"].sum())
                if spend - g["own_spend"].sum()
                else np.nan
            ),
            "sales_per_dollar": g["sales_value"].sum() / spend if spend else np.nan,
            "overhead_share": g["overhead"].sum() / spend if spend else np.nan,
            "fee_share": g["platform_fees"].sum() / spend if spend else np.nan,
            "deals_per_brand": g["deals"].mean(),
            "spend_per_brand": g["spend"].mean(),
        }
    return rows


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=5)
    overheads = (0.0, 200.0) if quick else OVERHEADS
    mix = {**STRATEGY_MIX, "brands.n_brands": 6} if quick else STRATEGY_MIX
    conds = [
        Condition(
            {"overhead": o, "platform": bool(p)},
            base_config(
                quick, overrides={**mix, "brands.relationship_cost": o, "brands.platform_share": p}
            ),
        )
        for p in PLATFORM
        for o in overheads
    ]
    runs = run_conditions(conds, st, _extract)
    df = pd.DataFrame(
        [
            {**lab, "replicate": k, "seed": s, "strategy": strat, **vals}
            for lab, k, s, x in runs
            for strat, vals in x.items()
        ]
    )
    save_table(df, out, "runs")
    keys = ["platform", "overhead", "strategy"]
    table = None
    for o in ("sales_per_dollar", "emv_per_dollar", "overhead_share", "deals_per_brand"):
        s = (
            summarise(df, keys, o)
            .rename(columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"})
            .drop(columns="n")
        )
        table = s if table is None else table.merge(s, on=keys)
    save_table(table, out, "returns_by_strategy")

    # paired differences micro - celebrity (same replicate), per condition
    wide = df.pivot_table(
        index=["platform", "overhead", "replicate"], columns="strategy", values="sales_per_dollar"
    ).reset_index()
    diffs = []
    if {"micro", "celebrity"} <= set(wide.columns):
        wide["micro_minus_celebrity"] = wide["micro"] - wide["celebrity"]
        diffs = summarise(wide, ["platform", "overhead"], "micro_minus_celebrity")
        save_table(diffs, out, "micro_minus_celebrity")
        diffs = diffs.to_dict(orient="records")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    conds_order = [(p, o) for p in (False, True) for o in overheads]
    x = np.arange(len(conds_order))
    width = 0.26
    colors = {"micro": "C2", "mixed": "C1", "celebrity": "C4"}
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
        ax.set_xlabel("relationship overhead ($ per relationship per month) / platform")
        ax.grid(axis="y", alpha=0.3)
    axes[1].axhline(6.5, color="crimson", ls=":", lw=1, label="Tomoson 2015: $6.50")
    axes[0].axhline(1.0, color="0.4", ls=":", lw=1, label="break even")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.suptitle(
        f"Return per dollar by portfolio (mean, 95% CI over R={st.replications})", fontsize=10
    )
    save_figure(fig, out, "strategy_returns")

    numbers = {"returns": table.to_dict(orient="records"), "micro_minus_celebrity": diffs}
    write_summary(out, NAME, st, numbers)
    return numbers
