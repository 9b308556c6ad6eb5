"""The market's mechanisms, each a small pure function over numbers or numpy arrays.

Every function here is the single place its rule lives: the vectorized engine calls it on
arrays of millions of follow edges, the reference engine on one follower's numbers, and the
unit tests on hand-made values. Each docstring gives the formula, the parameters (the config
keys that feed them) and the source; ``docs/ODD.md`` repeats them section by section.

Notation: ``N`` followers of an influencer (nominal, real-world count), ``T`` trust of a
follower in an account it follows, ``fit`` a follower's interest in a topic (0..1), ``F`` ad
fatigue (0..1), ``s`` an influencer's commercial share (share of recent posts sponsored).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "adoption_hazard",
    "adoption_probability",
    "audience_weight",
    "commercial_excess",
    "commercial_share_update",
    "deal_capacity",
    "demand_multiplier_update",
    "earned_media_value",
    "engagement_probability",
    "exposure_update",
    "fatigue_level",
    "fit_term",
    "own_reach",
    "platform_fee",
    "post_value",
    "recognition_price",
    "relationship_overhead",
    "size_engagement",
    "size_interpolation",
    "tier_index",
    "trust_update",
    "unfollow_probability",
]


def size_engagement(followers, base: float, exponent: float):
    """Engagement falls with audience size.

    ``e(N) = base * (N / 1000) ** -exponent``

    Args:
        followers: nominal follower count N (> 0).
        base: ``behaviour.engagement_base``, engagement at 1,000 followers.
        exponent: ``behaviour.engagement_size_exponent`` (0.12 by default).

    Source: Markerly 2016's like rates by tier (about 8% under 1k, 4% at 1k-10k, 2.4% at
    10k-100k, 1.7% at 100k-10M) fall roughly as N^-0.18. Part of that fall comes from
    topicality and trust, which also fall with size (:func:`size_interpolation`), so the pure
    size exponent is calibrated lower; together they reproduce Markerly's rates.
    """
    return base * (np.asarray(followers, dtype=np.float64) / 1000.0) ** -exponent


def fit_term(fit, floor: float):
    """Topic fit multiplier of engagement: ``floor + (1 - floor) * fit``.

    Args:
        fit: the follower's interest in the influencer's topic, in [0, 1].
        floor: ``behaviour.fit_floor``, engagement multiplier of a follower with no interest.

    Source: assumption (the seed article: topical audiences engage more).
    """
    return floor + (1.0 - floor) * fit


def engagement_probability(size_term, fit_mult, trust, fatigue, sponsored):
    """Probability a follower who sees a post engages with it.

    ``p = e(N) * fit_term * T * (1 - F * sponsored)``, clipped to [0, 1].

    Organic posts are not subject to fatigue; a sponsored post is engaged with as much as an
    organic one by a follower with no fatigue (J. Interactive Advertising 2022: a single
    sponsored post carries no per-post penalty; the penalty comes through trust and tune-out).

    Args:
        size_term: :func:`size_engagement` of the poster.
        fit_mult: :func:`fit_term` of the follower for the poster's topic.
        trust: T in [0, 1].
        fatigue: F in [0, 1], from :func:`fatigue_level`.
        sponsored: 1 for a sponsored post, 0 for an organic one.
    """
    p = size_term * fit_mult * trust * (1.0 - fatigue * sponsored)
    return np.clip(p, 0.0, 1.0)


def adoption_probability(susceptibility, trust, fit):
    """Probability that a follower who engaged with a sponsored post adopts the product.

    ``p = susceptibility * T * fit``: a fully trusting follower with full interest in the
    product's category acts on it with probability equal to its susceptibility, whose mean
    is ``population.susceptibility_mean``.

    Source: Experticity / Keller Fay 2016: 82% are highly likely to follow a micro
    influencer's recommendation.
    """
    return np.clip(susceptibility * trust * fit, 0.0, 1.0)


def commercial_share_update(share, posted, sponsored, memory: float):
    """Accumulated commercial share: an exponential moving average over posts.

    ``s' = s + (sponsored - s) / memory`` on days the account posts, ``s' = s`` otherwise.

    Args:
        share: current share s in [0, 1].
        posted: 1 if the account posted today.
        sponsored: 1 if today's post was sponsored.
        memory: ``behaviour.share_memory``, posts over which followers remember.

    Source: J. Interactive Advertising 2022 (64k posts): followers penalise the accumulated
    commercial share, not the single post.
    """
    return share + posted * (sponsored - share) / memory


def commercial_excess(share, tolerance: float):
    """How far the commercial share exceeds what followers tolerate: ``max(0, s - tol)``.

    Source: Wearisma 2018: about 2% of posts are sponsored, and 90% of sponsoring influencers
    stay at 5% or less; followers tolerate the typical share (``behaviour.share_tolerance``
    0.02 by default).
    """
    return np.maximum(0.0, share - tolerance)


def trust_update(
    trust,
    seen,
    organic,
    offtopic,
    excess,
    sensitivity,
    rebuild: float,
    erosion: float,
    offtopic_penalty: float,
    baseline=1.0,
):
    """Trust in an account after one day.

    ``T' = T + rebuild * seen*organic * (B - T)
             - sensitivity * (erosion * excess * seen + offtopic_penalty * seen*offtopic) * T``,
    clipped to [0, 1]. Organic posts pull trust back toward the baseline B, the usual trust
    in an account of that size (its followers' mean initial trust); commercial excess and
    off-topic endorsements wear it down. Without sponsorship trust settles at B, so an
    ordinary market is stationary. Nothing changes on a day the follower sees no post of the
    account.

    Args:
        trust: T before the day.
        seen: 1 if the follower saw the account's post today.
        organic: 1 if that post was organic.
        offtopic: 1 if it was a sponsored post for a product off the account's topic.
        excess: :func:`commercial_excess` of the account.
        sensitivity: the follower's sensitivity to commercial content.
        rebuild: ``behaviour.trust_rebuild``.
        erosion: ``behaviour.trust_erosion``.
        offtopic_penalty: ``behaviour.offtopic_penalty``.
        baseline: B, from :func:`size_interpolation` of ``behaviour.trust_init_small`` and
            ``trust_init_large``.

    Sources: Eisend et al. 2020 (disclosed sponsorship lowers credibility); Takumi 2019
    (disingenuous, off-topic endorsements); J. Interactive Advertising 2022 (accumulated share).
    """
    gain = rebuild * seen * organic * (baseline - trust)
    loss = sensitivity * (erosion * excess * seen + offtopic_penalty * seen * offtopic) * trust
    return np.clip(trust + gain - loss, 0.0, 1.0)


def unfollow_probability(trust, threshold: float, rate: float):
    """Probability of unfollowing an account, drawn each time a follower sees one of its posts.

    ``p = rate * clip((threshold - T) / threshold, 0, 1)``: zero while trust is at or above
    the threshold, rising linearly to ``rate`` at zero trust.

    Source: Rakuten 2019 (33% have unfollowed an influencer for too much sponsored content);
    Takumi 2019 (72% would for disingenuous endorsements).
    """
    if threshold <= 0:
        return np.zeros_like(np.asarray(trust, dtype=np.float64))
    return rate * np.clip((threshold - trust) / threshold, 0.0, 1.0)


def exposure_update(exposures, new_exposures, decay: float):
    """Remembered sponsored exposures, across all accounts: ``E' = decay * E + new``.

    Args:
        exposures: E, the follower's decayed count of sponsored posts seen.
        new_exposures: sponsored posts seen today.
        decay: ``behaviour.fatigue_decay``.
    """
    return decay * exposures + new_exposures


def fatigue_level(exposures, scale: float):
    """Ad fatigue (tune-out of sponsored content): ``F = 1 - exp(-E / scale)``.

    Source: Schmidt & Eisend 2015 (attitude to an advertised brand peaks near 10 exposures,
    then declines): ``behaviour.fatigue_scale`` 10.
    """
    return 1.0 - np.exp(-np.asarray(exposures, dtype=np.float64) / scale)


def recognition_price(
    followers, engagement_ratio, price_per_k: float, exponent: float, quality_elasticity: float
):
    """Price of a sponsored post from recognition, before demand.

    ``price = price_per_k * (N / 1000) ** exponent * ratio ** quality_elasticity``, where
    ratio is the account's recent engagement rate over the rate expected of it at creation
    (its size, audience fit and baseline trust then).

    Source: calibrated so that the baseline market's mean prices match Klear's survey of
    2,500+ influencers (about $41 a post at 500-5k followers, $3,138 over 500k): exponent 0.5
    and $50 at 1,000 followers by default; Mediakix 2017's $10 per 1,000 followers is the
    special case exponent 1, price_per_k 10.
    """
    n = np.maximum(np.asarray(followers, dtype=np.float64), 1.0)
    ratio = np.maximum(np.asarray(engagement_ratio, dtype=np.float64), 1e-6)
    return price_per_k * (n / 1000.0) ** exponent * ratio**quality_elasticity


def demand_multiplier_update(multiplier, offers, capacity, rate: float, lo: float, hi: float):
    """Competition among brands: the demand multiplier of an account's price.

    ``m' = clip(m * exp(rate * (offers - capacity) / max(capacity, 1)), lo, hi)``: it rises
    when more brands ask than the account will take, falls when offers dry up, and holds when
    offers match capacity. Accounts that take no deals (capacity 0) keep their multiplier.
    """
    capacity = np.asarray(capacity, dtype=np.float64)
    step = np.exp(rate * (np.asarray(offers) - capacity) / np.maximum(capacity, 1.0))
    new = np.clip(multiplier * step, lo, hi)
    return np.where(capacity > 0, new, multiplier)


def relationship_overhead(n_relationships, cost: float, uses_platform, overhead_cut: float):
    """Brand's cost of managing relationships for a period.

    ``overhead = n * cost * (1 - overhead_cut * uses_platform)``.

    Source: the seed article: search, negotiation, briefing and tracking make many small
    relationships costly; platforms exist to cut that cost.
    """
    return n_relationships * cost * (1.0 - overhead_cut * uses_platform)


def platform_fee(price, fee_rate: float, uses_platform):
    """Platform's fee on a deal: ``fee = fee_rate * price * uses_platform``."""
    return fee_rate * price * uses_platform


def own_reach(base: float, demotion: float, step: int, change_step: int) -> float:
    """Reach of a brand's own post after the feed algorithm.

    ``reach = base * (1 - demotion)`` from ``change_step`` on, ``base`` before.

    Source: the seed article (platforms demote brands' own posts, which is why brands turn
    to influencers).
    """
    return base * (1.0 - demotion) if step >= change_step else base


def adoption_hazard(external, q: float, adopted_friend_share):
    """Daily adoption hazard from outside influence and imitation (Bass 1969).

    ``h = min(1, p + q * A)`` where p is the external influence (a brand's own posts), q the
    imitation coefficient (``behaviour.wom_q``) and A the adopted share of one's friends. On a
    complete graph A is the adopted share of the population and the expected adopted share
    follows the Bass recursion ``F' = F + (p + q F)(1 - F)``.

    Source: Bass 1969; Sultan, Farley & Lehmann 1990 (p about 0.03, q about 0.38).
    """
    return np.minimum(1.0, external + q * adopted_friend_share)


def audience_weight(followers, cap: int):
    """Real followers each simulated follow edge stands for: ``w = max(1, N / cap)``.

    A celebrity's million followers are simulated by ``cap`` sampled follow edges of weight
    N/cap; rates (engagement per follower, trust, unfollow share) are unbiased under the
    sampling and counts are the weighted sums (tested).
    """
    return np.maximum(1.0, np.asarray(followers, dtype=np.float64) / cap)


def size_interpolation(followers, small: float, large: float, n_small: float, n_large: float):
    """A trait of an audience that changes with its size, log-linear in N.

    ``x = small + (large - small) * clip(log(N / n_small) / log(n_large / n_small), 0, 1)``.
    Used for homophily (share of an audience drawn from the influencer's own topic: small
    audiences are topical, celebrity audiences broad; the seed article) and for initial trust
    (followers of small accounts trust them more; Experticity / Keller Fay 2016).
    """
    x = np.log(np.asarray(followers, dtype=np.float64) / n_small) / np.log(n_large / n_small)
    return small + (large - small) * np.clip(x, 0.0, 1.0)


def deal_capacity(authenticity, cap: int):
    """Sponsored posts an influencer accepts per period: ``round(cap * (1 - authenticity))``.

    Source: Fainmesser & Galeotti 2021: influencers trade endorsement revenue against their
    audience's engagement; authentic ones take fewer deals.
    """
    return np.rint(cap * (1.0 - np.asarray(authenticity, dtype=np.float64))).astype(np.int64)


def post_value(
    followers,
    engagement_rate,
    reach: float,
    match,
    value_per_impression: float,
    value_per_engagement: float,
    margin: float,
    uptake: float,
):
    """A brand's expected value of one sponsored post (what it ranks accounts by).

    ``V = N * (reach * v_imp + er * (v_eng + margin * uptake * match))``, with ``er`` the
    account's recent engagement rate per follower per post and ``match`` the expected
    interest of its audience in the brand's category.
    """
    return followers * (
        reach * value_per_impression
        + engagement_rate * (value_per_engagement + margin * uptake * match)
    )


def earned_media_value(
    impressions, engagements, value_per_impression: float, value_per_engagement: float
):
    """Earned media value: ``EMV = impressions * v_imp + engagements * v_eng``.

    EMV prices attention (what the same impressions and engagements would cost as paid
    media), not sales. Source: Tomoson 2015 ($6.50 EMV per $1 spent); RhythmOne 2016.
    """
    return impressions * value_per_impression + engagements * value_per_engagement


def tier_index(followers, bounds):
    """Tier of an audience: 0 nano, 1 micro, 2 mid, 3 macro, 4 celebrity.

    ``bounds`` are the lower boundaries of micro, mid, macro and celebrity.
    """
    return np.searchsorted(np.asarray(bounds), followers, side="right")
