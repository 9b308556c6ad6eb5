"""Published figures the model is calibrated to, and the checks that hold a run against them.

Each target carries its source (``../shared/BRIEF.md``) and the tolerance the checks use.
The tests run these checks on the baseline scenario; ``docs/CALIBRATION.md`` explains
each one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .runner import RunResult

__all__ = ["KLEAR", "MARKERLY", "Check", "calibration_checks", "engagement_by_bucket"]

#: Markerly 2016 (about 2M Instagram accounts): like rate by follower range.
MARKERLY: list[tuple[tuple[float, float], float]] = [
    ((0, 1_000), 0.08),
    ((1_000, 10_000), 0.04),
    ((10_000, 100_000), 0.024),
    ((100_000, 10_000_000), 0.017),
]
#: Klear survey of 2,500+ influencers: mean price of a sponsored post.
KLEAR: dict[str, float] = {"micro": 41.0, "celebrity": 3138.0}
#: Experticity / Keller Fay 2016: uptake of a trusted micro influencer's recommendation.
UPTAKE = 0.82
#: Tomoson 2015: earned media value per dollar of influencer marketing.
EMV_PER_DOLLAR = 6.5


@dataclass(frozen=True)
class Check:
    """One published figure against the model's."""

    name: str
    target: str
    value: float
    low: float
    high: float
    source: str

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.value) and self.low <= self.value <= self.high)

    def row(self) -> dict:
        return {
            "check": self.name,
            "published": self.target,
            "model": self.value,
            "allowed": f"[{self.low:.4g}, {self.high:.4g}]",
            "pass": self.passed,
            "source": self.source,
        }


def engagement_by_bucket(influencers: pd.DataFrame) -> dict[str, float]:
    """Pooled engagement rate (all engagements over all follower-posts) by Markerly's
    follower ranges, with accounts placed by their audience at the start of the run."""
    out = {}
    for (lo, hi), _ in MARKERLY:
        sel = (influencers["followers_start"] >= lo) & (influencers["followers_start"] < hi)
        exposed = influencers.loc[sel, "follower_posts"].sum()
        out[f"{lo:g}-{hi:g}"] = (
            float(influencers.loc[sel, "engagements"].sum() / exposed)
            if exposed > 0
            else float("nan")
        )
    return out


def calibration_checks(result: RunResult, rel_tol: float = 0.35) -> list[Check]:
    """The calibration targets against one run (the baseline scenario).

    Engagement by follower range within ``rel_tol`` of Markerly's rates; micro engagement
    2 to 5 times celebrity engagement; mean price per post of micro and celebrity accounts
    within 50% of Klear's; uptake of trusted micro recommendations within 0.05 of 82%;
    earned media value per dollar within ``rel_tol`` of $6.50.
    """
    checks = []
    rates = engagement_by_bucket(result.influencers)
    for ((_lo, _hi), target), (label, value) in zip(MARKERLY, rates.items(), strict=True):
        checks.append(
            Check(
                f"engagement rate, {label} followers",
                f"{target:.1%}",
                value,
                target * (1 - rel_tol),
                target * (1 + rel_tol),
                "Markerly 2016",
            )
        )
    s = result.summary
    ratio = s.get("micro_to_celebrity_engagement") or float("nan")
    checks.append(
        Check(
            "micro / celebrity engagement",
            "2x to 5x",
            ratio,
            2.0,
            5.0,
            "seed article; Markerly 2016",
        )
    )
    ts = result.timeseries
    for tier, target in KLEAR.items():
        price = float(ts[f"price_{tier}"].mean())
        checks.append(
            Check(
                f"mean price per post, {tier}",
                f"${target:,.0f}",
                price,
                target * 0.5,
                target * 1.5,
                "Klear (2,500+ influencers)",
            )
        )
    uptake = s.get("uptake_trusted_micro")
    checks.append(
        Check(
            "uptake of a trusted micro recommendation",
            f"{UPTAKE:.0%}",
            float("nan") if uptake is None else uptake,
            UPTAKE - 0.05,
            UPTAKE + 0.05,
            "Experticity / Keller Fay 2016",
        )
    )
    emv = s.get("return_per_dollar")
    checks.append(
        Check(
            "earned media value per $",
            f"${EMV_PER_DOLLAR:.2f}",
            float("nan") if emv is None else emv,
            EMV_PER_DOLLAR * (1 - rel_tol),
            EMV_PER_DOLLAR * (1 + rel_tol),
            "Tomoson 2015",
        )
    )
    return checks
