"""The market's mechanisms, each a small pure function over numbers or numpy arrays.

Every function here is the single place its rule lives: the vectorized engine calls it on
arrays of millions of follow edges, the reference engine on one follower's numbers, the
brands and influencers on their candidates, and the unit tests on hand-made values. Each
docstring gives the formula, the parameters (the config keys that feed them) and the source;
``docs/ODD.md`` repeats them section by section.

Notation: ``N`` followers of an influencer (people), ``B`` the baseline trust of an account's
audience (falls with N), ``r`` a follower's trust relative to that baseline (1 at rest, so the
trust in the account's recommendations is ``T = r * B``), ``fit`` a follower's interest in a
topic (0..1), ``F`` ad fatigue (0..1), ``s`` an influencer's commercial share (share of recent
posts sponsored), ``k`` sponsored posts per period, ``o`` of them off-topic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

__all__ = [
    "adoption_hazard",
    "adoption_probability",
    "budget_shares_update",
    "commercial_excess",
    "commercial_share_update",
    "deal_cost",
    "demand_multiplier_update",
    "earned_media_value",
    "engagement_probability",
    "expected_post_sales",
    "exposure_update",
    "fatigue_level",
    "fit_term",
    "own_reach",
    "paid_reach",
    "people_per_follower",
    "platform_fee",
    "recognition_price",
    "relationship_overhead",
    "retained_share",
    "size_engagement",
    "size_interpolation",
    "sponsorship_value",
    "steady_trust",
    "tier_index",
    "trust_update",
    "unfollow_probability",
]


# -- followers ---------------------------------------------------------------------------


def size_engagement(followers, base: float, exponent: float):
    """Engagement falls with audience size.

    ``e(N) = base * (N / 1000) ** -exponent``

    Args:
        followers: follower count N (> 0), in people.
        base: ``behaviour.engagement_base``, engagement at 1,000 followers.
        exponent: ``behaviour.engagement_size_exponent``.

    Source: Markerly 2016's like rates by tier (about 8% under 1k, 4% at 1k-10k, 2.4% at
    10k-100k, 1.7% at 100k-10M) fall roughly as N^-0.18. Part of that fall comes from
    topicality, which also falls with size (:func:`size_interpolation`), so the pure size
    exponent is calibrated lower; together they reproduce Markerly's rates.
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

    ``p = e(N) * fit_term * r * (1 - F * sponsored)``, clipped to [0, 1].

    ``r`` is trust relative to the account's baseline: a follower at rest engages at the
    rate of an account of its size, and one whose trust has eroded engages less. The level of
    trust in recommendations (``B``) does not enter: celebrity audiences like posts they would
    not buy from. Organic posts are not subject to fatigue; a sponsored post is engaged with
    as much as an organic one by a follower with no fatigue (Journal of Interactive
    Advertising 2022: a single sponsored post carries no per-post penalty; the penalty comes
    through trust and tune-out).

    Args:
        size_term: :func:`size_engagement` of the poster.
        fit_mult: :func:`fit_term` of the follower for the poster's topic.
        trust: r in [0, 1], trust relative to the baseline.
        fatigue: F in [0, 1], from :func:`fatigue_level`.
        sponsored: 1 for a sponsored post, 0 for an organic one.
    """
    p = size_term * fit_mult * trust * (1.0 - fatigue * sponsored)
    return np.clip(p, 0.0, 1.0)


def adoption_probability(susceptibility, trust, fit):
    """Probability that a follower who engaged with a sponsored post buys the product.

    ``p = susceptibility * T * fit`` with ``T = r * B`` the trust in the account's
    recommendations and ``fit`` the follower's interest in the product's category. A follower
    who fully trusts the account and is fully interested buys with probability equal to its
    susceptibility (mean ``population.susceptibility_mean``).

    Sources: trust levels from Experticity / Keller Fay 2016 (82% would follow a micro
    influencer's recommendation) and ExpertVoice 2018 (4% trust celebrities); the mean
    susceptibility from HelloSociety 2018 (consumers who like influencer content buy after
    about five branded posts: one in five per engaged post for a receptive follower).
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

    Source: Journal of Interactive Advertising 2022 (64k posts): followers penalise the
    accumulated commercial share, not the single post.
    """
    return share + posted * (sponsored - share) / memory


def commercial_excess(share, tolerance: float):
    """How far the commercial share exceeds what followers tolerate: ``max(0, s - tol)``.

    Source: Wearisma 2018: about 2% of posts are sponsored, and 90% of sponsoring influencers
    stay at 5% or less; followers tolerate the typical share (``behaviour.share_tolerance``).
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
):
    """Relative trust in an account after one day.

    ``r' = r + rebuild * seen*organic * (1 - r)
             - sensitivity * (erosion * excess * seen + offtopic_penalty * seen*offtopic) * r``,
    clipped to [0, 1]. Organic posts pull trust back toward the follower's baseline (r = 1);
    commercial excess and off-topic endorsements wear it down. A follower at its baseline who
    sees no commercial excess stays there, so a market without sponsorship is stationary from
    the first day. Nothing changes on a day the follower sees no post of the account.

    Args:
        trust: r before the day.
        seen: 1 if the follower saw the account's post today.
        organic: 1 if that post was organic.
        offtopic: 1 if it was a sponsored post for a product off the account's topic.
        excess: :func:`commercial_excess` of the account.
        sensitivity: the follower's sensitivity to commercial content.
        rebuild: ``behaviour.trust_rebuild``.
        erosion: ``behaviour.trust_erosion``.
        offtopic_penalty: ``behaviour.offtopic_penalty``.

    Sources: Eisend et al. 2020 (disclosed sponsorship lowers credibility); Takumi 2019
    (disingenuous, off-topic endorsements); Journal of Interactive Advertising 2022 (accumulated
    share).
    """
    gain = rebuild * seen * organic * (1.0 - trust)
    loss = sensitivity * (erosion * excess * seen + offtopic_penalty * seen * offtopic) * trust
    return np.clip(trust + gain - loss, 0.0, 1.0)


def unfollow_probability(trust, threshold: float, rate: float):
    """Probability of unfollowing an account, drawn each time a follower sees one of its posts.

    ``p = rate * clip((threshold - r) / threshold, 0, 1)``: zero while relative trust is at or
    above the threshold (``behaviour.unfollow_threshold``, a share of the follower's baseline
    trust), rising linearly to ``rate`` at zero trust. Followers unfollow because they lost
    trust, not because the account is famous: a celebrity's follower at rest stays.

    Source: Rakuten 2019 (33% have unfollowed an influencer for too much sponsored content)
    and Takumi 2019 (72% would for disingenuous endorsements) are the patterns it must show;
    the threshold and rate are assumptions.
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
    e = np.asarray(exposures)
    if not np.issubdtype(e.dtype, np.floating):
        e = e.astype(np.float64)
    return 1.0 - np.exp(-e / scale)


def adoption_hazard(external, q: float, adopted_friend_share):
    """Daily adoption hazard from outside influence and imitation (Bass 1969).

    ``h = min(1, p + q * A)`` where p is the external influence (a brand's own posts), q the
    imitation coefficient (``behaviour.wom_q``) and A the adopted share of one's friends. On a
    complete graph A is the adopted share of the population and the expected adopted share
    follows the Bass recursion ``F' = F + (p + q F)(1 - F)``.

    Source: Bass 1969; Sultan, Farley & Lehmann 1990 (p about 0.03, q about 0.38).
    """
    return np.minimum(1.0, external + q * adopted_friend_share)


# -- the population scale -----------------------------------------------------------------


def people_per_follower(people: int, n_followers: int) -> float:
    """People each simulated follower stands for: ``w = people / n_followers``.

    One scale for every account and every count: a simulated follow edge is ``w`` people
    following, a simulated adoption ``w`` customers, and a follower's fatigue is the fatigue
    of the ``w`` people it stands for whatever accounts it follows. An account with N
    followers has about ``N / w`` simulated followers; more simulated followers resolve the
    same market more finely (``population.people``, ``population.n_followers``).
    """
    return float(people) / max(int(n_followers), 1)


def size_interpolation(followers, small: float, large: float, n_small: float, n_large: float):
    """A trait of an audience that changes with its size, log-linear in N.

    ``x = small + (large - small) * clip(log(N / n_small) / log(n_large / n_small), 0, 1)``.
    Used for homophily (share of an audience from the influencer's own topic: small audiences
    are topical, celebrity audiences broad; the seed article) and for baseline trust (82% would
    follow a micro influencer's recommendation, Experticity / Keller Fay 2016; 4% trust
    celebrities, ExpertVoice 2018), both from ``influencers.micro_min`` to
    ``influencers.fame_size``.
    """
    x = np.log(np.asarray(followers, dtype=np.float64) / n_small) / np.log(n_large / n_small)
    return small + (large - small) * np.clip(x, 0.0, 1.0)


def tier_index(followers, bounds):
    """Tier of an audience, an index into ``vocabulary.TIERS``: 0 nano, 1 micro, 2 mid,
    3 macro, 4 celebrity.

    ``bounds`` are the lower boundaries of micro, mid, macro and celebrity.
    """
    return np.searchsorted(np.asarray(bounds), followers, side="right")


# -- influencers ---------------------------------------------------------------------------


def recognition_price(
    followers, engagement_ratio, price_per_k: float, exponent: float, quality_elasticity: float
):
    """Asking price of a sponsored post from recognition, before demand.

    ``price = price_per_k * (N / 1000) ** exponent * ratio ** quality_elasticity``, where
    ratio is the account's public engagement rate over the norm for an account of its size
    and audience (about its audience's relative trust).

    Source: a least-squares fit of log price on log followers to the rate cards by tier
    (Influencer Marketing Hub 2021-2024: $10-100 at 1k-10k followers up to $5,000-10,000 at
    500k-1M, one cent a follower throughout) and the $10-per-1,000 rule (Mediakix 2017):
    $10 at 1,000 followers and exponent 1 by default. Klear's tier averages ($41 at 500-5k,
    $3,138 over 500k) imply a flatter curve (exponent about 0.5); the parameter table gives
    that range. Two celebrity prices (Hopper HQ 2019: $500,000 for 112M followers, $1.5M for
    187M) are held out of the fit.
    """
    n = np.maximum(np.asarray(followers, dtype=np.float64), 1.0)
    ratio = np.maximum(np.asarray(engagement_ratio, dtype=np.float64), 1e-6)
    return price_per_k * (n / 1000.0) ** exponent * ratio**quality_elasticity


def demand_multiplier_update(multiplier, offers, capacity, rate: float, lo: float, hi: float):
    """Competition among brands: the demand multiplier of an account's price.

    ``m' = clip(m * ((offers + 1/2) / capacity) ** rate, lo, hi)``: it rises when brands ask
    for at least every post the account will take (it sold out) and falls when at least one
    goes unasked, by a step that grows with the log of the excess (a sold-out account with one
    buyer raises its price too). Offers fall as the price rises (brands stop at their
    hurdle), so the price settles where offers meet what the account takes, within a step of
    its buyers' highest price. Accounts that take no deals (capacity 0) keep their multiplier.

    Source: Walrasian tatonnement (Walras 1874: the price moves with excess demand); the log
    step and the half-post offset are assumptions.
    """
    capacity = np.asarray(capacity, dtype=np.float64)
    ratio = (np.asarray(offers, dtype=np.float64) + 0.5) / np.maximum(capacity, 1.0)
    new = np.clip(multiplier * ratio**rate, lo, hi)
    return np.where(capacity > 0, new, multiplier)


def steady_trust(
    share,
    offtopic_share,
    sensitivity,
    rebuild: float,
    erosion: float,
    offtopic_penalty: float,
    tolerance: float,
):
    """Relative trust at which :func:`trust_update` settles for a steady sponsorship policy.

    With a commercial share s (``k`` of the account's posts sponsored) of which a share ``o``
    of all posts are off-topic, each seen post moves trust by
    ``rebuild (1 - s)(1 - r) - sensitivity (erosion max(0, s - tol) + offtopic_penalty o) r``
    in expectation; it is zero at
    ``r* = rebuild (1 - s) / (rebuild (1 - s) + sensitivity (erosion max(0, s - tol)
    + offtopic_penalty o))``.
    """
    s = np.asarray(share, dtype=np.float64)
    gain = rebuild * (1.0 - s)
    loss = np.asarray(sensitivity) * (
        erosion * np.maximum(0.0, s - tolerance) + offtopic_penalty * np.asarray(offtopic_share)
    )
    total = gain + loss
    return np.divide(gain, total, out=np.ones(np.broadcast(gain, total).shape), where=total > 0)


def retained_share(
    share,
    offtopic_share,
    threshold: float,
    sensitivity_mean: float,
    sensitivity_sigma: float,
    rebuild: float,
    erosion: float,
    offtopic_penalty: float,
    tolerance: float,
):
    """Share of an audience that stays when a sponsorship policy is kept up.

    A follower of sensitivity x settles at :func:`steady_trust` ``r*(x)`` and eventually
    unfollows when ``r*(x)`` is below ``threshold``, that is when x exceeds
    ``x_c = rebuild (1 - s)(1 - threshold) / (threshold * (erosion max(0, s - tol)
    + offtopic_penalty o))``. With log-normal sensitivity (mean ``sensitivity_mean``, log
    spread ``sensitivity_sigma``) the retained share is ``Phi((ln x_c - mu) / sigma)``,
    ``mu = ln(mean) - sigma^2 / 2``.
    """
    s = np.asarray(share, dtype=np.float64)
    pressure = erosion * np.maximum(0.0, s - tolerance) + offtopic_penalty * np.asarray(
        offtopic_share, dtype=np.float64
    )
    if threshold <= 0 or sensitivity_mean <= 0:
        return np.ones(np.broadcast(s, pressure).shape)
    if threshold >= 1:
        return np.where(pressure > 0, 0.0, 1.0)
    safe = np.where(pressure > 0, pressure, 1.0)
    x_c = rebuild * (1.0 - s) * (1.0 - threshold) / (threshold * safe)
    if sensitivity_sigma <= 0:
        kept = (x_c >= sensitivity_mean).astype(np.float64)
    else:
        mu = math.log(sensitivity_mean) - sensitivity_sigma**2 / 2
        kept = ndtr((np.log(np.maximum(x_c, 1e-300)) - mu) / sensitivity_sigma)
    return np.where(pressure > 0, kept, 1.0)


def sponsorship_value(
    k,
    o,
    horizon,
    trust_now,
    posts_per_period: float,
    price_exponent: float,
    quality_elasticity: float,
    threshold: float,
    sensitivity_mean: float,
    sensitivity_sigma: float,
    rebuild: float,
    erosion: float,
    offtopic_penalty: float,
    tolerance: float,
):
    """What an influencer weighs when it decides how commercial to be, per unit of price.

    ``U(k, o) = k * (1 + D * q(k, o))`` for k sponsored posts a period, o of them off-topic:
    today's fees (k posts at today's price) plus D periods of the fees the same policy earns
    once followers have settled, ``q = retained^price_exponent * (r_ss / r_now)^quality``
    times today's price. Here ``s = k / P`` with ``P = posts_per_period`` the posts of a
    period with k sponsored (``k + (period - k) * post_prob``), ``r_ss = max(steady_trust,
    threshold)`` and retained from :func:`retained_share`. ``D = authenticity *
    influencers.lookahead``: a myopic influencer (D = 0) takes every deal it is offered, an
    authentic one stops where more deals cost more future income than they bring. The
    income-against-deals curve ``k q(k, 0)`` is then an inverted U when trust erodes fast
    enough.

    Source: Fainmesser & Galeotti 2021 (influencers trade endorsement revenue against their
    audience's engagement); the rule is an assumption documented in docs/ODD.md.
    """
    k = np.asarray(k, dtype=np.float64)
    o = np.asarray(o, dtype=np.float64)
    posts = np.maximum(posts_per_period, k)
    shape = np.broadcast_shapes(k.shape, o.shape, np.shape(posts))
    share = np.broadcast_to(np.divide(k, np.maximum(posts, 1e-12)), shape)
    off = np.broadcast_to(np.divide(o, np.maximum(posts, 1e-12)), shape)
    r_ss = steady_trust(share, off, sensitivity_mean, rebuild, erosion, offtopic_penalty, tolerance)
    kept = retained_share(
        share,
        off,
        threshold,
        sensitivity_mean,
        sensitivity_sigma,
        rebuild,
        erosion,
        offtopic_penalty,
        tolerance,
    )
    r_now = np.maximum(np.asarray(trust_now, dtype=np.float64), 1e-6)
    q = kept**price_exponent * (np.maximum(r_ss, threshold) / r_now) ** quality_elasticity
    return k * (1.0 + np.asarray(horizon) * q)


# -- brands --------------------------------------------------------------------------------


def expected_post_sales(followers, engagement_rate, trust, fit, not_adopted, susceptibility):
    """Customers a brand expects from one sponsored post: what it ranks accounts by.

    ``A = N * er * susceptibility * T * fit * (1 - adopted)``: the account's followers times
    its public engagement rate (engagements per follower per post) times the chance that an
    engaged follower buys (:func:`adoption_probability` with the brand's estimates of the
    audience's trust T and interest in its category), less the share of the audience that is
    already a customer. A brand without the platform estimates T from the public trust curve
    and the account's engagement, fit from the account's topic and the public topicality of
    audiences of its size, and ``adopted`` from its share of the whole market; the platform
    shows the audience's measured trust, interest and customers.
    """
    return (
        np.asarray(followers, dtype=np.float64)
        * engagement_rate
        * susceptibility
        * trust
        * fit
        * not_adopted
    )


def platform_fee(price, fee_rate: float, uses_platform):
    """Platform's fee on a deal: ``fee = fee_rate * price * uses_platform``."""
    return fee_rate * price * uses_platform


def relationship_overhead(n_relationships, cost: float, uses_platform, overhead_cut: float):
    """Brand's cost of running its influencer relationships for a period.

    ``overhead = n * cost * (1 - overhead_cut * uses_platform)`` with n the relationships
    active in the period (at least one post), however many posts each carries: twenty small
    relationships cost twenty times one large one.

    Source: the seed article (search, negotiation, briefing and tracking make many small
    relationships costly; platforms exist to cut that cost); no published figure: the cost
    per relationship is an assumption.
    """
    return n_relationships * cost * (1.0 - overhead_cut * uses_platform)


def deal_cost(price, fee_rate: float, uses_platform, new_relationship, overhead: float):
    """What one more post of an account costs a brand: price, platform fee and, for the first
    post of a relationship in the period, its overhead.

    ``c = price * (1 + fee_rate * uses_platform) + new_relationship * overhead``, with
    ``overhead`` from :func:`relationship_overhead` for one relationship.
    """
    return price + platform_fee(price, fee_rate, uses_platform) + new_relationship * overhead


def budget_shares_update(shares, returns, allowed, rate: float, inertia: float, floor: float):
    """A brand's budget split over its channels after a period (exponential weights).

    ``target_c = allowed_c * exp(rate * R_c) / sum(...)`` with ``R_c`` the realized sales
    value per budgeted dollar of channel c over the last period (unspent budget earns
    nothing), then ``shares' = inertia * shares + (1 - inertia) * target``, then every allowed
    channel is raised to at least ``floor`` and the split renormalised. ``rate`` 0 keeps the
    split (a fixed strategy).

    Args:
        shares: (..., C) current split, summing to 1 over allowed channels.
        returns: (..., C) realized sales per budgeted dollar; NaN where a channel had no
            budget (it keeps its weight).
        allowed: (..., C) channels the brand's strategy may use.
        rate: ``brands.learning_rate``.
        inertia: ``brands.budget_inertia``.
        floor: ``brands.explore_share``.

    Source: Freund & Schapire 1997 (exponential weights, the Hedge algorithm); the inertia
    (partial adjustment) is an assumption.
    """
    shares = np.asarray(shares, dtype=np.float64)
    allowed = np.asarray(allowed, dtype=bool)
    if rate <= 0:
        return shares.copy()
    r = np.asarray(returns, dtype=np.float64)
    seen = allowed & np.isfinite(r)
    # channels without an observed return keep their share: weight = current share there
    logits = np.where(seen, rate * np.where(seen, r, 0.0), -np.inf)
    top = np.max(np.where(seen, logits, -np.inf), axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.where(seen, np.exp(logits - top), 0.0)
    kept = np.where(allowed & ~seen, shares, 0.0).sum(axis=-1, keepdims=True)
    movable = 1.0 - kept
    wsum = w.sum(axis=-1, keepdims=True)
    target = np.where(seen, movable * np.divide(w, wsum, out=np.zeros_like(w), where=wsum > 0), 0.0)
    target = np.where(allowed & ~seen, shares, target)
    new = inertia * shares + (1.0 - inertia) * target
    new = np.where(allowed, np.maximum(new, floor), 0.0)
    total = new.sum(axis=-1, keepdims=True)
    return np.divide(new, total, out=np.zeros_like(new), where=total > 0)


def paid_reach(spend_per_day, cpm: float, people: int):
    """Daily probability that a person sees a brand's promoted own posts, from its spend.

    ``reach = spend_per_day * 1000 / (cpm * people)``, clipped to [0, 1]: each dollar buys
    ``1000 / cpm`` people reached (``brands.own_cpm``) among the market's
    ``population.people``.
    """
    return np.clip(np.asarray(spend_per_day, dtype=np.float64) * 1000.0 / (cpm * people), 0, 1)


def own_reach(base, paid, demotion: float, step: int, change_step: int):
    """Reach of a brand's own posts after the feed algorithm.

    ``reach = min(1, base + paid) * (1 - demotion)`` from ``change_step`` on, without the
    demotion before: the feed shows a brand's own posts, unpaid (``brands.own_reach``) or
    promoted (:func:`paid_reach`), to fewer people once it demotes brand content.

    Source: the seed article (platforms demote brands' own posts, which is why brands turn
    to influencers); no published figure: the demotion is an assumption.
    """
    reach = np.minimum(1.0, np.asarray(base, dtype=np.float64) + paid)
    return reach * (1.0 - demotion) if step >= change_step else reach


def earned_media_value(
    impressions, engagements, value_per_impression: float, value_per_engagement: float
):
    """Earned media value: ``EMV = impressions * v_imp + engagements * v_eng``.

    EMV prices attention (what the same impressions and engagements would cost as paid
    media), not sales. Source: Tomoson 2015 ($6.50 EMV per $1 spent); RhythmOne 2016.
    """
    return impressions * value_per_impression + engagements * value_per_engagement
