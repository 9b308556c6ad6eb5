"""Deals accepted against long-run income: does taking too few or too many deals lose?

Question: an influencer who accepts few deals (authentic, low capacity) earns little; one who
accepts many makes its account commercial, loses followers' trust, engagement and followers,
and with them its price. Is long-run income an inverted U in the deal load (Fainmesser &
Galeotti 2021: influencers trade endorsement revenue against audience engagement)?

Method: a market with strong demand (40 brands) and ``influencers.sponsored_cap`` 12, so that
an account's capacity ``round(12 * (1 - authenticity))`` spans 0 to 12 deals a month. Two
years (730 days), R replications, at the default follower sensitivity (1) and at a sensitive
population (4). Per micro influencer (500-5,000 followers, the largest and most homogeneous
tier): income in year 1 and in year 2, in units of the account's price per post at the start
(``recognition_price`` of its starting audience), so that accounts of different sizes compare;
and follower retention. Accounts are grouped by capacity; means over the group, then mean and
95% CI over replications.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..mechanisms import recognition_price
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

NAME = "influencer_balance"
QUESTION = "Is an influencer's long-run income an inverted U in the deals it accepts?"

SENSITIVITIES = (1.0, 4.0)
DEMAND = {"brands.n_brands": 40, "influencers.sponsored_cap": 12}
CAPACITY_BINS = (-0.5, 0.5, 1.5, 2.5, 3.5, 5.5, 7.5, 9.5, 12.5)
CAPACITY_LABELS = ("0", "1", "2", "3", "4-5", "6-7", "8-9", "10-12")
YEAR = 365


def _extract(res, snaps):
    inf = res.influencers
    cfg = res.config.influencers
    mid = snaps[res.config.run.steps // 2]["income"]
    p0 = recognition_price(
        inf["followers_start"].to_numpy(),
        1.0,
        cfg.price_per_k,
        cfg.price_exponent,
        cfg.price_quality_elasticity,
    )
    out = inf[
        [
            "influencer",
            "tier",
            "followers_start",
            "capacity",
            "authenticity",
            "deals",
            "retention",
            "engagement_rate",
            "commercial_share",
            "income",
        ]
    ].copy()
    out["income_year1"] = mid / p0
    out["income_year2"] = (inf["income"].to_numpy() - mid) / p0
    return out


#: Day at which each influencer's income is recorded (the middle of the run; ``run`` sets it).
_extract.snapshots = [YEAR]


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=3, steps=2 * YEAR)
    _extract.snapshots = [st.steps // 2]
    demand = {**DEMAND, "brands.n_brands": 8} if quick else DEMAND
    conds = [
        Condition(
            {"sensitivity": s},
            base_config(quick, overrides={**demand, "population.sensitivity_mean": s}),
        )
        for s in SENSITIVITIES
    ]
    runs = run_conditions(conds, st, _extract)
    inf = pd.concat(
        [x.assign(sensitivity=lab["sensitivity"], replicate=k) for lab, k, _, x in runs],
        ignore_index=True,
    )
    save_table(inf, out, "influencers")
    micro = inf[inf["tier"] == "micro"].copy()
    micro["capacity_group"] = pd.cut(micro["capacity"], CAPACITY_BINS, labels=CAPACITY_LABELS)
    deals = micro["deals"].where(micro["deals"] > 0)
    micro["price_per_deal"] = (micro["income_year1"] + micro["income_year2"]) / deals
    per_rep = (
        micro.groupby(["sensitivity", "capacity_group", "replicate"], observed=True)[
            ["income_year1", "income_year2", "retention", "deals", "price_per_deal"]
        ]
        .mean()
        .reset_index()
    )
    table = None
    for o in ("income_year1", "income_year2", "retention", "deals", "price_per_deal"):
        s = summarise(per_rep, ["sensitivity", "capacity_group"], o).rename(
            columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"}
        )
        s = s.drop(columns="n") if table is not None else s
        table = s if table is None else table.merge(s, on=["sensitivity", "capacity_group"])
    table["order"] = table["capacity_group"].map(CAPACITY_LABELS.index)
    table = table.sort_values(["sensitivity", "order"]).drop(columns="order")
    save_table(table, out, "income_by_capacity")
    peaks = {}
    for s, g in table.groupby("sensitivity"):
        g = g.reset_index(drop=True)
        peaks[float(s)] = {
            "year1_peak_capacity": str(g.loc[g["income_year1"].idxmax(), "capacity_group"]),
            "year2_peak_capacity": str(g.loc[g["income_year2"].idxmax(), "capacity_group"]),
            "year2_peak": float(g["income_year2"].max()),
            "year2_at_max_capacity": float(g["income_year2"].iloc[-1]),
        }

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    x = {lab: i for i, lab in enumerate(CAPACITY_LABELS)}
    for s, color in zip(SENSITIVITIES, ("C0", "C3"), strict=True):
        g = table[table["sensitivity"] == s]
        xs = g["capacity_group"].map(x).astype(float)
        for ax, col, ls, name in (
            (axes[0], "income_year1", "--", "year 1"),
            (axes[0], "income_year2", "-", "year 2"),
            (axes[1], "retention", "-", None),
            (axes[2], "deals", "-", None),
            (axes[3], "price_per_deal", "-", None),
        ):
            ax.plot(
                xs,
                g[col],
                ls=ls,
                marker="o",
                ms=4,
                color=color,
                label=f"sensitivity {s:g}" + (f", {name}" if name else ""),
            )
            ax.fill_between(xs, g[f"{col}_lo"], g[f"{col}_hi"], color=color, alpha=0.15, lw=0)
    for ax, lab in zip(
        axes,
        (
            "income in the year, in posts at the starting price",
            "follower retention after two years",
            "deals accepted over two years",
            "price paid per deal / starting price",
        ),
        strict=True,
    ):
        ax.set_xticks(range(len(CAPACITY_LABELS)), CAPACITY_LABELS)
        ax.set_xlabel("capacity (most deals a month)")
        ax.set_ylabel(lab)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        f"Micro influencers: income, audience and deals by deal capacity (mean, 95% CI "
        f"over R={st.replications})",
        fontsize=10,
    )
    save_figure(fig, out, "income_by_capacity")

    numbers = {"peaks": peaks, "table": table.to_dict(orient="records")}
    write_summary(out, NAME, st, numbers)
    return numbers
