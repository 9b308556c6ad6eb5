"""Who is in the market: followers' interests, sensitivity and susceptibility; influencers'
audience sizes, authenticity and audiences.

Population draws live here, apart from the social graph (``network.py``): every function
takes the run's one Generator, and ``state.build_state`` and ``MarketModel`` call them in a
fixed order (docs/ODD.md section 5).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from . import mechanisms as mech
from .config import Config
from .network import sorted_unique

__all__ = [
    "ACCOUNT_SIZE_CCDF",
    "account_size_ccdf",
    "account_size_quantile",
    "draw_audience_sizes",
    "draw_audiences",
    "draw_beta",
    "draw_interests",
    "draw_sensitivity",
    "draw_susceptibility",
    "tier_shares",
]


def draw_interests(
    n: int, n_topics: int, concentration: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Followers' interests: ``interest[f, k] = G[f, k] / max_k G[f, k]``, G ~ Gamma(alpha).

    The primary topic (interest 1) is uniform over topics; secondary interests are the
    Dirichlet(alpha) draw scaled to the primary, so small alpha means narrow interests.
    Returns (interest as float32 n x K, primary topic as int16).
    """
    gam = rng.standard_gamma(concentration, size=(n, n_topics))
    gam = np.maximum(gam, np.finfo(np.float64).tiny)
    primary = gam.argmax(axis=1)
    interest = (gam / gam[np.arange(n), primary][:, None]).astype(np.float32)
    return interest, primary.astype(np.int16)


def draw_sensitivity(n: int, mean: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Followers' sensitivity to commercial content (it multiplies their trust erosion):
    ``LogNormal(mu, sigma)`` with ``mu = log(mean) - sigma^2 / 2``, so that its mean is
    ``mean``; all zero, with no draw, when the mean is 0. Returns float32.

    Parameters: ``population.sensitivity_mean``, ``population.sensitivity_sigma``.
    Source: assumption (a log-normal spread of a positive multiplier).
    """
    if mean > 0:
        mu = np.log(mean) - sigma**2 / 2
        return rng.lognormal(mu, sigma, n).astype(np.float32)
    return np.zeros(n, np.float32)


def draw_susceptibility(cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Followers' purchase propensity: ``Beta(mean * c, (1 - mean) * c)``, exactly 0 or 1
    when the mean is 0 or 1. Returns float32.

    Parameters: ``population.susceptibility_mean`` (mean) and
    ``population.susceptibility_concentration`` (c). Source: the mean from HelloSociety 2018
    (docs/ODD.md 7.2); the spread an assumption. ``rng.beta`` takes a number of uniforms that
    depends on its parameters, so the model draws this last, after the ties, and a change of
    these parameters leaves the rest of the market as it was.
    """
    pop = cfg.population
    n = pop.n_followers
    m = min(max(pop.susceptibility_mean, 1e-9), 1.0 - 1e-9)
    c = pop.susceptibility_concentration
    draw = rng.beta(m * c, (1.0 - m) * c, n)
    if pop.susceptibility_mean <= 0.0:
        draw = np.zeros(n)
    elif pop.susceptibility_mean >= 1.0:
        draw = np.ones(n)
    return draw.astype(np.float32)


def draw_beta(mean, concentration: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Beta draws with the given mean(s) and concentration (a + b), by inverse CDF:
    ``x = I^-1(u; mean * concentration, (1 - mean) * concentration)``, one uniform u each;
    exactly 0 or 1 at mean 0 or 1.

    Drawn from exactly ``size`` uniforms, so the draws that follow in the run's one
    Generator do not depend on the Beta's parameters (a sweep over a mean leaves the rest of
    the market as it was: common random numbers). The model draws influencers' authenticity
    with it (``influencers.authenticity_mean``, ``influencers.authenticity_concentration``).
    """
    mean = np.broadcast_to(np.asarray(mean, dtype=np.float64), (size,))
    m = np.clip(mean, 1e-9, 1.0 - 1e-9)
    u = rng.random(size)
    draw = betaincinv(m * concentration, (1.0 - m) * concentration, u)
    return np.where(mean <= 0.0, 0.0, np.where(mean >= 1.0, 1.0, draw))


#: Published distribution of accounts by follower count, as the share of accounts with at
#: least 1,000 followers that have at least x followers (x, share). Sources: Influencer
#: Marketing Hub, Influencer Marketing Benchmark Report 2025 (HypeAuditor data, Instagram):
#: 75.9% of influencers have 1k-10k followers and 13.6% 10k-50k; NinjaOutreach 2017 (7.3M
#: Instagram profiles): 2,015,533 have more than 1,000 followers, 89,694 more than 100,000 and
#: 430 more than 10 million.
ACCOUNT_SIZE_CCDF: tuple[tuple[float, float], ...] = (
    (1e3, 1.0),
    (1e4, 0.241),
    (5e4, 0.105),
    (1e5, 89_694 / 2_015_533),
    (1e7, 430 / 2_015_533),
)


def _ccdf_knots() -> tuple[np.ndarray, np.ndarray]:
    """log x and log share of the anchors, extended to 1 and 1e12 along the end slopes."""
    a = np.array(ACCOUNT_SIZE_CCDF)
    lx, lg = np.log(a[:, 0]), np.log(a[:, 1])
    s0 = (lg[1] - lg[0]) / (lx[1] - lx[0])
    s1 = (lg[-1] - lg[-2]) / (lx[-1] - lx[-2])
    lo, hi = 0.0, np.log(1e12)
    return (
        np.concatenate([[lo], lx, [hi]]),
        np.concatenate([[lg[0] + s0 * (lo - lx[0])], lg, [lg[-1] + s1 * (hi - lx[-1])]]),
    )


def account_size_ccdf(x) -> np.ndarray:
    """Share of accounts with at least ``x`` followers, relative to those with 1,000.

    ``G(x)`` is log-linear in log x between the anchors of :data:`ACCOUNT_SIZE_CCDF` (a
    power law on each segment) and extends the end segments' slopes beyond them (below
    1,000 followers no source counts accounts; the 1k-10k slope is carried down).
    """
    lx, lg = _ccdf_knots()
    return np.exp(np.interp(np.log(np.asarray(x, dtype=np.float64)), lx, lg))


def account_size_quantile(g) -> np.ndarray:
    """Inverse of :func:`account_size_ccdf`: the follower count x with ``G(x) = g``."""
    lx, lg = _ccdf_knots()
    return np.exp(np.interp(np.log(np.asarray(g, dtype=np.float64)), lg[::-1], lx[::-1]))


def tier_shares(bounds) -> np.ndarray:
    """Expected share of accounts in each tier ``[bounds[t], bounds[t+1])`` under
    :func:`account_size_ccdf` (the default tier counts are 3,000 accounts split by these)."""
    g = account_size_ccdf(bounds)
    return (g[:-1] - g[1:]) / (g[0] - g[-1])


def draw_audience_sizes(cfg: Config, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Audience sizes (people) and tiers of all influencers, smallest tier first.

    Tier t holds ``influencers.n_<tier>`` accounts; within the tier's bounds ``[lo, hi)``
    their sizes follow the published distribution (:func:`account_size_ccdf`), drawn by
    inverse CDF with one uniform u each: ``N = G^-1(G(lo) - u (G(lo) - G(hi)))``, floored.
    """
    bounds = cfg.influencers.tier_bounds
    sizes, tiers = [], []
    for t, c in enumerate(cfg.influencers.tier_counts):
        lo, hi = bounds[t], bounds[t + 1]
        g_lo, g_hi = account_size_ccdf([lo, hi])
        u = rng.random(c)
        n = account_size_quantile(g_lo - u * (g_lo - g_hi))
        sizes.append(np.clip(np.floor(n), lo, hi - 1))
        tiers.append(np.full(c, t, dtype=np.int8))
    return np.concatenate(sizes), np.concatenate(tiers)


def _sample_distinct(pool_size: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct indices drawn uniformly from ``range(pool_size)``."""
    k = min(k, pool_size)
    if k > pool_size // 4:
        return rng.permutation(pool_size)[:k]
    have = np.zeros(0, dtype=np.int64)
    while have.size < k:
        draw = rng.integers(0, pool_size, size=int((k - have.size) * 1.2) + 8)
        have = sorted_unique(np.concatenate([have, draw]))
    if have.size > k:
        have = have[rng.permutation(have.size)[:k]]
    return have


def draw_audiences(
    cfg: Config,
    topics: np.ndarray,
    sizes: np.ndarray,
    influencer_topic: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Follow edges (follower, influencer) with topic homophily.

    Every simulated follower stands for ``w = people / n_followers`` people
    (:func:`mechanisms.people_per_follower`), so influencer j with ``N_j`` followers gets
    ``S_j = floor(N_j / w) + Bernoulli(frac(N_j / w))`` simulated followers (unbiased
    rounding; at most n_followers). A Binomial(S_j, h_j) share comes from followers whose
    primary topic is the influencer's, h_j from :func:`mechanisms.size_interpolation` of
    ``homophily_small`` at ``micro_min`` to ``homophily_large`` at ``fame_size``; the rest from
    followers of other topics, all distinct. Returns (src follower, dst influencer).
    """
    inf = cfg.influencers
    n = topics.size
    w = mech.people_per_follower(cfg.population.people, n)
    exact = sizes / w
    sampled = np.floor(exact).astype(np.int64)
    sampled += rng.random(sizes.size) < exact - sampled
    sampled = np.minimum(sampled, n)
    homophily = mech.size_interpolation(
        sizes, inf.homophily_small, inf.homophily_large, inf.micro_min, inf.fame_size
    )
    order = np.argsort(topics, kind="stable")
    counts = np.bincount(topics, minlength=cfg.population.n_topics)
    starts = np.concatenate([[0], np.cumsum(counts)])
    srcs, dsts = [], []
    for j in range(sizes.size):
        k = int(influencer_topic[j])
        pool = order[starts[k] : starts[k + 1]]
        n_other = n - pool.size
        n_own = int(rng.binomial(sampled[j], homophily[j]))
        # where one side is too small for its share, the other side makes up the audience
        n_own = int(np.clip(n_own, sampled[j] - n_other, pool.size))
        own = pool[_sample_distinct(pool.size, n_own, rng)]
        # the rest from followers of other topics: positions of ``order`` outside block k
        pos = _sample_distinct(n_other, min(int(sampled[j]) - n_own, n_other), rng)
        rest = order[np.where(pos >= starts[k], pos + pool.size, pos)]
        chosen = np.concatenate([own, rest])
        srcs.append(chosen)
        dsts.append(np.full(chosen.size, j, dtype=np.int64))
    if not srcs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(srcs), np.concatenate(dsts)
