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

import itertools
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
    outcomes = (
        "sales_per_dollar",
        "emv_per_dollar",
        "overhead_share",
        "deals_per_brand",
        "spend_per_brand",
    )
    table = summarise_wide(df, keys, outcomes)
    save_table(table, out, "returns_by_strategy")

    # paired differences micro - celebrity (same replicate, same seed), per condition
    wide = df.pivot_table(
        index=["platform", "overhead", "replicate"], columns="strategy", values="sales_per_dollar"
    ).reset_index()
    diffs, mixed = [], []
    if {"micro", "celebrity"} <= set(wide.columns):
        wide["micro_minus_celebrity"] = wide["micro"] - wide["celebrity"]
        diffs = summarise(wide, ["platform", "overhead"], "micro_minus_celebrity")
        save_table(diffs, out, "micro_minus_celebrity")
        diffs = diffs.to_dict(orient="records")
    if {"micro", "mixed"} <= set(wide.columns):
        wide["mixed_minus_micro"] = wide["mixed"] - wide["micro"]
        mixed = summarise(wide, ["platform", "overhead"], "mixed_minus_micro")
        mixed = mixed.to_dict(orient="records")

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
    return {
        "returns": table.to_dict(orient="records"),
        "micro_minus_celebrity": diffs,
        "mixed_minus_micro": mixed,
    }


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


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/strategy_returns/ -> name in docs/figures.
RESULTS_FIGURES = {"strategy_returns.png": "strategy_returns.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est_ci, est_row, figure, num, sign_word, table

    n = summary["results"]
    by = {(bool(r["platform"]), float(r["overhead"]), r["strategy"]): r for r in n["returns"]}
    conds = sorted({(p, o) for p, o, _ in by}, key=lambda c: (c[0], c[1]))
    overheads = sorted({o for _, o in conds})
    diff = {(bool(d["platform"]), float(d["overhead"])): d for d in n["micro_minus_celebrity"]}
    mixed = {(bool(d["platform"]), float(d["overhead"])): d for d in n["mixed_minus_micro"]}
    order = ("micro", "mixed", "celebrity")
    sales_rows = [
        [
            f"${o:g}",
            "all brands" if p else "none",
            *[est_row(by[p, o, k], "sales_per_dollar") for k in order],
            est_ci(diff[p, o], "+.2f"),
        ]
        for p, o in conds
    ]
    emv_rows = [
        [
            f"${o:g}",
            "all brands" if p else "none",
            *[est_row(by[p, o, k], "emv_per_dollar", ".1f") for k in order],
        ]
        for p, o in conds
    ]
    spend_rows = [
        [
            f"${o:g}",
            "all brands" if p else "none",
            *[
                f"${num(by[p, o, k]['spend_per_brand'], ',.0f')}, "
                f"{num(by[p, o, k]['overhead_share'], '.0%')}"
                for k in ("micro", "mixed")
            ],
            f"${num(by[p, o, 'celebrity']['spend_per_brand'], ',.0f')}, "
            f"{num(by[p, o, 'celebrity']['deals_per_brand'], '.1f')}",
        ]
        for p, o in conds
    ]
    lo_ends = [d["ci_low"] for d in diff.values()]
    every = all(x > 0 for x in lo_ends)
    beats = (
        "**Micro beats celebrity in sales per dollar in every condition**"
        if every
        else "**Micro does not beat celebrity in sales per dollar in every condition**"
    )
    spread = [d["mean"] for d in diff.values()]
    celeb = [by[(*c, "celebrity")]["sales_per_dollar"] for c in conds]
    below_even = "all below" if all(x < 1 for x in celeb) else "not all below"
    first, last = overheads[0], overheads[-1]
    micro_none = [by[False, o, "micro"]["sales_per_dollar"] for o in overheads]
    falls = all(a > b for a, b in itertools.pairwise(micro_none))
    fall = {
        p: by[p, first, "micro"]["sales_per_dollar"] - by[p, last, "micro"]["sales_per_dollar"]
        for p in (False, True)
        if (p, first, "micro") in by
    }
    hurt = (
        f"**Overhead hurts the micro portfolio**: without a platform its sales per dollar "
        f"{'falls' if falls else 'moves'} from "
        + " to ".join(num(x) for x in micro_none)
        + f" as overhead goes from ${first:g} to ${last:g} per relationship per period "
        f"(overhead {num(by[False, last, 'micro']['overhead_share'], '.0%')} of its spend at "
        f"${last:g})."
    )
    if True in fall:
        hurt += (
            f" With the platform it falls by {num(fall[True])} instead of {num(fall[False])}: "
            f"the platform cuts the overhead "
            f"({scenario['platform']['overhead_cut']:.0%} of it) for a fee of "
            f"{scenario['platform']['fee_rate']:.0%} of the price."
        )
    vs_mixed = "; ".join(
        f"{sign_word(mixed[c]['ci_low'], mixed[c]['ci_high'], 'mixed ahead', 'micro ahead')}"
        " "
        f"at ${c[1]:g}, {'platform' if c[0] else 'no platform'} ({est_ci(mixed[c], '+.2f')})"
        for c in conds
    )
    micro_emv = [by[(*c, "micro")]["emv_per_dollar"] for c in conds]
    celeb_emv = [by[(*c, "celebrity")]["emv_per_dollar"] for c in conds]
    budget = summary["steps"] / scenario["run"]["period"] * scenario["brands"]["budget"]
    spend0 = by[False, first, "micro"]["spend_per_brand"]
    return f"""## 2-3. Reach against relationship cost, and platforms

{figure("strategy_returns", "strategy_returns.png", "strategy_returns.png", "strategy returns")}
{scenario["brands"]["n_brands"]} brands, a third buying only micro accounts, a third only
celebrities and a third every tier, each with its whole budget and whatever the return
(`brands.hurdle` {scenario["brands"]["hurdle"]:g}, a fixed split), at relationship overheads
of {", ".join(f"${o:g}" for o in overheads)} per relationship per period, without and with a
matching platform ({summary["replications"]} replications, {summary["steps"]} days,
{scenario["population"]["n_followers"]:,} followers). Sales value per dollar spent, and micro
minus celebrity paired by replicate:

{table(["overhead", "platform", "micro", "mixed", "celebrity", "micro - celebrity"], sales_rows)}

Earned media value per dollar of influencer spend:

{table(["overhead", "platform", "micro", "mixed", "celebrity"], emv_rows)}

Spend per brand over the run (a budget of about ${budget:,.0f}) with the overhead's share of
it, and the celebrity brands' posts bought per brand:

{table(["overhead", "platform", "micro", "mixed", "celebrity: spend, posts"], spend_rows)}

- {beats}: micro minus celebrity {num(min(spread), "+.2f")} to {num(max(spread), "+.2f")} of
  sales per dollar (paired lower ends {num(min(lo_ends), "+.2f")} to
  {num(max(lo_ends), "+.2f")}). Celebrity posts return {num(min(celeb))} to {num(max(celeb))}
  of sales per dollar, {below_even} break-even.
- {hurt}
- Mixed against micro: {vs_mixed}.
- Without a platform and without overhead, micro brands spend ${num(spend0, ",.0f")} of their
  budget: they see `brands.search_breadth` ({scenario["brands"]["search_breadth"]}) new
  accounts of their category a period, so search, not money, limits how many micro
  influencers they recruit.
- Attention tells another story: celebrity brands earn {num(min(celeb_emv), ".1f")} to
  {num(max(celeb_emv), ".1f")} of EMV per dollar in every condition, micro brands
  {num(min(micro_emv), ".1f")} to {num(max(micro_emv), ".1f")}.

A hurdle of {scenario["brands"]["hurdle"]:g} and a fixed split are not how brands buy at the
defaults: this measures what each portfolio returns on a full budget; `baseline_market` shows
what brands choose."""


def results_notes(summary: dict, scenario: dict) -> list[str]:
    """What looks wrong in this experiment's outputs, for the list of docs/RESULTS.md."""
    from simulation.results_doc import num

    n = summary["results"]
    r = {(bool(x["platform"]), float(x["overhead"]), x["strategy"]): x for x in n["returns"]}
    first = min(o for _, o, _ in r)
    budget = summary["steps"] / scenario["run"]["period"] * scenario["brands"]["budget"]
    spend = r[False, first, "micro"]["spend_per_brand"]
    if not spend < 0.8 * budget:
        return []
    return [
        "**Micro brands without the platform cannot spend their budget** when made to buy "
        f"(`strategy_returns`: ${num(spend, ',.0f')} of about ${budget:,.0f} at "
        f"${first:g} overhead): search, not money, limits how many micro influencers a brand "
        "recruits."
    ]
