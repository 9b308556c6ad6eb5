"""Brands' own posts against influencers, before and after a feed-algorithm change that
demotes brands' own posts (force 7), with budgets that move.

Question: when the feed demotes brands' own posts, how much of a brand's reach and customers
does it lose, and how much of its budget moves to influencers?

Method: ``configs/algorithm_change.toml`` in the experiments' market (two years; from day 365
the feed shows brands' own posts, unpaid and promoted, to 80% fewer people, so promoting them
no longer pays and brands stop, from the period that reaches day 365), against a control
without the demotion, R replications each (common seeds). Brands split their budget between
their own posts and the influencer tiers by exponential weights on realized sales per
budgeted dollar (``brands.learning_rate``). Daily: the views of brands' own posts
(``own_impressions``, people), the views of sponsored posts (``sponsored_impressions``),
new customers by channel (own posts, sponsored posts, word of mouth; people), and the mean
budget share of own posts (``budget_share_own``). Before/after means over the 90 days either
side of the change, with 95% CIs over replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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

NAME = "algorithm_change"
QUESTION = "What does a demotion of brands' own posts do to their reach and customers?"

WINDOW = 90
CHANNELS = {
    "own posts": "customers_own",
    "sponsored posts": "customers",
    "word of mouth": "customers_wom",
}


def _extract(res, _snaps):
    cols = ["step", "own_impressions", "sponsored_impressions", "deals", "brand_spend"]
    return res.timeseries[[*cols, *CHANNELS.values(), "budget_share_own"]].copy()


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=8, steps=730)
    change = 30 if quick else 365
    window = 20 if quick else WINDOW
    extra = {"algorithm.change_step": change}
    if quick:
        treated = base_config(True, overrides={**extra, "algorithm.brand_demotion": 0.8})
        control = base_config(True, overrides=extra)
    else:
        treated = base_config(False, "configs/algorithm_change.toml")
        control = base_config(
            False, "configs/algorithm_change.toml", {"algorithm.brand_demotion": 0.0}
        )
        change = treated.algorithm.change_step
    runs = run_conditions(
        [Condition({"arm": "demotion"}, treated), Condition({"arm": "control"}, control)],
        st,
        _extract,
    )
    df = pd.concat(
        [x.assign(arm=lab["arm"], replicate=k) for lab, k, _, x in runs], ignore_index=True
    )
    # row `step` describes day step - 1, own_* columns included (docs/OUTPUTS.md)
    df["day"] = df["step"] - 1
    save_table(df, out, "daily")

    def period(d):
        return np.where(d < change, "before", "after")

    near = df[(df["day"] >= change - window) & (df["day"] < change + window)].copy()
    near["period"] = period(near["day"])
    cols = [
        "own_impressions",
        "sponsored_impressions",
        *CHANNELS.values(),
        "deals",
        "budget_share_own",
    ]
    per_rep = near.groupby(["arm", "period", "replicate"])[cols].mean().reset_index()
    per_rep["influencer_share_of_customers"] = per_rep["customers"] / (
        per_rep["customers"] + per_rep["customers_own"]
    )
    table = None
    for o in [*cols, "influencer_share_of_customers"]:
        s = (
            summarise(per_rep, ["arm", "period"], o)
            .rename(columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"})
            .drop(columns="n")
        )
        table = s if table is None else table.merge(s, on=["arm", "period"])
    save_table(table, out, "before_after")
    # effect of the demotion: treated minus control after the change (paired by replicate)
    after = per_rep[per_rep["period"] == "after"].pivot(index="replicate", columns="arm")
    effects = {}
    for o in (
        "own_impressions",
        "customers_own",
        "customers",
        "customers_wom",
        "deals",
        "budget_share_own",
    ):
        ratio = after[(o, "demotion")] / after[(o, "control")]
        m, lo, hi = mean_ci(ratio)
        effects[o] = {"demotion_over_control_after": m, "ci": [lo, hi]}

    # figure: daily reach (index) and adoptions by channel
    # 10-day bins (three per 30-day period), complete bins only
    bin_days = 5 if quick else 10
    df["week"] = df["day"] // bin_days
    df = df[df["week"] < (df["day"].max() + 1) // bin_days]
    weekly = (
        df.groupby(["arm", "replicate", "week"])[
            ["own_impressions", "sponsored_impressions", *CHANNELS.values()]
        ]
        .mean()
        .reset_index()
    )
    weekly["day"] = weekly["week"] * bin_days + bin_days / 2
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
    ax = axes[0]
    pre = (
        weekly[(weekly["day"] < change)]
        .groupby("arm")[["own_impressions", "sponsored_impressions"]]
        .mean()
    )
    for col, ls, name in (
        ("own_impressions", "-", "brands' own posts"),
        ("sponsored_impressions", "--", "sponsored posts (influencers)"),
    ):
        for arm, color in (("demotion", "C3"), ("control", "0.4")):
            g = weekly[weekly["arm"] == arm].assign(
                idx=lambda d, c=col, a=arm: d[c] / pre.loc[a, c]
            )
            b = summarise(g, ["day"], "idx")
            ax.plot(b["day"], b["mean"], ls=ls, color=color, label=f"{name}, {arm}")
            ax.fill_between(b["day"], b["ci_low"], b["ci_high"], color=color, alpha=0.2, lw=0)
    ax.axvline(change, color="k", lw=0.8, ls=":")
    ax.set_xlabel("day")
    ax.set_ylabel(f"{bin_days}-day mean views / mean before the change")
    ax.legend(fontsize=7)
    ax.set_title("Reach, as an index of its level before the change", fontsize=9)
    ax.grid(alpha=0.3)
    ax = axes[1]
    for (name, col), color in zip(CHANNELS.items(), ("C3", "C2", "C0"), strict=True):
        for arm, ls in (("demotion", "-"), ("control", ":")):
            b = summarise(weekly[weekly["arm"] == arm], ["day"], col)
            ax.plot(b["day"], b["mean"], ls=ls, color=color, label=f"{name}, {arm}")
            ax.fill_between(b["day"], b["ci_low"], b["ci_high"], color=color, alpha=0.15, lw=0)
    ax.axvline(change, color="k", lw=0.8, ls=":")
    ax.set_xlabel("day")
    ax.set_ylabel("new customers per day (people)")
    ax.set_yscale("log")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("New customers by channel", fontsize=9)
    ax.grid(alpha=0.3)
    ax = axes[2]
    shares = (
        df.groupby(["arm", "replicate", "week"])["budget_share_own"].mean().reset_index()
    ).assign(day=lambda d: d["week"] * bin_days + bin_days / 2)
    for arm, color in (("demotion", "C3"), ("control", "0.4")):
        b = summarise(shares[shares["arm"] == arm], ["day"], "budget_share_own")
        ax.plot(b["day"], 1 - b["mean"], color=color, label=f"influencers, {arm}")
        ax.fill_between(b["day"], 1 - b["ci_high"], 1 - b["ci_low"], color=color, alpha=0.2, lw=0)
    ax.axvline(change, color="k", lw=0.8, ls=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel("day")
    ax.set_ylabel("share of brands' budget planned for influencers")
    ax.legend(fontsize=7)
    ax.set_title("Where the budget goes", fontsize=9)
    ax.grid(alpha=0.3)
    fig.suptitle(
        f"Algorithm change on day {change}: the feed shows own posts to 80% fewer people, "
        "brands stop promoting them "
        f"({bin_days}-day means, 95% CI over R={st.replications})",
        fontsize=10,
    )
    save_figure(fig, out, "algorithm_change")

    numbers = {
        "change_day": change,
        "window_days": window,
        "before_after": table.to_dict(orient="records"),
        "effects": effects,
    }
    write_summary(out, NAME, st, numbers)
    return numbers
