"""Brands' own posts against influencers, before and after a feed-algorithm change that
demotes brands' own posts (force 7), with budgets that move.

Question: when the feed demotes brands' own posts, how much of a brand's reach and customers
does it lose, and how much of its budget moves to influencers?

Conditions (``sweep.toml``): ``configs/algorithm_change.toml`` in the experiments' market
(two years; from day 365 the feed shows brands' own posts, unpaid and promoted, to 80% fewer
people, so promoting them no longer pays and brands stop, from the period that reaches day
365), against a control without the demotion (the bundle ``arm``), R replications each on
common seeds. Brands split their budget between their own posts and the influencer tiers by
exponential weights on realized sales per budgeted dollar (``brands.learning_rate``).

Daily, per run (:func:`tables`): the views of brands' own posts (``own_impressions``,
people), the views of sponsored posts (``sponsored_impressions``), new customers by channel
(own posts, sponsored posts, word of mouth; people), and the mean budget share of own posts
(``budget_share_own``). Before/after means over the 90 days either side of the change (20 in
the quick version, whose change is on day 30), with 95% intervals over replications; the
effect of the demotion is the demotion arm over the control after the change, paired by
replicate. The change day is read from the sweep's scenario.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import mean_ci, summarise, summarise_wide
from simulation.sweep.store import read_manifest, read_table

WINDOW = 90
QUICK_WINDOW = 20
CHANNELS = {
    "own posts": "customers_own",
    "sponsored posts": "customers",
    "word of mouth": "customers_wom",
}
#: line colours of the two arms and of the channels (none is a tier or a strategy)
ARM_COLORS = {"demotion": "C3", "control": "0.4"}
CHANNEL_COLORS = ("C3", "C2", "C0")


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """The daily series a run keeps: reach, deals, spend, customers by channel, budget share."""
    cols = ["step", "own_impressions", "sponsored_impressions", "deals", "brand_spend"]
    return {"daily": res.timeseries[[*cols, *CHANNELS.values(), "budget_share_own"]].copy()}


def _change_and_quick(folder: Path) -> tuple[int, bool]:
    """The change day of the sweep's scenario and whether it is the quick version."""
    man = read_manifest(folder)
    base = tomllib.loads(man["base_config"])
    return int(base["algorithm"]["change_step"]), bool(man["sweep"].get("quick", False))


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    change, quick = _change_and_quick(sweeps["sweep"])
    window = QUICK_WINDOW if quick else WINDOW
    df = read_table(sweeps["sweep"], "daily").drop(columns="point")
    # row `step` describes day step - 1, own_* columns included (docs/OUTPUTS.md)
    df["day"] = df["step"] - 1
    save_table(df, out, "daily")

    near = df[(df["day"] >= change - window) & (df["day"] < change + window)].copy()
    near["period"] = np.where(near["day"] < change, "before", "after")
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
    table = summarise_wide(per_rep, ["arm", "period"], [*cols, "influencer_share_of_customers"])
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
    # 10-day bins (three per 30-day period; 5 in the quick version), complete bins only
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
        for arm, color in ARM_COLORS.items():
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
    for (name, col), color in zip(CHANNELS.items(), CHANNEL_COLORS, strict=True):
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
    for arm, color in ARM_COLORS.items():
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
    r = int(df["replicate"].nunique())
    fig.suptitle(
        f"Algorithm change on day {change}: the feed shows own posts to 80% fewer people, "
        "brands stop promoting them "
        f"({bin_days}-day means, 95% CI over R={r})",
        fontsize=10,
    )
    save_figure(fig, out, "algorithm_change")

    return {
        "change_day": change,
        "window_days": window,
        "before_after": table.to_dict(orient="records"),
        "effects": effects,
    }


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    names = {
        "own_impressions": "views of own posts",
        "customers_own": "customers via own posts",
        "customers": "customers via sponsored posts",
        "customers_wom": "customers via word of mouth",
        "deals": "sponsored posts (deals)",
        "budget_share_own": "budget share planned for own posts",
    }
    w, day = numbers["window_days"], numbers["change_day"]
    lines = [f"demotion / control over the {w} days after the change on day {day} [95% CI]:"]
    for k, label in names.items():
        e = numbers["effects"].get(k)
        if e is not None:
            lo, hi = e["ci"]
            lines.append(f"  {label}: {e['demotion_over_control_after']:.2f} [{lo:.2f}, {hi:.2f}]")
    return lines
