"""The baseline market at its steady state, and how its answers move with the simulated
population size (one population scale).

Question: at the calibrated defaults, where do prices settle by tier, what does an
engagement cost by tier, which strategy sells most per dollar and earns most attention per
dollar, and do these answers stay put when the same market is simulated with more followers?

Conditions (``sweep.toml``): ``configs/baseline.toml`` (two years) simulated with 20,000,
40,000 and 100,000 followers (200, 100 and 40 people each: the same people, accounts and
brands), R replications each on common seeds.

Per run (:func:`tables`): the steady-state check (``summary["steady_state"]``), the mean price
per post of each tier at the end, paid over recognition price by tier, cost per engagement by
tier (price paid per engagement with sponsored posts, and all in with fees and overhead),
sales per dollar and earned media value per dollar of influencer spend by strategy, the
adopted share and the mean fatigue over the second half of the run. Means and 95% intervals
over replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import mean_ci, summarise_wide
from simulation.sweep.store import read_table
from simulation.vocabulary import STRATEGIES, TIERS

FACTORS = {"population__n_followers": "n_followers"}
#: One hatch per population size, smallest first (the colour is the tier's or strategy's).
HATCHES = ("", "///", "xxx", "...", "\\\\\\")


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """One row per run: steady state, prices, costs per engagement and returns by strategy."""
    s = res.summary
    ts = res.timeseries
    row = {
        "settled": float(s["steady_state"]["settled"]),
        "adopted_share": s["adopted_share_end"],
        "mean_fatigue": float(ts["mean_fatigue"].iloc[len(ts) // 2 :].mean()),
        "sponsored_share": s["sponsored_share"],
        "unfollowed_share": s["unfollowed_share"],
    }
    for t in TIERS:
        row[f"price_{t}"] = float(ts[f"price_{t}"].iloc[-1])
        row[f"drift_{t}"] = s["steady_state"]["price_drift"].get(t)
        row[f"paid_to_list_{t}"] = s["paid_to_list_by_tier"].get(t)
        row[f"cpe_{t}"] = s["cost_per_engagement_by_tier"].get(t)
        row[f"cpe_all_in_{t}"] = s["cost_per_engagement_all_in_by_tier"].get(t)
    for k in STRATEGIES:
        row[f"sales_per_dollar_{k}"] = s["sales_per_dollar_by_strategy"].get(k)
        row[f"emv_per_dollar_{k}"] = s["return_per_dollar_by_strategy"].get(k)
    row = {k: (np.nan if v is None else float(v)) for k, v in row.items()}
    return {"market": pd.DataFrame([row])}


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    df = read_table(sweeps["sweep"], "market").rename(columns=FACTORS).drop(columns="point")
    save_table(df, out, "runs")
    outcomes = [c for c in df.columns if c not in ("n_followers", "replicate", "seed")]
    table = summarise_wide(df, ["n_followers"], outcomes)
    save_table(table, out, "by_population")

    sizes = sorted(int(n) for n in table["n_followers"])
    tier_colors, strategy_colors = _colors()
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    panels = (
        ("price_", TIERS, tier_colors, "Price per post on the last day", "\\$ per post", True),
        (
            "cpe_",
            TIERS,
            tier_colors,
            "Price paid per sponsored engagement (none: no posts bought)",
            "\\$ per engagement",
            False,
        ),
        (
            "sales_per_dollar_",
            STRATEGIES,
            strategy_colors,
            "Sales value per \\$ of all spend, by strategy",
            "\\$ per \\$",
            False,
        ),
        (
            "emv_per_dollar_",
            STRATEGIES,
            strategy_colors,
            "Earned media value per \\$ of influencer spend (none: no posts bought)",
            "\\$ per \\$",
            False,
        ),
    )
    width = 0.8 / len(sizes)
    for ax, (prefix, groups, colors, title, label, log) in zip(axes.flat, panels, strict=True):
        x = np.arange(len(groups))
        for i, n in enumerate(sizes):
            g = table[table["n_followers"] == n].iloc[0]
            vals = np.array([g[f"{prefix}{k}"] for k in groups], dtype=float)
            lo = np.array([g[f"{prefix}{k}_lo"] for k in groups], dtype=float)
            hi = np.array([g[f"{prefix}{k}_hi"] for k in groups], dtype=float)
            ax.bar(
                x + (i - (len(sizes) - 1) / 2) * width,
                np.nan_to_num(vals),
                width,
                yerr=[np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)],
                capsize=2,
                color=[colors[k] for k in groups],
                edgecolor="0.25",
                linewidth=0.5,
                hatch=HATCHES[i % len(HATCHES)],
            )
        ax.set_xticks(x, groups)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        if prefix.endswith("per_dollar_"):
            ax.axhline(1.0, color="0.4", ls=":", lw=1)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(
        handles=[
            Patch(facecolor="white", edgecolor="0.25", hatch=HATCHES[i % len(HATCHES)])
            for i in range(len(sizes))
        ],
        labels=[f"{n:,} followers" for n in sizes],
        fontsize=8,
    )
    r = int(df["replicate"].nunique())
    fig.suptitle(
        f"The baseline market after {_days(sweeps['sweep'])} days, at {len(sizes)} population "
        f"sizes (mean, 95% CI over R={r})",
        fontsize=10,
    )
    save_figure(fig, out, "baseline_market")
    return {
        "by_population": table.to_dict(orient="records"),
        "steady_state": _steady_state(df),
        "paired": _paired(df),
    }


#: Outcomes compared between population sizes, paired by replicate (largest over each other).
RESOLUTION_OUTCOMES = (
    "adopted_share",
    "sponsored_share",
    "sales_per_dollar_micro",
    "sales_per_dollar_mixed",
    "price_nano",
    "price_micro",
    "price_celebrity",
    "cpe_all_in_nano",
)


def _steady_state(df: pd.DataFrame) -> list[dict]:
    """Per run: whether it settled, and its largest price drift over the tiers (|drift|)
    with the tier it belongs to."""
    rows = []
    for _, r in df.sort_values(["n_followers", "replicate"]).iterrows():
        drift = r[[f"drift_{t}" for t in TIERS]].astype(float).abs().fillna(0.0)
        tier = drift.idxmax()
        rows.append(
            {
                "n_followers": int(r["n_followers"]),
                "replicate": int(r["replicate"]),
                "settled": bool(r["settled"]),
                "largest_drift": float(drift[tier]),
                "tier": tier.removeprefix("drift_"),
            }
        )
    return rows


def _paired(df: pd.DataFrame) -> dict:
    """Comparisons paired by replicate (the same seed builds the same market): micro minus
    celebrity and mixed minus micro sales per dollar at each size, and each outcome of
    :data:`RESOLUTION_OUTCOMES` at the largest size over its value at each other size."""
    out: dict[str, list[dict]] = {"micro_minus_celebrity": [], "mixed_minus_micro": []}
    for n, g in df.groupby("n_followers", sort=True):
        for key, a, b in (
            ("micro_minus_celebrity", "micro", "celebrity"),
            ("mixed_minus_micro", "mixed", "micro"),
        ):
            m, lo, hi = mean_ci(g[f"sales_per_dollar_{a}"] - g[f"sales_per_dollar_{b}"])
            out[key].append({"n_followers": int(n), "mean": m, "ci": [lo, hi]})
    wide = df.set_index(["n_followers", "replicate"])
    largest = int(df["n_followers"].max())
    out["largest_over"] = []
    for n in sorted(int(x) for x in df["n_followers"].unique() if x != largest):
        for o in RESOLUTION_OUTCOMES:
            ratio = wide.loc[largest, o] / wide.loc[n, o]
            m, lo, hi = mean_ci(ratio)
            out["largest_over"].append(
                {"largest": largest, "n_followers": n, "outcome": o, "mean": m, "ci": [lo, hi]}
            )
    return out


def _days(folder: Path) -> int:
    """The sweep's run length, from its manifest."""
    from simulation.sweep.store import read_manifest

    return int(read_manifest(folder)["sweep"]["steps"])


def _colors() -> tuple[dict[str, str], dict[str, str]]:
    """One colour per tier and per brand strategy, the page's (simulation.app.charts)."""
    from simulation.plots import STRATEGY_COLORS, TIER_COLORS

    return TIER_COLORS, STRATEGY_COLORS


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    rows = numbers["by_population"]
    lines = [
        "settled: "
        + ", ".join(f"{r['settled']:.0%} of runs at {r['n_followers']:,} followers" for r in rows)
    ]
    for r in rows:
        prices = "  ".join(f"{t} {_money(r[f'price_{t}'])}" for t in TIERS)
        lines.append(f"price per post at the end, {r['n_followers']:,} followers: {prices}")
    for r in rows:
        sales = "  ".join(f"{k} {r[f'sales_per_dollar_{k}']:.2f}" for k in STRATEGIES)
        lines.append(f"sales per $ by strategy, {r['n_followers']:,} followers: {sales}")
    return lines


def _money(x: float) -> str:
    if not np.isfinite(x):
        return "none"
    return f"${x:,.0f}" if x >= 100 else f"${x:.3g}"


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/baseline_market/ -> name in docs/figures.
RESULTS_FIGURES = {"baseline_market.png": "baseline_market.png"}

_STRATEGY_ORDER = ("micro", "mixed", "celebrity")

#: How the outcomes compared between resolutions read in a sentence.
_LABELS = {
    "adopted_share": "adopted share",
    "sponsored_share": "sponsored share",
    "sales_per_dollar_micro": "micro brands' sales per dollar",
    "sales_per_dollar_mixed": "mixed brands' sales per dollar",
    "price_nano": "nano price",
    "price_micro": "micro price",
    "price_celebrity": "celebrity price",
    "cpe_all_in_nano": "nano all-in cost per engagement",
}


def _sizes(numbers: dict) -> tuple[list[dict], dict, dict]:
    """The rows by population size, the middle size's row (the experiments' market in the
    full version) and the largest's."""
    rows = sorted(numbers["by_population"], key=lambda r: r["n_followers"])
    return rows, rows[(len(rows) - 1) // 2], rows[-1]


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est_d, est_row, figure, num, sign_word, table

    n = summary["results"]
    rows, main, large = _sizes(n)
    sizes = [r["n_followers"] for r in rows]
    m, big = main["n_followers"], large["n_followers"]
    runs = n["steady_state"]
    unsettled = [r for r in runs if not r["settled"]]
    settled = [r for r in runs if r["settled"]]
    if unsettled:
        worst = ", ".join(
            f"at {r['n_followers']:,} followers (replicate {r['replicate']}) the {r['tier']} "
            f"tier's mean price drifted by {r['largest_drift']:.1%}"
            for r in unsettled
        )
        steady = (
            f"Prices settled in {len(settled)} of the {len(runs)} runs. **{len(unsettled)} "
            f"run{'s' if len(unsettled) > 1 else ''} did not settle**: {worst}"
        )
        if settled:
            top = max(settled, key=lambda r: r["largest_drift"])
            steady += (
                f"; among the runs that settled the largest drift was "
                f"{top['largest_drift']:.1%} ({top['tier']}, one run at "
                f"{top['n_followers']:,} followers)"
            )
        steady += ". The tables below include every run."
    else:
        steady = f"Prices settled in all {len(runs)} runs."
    money = {"nano": ".2f", "micro": ".1f", "mid": ".1f", "macro": ".0f", "celebrity": ",.0f"}
    price_rows = [
        [
            t,
            est_row(main, f"price_{t}", money[t], "$")
            + (f" ({num(large[f'price_{t}'], money[t])})" if big != m else ""),
            est_row(main, f"paid_to_list_{t}")
            if np.isfinite(main[f"paid_to_list_{t}"])
            else "no post sold",
        ]
        for t in TIERS
    ]
    cpe_rows = [
        [t, est_row(main, f"cpe_{t}", ".3f", "$"), est_row(main, f"cpe_all_in_{t}", ".2f", "$")]
        if np.isfinite(main[f"cpe_{t}"])
        else [t, "none bought", "none bought"]
        for t in TIERS
    ]
    strat_rows = [
        [
            k,
            est_row(main, f"sales_per_dollar_{k}"),
            est_row(main, f"emv_per_dollar_{k}")
            if np.isfinite(main[f"emv_per_dollar_{k}"])
            else "none: no influencer spend",
        ]
        for k in _STRATEGY_ORDER
    ]
    celeb_posts = not any(np.isfinite(r["cpe_celebrity"]) for r in rows)
    no_celeb = (
        f"**No brand buys a celebrity post in any of the {len(runs)} runs**, although every "
        "brand may search the celebrities, so celebrity prices sit at their floor, half the "
        "recognition price (`influencers.price_demand_min`), and their interval is wide "
        "because the celebrities' sizes differ by seed. "
        if celeb_posts
        else ""
    )
    mc = {d["n_followers"]: d for d in n["paired"]["micro_minus_celebrity"]}
    xm = {d["n_followers"]: d for d in n["paired"]["mixed_minus_micro"]}
    diffs = "; ".join(
        f"{sign_word(*mc[x]['ci'], 'micro ahead', 'celebrity ahead')} at {x:,} followers "
        f"({est_d(mc[x], '+.2f')})"
        for x in sizes
    )
    mixed = "; ".join(
        f"{sign_word(*xm[x]['ci'], 'mixed ahead', 'micro ahead')} at {x:,} ({est_d(xm[x], '+.2f')})"
        for x in sizes
    )
    celeb_sales = (
        "The celebrity brands buy no influencer posts (no influencer spend, so no EMV), so "
        "their sales come from their own posts and word of mouth only: at the defaults this "
        "comparison measures own promotion as much as influencers."
        if not np.isfinite(main["emv_per_dollar_celebrity"])
        else ""
    )
    size_rows = []
    for label, col, fmt, unit in (
        ("nano price per post", "price_nano", ".2f", "$"),
        ("micro price per post", "price_micro", ".1f", "$"),
        ("macro price per post", "price_macro", ".0f", "$"),
        ("celebrity price per post", "price_celebrity", ",.0f", "$"),
        ("nano cost per engagement, all in", "cpe_all_in_nano", ".2f", "$"),
        ("micro cost per engagement, all in", "cpe_all_in_micro", ".2f", "$"),
        ("macro cost per engagement, all in", "cpe_all_in_macro", ".2f", "$"),
        ("sales per $, micro brands", "sales_per_dollar_micro", ".2f", ""),
        ("sales per $, mixed brands", "sales_per_dollar_mixed", ".2f", ""),
        ("sales per $, celebrity brands", "sales_per_dollar_celebrity", ".2f", ""),
        ("EMV per $, micro brands", "emv_per_dollar_micro", ".2f", ""),
        ("EMV per $, mixed brands", "emv_per_dollar_mixed", ".2f", ""),
        ("adopted share at the end", "adopted_share", ".1%", ""),
        ("sponsored share of posts", "sponsored_share", ".2%", ""),
        ("unfollowed share", "unfollowed_share", ".1%", ""),
    ):
        size_rows.append([label, *[est_row(r, col, fmt, unit) for r in rows]])
    ratios = [d for d in n["paired"]["largest_over"] if d["n_followers"] == m]
    same = [d for d in ratios if sign_word(*d["ci"], "x", "x", level=1.0) != "x"]
    moved = [d for d in ratios if d not in same]
    scale = (
        f"Paired by replicate, {big:,} against {m:,} followers: "
        + ", ".join(f"{_LABELS[d['outcome']]} {est_d(d)}" for d in ratios)
        + " as large. "
    )
    if moved:
        scale += (
            "**Different between the two resolutions**: "
            + ", ".join(_LABELS[d["outcome"]] for d in moved)
            + "; the others are not distinguishable. "
        )
    else:
        scale += "None is distinguishable from 1. "
    scale += (
        f"With {summary['replications']} replications, differences of a few percent between "
        "resolutions are not resolved either way."
    )
    bracket = f" (in parentheses: {big:,} followers)" if big != m else ""
    floor = scenario["influencers"]["price_demand_min"]
    near_floor = [
        t
        for t in TIERS
        if np.isfinite(main[f"paid_to_list_{t}"]) and main[f"paid_to_list_{t}"] < 0.75
    ]
    floor_note = ""
    if near_floor:
        vals = [main[f"paid_to_list_{t}"] for t in near_floor]
        floor_note = (
            f"{', '.join(near_floor).capitalize()} posts sell at {min(vals):.2f}-"
            f"{max(vals):.2f} of their recognition price, near the floor of {floor:g} "
            "(`influencers.price_demand_min`): brands ask those accounts for fewer posts than "
            "they would take. "
        )
    head = figure(
        "baseline_market",
        "baseline_market.png",
        "baseline_market.png",
        "prices, cost per engagement and returns by strategy at several population sizes",
    )
    cpe_note = ""
    if all(np.isfinite(main[f"cpe_{t}"]) for t in ("nano", "micro", "macro")):
        tiers = ("nano", "micro", "mid", "macro")
        cheapest = min(tiers, key=lambda t: main[f"cpe_{t}"])
        dearest = max(tiers, key=lambda t: main[f"cpe_all_in_{t}"])
        cost = scenario["brands"]["relationship_cost"]
        cpe_note = (
            f"Price only, {cheapest} engagements are the cheapest; all in, {dearest} "
            f"engagements are the dearest: the overhead of ${cost:g} per relationship per "
            f"period is {cost / main['price_micro']:.1f} times the price of a micro post and "
            f"{cost / main['price_nano']:.0f} times that of a nano post."
        )
    return f"""## The market at its defaults

{head}
The baseline over {summary["steps"]:,} days, {summary["replications"]} replications at each of
{", ".join(f"{x:,}" for x in sizes)} simulated followers. {steady}

### Prices by tier

Mean price per post on the last day, {m:,} followers{bracket}, and what paid posts sold for
over their recognition (rate-card) price:

{table(["tier", "price per post", "paid / list"], price_rows)}

The micro tier's paid / list is a calibration target (`brands.margin` was set to meet it), not
evidence. {floor_note}{no_celeb}

### Cost per engagement by tier

Price paid per engagement with sponsored posts, and all in (price, platform fees and the
overhead of each relationship), {m:,} followers:

{table(["tier", "price only", "all in"], cpe_rows)}

{cpe_note}

### Sales and earned value per dollar by strategy

At the defaults (brands choose their split and buy only above the hurdle), {m:,} followers:

{table(["strategy", "sales value per $ of all spend", "EMV per $ of influencer spend"], strat_rows)}

Sales per dollar counts every customer won (own posts, sponsored posts, word of mouth) times
`brands.margin` over all spend, own-post promotion included. Micro minus celebrity, paired by
replicate: {diffs}. Mixed minus micro: {mixed}. {celeb_sales}

### How the answers move with the population size

{table(["", *[f"{x:,} followers" for x in sizes]], size_rows)}

{scale}"""


def results_notes(summary: dict, scenario: dict) -> list[str]:
    """What looks wrong in this experiment's outputs, for the list of docs/RESULTS.md."""
    from simulation.results_doc import est_row

    n = summary["results"]
    rows, main, _ = _sizes(n)
    notes = []
    if not any(np.isfinite(r["cpe_celebrity"]) for r in rows):
        notes.append(
            "**No celebrity post is bought at the defaults** (`baseline_market`), although "
            "every brand may search the celebrities. The celebrity tier's cost per engagement, "
            "conversion and paid / list are undefined, and celebrity-strategy brands act as "
            "brands that only promote their own posts. The celebrity side of every comparison "
            "rests on `strategy_returns` and `less_is_more`, where brands are made to buy."
        )
    unsettled = [r for r in n["steady_state"] if not r["settled"]]
    if unsettled:
        notes.append(
            f"**The steady-state check does not pass in every run**: in {len(unsettled)} of "
            f"{len(n['steady_state'])} baseline runs a tier's mean price is still drifting over "
            'the last quarter (section "The market at its defaults").'
        )
    m, big = main["n_followers"], rows[-1]["n_followers"]
    ratios = [d for d in n["paired"]["largest_over"] if d["n_followers"] == m]
    moved = [d["outcome"] for d in ratios if not d["ci"][0] <= 1 <= d["ci"][1]]
    if ratios and big != m:
        notes.append(
            "**One population scale holds for most outcomes**, within what "
            f"{summary['replications']} replications resolve: paired by replicate, "
            + (
                "only "
                + ", ".join(_LABELS[o] for o in moved)
                + (" differs" if len(moved) == 1 else " differ")
                if moved
                else "none of the outcomes compared differs"
            )
            + f" between {big:,} and {m:,} followers (`baseline_market`)."
        )
    if not np.isfinite(main["emv_per_dollar_celebrity"]):
        notes.append(
            "**At the defaults micro and celebrity brands' sales per dollar say more about "
            "their own posts than about influencers** "
            f"({est_row(main, 'sales_per_dollar_micro')} and "
            f"{est_row(main, 'sales_per_dollar_celebrity')} at {main['n_followers']:,} "
            "followers): celebrity brands spend only on their own posts."
        )
    return notes
