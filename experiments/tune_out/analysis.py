"""Saturation: the market-wide share of sponsored content against engagement and conversion
(force 6); the tune-out point.

Question: as sponsored posts become a larger share of the whole feed, how much less do
followers engage with them and buy through them, and where is the tune-out point?

Conditions (``sweep.toml``): the experiments' market with the sponsored share set by the
number of brands: 5 to 120 brands that spend their whole budget on influencers whatever the
return (``brands.hurdle`` 0, ``own_share`` 0, a fixed split) and influencers that take every
offer up to 12 posts a period (``influencers.lookahead`` 0: myopic), so that the market-wide
sponsored share spans about 4% to 34% of posts. Two variants (the bundle ``variant``): the
full model, and "fatigue only" (trust erosion and the off-topic penalty off), which isolates
tune-out (ad fatigue) from lost trust. R replications each on common seeds, 365 days.

Per run (:func:`tables`), over days 91-365 (after the first three periods): per sponsored
impression (a follower who saw a sponsored post), the engagement rate and the conversion rate;
mean ad fatigue; and the market's total sponsored engagements per day. The analysis divides
the rates by the smallest market of the same variant and replicate, and gives means and 95%
CIs over replications. The tune-out point is the sponsored share at which the engagement per
sponsored impression has fallen by half, interpolated on the replication means.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import summarise_wide
from simulation.sweep.store import read_manifest, read_table

#: Days before this one are left out (deals and fatigue build up over the first periods).
FROM_DAY = 91
FACTORS = {"brands__n_brands": "n_brands"}
OUTCOMES = [
    "sponsored_share",
    "relative_engagement",
    "relative_conversion",
    "engagement_per_impression",
    "conversion_per_impression",
    "mean_fatigue",
    "mean_trust",
    "sponsored_engagements_per_day",
    "return_per_dollar",
]
#: One colour per variant (variants are neither tiers nor strategies).
VARIANT_COLORS = {"fatigue only": "C3", "full model": "C0"}


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """One row per run: sponsored share, engagement and conversion per sponsored impression,
    fatigue and trust over days 91 on (the whole run if it is shorter)."""
    ts = res.timeseries
    ts = ts[ts["step"] >= FROM_DAY] if len(ts) > FROM_DAY else ts
    imp = ts["impressions"].sum()
    row = {
        "sponsored_share": float(ts["sponsored_posts"].sum() / max(ts["posts"].sum(), 1)),
        "engagement_per_impression": float(ts["engagements"].sum() / imp) if imp else np.nan,
        "conversion_per_impression": float(ts["customers"].sum() / imp) if imp else np.nan,
        "mean_fatigue": float(ts["mean_fatigue"].mean()),
        "mean_trust": float(ts["mean_trust"].mean()),
        "sponsored_engagements_per_day": float(ts["engagements"].mean()),
        "organic_engagement_rate": float(ts["organic_engagement_rate"].mean()),
        "return_per_dollar": float(res.summary["return_per_dollar"]),
    }
    return {"market": pd.DataFrame([row])}


def _tune_out_point(g: pd.DataFrame) -> float | None:
    """Sponsored share where relative engagement per impression crosses 0.5 (linear)."""
    g = g.sort_values("sponsored_share")
    x, y = g["sponsored_share"].to_numpy(), g["relative_engagement"].to_numpy()
    for i in range(1, len(x)):
        if y[i] < 0.5 <= y[i - 1]:
            return float(x[i - 1] + (0.5 - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))
    return None


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = read_table(sweeps["sweep"], "market").rename(columns=FACTORS).drop(columns="point")
    smallest = int(df["n_brands"].min())
    # relative to the smallest market of the same variant and replicate
    base = df[df["n_brands"] == smallest].set_index(["variant", "replicate"])
    key = pd.MultiIndex.from_frame(df[["variant", "replicate"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        for col, rel in (
            ("engagement_per_impression", "relative_engagement"),
            ("conversion_per_impression", "relative_conversion"),
        ):
            df[rel] = df[col].to_numpy() / base[col].reindex(key).to_numpy()
    save_table(df, out, "runs")
    table = summarise_wide(df, ["variant", "n_brands"], OUTCOMES)
    save_table(table, out, "by_market")
    points = {v: _tune_out_point(g) for v, g in table.groupby("variant")}
    # where the market's total engagement with sponsored posts peaks
    peaks = {
        v: {
            "n_brands": int(g.loc[g["sponsored_engagements_per_day"].idxmax(), "n_brands"]),
            "sponsored_share": float(
                g.loc[g["sponsored_engagements_per_day"].idxmax(), "sponsored_share"]
            ),
        }
        for v, g in table.groupby("variant")
    }

    steps = int(read_manifest(sweeps["sweep"])["sweep"]["steps"])
    days = f"days {FROM_DAY}-{steps}" if steps > FROM_DAY else f"days 1-{steps}"
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    panels = [
        (
            "relative_engagement",
            f"engagement per sponsored impression\n(relative to {smallest} brands)",
        ),
        (
            "relative_conversion",
            f"conversion per sponsored impression\n(relative to {smallest} brands)",
        ),
        ("mean_fatigue", "mean ad fatigue of followers"),
        (
            "sponsored_engagements_per_day",
            "engagements with sponsored posts per day\n(whole market, people)",
        ),
    ]
    for ax, (col, label) in zip(axes.flat, panels, strict=True):
        for v, g in table.groupby("variant"):
            g = g.sort_values("sponsored_share")
            color = VARIANT_COLORS.get(v)
            ax.errorbar(
                g["sponsored_share"],
                g[col],
                xerr=[
                    g["sponsored_share"] - g["sponsored_share_lo"],
                    g["sponsored_share_hi"] - g["sponsored_share"],
                ],
                yerr=[g[col] - g[f"{col}_lo"], g[f"{col}_hi"] - g[col]],
                marker="o",
                ms=4,
                capsize=3,
                color=color,
                label=v,
            )
            if col == "relative_engagement" and points.get(v) is not None:
                ax.axvline(points[v], color=color, ls=":", lw=1)
        ax.set_ylabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(f"market-wide sponsored share of posts ({days})")
    axes[0, 0].axhline(0.5, color="0.5", lw=0.8, ls=":")
    axes[0, 0].legend(fontsize=8)
    txt = "; ".join(
        f"{v}: {p:.1%}" if p is not None else f"{v}: not reached" for v, p in points.items()
    )
    r = int(df["replicate"].nunique())
    fig.suptitle(
        f"Tune-out: sponsored content loses its audience as it fills the feed "
        f"(mean, 95% CI, R={r})\nhalf-engagement point: {txt}",
        fontsize=10,
    )
    fig.subplots_adjust(wspace=0.32)
    save_figure(fig, out, "tune_out")

    return {
        "tune_out_point": points,
        "total_engagement_peak": peaks,
        "by_market": table.to_dict(orient="records"),
    }


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    lines = []
    by: dict[str, list[dict]] = {}
    for row in numbers["by_market"]:
        by.setdefault(row["variant"], []).append(row)
    for v, rows in by.items():
        rows = sorted(rows, key=lambda x: x["n_brands"])
        lo, hi = rows[0], rows[-1]
        p = numbers["tune_out_point"].get(v)
        lines.append(
            f"{v}: engagement per sponsored impression {hi['relative_engagement']:.2f} of the "
            f"{lo['n_brands']}-brand level at {hi['sponsored_share']:.1%} sponsored share "
            f"({hi['n_brands']} brands); half-engagement point: "
            + ("not reached" if p is None else f"{p:.1%}")
        )
    return lines


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/tune_out/ -> name in docs/figures.
RESULTS_FIGURES = {"tune_out.png": "tune_out.png"}


def _variants(numbers: dict) -> dict[str, list[dict]]:
    by: dict[str, list[dict]] = {}
    for row in numbers["by_market"]:
        by.setdefault(row["variant"], []).append(row)
    return {v: sorted(rows, key=lambda r: r["n_brands"]) for v, rows in by.items()}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est_row, figure, num, sign_word, table

    n = summary["results"]
    by = _variants(n)
    order = [v for v in ("full model", "fatigue only") if v in by]
    rows = []
    for v in order:
        rows.append([f"**{v}**", "", "", "", "", ""])
        for r in by[v]:
            rows.append(
                [
                    str(int(r["n_brands"])),
                    f"{r['sponsored_share']:.1%}",
                    est_row(r, "relative_engagement"),
                    est_row(r, "relative_conversion"),
                    num(r["mean_fatigue"], ".3f"),
                    num(r["sponsored_engagements_per_day"], ",.0f"),
                ]
            )
    lines = []
    for v in order:
        lo, hi = by[v][0], by[v][-1]
        word = sign_word(
            hi["relative_engagement_lo"], hi["relative_engagement_hi"], "rises", "falls", 1.0
        )
        conv = sign_word(
            hi["relative_conversion_lo"], hi["relative_conversion_hi"], "rises", "falls", 1.0
        )
        lines.append(
            f"- **{v}**: from {lo['sponsored_share']:.1%} to {hi['sponsored_share']:.1%} "
            f"sponsored share, engagement per sponsored impression {word} "
            f"({est_row(hi, 'engagement_per_impression', '.2%')} against "
            f"{est_row(lo, 'engagement_per_impression', '.2%')}; relative "
            f"{est_row(hi, 'relative_engagement')}), conversion per impression {conv} "
            f"(relative {est_row(hi, 'relative_conversion')}); mean ad fatigue goes from "
            f"{num(lo['mean_fatigue'], '.3f')} to {num(hi['mean_fatigue'], '.3f')}."
        )
    if set(order) == {"full model", "fatigue only"}:
        lower = all(
            f["engagement_per_impression"] < g["engagement_per_impression"]
            for f, g in zip(by["full model"], by["fatigue only"], strict=False)
        )
        f0, g0 = by["full model"][0], by["fatigue only"][0]
        f1, g1 = by["full model"][-1], by["fatigue only"][-1]
        steeper = f1["relative_engagement_hi"] < g1["relative_engagement_lo"]
        gentler = f1["relative_engagement_lo"] > g1["relative_engagement_hi"]
        lines.append(
            "- Lost trust and fatigue: the full model's engagement per impression is "
            + ("lower" if lower else "not lower")
            + " than with fatigue alone at every level, already at the fewest brands ("
            + f"{est_row(f0, 'engagement_per_impression', '.2%')} against "
            + f"{est_row(g0, 'engagement_per_impression', '.2%')}); its relative fall to the "
            + f"most brands, {est_row(f1, 'relative_engagement')} against "
            + f"{est_row(g1, 'relative_engagement')} with fatigue alone, is "
            + ("steeper" if steeper else "gentler" if gentler else "not distinguishable")
            + ": lost trust lowers the level"
            + (" and steepens the fall." if steeper else ", not the tune-out.")
        )
    points = n["tune_out_point"]
    reached = {v: p for v, p in points.items() if p is not None}
    if reached:
        lines.append(
            "- **The tune-out point** (engagement per sponsored impression halved): "
            + "; ".join(f"{v} at {p:.1%} sponsored share" for v, p in reached.items())
            + "."
        )
    else:
        lowest = min(r["relative_engagement"] for v in order for r in by[v])
        lines.append(
            "- **The tune-out point, where engagement per sponsored impression halves, is not "
            f"reached within the range tried** (the lowest mean is {num(lowest)} of the "
            f"{int(by[order[0]][0]['n_brands'])}-brand market)."
        )
    peaks = n["total_engagement_peak"]
    largest = max(int(r["n_brands"]) for v in order for r in by[v])
    edge = all(p["n_brands"] == largest for p in peaks.values())
    lines.append(
        "- The market's total engagement with sponsored posts "
        + (
            f"still rises at {largest} brands: there is no peak in the range."
            if edge
            else "peaks inside the range: "
            + "; ".join(f"{v} at {p['n_brands']} brands" for v, p in peaks.items())
            + "."
        )
    )
    head = figure("tune_out", "tune_out.png", "tune_out.png", "tune-out")
    header = [
        "brands",
        "sponsored share",
        "engagement / impression (rel.)",
        "conversion / impression (rel.)",
        "mean fatigue",
        "sponsored engagements per day",
    ]
    levels = sorted({int(r["n_brands"]) for v in order for r in by[v]})
    return (
        f"""## 6. Saturation: the tune-out point

{head}
{levels[0]} to {levels[-1]} brands buying whatever myopic influencers offer (up to
{scenario["influencers"]["sponsored_cap"]} posts a period) set the market-wide sponsored share;
the full model against "fatigue only" (trust erosion and the off-topic penalty off)
({summary["replications"]} replications, {summary["steps"]} days,
{scenario["population"]["n_followers"]:,} followers; outcomes after the first three periods,
relative to the smallest market of the same variant and replicate):

{table(header, rows)}

"""
        + "\n".join(lines)
        + """

The strategist's version of the question, *every brand in the category moves to micro
influencers*, is the `saturation` scenario against the baseline:
`influencer-sim compare baseline saturation --replications 10 --steps 730 --followers 40000`;
its paired answers are in `docs/COMPARE.md` (not regenerated here)."""
    )


def results_not_reproduced(summary: dict) -> list[str]:
    """The published figure this experiment tests and the model does not reproduce, if so."""
    from simulation.results_doc import num

    n = summary["results"]
    if any(p is not None for p in n["tune_out_point"].values()):
        return []
    by = _variants(n)
    hi = max(r["sponsored_share"] for rows in by.values() for r in rows)
    lowest = min(r["relative_engagement"] for rows in by.values() for r in rows)
    return [
        "**A tune-out point** (force 6 of the market: followers tune out sponsored content). "
        "The model shows engagement per sponsored impression falling, but not halving, up to "
        f"{hi:.0%} sponsored share (lowest {num(lowest)} of the smallest market; section 6)."
    ]
