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
from simulation.vocabulary import CELEBRITY, MACRO, MICRO, MID, NANO


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
    # p = e * fit * r * (1 - F * sponsored), r the trust relative to the baseline
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
    # r' = r + rebuild * (1 - r): organic posts pull relative trust back to the baseline
    t = mech.trust_update(0.5, 1, 1, 0, 0.0, 1.0, **TRUST_PARAMS)
    assert t == pytest.approx(0.55)
    trust = 0.2
    for _ in range(300):
        new = mech.trust_update(trust, 1, 1, 0, 0.0, 1.0, **TRUST_PARAMS)
        assert new >= trust
        trust = new
    assert trust == pytest.approx(1.0, abs=1e-6)
    assert mech.trust_update(0.3, 1, 1, 0, 0.0, 1.0, 1.0, 0.5, 0.1) == pytest.approx(1.0)


def test_trust_update__at_rest_stays_at_rest():
    # r = 1 is the rest state: organic posts, and sponsored on-topic posts within the
    # tolerated share (excess 0), leave it exactly where it is
    for organic in (0, 1):
        assert mech.trust_update(1.0, 1, organic, 0, 0.0, 2.0, **TRUST_PARAMS) == 1.0
    r = np.ones(5, np.float32)
    out = mech.trust_update(
        r, np.float32(1), np.float32(1), np.float32(0), np.float32(0), 1.0, 0.02, 0.12, 0.05
    )
    assert np.all(out == 1.0)
    # but an off-topic sponsored post or any excess moves it down
    assert mech.trust_update(1.0, 1, 0, 1, 0.0, 1.0, **TRUST_PARAMS) == pytest.approx(0.9)
    assert mech.trust_update(1.0, 1, 1, 0, 0.1, 1.0, **TRUST_PARAMS) == pytest.approx(0.95)


def test_trust_update__sponsored_erodes():
    # loss = sensitivity * (erosion * excess + penalty * offtopic) * r
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
    # p = rate * clip((threshold - r) / threshold, 0, 1): nobody unfollows at rest (r = 1)
    assert mech.unfollow_probability(1.0, 0.5, 0.1) == 0.0
    assert mech.unfollow_probability(1.0, 1.0, 0.1) == 0.0
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
    # the default fit ($10 at 1,000, exponent 0.97): 1M followers $10 * 1000^0.97, and the
    # Hopper HQ celebrities (112M: $500,000; 187M: $1.5M) within a factor of two
    assert mech.recognition_price(1e6, 1.0, 10.0, 0.97, 0.5) == pytest.approx(10 * 1000**0.97)
    celeb = mech.recognition_price(np.array([112e6, 187e6]), 1.0, 10.0, 0.97, 0.5)
    assert np.all(celeb / np.array([5e5, 1.5e6]) > 0.5)
    assert np.all(celeb / np.array([5e5, 1.5e6]) < 2.0)
    # guards: fewer than one follower counts as one, ratio floored at 1e-6
    assert mech.recognition_price(0, 1.0, 10.0, 1.0, 0.0) == pytest.approx(0.01)
    assert mech.recognition_price(1_000, 0.0, 10.0, 1.0, 1.0) == pytest.approx(1e-5)
    p = mech.recognition_price(np.array([1_000, 4_000]), np.array([1.0, 0.25]), 10.0, 1.0, 1.0)
    assert_allclose(p, [10.0, 10.0])


def test_demand_multiplier_update():
    # m' = clip(m * ((offers + 1/2) / capacity)^rate, lo, hi)
    sold_out = mech.demand_multiplier_update(1.0, 3, 3, 0.5, 0.5, 10.0)
    assert sold_out == pytest.approx((3.5 / 3) ** 0.5)
    # a sold-out account with a single buyer raises its price too
    one = mech.demand_multiplier_update(1.0, 1, 1, 0.5, 0.5, 10.0)
    assert one == pytest.approx(1.5**0.5)
    # one post unasked: the price falls
    unsold = mech.demand_multiplier_update(2.0, 2, 3, 0.5, 0.5, 10.0)
    assert unsold == pytest.approx(2.0 * (2.5 / 3) ** 0.5)
    assert mech.demand_multiplier_update(1.0, 0, 4, 1.0, 0.1, 10.0) == pytest.approx(0.125)
    # clipped to [lo, hi]
    assert mech.demand_multiplier_update(1.0, 0, 2, 1.0, 0.5, 10.0) == pytest.approx(0.5)
    assert mech.demand_multiplier_update(9.5, 100, 1, 0.5, 0.5, 10.0) == pytest.approx(10.0)
    # capacity 0 (takes no deals): multiplier kept, whatever the offers
    assert mech.demand_multiplier_update(1.7, 5, 0, 0.5, 0.5, 10.0) == pytest.approx(1.7)
    # rate 0: prices never move
    assert mech.demand_multiplier_update(1.3, 9, 2, 0.0, 0.5, 10.0) == pytest.approx(1.3)


def test_demand_multiplier_update__arrays():
    m = np.array([1.0, 1.0, 2.0, 1.3, 1.0])
    offers = np.array([4, 0, 3, 9, 2])
    cap = np.array([2, 2, 3, 0, 1])
    out = mech.demand_multiplier_update(m, offers, cap, 0.2, 0.1, 4.0)
    expected = [2.25**0.2, 0.25**0.2, 2.0 * (3.5 / 3) ** 0.2, 1.3, 2.5**0.2]
    assert_allclose(out, expected)
    # rises with excess demand, monotone in offers
    many = mech.demand_multiplier_update(np.ones(6), np.arange(6), np.full(6, 2), 0.2, 0.1, 10)
    assert np.all(np.diff(many) > 0)
    assert many[1] < 1.0 < many[2]  # falls with one post unasked, rises when sold out


def test_demand_multiplier_update__settles_where_offers_meet_capacity():
    """Offers fall as the price rises (brands stop at their hurdle): a brand pool that asks
    ``10 - 4 m`` posts at multiplier m of an account that takes 3. Offers meet the capacity
    up to m = 1.75; the tatonnement ends cycling within one step of it: one step down
    (one post unasked) below, one step up (sold out) above."""
    m, path = 0.5, []
    for _ in range(200):
        offers = max(0, int(np.floor(10 - 4 * m)))
        m = float(mech.demand_multiplier_update(m, offers, 3, 0.5, 0.5, 10.0))
        path.append(m)
    tail = np.array(path[-60:])
    up, down = (3.5 / 3) ** 0.5, (2.5 / 3) ** 0.5
    assert tail.min() >= 1.75 * down * (1 - 1e-12)
    assert tail.max() <= 1.75 * up * (1 + 1e-12)
    assert tail.mean() == pytest.approx(1.75, rel=0.05)
    # it got there from half the price: the start is far outside the band
    assert path[0] < 1.75 * down


def test_relationship_overhead():
    # n * cost * (1 - cut * uses_platform)
    assert mech.relationship_overhead(10, 40.0, 0, 0.7) == pytest.approx(400.0)
    assert mech.relationship_overhead(10, 40.0, 1, 0.7) == pytest.approx(120.0)
    assert mech.relationship_overhead(0, 40.0, 1, 0.7) == 0.0
    out = mech.relationship_overhead(np.array([1, 2]), 50.0, np.array([True, False]), 1.0)
    assert_allclose(out, [0.0, 100.0])
    # twenty small relationships cost twenty times one large one
    assert mech.relationship_overhead(20, 50.0, 0, 0.7) == pytest.approx(
        20 * mech.relationship_overhead(1, 50.0, 0, 0.7)
    )


def test_platform_fee():
    assert mech.platform_fee(100.0, 0.2, 1) == pytest.approx(20.0)
    assert mech.platform_fee(100.0, 0.2, 0) == 0.0
    assert mech.platform_fee(100.0, 0.2, True) == pytest.approx(20.0)
    out = mech.platform_fee(np.array([100.0, 250.0]), 0.1, np.array([False, True]))
    assert_allclose(out, [0.0, 25.0])


def test_deal_cost():
    # c = price * (1 + fee_rate * uses_platform) + new_relationship * overhead
    assert mech.deal_cost(100.0, 0.2, 0, 0, 50.0) == pytest.approx(100.0)
    assert mech.deal_cost(100.0, 0.2, 1, 0, 50.0) == pytest.approx(120.0)
    assert mech.deal_cost(100.0, 0.2, 0, 1, 50.0) == pytest.approx(150.0)
    assert mech.deal_cost(100.0, 0.2, 1, 1, 15.0) == pytest.approx(135.0)
    out = mech.deal_cost(
        np.array([10.0, 10.0, 40.0]), 0.5, np.array([0, 1, 1]), np.array([1, 0, 1]), 20.0
    )
    assert_allclose(out, [30.0, 15.0, 80.0])


def test_expected_post_sales():
    # A = N * er * susceptibility * T * fit * (1 - adopted)
    assert mech.expected_post_sales(1000, 0.05, 0.8, 0.5, 0.9, 0.08) == pytest.approx(1.44)
    assert mech.expected_post_sales(1000, 0.05, 0.8, 0.5, 0.0, 0.08) == 0.0  # all customers
    assert mech.expected_post_sales(0, 0.05, 0.8, 0.5, 1.0, 0.08) == 0.0
    out = mech.expected_post_sales(
        np.array([500.0, 2e6]), np.array([0.1, 0.02]), np.array([0.8, 0.04]), 0.5, 1.0, 0.1
    )
    assert_allclose(out, [500 * 0.1 * 0.1 * 0.8 * 0.5, 2e6 * 0.02 * 0.1 * 0.04 * 0.5])
    # linear in followers: one scale, so doubling an audience doubles its expected sales
    assert mech.expected_post_sales(2000, 0.05, 0.8, 0.5, 0.9, 0.08) == pytest.approx(2.88)


def test_earned_media_value():
    # EMV = impressions * v_imp + engagements * v_eng
    assert mech.earned_media_value(1000, 50, 0.005, 1.0) == pytest.approx(55.0)
    assert mech.earned_media_value(0, 0, 0.005, 1.0) == 0.0
    out = mech.earned_media_value(np.array([2e6, 0.0]), np.array([0.0, 10.0]), 0.005, 2.0)
    assert_allclose(out, [10_000.0, 20.0])


# -- influencers' choice ---------------------------------------------------------------

#: rebuild, erosion, offtopic_penalty, tolerance at their defaults
TRUST_DYNAMICS = {"rebuild": 0.02, "erosion": 0.12, "offtopic_penalty": 0.05, "tolerance": 0.02}


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def test_steady_trust():
    # r* = rebuild (1-s) / (rebuild (1-s) + sens (erosion max(0, s-tol) + penalty o))
    r = mech.steady_trust(0.1, 0.0, 1.0, **TRUST_DYNAMICS)
    assert r == pytest.approx(0.02 * 0.9 / (0.02 * 0.9 + 0.12 * 0.08))
    assert r == pytest.approx(0.652174, abs=1e-6)
    r = mech.steady_trust(0.1, 0.05, 2.0, **TRUST_DYNAMICS)
    assert r == pytest.approx(0.018 / (0.018 + 2.0 * (0.12 * 0.08 + 0.05 * 0.05)))
    # 1 at or below the tolerated share, on topic
    assert_allclose(mech.steady_trust(np.array([0.0, 0.01, 0.02]), 0.0, 1.0, **TRUST_DYNAMICS), 1)
    # off-topic posts erode even below the tolerance
    r = mech.steady_trust(0.01, 0.01, 1.0, **TRUST_DYNAMICS)
    assert r == pytest.approx(0.02 * 0.99 / (0.02 * 0.99 + 0.05 * 0.01))
    # insensitive followers keep their trust; no rebuild and any pressure: 0
    assert mech.steady_trust(0.5, 0.2, 0.0, **TRUST_DYNAMICS) == 1.0
    assert mech.steady_trust(0.5, 0.0, 1.0, 0.0, 0.12, 0.05, 0.02) == 0.0
    assert mech.steady_trust(0.0, 0.0, 1.0, 0.0, 0.12, 0.05, 0.02) == 1.0  # no rebuild, no loss
    # falls with the commercial share
    r = mech.steady_trust(np.linspace(0.02, 0.5, 20), 0.0, 1.0, **TRUST_DYNAMICS)
    assert np.all(np.diff(r) < 0)


def test_steady_trust__is_the_fixed_point_of_trust_update():
    """Iterating the expected move of :func:`trust_update` (organic share 1 - s, off-topic
    share o, excess max(0, s - tol)) from any start ends at :func:`steady_trust`."""
    s, o, sens = 0.15, 0.04, 1.3
    d = TRUST_DYNAMICS
    for r in (1.0, 0.2):
        for _ in range(5000):
            r = mech.trust_update(
                r,
                1.0,
                1.0 - s,
                o,
                mech.commercial_excess(s, d["tolerance"]),
                sens,
                d["rebuild"],
                d["erosion"],
                d["offtopic_penalty"],
            )
        assert r == pytest.approx(mech.steady_trust(s, o, sens, **TRUST_DYNAMICS), abs=1e-9)


RETAIN = {"threshold": 0.5, "sensitivity_mean": 1.0, "sensitivity_sigma": 0.5}


def test_retained_share():
    # x_c = rebuild (1-s)(1-thr) / (thr * pressure); retained = Phi((ln x_c - mu) / sigma)
    x_c = 0.02 * 0.9 * 0.5 / (0.5 * 0.12 * 0.08)
    assert x_c == pytest.approx(1.875)
    mu = math.log(1.0) - 0.5**2 / 2
    kept = mech.retained_share(0.1, 0.0, **RETAIN, **TRUST_DYNAMICS)
    assert kept == pytest.approx(_phi((math.log(x_c) - mu) / 0.5))
    assert kept == pytest.approx(0.934, abs=1e-3)
    # a follower of sensitivity x_c settles exactly at the threshold
    assert mech.steady_trust(0.1, 0.0, x_c, **TRUST_DYNAMICS) == pytest.approx(0.5)
    # off-topic posts add pressure
    x_off = 0.02 * 0.9 * 0.5 / (0.5 * (0.12 * 0.08 + 0.05 * 0.05))
    kept = mech.retained_share(0.1, 0.05, **RETAIN, **TRUST_DYNAMICS)
    assert kept == pytest.approx(_phi((math.log(x_off) - mu) / 0.5))
    # no pressure (share within the tolerance, on topic): everyone stays
    assert mech.retained_share(0.02, 0.0, **RETAIN, **TRUST_DYNAMICS) == 1.0


def test_retained_share__falls_with_share():
    shares = np.linspace(0.03, 0.6, 30)
    kept = mech.retained_share(shares, 0.0, **RETAIN, **TRUST_DYNAMICS)
    assert np.all(np.diff(kept) < 0)
    assert kept[0] > 0.99 and kept[-1] < 0.05
    # and with the off-topic share at a fixed commercial share
    kept = mech.retained_share(0.1, np.linspace(0, 0.1, 11), **RETAIN, **TRUST_DYNAMICS)
    assert np.all(np.diff(kept) < 0)


def test_retained_share__edge_cases():
    d = TRUST_DYNAMICS
    # threshold 0 (nobody unfollows) or insensitive followers: all stay
    assert mech.retained_share(0.5, 0.1, 0.0, 1.0, 0.5, **d) == 1.0
    assert mech.retained_share(0.5, 0.1, 0.5, 0.0, 0.5, **d) == 1.0
    # threshold 1: any pressure loses everyone, none keeps everyone
    assert_allclose(mech.retained_share(np.array([0.5, 0.0]), 0.0, 1.0, 1.0, 0.5, **d), [0, 1])
    # no spread: everyone has sensitivity 1 and stays while x_c >= 1
    x_c = mech.retained_share(np.array([0.1, 0.5]), 0.0, 0.5, 1.0, 0.0, **d)
    assert_allclose(x_c, [1.0, 0.0])  # x_c 1.875 at s = 0.1, 0.1 / 0.0576 = 0.17 at s = 0.5


#: the default market's influencer: 30-day period, posts 70% of days; prices ~ N^0.97, ^0.5
#: in engagement; unfollows below half its baseline trust; sensitivity log-normal(1, 0.5)
CHOICE = {
    "price_exponent": 0.97,
    "quality_elasticity": 0.5,
    "threshold": 0.5,
    "sensitivity_mean": 1.0,
    "sensitivity_sigma": 0.5,
    "rebuild": 0.02,
    "erosion": 0.12,
    "offtopic_penalty": 0.05,
    "tolerance": 0.02,
}


def _posts(k):
    return k + (30 - k) * 0.7


def test_sponsorship_value():
    # U = k (1 + D q), q = retained^price_exponent * (max(r_ss, thr) / r_now)^quality
    k, d, r_now = 2.0, 6.0, 0.8
    s = k / 20.0
    r_ss = 0.02 * (1 - s) / (0.02 * (1 - s) + 0.12 * (s - 0.02))
    x_c = 0.02 * (1 - s) * 0.5 / (0.5 * 0.12 * (s - 0.02))
    kept = _phi((math.log(x_c) + 0.125) / 0.5)
    q = kept**0.97 * (r_ss / r_now) ** 0.5
    u = mech.sponsorship_value(k, 0, d, r_now, 20.0, **CHOICE)
    assert u == pytest.approx(k * (1 + d * q))
    # r_ss below the threshold counts as the threshold (those below it leave)
    s = 0.5
    kept = mech.retained_share(s, 0.0, **RETAIN, **TRUST_DYNAMICS)
    q = kept**0.97 * (0.5 / 1.0) ** 0.5
    assert mech.steady_trust(s, 0.0, 1.0, **TRUST_DYNAMICS) < 0.5
    assert mech.sponsorship_value(10, 0, 3.0, 1.0, 20.0, **CHOICE) == pytest.approx(
        10 * (1 + 3 * q)
    )
    # nothing sponsored, nothing earned
    assert mech.sponsorship_value(0, 0, 12.0, 1.0, 21.0, **CHOICE) == 0.0


def test_sponsorship_value__myopic_takes_the_cap_far_sighted_stops_inside():
    k = np.arange(9.0)
    myopic = mech.sponsorship_value(k, 0, 0.0, 1.0, _posts(k), **CHOICE)
    assert_allclose(myopic, k)  # D = 0: today's fees only
    assert int(np.argmax(myopic)) == 8
    # authenticity 0.6 x lookahead 12: an interior optimum, an inverted U around it
    far = mech.sponsorship_value(k, 0, 7.2, 1.0, _posts(k), **CHOICE)
    best = int(np.argmax(far))
    assert 0 < best < 8
    assert np.all(np.diff(far[: best + 1]) > 0)
    assert far[best + 1] < far[best]
    # looking further ahead never asks for more posts
    bests = [
        int(np.argmax(mech.sponsorship_value(k, 0, d, 1.0, _posts(k), **CHOICE)))
        for d in (0.0, 1.0, 7.2, 12.0, 50.0)
    ]
    assert bests == sorted(bests, reverse=True)
    assert bests[-1] < bests[0]


def test_sponsorship_value__off_topic_costs_more():
    k = np.arange(1.0, 9.0)
    on = mech.sponsorship_value(k, 0, 7.2, 1.0, _posts(k), **CHOICE)
    off = mech.sponsorship_value(k, 1, 7.2, 1.0, _posts(k), **CHOICE)
    assert np.all(off < on)
    # broadcasting over (k, o) as the influencers' table does
    table = mech.sponsorship_value(
        k[:, None], np.arange(3.0)[None], 7.2, 1.0, _posts(k)[:, None], **CHOICE
    )
    assert table.shape == (8, 3)
    assert np.all(np.diff(table, axis=1) < 0)
    # a myopic influencer is indifferent to the topic
    assert_allclose(mech.sponsorship_value(k, 2, 0.0, 1.0, _posts(k), **CHOICE), k)


# -- brands' budgets and own posts -----------------------------------------------------


def test_budget_shares_update():
    # target = allowed * exp(rate R) / sum; shares' = inertia s + (1 - inertia) target
    s = np.array([0.3, 0.35, 0.35])
    r = np.array([1.0, 2.0, 0.5])
    allowed = np.ones(3, bool)
    target = np.exp(r) / np.exp(r).sum()
    new = mech.budget_shares_update(s, r, allowed, 1.0, 0.5, 0.0)
    assert_allclose(new, 0.5 * s + 0.5 * target)
    assert new.sum() == pytest.approx(1.0)
    # weight moves toward the higher return
    assert new[1] > s[1] and new[2] < s[2]
    # inertia 1 keeps the split; inertia 0 jumps to the target
    assert_allclose(mech.budget_shares_update(s, r, allowed, 1.0, 1.0, 0.0), s)
    assert_allclose(mech.budget_shares_update(s, r, allowed, 1.0, 0.0, 0.0), target)
    # equal returns, inertia 0: an even split
    assert_allclose(mech.budget_shares_update(s, np.ones(3), allowed, 2.0, 0.0, 0.0), 1 / 3)


def test_budget_shares_update__rate_zero_keeps_the_split():
    s = np.array([0.3, 0.7, 0.0])
    out = mech.budget_shares_update(
        s, np.array([0.0, 0.0, 9.0]), np.array([1, 1, 0], bool), 0.0, 0.0, 0.2
    )
    assert_allclose(out, s)
    assert out is not s


def test_budget_shares_update__floor():
    # channels below the floor are raised to it, then the split is renormalised
    s = np.array([0.5, 0.5, 0.0])
    r = np.array([0.0, 10.0, 0.0])
    target = np.exp(r) / np.exp(r).sum()
    raised = np.maximum(target, 0.1)
    out = mech.budget_shares_update(s, r, np.ones(3, bool), 1.0, 0.0, 0.1)
    assert_allclose(out, raised / raised.sum())
    assert out[0] == pytest.approx(0.1 / (0.2 + target[1]))
    # repeated: the losers stay near the floor, never below floor / (1 + C floor)
    for _ in range(100):
        out = mech.budget_shares_update(out, r, np.ones(3, bool), 1.0, 0.5, 0.1)
    assert np.all(out >= 0.1 / 1.3)
    assert out[1] > 0.8


def test_budget_shares_update__disallowed_channels_get_nothing():
    s = np.array([0.6, 0.0, 0.4])
    allowed = np.array([True, False, True])
    out = mech.budget_shares_update(s, np.array([1.0, 50.0, 1.0]), allowed, 1.0, 0.0, 0.1)
    assert_allclose(out, [0.5, 0.0, 0.5])
    # even with a floor and a share wrongly on a disallowed channel
    out = mech.budget_shares_update(np.array([0.5, 0.2, 0.3]), np.ones(3), allowed, 1.0, 0.5, 0.1)
    assert out[1] == 0.0
    assert out.sum() == pytest.approx(1.0)


def test_budget_shares_update__channels_without_a_return_keep_their_share():
    s = np.array([0.2, 0.5, 0.3])
    r = np.array([np.nan, 1.0, 2.0])
    out = mech.budget_shares_update(s, r, np.ones(3, bool), 1.0, 0.0, 0.0)
    w = np.exp([1.0, 2.0])
    assert_allclose(out, [0.2, *(0.8 * w / w.sum())])
    # no return observed anywhere: nothing moves
    out = mech.budget_shares_update(s, np.full(3, np.nan), np.ones(3, bool), 1.0, 0.3, 0.0)
    assert_allclose(out, s)


def test_budget_shares_update__rows_are_brands():
    s = np.array([[0.3, 0.35, 0.35], [0.5, 0.5, 0.0]])
    r = np.array([[1.0, 2.0, 0.5], [np.nan, 3.0, 1.0]])
    allowed = np.array([[True, True, True], [True, True, False]])
    out = mech.budget_shares_update(s, r, allowed, 1.5, 0.6, 0.05)
    for b in range(2):
        assert_allclose(out[b], mech.budget_shares_update(s[b], r[b], allowed[b], 1.5, 0.6, 0.05))
    assert_allclose(out.sum(axis=1), 1.0)


def test_paid_reach():
    # reach = spend_per_day * 1000 / (cpm * people), clipped to [0, 1]
    assert mech.paid_reach(80.0, 8.0, 1_000_000) == pytest.approx(0.01)
    assert mech.paid_reach(0.0, 8.0, 1_000_000) == 0.0
    assert_allclose(mech.paid_reach(np.array([0.0, 40.0, 1e9]), 8.0, 1_000_000), [0, 0.005, 1])


def test_own_reach():
    # reach = min(1, base + paid) * (1 - demotion) from change_step on
    assert mech.own_reach(0.0, 0.02, 0.8, 9, 10) == pytest.approx(0.02)
    assert mech.own_reach(0.0, 0.02, 0.8, 10, 10) == pytest.approx(0.004)
    assert mech.own_reach(0.01, 0.02, 0.5, 400, 10) == pytest.approx(0.015)
    assert mech.own_reach(0.6, 0.7, 0.8, 10, 0) == pytest.approx(0.2)  # capped at 1 first
    assert mech.own_reach(0.02, 0.0, 1.0, 10, 0) == 0.0
    assert_allclose(mech.own_reach(0.2, np.array([0.0, 0.1]), 0.5, 0, 0), [0.1, 0.15])


# -- followers' friends ------------------------------------------------------------------


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


# -- the population scale and audiences ------------------------------------------------


def test_people_per_follower():
    # w = people / n_followers
    assert mech.people_per_follower(4_000_000, 100_000) == 40.0
    assert mech.people_per_follower(60_000, 600) == 100.0
    assert mech.people_per_follower(7, 2) == 3.5
    assert isinstance(mech.people_per_follower(10, 10), float)
    assert mech.people_per_follower(5, 0) == 5.0  # no followers: guarded, not a division by 0


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


def test_size_interpolation__fame_costs_trust_through_the_celebrity_tier():
    """Baseline trust (0.82 at 500 followers to 0.04 at 1M, the defaults) and topicality
    (0.9 to 0.15) keep falling past the celebrity boundary (500k) up to fame_size."""
    n = np.geomspace(500, 1e6, 40)
    for small, large in ((0.82, 0.04), (0.9, 0.15)):
        x = mech.size_interpolation(n, small, large, 500, 1e6)
        assert np.all(np.diff(x) < 0)
        celeb = mech.size_interpolation(np.array([5e5, 7e5, 1e6]), small, large, 500, 1e6)
        assert np.all(np.diff(celeb) < 0)
        assert celeb[-1] == pytest.approx(large)
    # trust at the celebrity boundary: log(1000) / log(2000) of the way down
    b = mech.size_interpolation(5e5, 0.82, 0.04, 500, 1e6)
    assert b == pytest.approx(0.82 - 0.78 * math.log(1000) / math.log(2000))


def test_tier_index():
    bounds = (500, 5_000, 50_000, 500_000)
    n = [1, 499, 500, 4_999, 5_000, 49_999, 50_000, 499_999, 500_000, 10**9]
    expected = [NANO, NANO, MICRO, MICRO, MID, MID, MACRO, MACRO, CELEBRITY, CELEBRITY]
    assert mech.tier_index(n, bounds).tolist() == expected
    assert mech.tier_index(5_000, bounds) == MID
    assert mech.tier_index(499.5, bounds) == NANO
