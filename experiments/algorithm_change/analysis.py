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

    df["customers_all"] = df[list(CHANNELS.values())].sum(axis=1)
    near = df[(df["day"] >= change - window) & (df["day"] < change + window)].copy()
    near["period"] = np.where(near["day"] < change, "before", "after")
    cols = [
        "own_impressions",
        "sponsored_impressions",
        *CHANNELS.values(),
        "customers_all",
        "deals",
        "brand_spend",
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
        "sponsored_impressions",
        "customers_own",
        "customers",
        "customers_wom",
        "customers_all",
        "deals",
        "brand_spend",
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

    arms = read_manifest(sweeps["sweep"])["sweep"]["factors"]["arm"]["sets"]
    demotion = {arm: dict(sets).get("algorithm.brand_demotion") for arm, sets in arms}
    last = df[df["day"] == df["day"].max()]
    share_end = {arm: float(g["budget_share_own"].mean()) for arm, g in last.groupby("arm")}
    return {
        "change_day": change,
        "window_days": window,
        "demotion": demotion.get("demotion"),
        "last_day": int(df["day"].max()),
        "budget_share_own_last_day": share_end,
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


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/algorithm_change/ -> name in docs/figures.
RESULTS_FIGURES = {"algorithm_change.png": "algorithm_change.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est, figure, num, sign_word

    n = summary["results"]
    e = n["effects"]

    def ratio(k: str, fmt: str = ".2f") -> str:
        d = e[k]
        return est(d["demotion_over_control_after"], *d["ci"], fmt)

    def word(k: str, up: str, down: str) -> str:
        return sign_word(*e[k]["ci"], up, down, level=1.0)

    ba = {(r["arm"], r["period"]): r for r in n["before_after"]}
    stop = e["own_impressions"]["demotion_over_control_after"] == 0
    demotion = n["demotion"]
    share = n["budget_share_own_last_day"]
    own = (
        "**Brands stop promoting their own posts altogether**: own-post views and customers "
        "fall to zero after the change, not by the demotion's share"
        if stop
        else f"Own-post views fall to {ratio('own_impressions')} of the control's"
    )
    influencer_share = ba.get(("demotion", "after"), {}).get("influencer_share_of_customers")
    control_share = ba.get(("control", "after"), {}).get("influencer_share_of_customers")
    return f"""## 7. Suppressed brand content: the algorithm change

{figure("algorithm_change", "algorithm_change.png", "algorithm_change.png", "algorithm change")}
From day {n["change_day"]} the feed shows brands' own posts to {demotion:.0%} fewer people
(the demotion arm of `configs/algorithm_change.toml` against a control without it,
{summary["replications"]} paired replications, {summary["steps"]} days,
{scenario["population"]["n_followers"]:,} followers).
Demotion over control over the {n["window_days"]} days after the change, paired by replicate:

- {own}.
- Brands' planned share of their budget for own posts is {ratio("budget_share_own")} of the
  control's ({word("budget_share_own", "more", "less planned for own posts")}); on the
  last day (day {n["last_day"]}) it is {num(share.get("demotion"))} with the demotion and
  {num(share.get("control"))} without.
- But brands buy only posts that clear their hurdle: deals are {ratio("deals")} and sponsored
  views {ratio("sponsored_impressions")} times the control's, while brands' spend is
  {ratio("brand_spend")} of it ({word("brand_spend", "more", "less")}).
- Customers won through sponsored posts: {ratio("customers")}
  ({word("customers", "more", "fewer")}); through word of mouth {ratio("customers_wom")}
  ({word("customers_wom", "more", "fewer")}); all new customers {ratio("customers_all")}
  ({word("customers_all", "more", "fewer")}).
- Influencers win {num(influencer_share, ".0%")} of the customers that brands win through
  posts after the change ({num(control_share, ".0%")} in the control).

Brands anticipate a demotion that starts within a budget period (`docs/ODD.md` 7.31), so the
demotion arm's "before" window can include days without own promotion."""


def results_notes(summary: dict, scenario: dict) -> list[str]:
    """What looks wrong in this experiment's outputs, for the list of docs/RESULTS.md."""
    from simulation.results_doc import est

    e = summary["results"]["effects"]
    notes = []
    if e["own_impressions"]["demotion_over_control_after"] == 0:
        spend = e["brand_spend"]
        notes.append(
            "**After the algorithm change brands stop promoting rather than promote less**, "
            "and they spend "
            f"{est(spend['demotion_over_control_after'], *spend['ci'])} of what they spend "
            "without the change (`algorithm_change`, section 7)."
        )
    return notes
