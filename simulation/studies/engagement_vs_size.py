"""Engagement against audience size (force 1), beside Markerly 2016's rates by follower range.

Question: does engagement per follower fall with follower count as Markerly's about 2M
Instagram accounts show (8%, 4%, 2.4%, 1.7% by range, roughly ``followers^-0.18``), and by how
much do micro accounts out-engage celebrities (2x to 5x)?

Method: R replications of the experiments' market (the calibrated baseline, 365 days). Each
influencer's pooled engagement rate over the run (engagements over follower-posts) against its
audience at the start; rates pooled by Markerly's ranges; a least-squares slope of log rate on
log followers; the micro / celebrity ratio. Means and 95% CIs over replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..calibration import MARKERLY, engagement_by_bucket
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

NAME = "engagement_vs_size"
QUESTION = "How does engagement fall with follower count, against Markerly 2016?"

#: Geometric midpoints of Markerly's ranges (the first from 100 followers), for range slopes.
MIDPOINTS = np.array([np.sqrt(max(lo, 100) * hi) for (lo, hi), _ in MARKERLY])

_COLS = [
    "influencer",
    "tier",
    "followers_start",
    "engagement_rate",
    "engagements",
    "follower_posts",
]


def _extract(res, _snaps):
    return {
        "influencers": res.influencers[_COLS].copy(),
        "ratio": res.summary["micro_to_celebrity_engagement"],
        "buckets": engagement_by_bucket(res.influencers),
    }


def _slope(inf: pd.DataFrame) -> float:
    ok = (
        (inf["followers_start"] > 0)
        & np.isfinite(inf["engagement_rate"])
        & (inf["engagement_rate"] > 0)
    )
    x = np.log(inf.loc[ok, "followers_start"].to_numpy())
    y = np.log(inf.loc[ok, "engagement_rate"].to_numpy())
    return float(np.polyfit(x, y, 1)[0]) if x.size > 2 else float("nan")


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=20)
    cond = Condition({"market": "baseline"}, base_config(quick))
    runs = run_conditions([cond], st, _extract)

    inf = pd.concat([r[3]["influencers"].assign(replicate=r[1]) for r in runs], ignore_index=True)
    save_table(inf, out, "influencers")
    ratios = [r[3]["ratio"] for r in runs]
    slopes = [_slope(r[3]["influencers"]) for r in runs]
    bucket_rows = [
        {"replicate": r[1], "range": k, "rate": v} for r in runs for k, v in r[3]["buckets"].items()
    ]
    by_rep = pd.DataFrame(bucket_rows)
    by_range = summarise(by_rep, ["range"], "rate")
    order = list(runs[0][3]["buckets"])
    by_range["order"] = by_range["range"].map(order.index)
    by_range = by_range.sort_values("order").drop(columns="order")
    by_range["markerly"] = [t for _, t in MARKERLY]
    by_range["model_over_markerly"] = by_range["mean"] / by_range["markerly"]
    save_table(by_range, out, "engagement_by_range")
    per_rep = pd.DataFrame(
        {
            "replicate": [r[1] for r in runs],
            "seed": [r[2] for r in runs],
            "micro_to_celebrity": ratios,
            "slope": slopes,
        }
    )
    save_table(per_rep, out, "per_replicate")
    ratio = mean_ci(ratios)
    range_slopes = [
        float(np.polyfit(np.log(MIDPOINTS), np.log(list(r[3]["buckets"].values())), 1)[0])
        for r in runs
    ]
    range_slope = mean_ci(range_slopes)
    markerly_slope = float(np.polyfit(np.log(MIDPOINTS), np.log([t for _, t in MARKERLY]), 1)[0])
    slope = mean_ci(slopes)

    # figure 1: log-log scatter of influencers with the pooled rate by range
    fig, ax = plt.subplots(figsize=(7.5, 5))
    rep0 = inf[inf["replicate"] == 0]
    colors = dict(
        zip(
            ["nano", "micro", "mid", "macro", "celebrity"],
            plt.cm.viridis(np.linspace(0, 0.9, 5)),
            strict=True,
        )
    )
    for tier, g in rep0.groupby("tier", observed=True):
        ax.scatter(
            g["followers_start"],
            g["engagement_rate"],
            s=12,
            alpha=0.6,
            color=colors[str(tier)],
            label=f"{tier} (replicate 0)",
        )
    for ((lo, hi), target), (_, row) in zip(MARKERLY, by_range.iterrows(), strict=True):
        lo = max(lo, 100)
        ax.hlines(
            target, lo, hi, colors="crimson", lw=2.5, label="Markerly 2016" if lo == 100 else None
        )
        ax.hlines(
            row["mean"],
            lo,
            hi,
            colors="black",
            lw=2,
            label=f"model, pooled by range (mean of {st.replications})" if lo == 100 else None,
        )
        ax.fill_between([lo, hi], row["ci_low"], row["ci_high"], color="black", alpha=0.2, lw=0)
    xs = np.logspace(2, 7, 20)
    mk = np.log([t for _, t in MARKERLY])
    a = mk.mean() + 0.18 * np.log(MIDPOINTS).mean()
    ax.plot(
        xs,
        np.exp(a) * xs**-0.18,
        ls=":",
        color="crimson",
        label="followers$^{-0.18}$ (fit to Markerly)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers at the start of the run")
    ax.set_ylabel("engagements per follower per post (pooled over the run)")
    ax.set_title(
        f"log-log slope over influencers {slope[0]:.3f} [{slope[1]:.3f}, {slope[2]:.3f}]; "
        f"over the ranges {range_slope[0]:.3f} (Markerly {markerly_slope:.3f});\n"
        f"micro / celebrity engagement {ratio[0]:.2f}x [{ratio[1]:.2f}, {ratio[2]:.2f}] "
        f"(mean [95% CI] of {st.replications} replications)",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, out, "engagement_vs_size")

    # figure 2: pooled rate by range beside Markerly's
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = np.arange(len(by_range))
    ax.bar(x - 0.2, by_range["markerly"], 0.4, color="crimson", label="Markerly 2016")
    ax.bar(
        x + 0.2,
        by_range["mean"],
        0.4,
        color="0.4",
        yerr=[by_range["mean"] - by_range["ci_low"], by_range["ci_high"] - by_range["mean"]],
        capsize=4,
        label=f"model (mean, 95% CI, R={st.replications})",
    )
    ax.set_xticks(x, ["<1k", "1k-10k", "10k-100k", "100k-10M"])
    ax.set_xlabel("followers")
    ax.set_ylabel("engagement rate per follower per post")
    ax.legend(fontsize=8)
    ax.set_title("Pooled engagement rate by Markerly's follower ranges", fontsize=10)
    save_figure(fig, out, "engagement_by_range")

    numbers = {
        "micro_to_celebrity": {"mean": ratio[0], "ci": [ratio[1], ratio[2]]},
        "slope_log_rate_log_followers": {"mean": slope[0], "ci": [slope[1], slope[2]]},
        "slope_by_range": {"mean": range_slope[0], "ci": [range_slope[1], range_slope[2]]},
        "markerly_slope_by_range": markerly_slope,
        "by_range": by_range.to_dict(orient="records"),
    }
    write_summary(out, NAME, st, numbers)
    return numbers
