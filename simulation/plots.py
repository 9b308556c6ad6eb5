"""PNG plots of a run's time series (read-only: plots never touch the model)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from .vocabulary import CHANNELS, STRATEGIES, TIERS

__all__ = ["PLOTS", "plot_run"]

#: file name -> (title, y label, columns, log scale)
PLOTS: dict[str, tuple[str, str, list[str], bool]] = {
    "engagement_by_tier.png": (
        "Engagement rate by tier (7-day mean)",
        "engagements per follower per post",
        [f"engagement_rate_{t}" for t in TIERS],
        True,
    ),
    "prices_by_tier.png": (
        "Mean price of a sponsored post by tier",
        "$ per post",
        [f"price_{t}" for t in TIERS],
        True,
    ),
    "followers_by_tier.png": (
        "Followers by tier",
        "followers (people)",
        [f"followers_{t}" for t in TIERS],
        True,
    ),
    "unfollows.png": (
        "Follows and unfollows per day (7-day mean)",
        "followers per day",
        ["follows", "unfollows"],
        False,
    ),
    "sponsored_share.png": (
        "Commercial content",
        "share",
        ["sponsored_share", "commercial_share", "mean_fatigue"],
        False,
    ),
    "trust.png": (
        "Mean trust on follow edges, as a share of each follower's baseline",
        "relative trust",
        ["mean_trust"],
        False,
    ),
    "sales_by_strategy.png": (
        "Sales value per dollar by brand strategy (cumulative)",
        "sales (\\$) per \\$ spent",
        [f"sales_per_dollar_{s}" for s in STRATEGIES],
        False,
    ),
    "return_by_strategy.png": (
        "Earned media value per dollar of influencer spend by brand strategy (cumulative)",
        "EMV (\\$) per \\$ spent on influencers",
        [f"return_per_dollar_{s}" for s in STRATEGIES],
        False,
    ),
    "budget_shares.png": (
        "Where brands plan their budget (mean share over brands)",
        "share of the budget",
        [f"budget_share_{c}" for c in CHANNELS],
        False,
    ),
}

_SMOOTH = {"engagement_by_tier.png", "unfollows.png"}


def plot_run(ts: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write the run's plots into folder ``out``; return their paths."""
    out = Path(out)
    paths = []
    for name, (title, ylabel, cols, log) in PLOTS.items():
        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        drawn = 0
        for c in cols:
            y = ts[c]
            if name in _SMOOTH:
                y = y.rolling(7, min_periods=1).mean()
            if y.notna().any() and (not log or (y > 0).any()):
                ax.plot(ts["step"], y, label=c.replace("_", " "))
                drawn += 1
        if log and drawn:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("day")
        ax.set_ylabel(ylabel)
        if drawn:
            ax.legend(fontsize=8)
        else:
            ax.text(
                0.5, 0.5, "nothing to show in this scenario", ha="center", transform=ax.transAxes
            )
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = out / name
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
        paths.append(path)
    return paths
