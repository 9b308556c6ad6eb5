"""Unit tests of the mechanisms: one test (or a few) per function of ``simulation.mechanisms``.

Every expected value is worked out by hand from the formula in the function's docstring, so
a wrong formula fails here before it reaches a model run. Each function is checked on
scalars and on arrays (the engines call them on arrays of follow edges).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from simulation import mechanisms as mech
from simulation.network import Ties


def test_every_mechanism_has_a_test():
    tested = {name[len("test_") :].split("__")[0] for name in globals() if name.startswith("test_")}
    missing = [f for f in mech.__all__ if f not in tested]
    assert not missing, f"mechanisms without a test: {missing}"


# -- engagement ------------------------------------------------------------------------


def test_size_engagement():
    # e(N) = base * (N/1000)^-exponent
    assert_allclose(mech.size_engagement(1000, 0.2, 0.18), 0.2)
    assert_allclose(mech.size_engagement(8000, 0.1, 1 / 3), 0.05)
    assert_allclose(mech.size_engagement(125, 0.1, 1 / 3), 0.2)
    assert_allclose(mech.size_engagement([1000, 8000, 64000], 0.1, 1 / 3), [0.1, 0.05, 0.025])
    assert_allclose(mech.size_engagement([10, 1e6], 0.3, 0.0), [0.3, 0.3])


def test_size_engagement__falls_as_power_of_size():
    n = np.logspace(2, 7, 11)
    e = mech.size_engagement(n, 0.08, 0.18)
    assert np.all(np.diff(e) < 0)
    slope = np.polyfit(np.log(n), np.log(e), 1)[0]
    assert slope == pytest.approx(-0.18, abs=1e-12)
    # Markerly 2016's tiers: 8% under 1k falls to about 1.7% at 10M followers with -0.18
    assert mech.size_engagement(1e7, 0.08, 0.18) == pytest.approx(0.08 * 1e4**-0.18)


def test_fit_term():
    assert mech.fit_term(0.0, 0.5) == pytest.approx(0.5)
    assert mech.fit_term(1.0, 0.5) == pytest.approx(1.0)
    assert mech.fit_term(0.5, 0.2) == pytest.approx(0.6)
    assert_allclose(mech.fit_term(np.array([0.0, 0.25, 1.0]), 0.0), [0.0, 0.25, 1.0])
    assert_allclose(mech.fit_term(np.array([0.0, 0.3, 1.0]), 1.0), [1.0, 1.0, 1.0])


def test_engagement_probability():
    # p = e * fit * T * (1 - F * sponsored)
    assert mech.engagement_probability(0.1, 0.8, 0.5, 0.4, 1) == pytest.approx(0.024)
    # organic posts are not subject to fatigue
    assert mech.engagement_probability(0.1, 0.8, 0.5, 0.4, 0) == pytest.approx(0.04)
    # no fatigue: a sponsored post is engaged with as much as an organic one
    assert mech.engagement_probability(0.1, 0.8, 0.5, 0.0, 1) == pytest.approx(0.04)
    # full fatigue: sponsored content is tuned out entirely
    assert mech.engagement_probability(0.1, 0.8, 0.5, 1.0, 1) == pytest.approx(0.0)
    p = mech.engagement_probability(
        np.array([0.1, 0.1, 3.0]),
        np.array([0.8, 0.8, 1.0]),
        np.array([0.5, 0.5, 1.0]),
        np.array([0.4, 0.4, 0.0]),
        np.array([True, False, False]),
    )
    assert_allclose(p, [0.024, 0.04, 1.0])  # clipped to 1


def test_adoption_probability():
    assert mech.adoption_probability(0.82, 1.0, 1.0) == pytest.approx(0.82)
    assert mech.adoption_probability(0.82, 0.5, 0.5) == pytest.approx(0.205)
    assert mech.adoption_probability(0.82, 0.0, 1.0) == pytest.approx(0.0)
    p = mech.adoption_probability(np.array([0.5, 2.0]), np.array([0.4, 1.0]), np.array([0.5, 1.0]))
    assert_allclose(p, [0.1, 1.0])


# -- commercial share and trust -----------------------------------------------------------


def test_commercial_share_update():
    # s' = s + posted * (sponsored - s) / memory
    assert mech.commercial_share_update(0.1, 1, 1, 10) == pytest.approx(0.19)
    assert mech.commercial_share_update(0.1, 1, 0, 10) == pytest.approx(0.09)
    assert mech.commercial_share_update(0.1, 0, 1, 10) == pytest.approx(0.1)  # no post
    assert mech.commercial_share_update(0.3, 1, 1, 1) == pytest.approx(1.0)  # memory 1
    s = mech.commercial_share_update(
        np.array([0.0, 0.5, 0.5]), np.array([1, 1, 0]), np.array([True, False, True]), 5.0
    )
    assert_allclose(s, [0.2, 0.4, 0.5])


def test_commercial_share_update__converges_to_sponsored_share():
    s = 0.0
    for day in range(2000):
        s = mech.commercial_share_update(s, 1, day % 4 == 0, 30.0)
    assert s == pytest.approx(0.25, abs=0.02)
    assert 0.0 <= s <= 1.0


def test_commercial_excess():
    assert mech.commercial_excess(0.08, 0.05) == pytest.approx(0.03)
    assert mech.commercial_excess(0.02, 0.05) == 0.0
    assert mech.commercial_excess(0.05, 0.05) == 0.0
    assert_allclose(mech.commercial_excess(np.array([0.0, 0.3, 1.0]), 0.1), [0.0, 0.2, 0.9])


TRUST_PARAMS = {"rebuild": 0.1, "erosion": 0.5, "offtopic_penalty": 0.1}


def test_trust_update__organic_rebuilds_toward_one():
    # T' = T + rebuild * (1 - T)
    t = mech.trust_update(0.5, 1, 1, 0, 0.0, 1.0, **TRUST_PARAMS)
    assert t == pytest.approx(0.55)
    trust = 0.2
    for _ in range(300):
        new = mech.trust_update(trust, 1, 1, 0, 0.0, 1.0, **TRUST_PARAMS)
        assert new >= trust
        trust = new
    assert trust == pytest.approx(1.0, abs=1e-6)
    assert mech.trust_update(0.3, 1, 1, 0, 0.0, 1.0, 1.0, 0.5, 0.1) == pytest.approx(1.0)


def test_trust_update__sponsored_erodes():
    # loss = sensitivity * (erosion * excess + penalty * offtopic) * T
    t = mech.trust_update(0.5, 1, 0, 1, 0.2, 2.0, **TRUST_PARAMS)
    assert t == pytest.approx(0.5 - 2.0 * (0.5 * 0.2 + 0.1) * 0.5)
    t = mech.trust_update(0.5, 1, 0, 0, 0.2, 1.0, **TRUST_PARAMS)
    assert t == pytest.approx(0.5 - 0.5 * 0.2 * 0.5)
    # excess erodes on organic posts too, against the rebuild
    t = mech.trust_update(0.5, 1, 1, 0, 0.1, 1.0, 0.2, 1.0, 0.0)
    assert t == pytest.approx(0.5 + 0.2 * 0.5 - 0.1 * 0.5)


def test_trust_update__unchanged_when_not_seen():
    for organic, offtopic, excess in [(1, 0, 0.0), (0, 1, 0.9), (0, 0, 0.5)]:
        t = mech.trust_update(0.37, 0, organic, offtopic, excess, 3.0, **TRUST_PARAMS)
        assert t == pytest.approx(0.37)
    trust = np.array([0.1, 0.5, 0.9])
    assert_allclose(mech.trust_update(trust, 0, 0, 1, 0.9, 5.0, **TRUST_PARAMS), trust)


def test_trust_update__more_excess_and_sensitivity_erode_more():
    excess = np.linspace(0.0, 1.0, 11)
    t = mech.trust_update(0.8, 1, 0, 0, excess, 1.0, **TRUST_PARAMS)
    assert t[0] == pytest.approx(0.8)
    assert np.all(np.diff(t) < 0)
    sens = np.linspace(0.0, 3.0, 7)
    t = mech.trust_update(0.8, 1, 0, 1, 0.2, sens, **TRUST_PARAMS)
    assert t[0] == pytest.approx(0.8)
    assert np.all(np.diff(t) < 0)
    # off-topic sponsored posts cost more than on-topic ones
    on = mech.trust_update(0.8, 1, 0, 0, 0.2, 1.0, **TRUST_PARAMS)
    off = mech.trust_update(0.8, 1, 0, 1, 0.2, 1.0, **TRUST_PARAMS)
    assert off < on


def test_trust_update__stays_in_unit_interval():
    rng = np.random.default_rng(1)
    n = 10_000
    t = mech.trust_update(
        rng.random(n),
        rng.integers(0, 2, n),
        rng.integers(0, 2, n),
        rng.integers(0, 2, n),
        rng.random(n) * 5,
        rng.lognormal(0, 2, n),
        rng.random(),
        rng.random() * 100,
        rng.random(),
    )
    assert t.min() >= 0.0
    assert t.max() <= 1.0
    assert mech.trust_update(0.5, 1, 0, 1, 1.0, 100.0, 0.0, 100.0, 1.0) == 0.0


def test_unfollow_probability():
    # p = rate * clip((threshold - T) / threshold, 0, 1)
    assert mech.unfollow_probability(0.4, 0.4, 0.1) == 0.0
    assert mech.unfollow_probability(0.9, 0.4, 0.1) == 0.0
    assert mech.unfollow_probability(0.0, 0.4, 0.1) == pytest.approx(0.1)
    assert mech.unfollow_probability(0.2, 0.4, 0.1) == pytest.approx(0.05)
    assert mech.unfollow_probability(0.3, 0.4, 0.2) == pytest.approx(0.05)
    p = mech.unfollow_probability(np.array([0.0, 0.1, 0.35, 0.5, 1.0]), 0.35, 0.1)
    assert_allclose(p, [0.1, 0.1 * 0.25 / 0.35, 0.0, 0.0, 0.0])
    assert_allclose(mech.unfollow_probability(np.array([0.0, 0.5]), 0.0, 0.1), [0.0, 0.0])


# -- fatigue ---------------------------------------------------------------------------


def test_exposure_update():
    # E' = decay * E + new
    assert mech.exposure_update(5.0, 2, 0.9) == pytest.approx(6.5)
    assert mech.exposure_update(5.0, 2, 0.0) == pytest.approx(2.0)
    assert mech.exposure_update(5.0, 0, 1.0) == pytest.approx(5.0)
    assert_allclose(mech.exposure_update(np.array([0.0, 10.0]), np.array([1, 0]), 0.5), [1, 5])
    e = 0.0
    for _ in range(500):
        e = mech.exposure_update(e, 1, 0.9)
    assert e == pytest.approx(10.0)  # steady state new / (1 - decay)


def test_fatigue_level():
    assert mech.fatigue_level(0, 10.0) == 0.0
    assert mech.fatigue_level(10, 10.0) == pytest.approx(1 - 1 / math.e)
    assert mech.fatigue_level(20, 10.0) == pytest.approx(1 - math.exp(-2))
    assert mech.fatigue_level(3, 3.0) == pytest.approx(1 - 1 / math.e)
    f = mech.fatigue_level(np.array([0.0, 5.0, 10.0, 1e6]), 10.0)
    assert_allclose(f, [0.0, 1 - math.exp(-0.5), 1 - math.exp(-1), 1.0])
    assert np.all(np.diff(f) > 0)
    assert f.max() <= 1.0


# -- prices and deals --------------------------------------------------------------------


def test_recognition_price__mediakix_rule_of_thumb():
    # exponent 1, price_per_k 10: $10 per 1,000 followers (Mediakix 2017)
    n = np.array([1_000, 5_000, 50_000, 1_000_000])
    assert_allclose(mech.recognition_price(n, 1.0, 10.0, 1.0, 0.5), n / 1000 * 10)


def test_recognition_price():
    # price = price_per_k * (N/1000)^exponent * ratio^elasticity
    assert mech.recognition_price(10_000, 1.0, 25.0, 0.5, 0.0) == pytest.approx(25 * 10**0.5)
    assert mech.recognition_price(4_000, 4.0, 10.0, 0.5, 0.5) == pytest.approx(10 * 2 * 2)
    assert mech.recognition_price(1_000, 0.25, 10.0, 0.7, 1.0) == pytest.approx(2.5)
    # Klear fit of the docstring: exponent 0.7, $25 at 1,000 gives ~$41 at 2k, ~$3,140 at 1M
    assert mech.recognition_price(2_000, 1.0, 25.0, 0.7, 0.5) == pytest.approx(40.6, abs=0.1)
    assert mech.recognition_price(1e6, 1.0, 25.0, 0.7, 0.5) == pytest.approx(3147, abs=1)
    # guards: fewer than one follower counts as one, ratio floored at 1e-6
    assert mech.recognition_price(0, 1.0, 10.0, 1.0, 0.0) == pytest.approx(0.01)
    assert mech.recognition_price(1_000, 0.0, 10.0, 1.0, 1.0) == pytest.approx(1e-5)
    p = mech.recognition_price(np.array([1_000, 4_000]), np.array([1.0, 0.25]), 10.0, 1.0, 1.0)
    assert_allclose(p, [10.0, 10.0])


def test_demand_multiplier_update():
    # m' = clip(m * exp(rate * (offers - cap) / max(cap, 1)), lo, hi)
    up = mech.demand_multiplier_update(1.0, 6, 3, 0.15, 0.5, 4.0)
    assert up == pytest.approx(math.exp(0.15))
    down = mech.demand_multiplier_update(1.0, 0, 2, 0.15, 0.5, 4.0)
    assert down == pytest.approx(math.exp(-0.15))
    assert mech.demand_multiplier_update(2.0, 3, 3, 0.15, 0.5, 4.0) == pytest.approx(2.0)
    assert mech.demand_multiplier_update(3.9, 100, 1, 0.15, 0.5, 4.0) == pytest.approx(4.0)
    assert mech.demand_multiplier_update(0.6, 0, 1, 5.0, 0.5, 4.0) == pytest.approx(0.5)
    # capacity 0: multiplier kept, whatever the offers
    assert mech.demand_multiplier_update(1.7, 5, 0, 0.15, 0.5, 4.0) == pytest.approx(1.7)


def test_demand_multiplier_update__arrays():
    m = np.array([1.0, 1.0, 2.0, 1.3, 1.0])
    offers = np.array([4, 0, 3, 9, 2])
    cap = np.array([2, 2, 3, 0, 1])
    out = mech.demand_multiplier_update(m, offers, cap, 0.2, 0.5, 4.0)
    assert_allclose(out, [math.exp(0.2), math.exp(-0.2), 2.0, 1.3, math.exp(0.2)])
    # rises with excess demand, monotone in offers
    many = mech.demand_multiplier_update(np.ones(6), np.arange(6), np.full(6, 2), 0.2, 0.1, 10)
    assert np.all(np.diff(many) > 0)


def test_deal_capacity():
    # round(cap * (1 - authenticity))
    assert mech.deal_capacity(0.6, 3) == 1
    assert mech.deal_capacity(0.0, 3) == 3
    assert mech.deal_capacity(1.0, 3) == 0
    assert mech.deal_capacity(0.2, 3) == 2
    out = mech.deal_capacity(np.array([0.0, 0.1, 0.45, 0.9, 1.0]), 10)
    assert out.dtype == np.int64
    assert out.tolist() == [10, 9, 6, 1, 0]


def test_relationship_overhead():
    # n * cost * (1 - cut * uses_platform)
    assert mech.relationship_overhead(10, 40.0, 0, 0.7) == pytest.approx(400.0)
    assert mech.relationship_overhead(10, 40.0, 1, 0.7) == pytest.approx(120.0)
    assert mech.relationship_overhead(0, 40.0, 1, 0.7) == 0.0
    out = mech.relationship_overhead(np.array([1, 2]), 50.0, np.array([True, False]), 1.0)
    assert_allclose(out, [0.0, 100.0])


def test_platform_fee():
    assert mech.platform_fee(100.0, 0.2, 1) == pytest.approx(20.0)
    assert mech.platform_fee(100.0, 0.2, 0) == 0.0
    assert mech.platform_fee(100.0, 0.2, True) == pytest.approx(20.0)
    out = mech.platform_fee(np.array([100.0, 250.0]), 0.1, np.array([False, True]))
    assert_allclose(out, [0.0, 25.0])


def test_post_value():
    # V = N * (reach * v_imp + er * (v_eng + margin * uptake * match))
    v = mech.post_value(1000, 0.05, 0.4, 0.5, 0.005, 1.0, 4.0, 0.8)
    assert v == pytest.approx(1000 * (0.4 * 0.005 + 0.05 * (1.0 + 4.0 * 0.8 * 0.5)))
    assert v == pytest.approx(132.0)
    assert mech.post_value(500, 0.0, 0.5, 1.0, 0.01, 1.0, 4.0, 0.8) == pytest.approx(2.5)
    out = mech.post_value(
        np.array([1000.0, 2000.0]), np.array([0.1, 0.1]), 0.0, np.array([0.0, 1.0]), 0, 1, 2, 0.5
    )
    assert_allclose(out, [100.0, 2000 * 0.1 * 2.0])


def test_earned_media_value():
    # EMV = impressions * v_imp + engagements * v_eng
    assert mech.earned_media_value(1000, 50, 0.005, 1.0) == pytest.approx(55.0)
    assert mech.earned_media_value(0, 0, 0.005, 1.0) == 0.0
    out = mech.earned_media_value(np.array([2e6, 0.0]), np.array([0.0, 10.0]), 0.005, 2.0)
    assert_allclose(out, [10_000.0, 20.0])


# -- market and audiences --------------------------------------------------------------


def test_own_reach():
    assert mech.own_reach(0.02, 0.5, 9, 10) == pytest.approx(0.02)
    assert mech.own_reach(0.02, 0.5, 10, 10) == pytest.approx(0.01)
    assert mech.own_reach(0.02, 0.5, 400, 10) == pytest.approx(0.01)
    assert mech.own_reach(0.02, 1.0, 10, 0) == 0.0
    assert mech.own_reach(0.02, 0.0, 10, 0) == pytest.approx(0.02)


def test_adoption_hazard():
    # h = min(1, p + q * A)
    assert mech.adoption_hazard(0.03, 0.38, 0.0) == pytest.approx(0.03)
    assert mech.adoption_hazard(0.03, 0.38, 0.5) == pytest.approx(0.22)
    assert mech.adoption_hazard(0.7, 0.5, 1.0) == 1.0
    assert mech.adoption_hazard(0.0, 0.0, 1.0) == 0.0
    out = mech.adoption_hazard(np.array([0.03, 0.0, 0.9]), 0.38, np.array([0.0, 1.0, 1.0]))
    assert_allclose(out, [0.03, 0.38, 1.0])


def test_adoption_hazard__bass_on_complete_graph():
    """On a complete graph the expected adopted share follows F' = F + (p + qF)(1 - F)."""
    p, q, n, days = 0.03, 0.38, 20_000, 8
    ties = Ties.complete_graph(n)
    rng = np.random.default_rng(7)
    adopted = np.zeros(n, bool)
    f_bass = 0.0
    for _ in range(days):
        h = mech.adoption_hazard(p, q, ties.friend_share(adopted))
        adopted |= rng.random(n) < h
        f_bass = f_bass + (p + q * f_bass) * (1 - f_bass)
    # sd of the share is well under sqrt(0.25 / n) per step; 5 sd over the run is ~0.02
    assert adopted.mean() == pytest.approx(f_bass, abs=0.02)
    assert 0.3 < f_bass < 0.9


def test_audience_weight():
    # w = max(1, N / cap)
    assert mech.audience_weight(500, 2000) == 1.0
    assert mech.audience_weight(2000, 2000) == 1.0
    assert mech.audience_weight(1e6, 2000) == pytest.approx(500.0)
    out = mech.audience_weight(np.array([1, 150, 151, 15_000]), 150)
    assert_allclose(out, [1.0, 1.0, 151 / 150, 100.0])
    # a sampled audience of cap edges stands for the whole nominal audience
    assert 2000 * mech.audience_weight(3_333_333, 2000) == pytest.approx(3_333_333)


def test_size_interpolation():
    # small + (large - small) * clip(log(N/n_small) / log(n_large/n_small), 0, 1)
    args = (0.9, 0.3, 500, 5000)
    assert mech.size_interpolation(500, *args) == pytest.approx(0.9)
    assert mech.size_interpolation(5000, *args) == pytest.approx(0.3)
    assert mech.size_interpolation(math.sqrt(500 * 5000), *args) == pytest.approx(0.6)
    assert mech.size_interpolation(10, *args) == pytest.approx(0.9)
    assert mech.size_interpolation(1e7, *args) == pytest.approx(0.3)
    out = mech.size_interpolation(np.array([100, 1000, 2000, 1e6]), 0.0, 1.0, 1000, 8000)
    assert_allclose(out, [0.0, 0.0, 1 / 3, 1.0])


def test_tier_index():
    bounds = (500, 5_000, 50_000, 500_000)
    n = [1, 499, 500, 4_999, 5_000, 49_999, 50_000, 499_999, 500_000, 10**9]
    assert mech.tier_index(n, bounds).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert mech.tier_index(5_000, bounds) == 2
    assert mech.tier_index(499.5, bounds) == 0


def test_trust_update__organic_posts_pull_toward_the_baseline():
    # T' = T + rebuild * (B - T): up from below, down from above, fixed at B
    assert mech.trust_update(0.5, 1, 1, 0, 0.0, 1.0, 0.1, 0.5, 0.1, baseline=0.7) == (
        pytest.approx(0.52)
    )
    assert mech.trust_update(0.9, 1, 1, 0, 0.0, 1.0, 0.1, 0.5, 0.1, baseline=0.7) == (
        pytest.approx(0.88)
    )
    assert mech.trust_update(0.7, 1, 1, 0, 0.0, 1.0, 0.1, 0.5, 0.1, baseline=0.7) == (
        pytest.approx(0.7)
    )
    b = np.array([0.6, 0.8])
    assert_allclose(mech.trust_update(np.array([0.6, 0.8]), 1, 1, 0, 0.0, 1.0, 0.3, 1, 0, b), b)
