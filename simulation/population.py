"""Who is in the market: followers' interests, influencers' audience sizes and audiences.

Population draws live here, apart from the social graph (``network.py``): every function
takes the run's one Generator and draws in a fixed order.
"""

from __future__ import annotations

import numpy as np

from . import mechanisms as mech
from .config import Config
from .network import sorted_unique

__all__ = ["draw_audience_sizes", "draw_audiences", "draw_interests"]


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


def draw_audience_sizes(cfg: Config, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Nominal audience sizes and tiers of all influencers, smallest tier first.

    Within a tier, sizes follow a power law of exponent ``influencers.audience_exponent``
    truncated to the tier's bounds (inverse-CDF draw):
    ``N = lo * (1 - u (1 - (hi/lo)^(1-a)))^(1/(1-a))``. Source: Kwak et al. 2010.
    """
    i = cfg.influencers
    bounds = [i.nano_min, i.micro_min, i.mid_min, i.macro_min, i.celebrity_min, i.celebrity_max]
    counts = [i.n_nano, i.n_micro, i.n_mid, i.n_macro, i.n_celebrity]
    a = i.audience_exponent
    sizes, tiers = [], []
    for t, c in enumerate(counts):
        lo, hi = bounds[t], bounds[t + 1]
        u = rng.random(c)
        n = lo * (1 - u * (1 - (hi / lo) ** (1 - a))) ** (1 / (1 - a))
        sizes.append(np.minimum(np.floor(n), hi - 1))
        tiers.append(np.full(c, t, dtype=np.int8))
    return np.concatenate(sizes), np.concatenate(tiers)


def _sample_distinct(pool_size: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct indices drawn uniformly from ``range(pool_size)``."""
    have = np.zeros(0, dtype=np.int64)
    k = min(k, pool_size)
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow edges (follower, influencer) with topic homophily, and each audience's weight.

    Influencer j of nominal size N_j gets ``S_j = max(1, round(N_j / w_j))`` sampled
    followers, ``w_j`` from :func:`mechanisms.audience_weight`. A Binomial(S_j, h_j) share
    comes from followers whose primary topic is the influencer's, h_j from
    :func:`mechanisms.size_interpolation`; the rest from followers of other topics, all
    distinct.
    Returns (src follower, dst influencer, weight per influencer).
    """
    inf = cfg.influencers
    weight = mech.audience_weight(sizes, inf.audience_cap)
    sampled = np.maximum(1, np.rint(sizes / weight)).astype(np.int64)
    homophily = mech.size_interpolation(
        sizes, inf.homophily_small, inf.homophily_large, inf.micro_min, inf.mid_min
    )
    n = topics.size
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
        return np.zeros(0, np.int64), np.zeros(0, np.int64), weight
    return np.concatenate(srcs), np.concatenate(dsts), weight
