"""The baseline scenario reproduces the published figures of the brief (calibration)."""

import pytest

from simulation.calibration import calibration_checks, engagement_by_bucket
from simulation.config import load_config
from simulation.runner import run


@pytest.fixture(scope="module")
def baseline():
    return run(load_config("configs/baseline.toml"))


@pytest.fixture(scope="module")
def checks(baseline):
    return {c.name: c for c in calibration_checks(baseline)}


def test_every_calibration_target_passes(checks):
    failed = [c.row() for c in checks.values() if not c.passed]
    assert not failed


def test_engagement_falls_with_audience_size(baseline):
    rates = list(engagement_by_bucket(baseline.influencers).values())
    assert rates == sorted(rates, reverse=True)
    tiers = baseline.summary["engagement_rate_by_tier"]
    assert tiers["nano"] > tiers["micro"] > tiers["mid"] > tiers["macro"] > tiers["celebrity"]


def test_micro_engages_two_to_five_times_celebrity(baseline):
    assert 2.0 <= baseline.summary["micro_to_celebrity_engagement"] <= 5.0


def test_prices_rise_with_tier_within_klears_range(baseline):
    start = baseline.summary["price_by_tier_start"]
    prices = [start[t] for t in ("nano", "micro", "mid", "macro", "celebrity")]
    assert prices == sorted(prices)
    assert 41 * 0.5 <= baseline.timeseries["price_micro"].mean() <= 41 * 1.5
    assert 3138 * 0.5 <= baseline.timeseries["price_celebrity"].mean() <= 3138 * 1.5


def test_uptake_of_trusted_micro_recommendation(baseline):
    s = baseline.summary
    assert s["uptake_sample"] > 200
    assert s["uptake_trusted_micro"] == pytest.approx(0.82, abs=0.05)


def test_earned_value_per_dollar_near_tomoson(baseline):
    assert baseline.summary["return_per_dollar"] == pytest.approx(6.5, rel=0.35)


def test_a_check_fails_when_the_model_is_off():
    cfg = load_config("configs/baseline.toml", ["behaviour.engagement_base=0.05"])
    res = run(cfg, steps=60)
    names = {c.name for c in calibration_checks(res) if not c.passed}
    assert "engagement rate, 1000-10000 followers" in names
