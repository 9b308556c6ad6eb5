"""Saturation: the market-wide share of sponsored content against engagement and conversion
(force 6); the tune-out point.

Question: as sponsored posts become a larger share of the whole feed, how much less do
followers engage with them and buy through them, and where is the tune-out point?

Method: the experiments' market with the sponsored share set by the number of brands: 5 to
120 brands that spend their whole budget on influencers whatever the return (``brands.hurdle``
0, ``own_share`` 0, a fixed split) and influencers that take every offer up to 12 posts a
period (``influencers.lookahead`` 0: myopic), so that the market-wide sponsored share spans
about 4% to 34% of posts. Two variants: the full model, and "fatigue only" (trust erosion and
the off-topic penalty off), which isolates tune-out (ad fatigue) from lost trust. R
replications each, 365 days; outcomes over days 91-365 (after the first three periods).
Per sponsored impression (a follower who saw a sponsored post): the engagement rate and the
conversion rate, relative to the smallest market of the same variant; mean ad fatigue; and
the market's total sponsored engagements per day. The tune-out point is the sponsored share
at which the engagement per sponsored impression has fallen by half, interpolated on the
replication means.
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

NAME = "tune_out"
QUESTION = "How do engagement and conversion fall with the sponsored share of the feed?"

N_BRANDS = (5, 10, 20, 40, 80, 120)
SUPPLY = {
    "influencers.sponsored_cap": 12,
    "influencers.lookahead": 0.0,
    "brands.hurdle": 0.0,
    "brands.own_share": 0.0,
    "brands.learning_rate": 0.0,
}
VARIANTS = {
    "full model": {},
    "fatigue only": {"behaviour.trust_erosion": 0.0, "behaviour.offtopic_penalty": 0.0},
}
#: Days before this one are left out (deals and fatigue build up over the first periods).
FROM_DAY = 91


def _extract(res, _snaps):
    ts = res.timeseries
    ts = ts[ts["step"] >= FROM_DAY] if len(ts) > FROM_DAY else ts
    imp = ts["impressions"].sum()
    return {
        "sponsored_share": float(ts["sponsored_posts"].sum() / max(ts["posts"].sum(), 1)),
        "engagement_per_impression": float(ts["engagements"].sum() / imp) if imp else np.nan,
        "conversion_per_impression": float(ts["customers"].sum() / imp) if imp else np.nan,
        "mean_fatigue": float(ts["mean_fatigue"].mean()),
        "mean_trust": float(ts["mean_trust"].mean()),
        "sponsored_engagements_per_day": float(ts["engagements"].mean()),
        "organic_engagement_rate": float(ts["organic_engagement_rate"].mean()),
        "return_per_dollar": res.summary["return_per_dollar"],
    }


def _tune_out_point(g: pd.DataFrame) -> float | None:
    """Sponsored share where relative engagement per impression crosses 0.5 (linear)."""
    g = g.sort_values("sponsored_share")
    x, y = g["sponsored_share"].to_numpy(), g["relative_engagement"].to_numpy()
    for i in range(1, len(x)):
        if y[i] < 0.5 <= y[i - 1]:
            return float(x[i - 1] + (0.5 - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))
    return None


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=3)
    levels = (2, 12) if quick else N_BRANDS
    conds = [
        Condition(
            {"variant": v, "n_brands": b},
            base_config(quick, overrides={**SUPPLY, **extra, "brands.n_brands": b}),
        )
        for v, extra in VARIANTS.items()
        for b in levels
    ]
    runs = run_conditions(conds, st, _extract)
    df = pd.DataFrame([{**lab, "replicate": k, "seed": s, **x} for lab, k, s, x in runs])
    # relative to the smallest market of the same variant and replicate
    for v in VARIANTS:
        sel = df["variant"] == v
        base = df[sel & (df["n_brands"] == min(levels))].set_index("replicate")
        for col, rel in (
            ("engagement_per_impression", "relative_engagement"),
            ("conversion_per_impression", "relative_conversion"),
        ):
            df.loc[sel, rel] = (
                df.loc[sel, col].to_numpy() / df.loc[sel, "replicate"].map(base[col]).to_numpy()
            )
    save_table(df, out, "runs")
    outcomes = [
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
    table = None
    for o in outcomes:
        s = (
            summarise(df, ["variant", "n_brands"], o)
            .rename(columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"})
            .drop(columns="n")
        )
        table = s if table is None else table.merge(s, on=["variant", "n_brands"])
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

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    panels = [
        ("relative_engagement", "engagement per sponsored impression\n(relative to 5 brands)"),
        ("relative_conversion", "conversion per sponsored impression\n(relative to 5 brands)"),
        ("mean_fatigue", "mean ad fatigue of followers"),
        (
            "sponsored_engagements_per_day",
            "engagements with sponsored posts per day\n(whole market, people)",
        ),
    ]
    for ax, (col, label) in zip(axes.flat, panels, strict=True):
        for (v, g), color in zip(table.groupby("variant"), ("C3", "C0"), strict=True):
            g = g.sort_values("sponsored_share")
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
        ax.set_xlabel("market-wide sponsored share of posts (days 91-365)")
    axes[0, 0].axhline(0.5, color="0.5", lw=0.8, ls=":")
    axes[0, 0].legend(fontsize=8)
    txt = "; ".join(
        f"{v}: {p:.1%}" if p is not None else f"{v}: not reached" for v, p in points.items()
    )
    fig.suptitle(
        f"Tune-out: sponsored content loses its audience as it fills the feed "
        f"(mean, 95% CI, R={st.replications})\nhalf-engagement point: {txt}",
        fontsize=10,
    )
    fig.subplots_adjust(wspace=0.32)
    save_figure(fig, out, "tune_out")

    numbers = {
        "tune_out_point": points,
        "total_engagement_peak": peaks,
        "by_market": table.to_dict(orient="records"),
    }
    write_summary(out, NAME, st, numbers)
    return numbers
