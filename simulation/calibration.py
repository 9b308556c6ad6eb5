"""Published figures the model is calibrated to, and the checks that hold a run against them.

A figure here is a **calibration target**: a parameter was tuned so that the baseline
reproduces it, so meeting it shows the tuning worked, nothing more. Each target names the
parameters it set and its source. ``docs/CALIBRATION.md`` explains each one; the tests run
these checks on the baseline scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .runner import RunResult
from .vocabulary import CELEBRITY, MICRO, TIERS

__all__ = [
    "EMV_PER_DOLLAR",
    "KLEAR",
    "MARKERLY",
    "Check",
    "calibration_checks",
    "engagement_by_bucket",
]

#: Markerly 2016 (about 2M Instagram accounts): like rate by follower range.
MARKERLY: list[tuple[tuple[float, float], float]] = [
    ((0, 1_000), 0.08),
    ((1_000, 10_000), 0.04),
    ((10_000, 100_000), 0.024),
    ((100_000, 10_000_000), 0.017),
]
#: Klear survey of 2,500+ influencers: mean price of a sponsored post by tier (tier averages,
#: dominated by each tier's many small accounts; compared, not fitted).
KLEAR: dict[str, float] = {TIERS[MICRO]: 41.0, TIERS[CELEBRITY]: 3138.0}
#: Tomoson 2015: earned media value per dollar of influencer marketing.
EMV_PER_DOLLAR = 6.5


@dataclass(frozen=True)
class Check:
    """One calibration target against the model's value."""

    name: str
    target: str
    value: float
    low: float
    high: float
    source: str
    parameters: str = ""

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
            "parameters": self.parameters,
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


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def calibration_checks(result: RunResult, rel_tol: float = 0.35) -> list[Check]:
    """The calibration targets against one run of the baseline scenario.

    Engagement by follower range within ``rel_tol`` of Markerly's rates
    (``behaviour.engagement_base``, ``engagement_size_exponent``); micro posts selling at
    their rate-card (recognition) price at the steady state, paid over list within 25%
    (``brands.margin``); earned media value per dollar of influencer spend within
    ``rel_tol`` of $6.50 (``brands.value_per_engagement``).
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
                "behaviour.engagement_base, behaviour.engagement_size_exponent",
            )
        )
    s = result.summary
    ratio = _nan(s.get("paid_to_list_by_tier", {}).get(TIERS[MICRO]))
    checks.append(
        Check(
            "micro posts sell at their rate-card price (paid / list)",
            "1 (rate cards)",
            ratio,
            0.8,
            1.25,
            "Influencer Marketing Hub rate cards 2021-2024",
            "brands.margin (with population.susceptibility_mean from HelloSociety 2018)",
        )
    )
    emv = _nan(s.get("return_per_dollar"))
    checks.append(
        Check(
            "earned media value per $ of influencer spend",
            f"${EMV_PER_DOLLAR:.2f}",
            emv,
            EMV_PER_DOLLAR * (1 - rel_tol),
            EMV_PER_DOLLAR * (1 + rel_tol),
            "Tomoson 2015",
            "brands.value_per_engagement",
        )
    )
    return checks
