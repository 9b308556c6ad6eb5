"""Who is in the market: interests, the published distribution of account sizes, audiences
drawn on one population scale (every simulated follower stands for ``w`` people).

Statistical checks are seeded and sized so that a false failure needs about five standard
deviations; the sizes and tolerances say how in a comment.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import mechanisms as mech
from simulation.config import config_from_dict
from simulation.model import MarketModel
from simulation.population import (
    ACCOUNT_SIZE_CCDF,
    account_size_ccdf,
    account_size_quantile,
    draw_audience_sizes,
    draw_audiences,
    draw_beta,
    draw_interests,
    draw_sensitivity,
    draw_susceptibility,
    tier_shares,
)
from simulation.runner import run
from simulation.vocabulary import CELEBRITY, MICRO, NANO, TIERS


def test_draw_interests():
    n, k = 20_000, 8
    interest, primary = draw_interests(n, k, 0.3, np.random.default_rng(1))
    assert interest.shape == (n, k)
    assert np.all((interest >= 0) & (interest <= 1))
    np.testing.assert_array_equal(interest[np.arange(n), primary], 1.0)
    np.testing.assert_array_equal(interest.argmax(axis=1), primary)
    # primary topic uniform: each 1/8 of 20,000, sd ~ 47 -> +-240
    assert np.all(np.abs(np.bincount(primary, minlength=k) - n / k) < 240)


def test_draw_sensitivity_has_its_mean_and_draws_nothing_at_zero():
    rng = np.random.default_rng(1)
    x = draw_sensitivity(200_000, 1.5, 0.5, rng)
    assert x.dtype == np.float32 and np.all(x > 0)
    # sd 1.5 sqrt(e^0.25 - 1) = 0.80, so the mean of 200,000 has sd 0.0018: 0.01 is 5 sd
    assert x.mean() == pytest.approx(1.5, abs=0.01)
    before = rng.bit_generator.state
    assert not draw_sensitivity(10, 0.0, 0.5, rng).any()
    assert rng.bit_generator.state == before


def test_draw_beta_has_its_mean_and_leaves_later_draws_alone():
    x = draw_beta(0.3, 4.0, 100_000, np.random.default_rng(2))
    # variance 0.3 * 0.7 / 5: sd 0.205, the mean of 100,000 has sd 0.00065
    assert x.mean() == pytest.approx(0.3, abs=0.004)
    assert x.var() == pytest.approx(0.3 * 0.7 / 5, rel=0.03)
    assert np.all(draw_beta(0.0, 4.0, 5, np.random.default_rng(2)) == 0.0)
    assert np.all(draw_beta(1.0, 4.0, 5, np.random.default_rng(2)) == 1.0)
    # one uniform per draw whatever the parameters: common random numbers
    after = []
    for mean, c in ((0.1, 2.0), (0.8, 50.0)):
        rng = np.random.default_rng(3)
        draw_beta(mean, c, 7, rng)
        after.append(rng.random())
    assert after[0] == after[1]


def test_draw_susceptibility_has_its_mean_and_is_exact_at_zero_and_one():
    def draw(mean):
        pop = {"n_followers": 100_000, "susceptibility_mean": mean}
        pop["susceptibility_concentration"] = 8.0
        cfg = config_from_dict({"population": pop})
        return draw_susceptibility(cfg, np.random.default_rng(4))

    x = draw(0.24)
    assert x.dtype == np.float32
    # concentration 8: sd sqrt(0.24 * 0.76 / 9) = 0.142, the mean's sd 0.00045
    assert x.mean() == pytest.approx(0.24, abs=0.003)
    assert np.all(draw(0.0) == 0.0) and np.all(draw(1.0) == 1.0)


# -- the published distribution of account sizes -------------------------------------------


def test_account_size_ccdf_passes_through_the_published_anchors():
    # Influencer Marketing Hub 2025: 75.9% of accounts over 1k have 1k-10k followers, 13.6%
    # 10k-50k; NinjaOutreach 2017: 2,015,533 over 1k, 89,694 over 100k, 430 over 10M
    x = [1e3, 1e4, 5e4, 1e5, 1e7]
    expected = [1.0, 1 - 0.759, 1 - 0.759 - 0.136, 89_694 / 2_015_533, 430 / 2_015_533]
    np.testing.assert_allclose(account_size_ccdf(x), expected, rtol=1e-12)
    np.testing.assert_allclose(account_size_ccdf([a for a, _ in ACCOUNT_SIZE_CCDF]), expected)


def test_account_size_ccdf_is_a_power_law_between_anchors():
    # log-linear: the value at the geometric midpoint is the geometric mean of the ends
    assert account_size_ccdf(np.sqrt(1e3 * 1e4)) == pytest.approx(np.sqrt(0.241))
    assert account_size_ccdf(1e6) == pytest.approx(
        np.sqrt(account_size_ccdf(1e5) * 430 / 2_015_533)
    )
    # below 1,000 the 1k-10k slope carries on: ten times fewer followers, 1 / 0.241 the share
    assert account_size_ccdf(100) == pytest.approx(1 / 0.241)
    # beyond 10M the last slope carries on
    g = account_size_ccdf([1e5, 1e7, 1e9])
    assert g[2] / g[1] == pytest.approx(g[1] / g[0])
    x = np.geomspace(1, 1e11, 200)
    assert np.all(np.diff(account_size_ccdf(x)) < 0)


def test_account_size_quantile_inverts_the_ccdf():
    x = np.geomspace(1.5, 1e11, 101)
    np.testing.assert_allclose(account_size_quantile(account_size_ccdf(x)), x, rtol=1e-9)
    g = np.geomspace(1e-7, 10, 50)
    np.testing.assert_allclose(account_size_ccdf(account_size_quantile(g)), g, rtol=1e-9)


def test_tier_shares_give_the_default_tier_counts():
    cfg = config_from_dict({})
    i = cfg.influencers
    bounds = [*(getattr(i, f"{t}_min") for t in TIERS), i.celebrity_max]
    assert i.tier_bounds == tuple(bounds)
    shares = tier_shares(bounds)
    assert shares.sum() == pytest.approx(1.0)
    assert np.all(np.diff(shares) < 0)  # fewer accounts in every larger tier
    counts = [getattr(i, f"n_{t}") for t in TIERS]
    assert i.tier_counts == tuple(counts)
    assert sum(counts) == 3000
    # the defaults are 3,000 accounts split by these shares
    assert np.round(3000 * shares).astype(int).tolist() == counts
    g = account_size_ccdf(bounds)
    assert shares[1] == pytest.approx((g[1] - g[2]) / (g[0] - g[-1]))


def _tier_cfg(n_per_tier: int):
    counts = {f"n_{t}": n_per_tier for t in TIERS}
    return config_from_dict(
        {"population": {"n_followers": len(TIERS) * n_per_tier}, "influencers": counts}
    )


def test_draw_audience_sizes_follow_the_published_distribution_within_tiers():
    k = 4000
    cfg = _tier_cfg(k)
    inf = cfg.influencers
    sizes, tiers = draw_audience_sizes(cfg, np.random.default_rng(2))
    bounds = inf.tier_bounds
    assert tiers.tolist() == sorted(tiers.tolist())
    assert np.bincount(tiers).tolist() == [k] * len(TIERS)
    for t in range(len(TIERS)):
        lo, hi = bounds[t], bounds[t + 1]
        s = sizes[tiers == t]
        assert s.min() >= lo
        assert s.max() <= hi - 1
        assert np.all(s == np.floor(s))
        # P(N >= x | tier) = (G(x) - G(hi)) / (G(lo) - G(hi)); binomial count within 5 sd
        g_lo, g_hi = account_size_ccdf([lo, hi])
        for x in np.geomspace(lo, hi, 6)[1:-1]:
            p = (account_size_ccdf(x) - g_hi) / (g_lo - g_hi)
            sd = np.sqrt(k * p * (1 - p))
            assert abs((s >= x).sum() - k * p) < 5 * sd
        # right-skewed within every tier
        assert s.mean() > np.median(s)
    np.testing.assert_array_equal(mech.tier_index(sizes, bounds[1:-1]), tiers)


def test_draw_audience_sizes_with_empty_tiers():
    counts = {f"n_{t}": 0 for t in TIERS} | {"n_micro": 3, "n_celebrity": 2}
    cfg = config_from_dict({"influencers": counts})
    sizes, tiers = draw_audience_sizes(cfg, np.random.default_rng(0))
    assert tiers.tolist() == [MICRO] * 3 + [CELEBRITY] * 2
    assert np.all((sizes[:3] >= 500) & (sizes[:3] < 5000))
    assert np.all((sizes[3:] >= 500_000) & (sizes[3:] < 3_000_000))


# -- audiences on one scale --------------------------------------------------------------


def _audiences(sizes, n: int = 20_000, people: int = 4_000_000, seed: int = 4, **inf):
    cfg = config_from_dict(
        {
            "population": {"n_followers": n, "people": people},
            "influencers": {**{f"n_{t}": 0 for t in TIERS}, **inf},
            "brands": {"n_brands": 0},
        }
    )
    topics = draw_interests(n, cfg.population.n_topics, 0.3, np.random.default_rng(seed))[1]
    rng = np.random.default_rng(seed + 1)
    inf_topic = rng.integers(0, cfg.population.n_topics, sizes.size)
    src, dst = draw_audiences(cfg, topics, np.asarray(sizes, dtype=np.float64), inf_topic, rng)
    return cfg, topics, inf_topic, src, dst


def test_draw_audiences_whole_multiples_of_w_are_exact():
    # w = 4,000,000 / 20,000 = 200 people per simulated follower
    sizes = np.array([200.0, 400.0, 2_000.0, 1_000_000.0, 100.0 - 1e-9])
    *_, dst = _audiences(sizes)
    per = np.bincount(dst, minlength=sizes.size)
    assert per[:4].tolist() == [1, 2, 10, 5_000]
    assert per[4] in (0, 1)


def test_draw_audiences_rounds_without_bias():
    """S_j = floor(N_j / w) + Bernoulli(frac(N_j / w)): each count is one of the two
    neighbours of N_j / w and their sum is unbiased. 2,000 accounts of 130 people at w = 200
    (0.65 each) and 2,000 of 1,030 (5.15 each): the sum's sd is sqrt(2000 (0.65 * 0.35 +
    0.15 * 0.85)) = 26.6, so 5 sd is 133."""
    sizes = np.array([130.0] * 2000 + [1_030.0] * 2000)
    _, _, _, _, dst = _audiences(sizes)
    per = np.bincount(dst, minlength=sizes.size)
    assert set(per[:2000].tolist()) == {0, 1}
    assert set(per[2000:].tolist()) == {5, 6}
    expected = (sizes / 200).sum()
    assert abs(per.sum() - expected) < 133
    # each half on its own (sd 21.3 and 16.0)
    assert abs(per[:2000].sum() - 1300) < 107
    assert abs(per[2000:].sum() - 10_300) < 80


def test_draw_audiences_distinct_followers_and_capped_at_the_population():
    # an audience larger than the market's people is every simulated follower once
    sizes = np.array([500.0, 5_000.0, 60_000.0, 2e6, 3.9e6, 5e6])
    *_, src, dst = _audiences(sizes, n=2_000, people=2_000_000)
    per = np.bincount(dst, minlength=sizes.size)
    np.testing.assert_array_equal(per, [1, 5, 60, 2000, 2000, 2000])
    key = src.astype(np.int64) * sizes.size + dst
    assert np.unique(key).size == key.size
    assert src.min() >= 0 and src.max() < 2_000


def test_draw_audiences_homophily_one():
    sizes = np.full(20, 2_000.0)
    _, topics, inf_topic, src, dst = _audiences(sizes, homophily_small=1.0, homophily_large=1.0)
    assert np.all(topics[src] == inf_topic[dst])


def test_draw_audiences_on_topic_share_is_homophily():
    """400 accounts of micro_min (500) people and 8 of fame_size (3M) people at w = 40
    (100,000 followers for 4M people): about 5,000 edges at h = homophily_small 0.9 (sd
    0.0042 -> +-0.021) and 600,000 at h = homophily_large 0.15 (sd 0.0005 -> +-0.003)."""
    sizes = np.array([500.0] * 400 + [3e6] * 8)
    cfg, topics, inf_topic, src, dst = _audiences(sizes, n=100_000, people=4_000_000)
    on = topics[src] == inf_topic[dst]
    small = dst < 400
    assert np.bincount(dst)[400:].tolist() == [75_000] * 8
    assert on[small].mean() == pytest.approx(cfg.influencers.homophily_small, abs=0.021)
    assert on[~small].mean() == pytest.approx(cfg.influencers.homophily_large, abs=0.003)


def test_model_counts_are_in_one_unit(tiny):
    cfg = tiny()
    model = MarketModel(cfg, seed=3)
    st = model.state
    assert st.w == cfg.population.people / cfg.population.n_followers == 100.0
    np.testing.assert_allclose(st.follower_counts(), st.counts * 100.0)
    np.testing.assert_allclose(st.followers0, st.counts * 100.0)
    # every follow edge starts at its baseline (r = 1); the baseline falls from tier to tier
    e = st.edges
    assert np.all(e.trust[: e.n] == 1.0)
    by_tier = [st.trust0[st.tier == t].mean() for t in range(len(TIERS))]
    assert by_tier == sorted(by_tier, reverse=True)
    assert by_tier[NANO] == pytest.approx(0.82)


def test_engagement_per_person_does_not_depend_on_the_resolution():
    """The same market of 24 mid-tier accounts (2M people) simulated by 5,000 followers
    (400 people each) and by 20,000 (100 each), no brands, 60 days. Measured over 8 seeds:
    the ratio of the pooled engagement rates has mean 0.98 and sd 0.064 per seed; the mean
    of 12 seeds has sd 0.0185, so 0.1 is more than five sd (a count in simulated followers
    instead of people would be off by a factor of 4)."""

    def cfg(n):
        return config_from_dict(
            {
                "population": {"n_followers": n, "people": 2_000_000},
                "influencers": {f"n_{t}": 0 for t in TIERS} | {"n_mid": 24},
                "behaviour": {"discovery_rate": 0.0},
                "brands": {"n_brands": 0},
                "run": {"steps": 60},
            }
        )

    ratios = []
    for seed in range(12):
        rates = []
        for n in (5_000, 20_000):
            inf = run(cfg(n), seed=seed).influencers
            rates.append(inf["engagements"].sum() / inf["follower_posts"].sum())
        ratios.append(rates[0] / rates[1])
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.1)
