"""The market's state as arrays: followers, influencers, brands and follow edges.

Agents are views of rows of these arrays (``agents.py``); the engines step the arrays
(``engines.py``). Everything is drawn from the run's one Generator, in a fixed order.

Every count is in one unit: a simulated follower stands for ``w = people / n_followers``
people (``MarketState.w``), whatever account it follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import mechanisms as mech
from .config import Config
from .population import (
    draw_audience_sizes,
    draw_audiences,
    draw_beta,
    draw_interests,
    draw_sensitivity,
)
from .vocabulary import (
    CHANNELS,
    OWN,
    STRATEGIES,
    STRATEGY_CELEBRITY,
    STRATEGY_MICRO,
    STRATEGY_MIXED,
    STRATEGY_TIERS,
    TIER_CHANNELS,
    tier_channel,
)

__all__ = [
    "EdgeArrays",
    "MarketState",
    "build_state",
]


@dataclass
class EdgeArrays:
    """Follow edges (follower -> influencer) in growable arrays with lazy removal.

    Rows ``[0, n)`` are in use; an unfollowed edge keeps its row with ``active`` False
    (cheaper than compacting every step). ``fit`` is the follower's interest in the
    influencer's topic and ``fit_mult`` its engagement multiplier, both fixed per edge.
    Keys of every edge ever created are kept so that an unfollowed account is not followed
    again and no edge is created twice.
    """

    src: np.ndarray
    dst: np.ndarray
    trust: np.ndarray
    fit: np.ndarray
    fit_mult: np.ndarray
    active: np.ndarray
    n: int
    n_influencers: int
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    added_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def create(cls, src, dst, trust, fit, fit_mult, n_influencers: int) -> EdgeArrays:
        n = int(np.asarray(src).size)
        cap = n + n // 8 + 1024
        e = cls(
            src=np.zeros(cap, np.int32),
            dst=np.zeros(cap, np.int32),
            trust=np.zeros(cap, np.float32),
            fit=np.zeros(cap, np.float32),
            fit_mult=np.zeros(cap, np.float32),
            active=np.zeros(cap, bool),
            n=0,
            n_influencers=n_influencers,
        )
        e._write(0, src, dst, trust, fit, fit_mult)
        e.n = n
        e.keys = np.sort(e.key(e.src[:n], e.dst[:n]))
        return e

    def key(self, src, dst) -> np.ndarray:
        """Integer key of a (follower, influencer) pair."""
        return np.asarray(src, np.int64) * max(self.n_influencers, 1) + np.asarray(dst, np.int64)

    def exists(self, src, dst) -> np.ndarray:
        """Whether each pair has ever been a follow edge."""
        k = self.key(src, dst)
        found = np.zeros(k.size, bool)
        for arr in (self.keys, self.added_keys):
            if arr.size:
                pos = np.minimum(np.searchsorted(arr, k), arr.size - 1)
                found |= arr[pos] == k
        return found

    def _write(self, at: int, src, dst, trust, fit, fit_mult) -> None:
        m = int(np.asarray(src).size)
        self.src[at : at + m] = src
        self.dst[at : at + m] = dst
        self.trust[at : at + m] = trust
        self.fit[at : at + m] = fit
        self.fit_mult[at : at + m] = fit_mult
        self.active[at : at + m] = True

    def append(self, src, dst, trust, fit, fit_mult) -> None:
        """Add new follow edges (pairs must be new and distinct)."""
        m = int(np.asarray(src).size)
        if m == 0:
            return
        if self.n + m > self.src.size:
            cap = max(self.n + m, 2 * self.src.size)
            for name in ("src", "dst", "trust", "fit", "fit_mult", "active"):
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self._write(self.n, src, dst, trust, fit, fit_mult)
        self.n += m
        self.added_keys = np.sort(np.concatenate([self.added_keys, self.key(src, dst)]))


@dataclass
class MarketState:
    """All arrays of one market. Follower arrays have one row per follower, influencer
    arrays one per influencer, brand arrays one per brand."""

    w: float  # people per simulated follower (one scale for every count)
    # followers
    interest: np.ndarray  # (n, K) float32, interest in each topic, 1 for the primary
    topic: np.ndarray  # (n,) int16 primary topic
    susceptibility: np.ndarray  # (n,) float32
    sensitivity: np.ndarray  # (n,) float32
    exposures: np.ndarray  # (n,) float32, decayed sponsored exposures
    unfollowed: np.ndarray  # (n,) bool, has unfollowed some account (lost trust)
    adopted: np.ndarray  # (B, n) bool, brand-major: adopted[b, f]
    new_f: np.ndarray  # followers of the (follower, brand) adoptions of the last step
    new_b: np.ndarray  # brands of those adoptions
    any_adopted: np.ndarray  # (n,) bool, has adopted some brand's product
    # influencers
    tier: np.ndarray  # (m,) int8 index into TIERS, tier at creation
    inf_topic: np.ndarray  # (m,) int16
    authenticity: np.ndarray  # (m,) float64
    horizon: np.ndarray  # (m,) float64 periods of future income weighed (D)
    capacity: np.ndarray  # (m,) int64 sponsored posts it will take this period (its plan)
    share: np.ndarray  # (m,) float64 commercial share (EMA over posts)
    engagement_ema: np.ndarray  # (m,) float64 public engagement per follower per post (EMA)
    fit_norm: np.ndarray  # (m,) float64 mean fit multiplier of the audience at creation
    trust0: np.ndarray  # (m,) float64 baseline trust B of the audience (falls with size)
    engaged_total: np.ndarray  # (m,) float64 engagements so far (people)
    exposed_total: np.ndarray  # (m,) float64 follower-posts so far (people)
    spons_engaged: np.ndarray  # (m,) float64 engagements with sponsored posts (people)
    spons_customers: np.ndarray  # (m,) float64 customers won by sponsored posts (people)
    price: np.ndarray  # (m,) float64 price per sponsored post
    demand: np.ndarray  # (m,) float64 demand multiplier of the price
    income: np.ndarray  # (m,) float64 cumulative income
    list_income: np.ndarray  # (m,) float64 the same posts at their recognition price
    deals: np.ndarray  # (m,) int64 cumulative sponsored posts
    posts: np.ndarray  # (m,) int64 cumulative posts, organic and sponsored
    offers: np.ndarray  # (m,) int64 offers received this period
    booked: np.ndarray  # (m,) int64 deals accepted this period
    booked_off: np.ndarray  # (m,) int64 off-topic deals accepted this period
    accepted_total: np.ndarray  # (m,) int64 offers accepted so far
    refused_total: np.ndarray  # (m,) int64 offers refused so far
    followers0: np.ndarray  # (m,) float64 followers (people) at creation
    counts: np.ndarray  # (m,) int64 active follow edges (simulated followers)
    posted: np.ndarray  # (m,) bool posted today
    sponsored: np.ndarray  # (m,) bool today's post is sponsored
    offtopic: np.ndarray  # (m,) bool today's post is sponsored and off-topic
    post_brand: np.ndarray  # (m,) int64 brand of today's sponsored post, -1 if none
    schedule: np.ndarray  # (m, period) int64 brand booked for each day of the period
    # brands
    category: np.ndarray  # (B,) int16 product category (a topic)
    strategy: np.ndarray  # (B,) int8 index into STRATEGIES
    platform: np.ndarray  # (B,) bool uses the matching platform
    allowed: np.ndarray  # (B, C) bool channels the strategy may use (CHANNELS order)
    shares: np.ndarray  # (B, C) float64 budget split over channels this period
    budget: np.ndarray  # (B,) float64 budget per period
    learns: np.ndarray  # (B,) bool moves its budget split by the learning rule
    our: int  # row of our brand (the focal brand, the last row), -1 without one
    own_paid: np.ndarray  # (B,) float64 daily reach bought by own-post promotion
    own_spend_day: np.ndarray  # (B,) float64 $ a day spent on own-post promotion
    edges: EdgeArrays = None  # type: ignore[assignment]

    @property
    def n_followers(self) -> int:
        return int(self.topic.size)

    @property
    def n_influencers(self) -> int:
        return int(self.tier.size)

    @property
    def n_brands(self) -> int:
        return int(self.category.size)

    def follower_counts(self) -> np.ndarray:
        """Followers (people) of each influencer: active simulated follow edges times w."""
        return self.counts * self.w


def initial_shares(strategy: np.ndarray, own_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Allowed channels and the planned budget split of each brand.

    ``own_share`` of the budget goes to the brand's own posts and the rest evenly over the
    tiers of its strategy (``STRATEGY_TIERS``). Returns (allowed, shares), both (B, C).
    """
    b = strategy.size
    allowed = np.zeros((b, len(CHANNELS)), bool)
    allowed[:, OWN] = True
    for k, name in enumerate(STRATEGIES):
        rows = strategy == k
        for t in STRATEGY_TIERS[name]:
            allowed[rows, tier_channel(t)] = True
    tiers = allowed[:, TIER_CHANNELS].sum(axis=1, keepdims=True)
    shares = np.zeros((b, len(CHANNELS)))
    shares[:, OWN] = own_share
    shares[:, TIER_CHANNELS] = np.where(
        allowed[:, TIER_CHANNELS], (1.0 - own_share) / np.maximum(tiers, 1), 0.0
    )
    return allowed, shares


def build_state(cfg: Config, rng: np.random.Generator) -> MarketState:
    """Draw a market from a scenario: followers, influencers, audiences and brands.

    Order of draws (fixed, so a seed means one market; the draws themselves are the
    functions of ``population.py``): interests, sensitivity, influencer sizes, topics,
    authenticity, audiences, brands. Follower ties are drawn by the model right after, from
    the same Generator, then susceptibility (:func:`population.draw_susceptibility`), last:
    its Beta draws take a number of uniforms that depends on its parameters, so drawing it
    after the market's structure keeps that structure the same when they change.
    """
    pop, inf, beh, br = cfg.population, cfg.influencers, cfg.behaviour, cfg.brands
    n, k = pop.n_followers, pop.n_topics
    w = mech.people_per_follower(pop.people, n)
    interest, topic = draw_interests(n, k, pop.interest_concentration, rng)
    sensitivity = draw_sensitivity(n, pop.sensitivity_mean, pop.sensitivity_sigma, rng)

    sizes, tier = draw_audience_sizes(cfg, rng)
    m = sizes.size
    inf_topic = rng.integers(0, k, size=m).astype(np.int16)
    authenticity = draw_beta(inf.authenticity_mean, inf.authenticity_concentration, m, rng)
    src, dst = draw_audiences(cfg, topic, sizes, inf_topic, rng)
    trust0 = mech.size_interpolation(
        sizes, beh.trust_init_small, beh.trust_init_large, inf.micro_min, inf.fame_size
    )
    fit = interest[src, inf_topic[dst]] if src.size else np.zeros(0, np.float32)
    fit_mult = mech.fit_term(fit, beh.fit_floor)
    # every follow edge starts at its baseline trust (r = 1): the dynamics' own rest state
    edges = EdgeArrays.create(src, dst, np.ones(src.size, np.float32), fit, fit_mult, m)
    counts = np.bincount(dst, minlength=m).astype(np.int64)
    people = counts * w

    fit_norm = np.bincount(dst, weights=fit_mult, minlength=m) / np.maximum(counts, 1)
    fit_norm = np.where(counts > 0, fit_norm, 1.0)
    engagement0 = (
        beh.reach
        * mech.size_engagement(
            np.maximum(people, 1), beh.engagement_base, beh.engagement_size_exponent
        )
        * fit_norm
    )
    price = mech.recognition_price(
        people, 1.0, inf.price_per_k, inf.price_exponent, inf.price_quality_elasticity
    )

    b = br.n_brands
    category = rng.integers(0, k, size=b).astype(np.int16)
    n_micro = round(b * br.share_micro)
    n_celeb = min(b - n_micro, round(b * br.share_celebrity))
    n_mixed = b - n_micro - n_celeb
    strategy = np.array(
        [STRATEGY_MICRO] * n_micro + [STRATEGY_CELEBRITY] * n_celeb + [STRATEGY_MIXED] * n_mixed,
        np.int8,
    )
    platform = np.zeros(b, bool)
    platform[rng.permutation(b)[: round(b * br.platform_share)]] = True
    allowed, shares = initial_shares(strategy, br.own_share)
    budget = np.full(b, br.budget)
    learns = np.ones(b, bool)
    our = -1
    if cfg.our_brand.strategy != "none":  # our brand: the last row, set, not drawn
        o = cfg.our_brand
        our = b
        b += 1
        category = np.append(category, np.int16(o.category))
        strategy = np.append(strategy, np.int8(STRATEGIES.index(o.strategy)))
        platform = np.append(platform, o.platform)
        our_allowed, our_shares = initial_shares(strategy[-1:], o.own_share)
        allowed = np.vstack([allowed, our_allowed])
        shares = np.vstack([shares, our_shares])
        budget = np.append(budget, o.budget)
        learns = np.append(learns, o.learns)

    adopted = np.zeros((b, n), bool)
    seeds = min(br.seed_adopters, n)
    adopted[:, :seeds] = True
    seed_b, seed_f = np.nonzero(adopted)

    zeros_m = np.zeros(m)
    zeros_mi = np.zeros(m, np.int64)
    return MarketState(
        w=w,
        interest=interest,
        topic=topic,
        susceptibility=np.zeros(n, np.float32),  # drawn last (population.draw_susceptibility)
        sensitivity=sensitivity,
        exposures=np.zeros(n, np.float32),
        unfollowed=np.zeros(n, bool),
        adopted=adopted,
        new_f=seed_f.astype(np.int64),
        new_b=seed_b.astype(np.int64),
        any_adopted=adopted.any(axis=0),
        tier=tier,
        inf_topic=inf_topic,
        authenticity=authenticity,
        horizon=authenticity * inf.lookahead,
        capacity=zeros_mi.copy(),
        share=zeros_m.copy(),
        engagement_ema=engagement0,
        fit_norm=fit_norm,
        trust0=trust0,
        engaged_total=zeros_m.copy(),
        exposed_total=zeros_m.copy(),
        spons_engaged=zeros_m.copy(),
        spons_customers=zeros_m.copy(),
        price=price,
        demand=np.ones(m),
        income=zeros_m.copy(),
        list_income=zeros_m.copy(),
        deals=zeros_mi.copy(),
        posts=zeros_mi.copy(),
        offers=zeros_mi.copy(),
        booked=zeros_mi.copy(),
        booked_off=zeros_mi.copy(),
        accepted_total=zeros_mi.copy(),
        refused_total=zeros_mi.copy(),
        followers0=people.astype(np.float64),
        counts=counts,
        posted=np.zeros(m, bool),
        sponsored=np.zeros(m, bool),
        offtopic=np.zeros(m, bool),
        post_brand=np.full(m, -1, np.int64),
        schedule=np.full((m, cfg.run.period), -1, np.int64),
        category=category,
        strategy=strategy,
        platform=platform,
        allowed=allowed,
        shares=shares,
        budget=budget,
        learns=learns,
        our=our,
        own_paid=np.zeros(b),
        own_spend_day=np.zeros(b),
        edges=edges,
    )
