"""The market model: one Mesa model, one day per step.

A step reads like the sentence that describes it: at the start of a period influencers decide
how many sponsored posts they will take, brands move their budgets toward what paid, estimate
what each account would sell for them and make offers, and influencers accept some;
influencers post and are paid for what they post; followers see, engage, buy, lose or regain
trust, unfollow, tire and discover (the engine); influencers' shares, engagement and
audiences update and brands book the customers won; at the end of a period prices move with
excess demand; the day's figures are recorded (``outputs.record``) and collected.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
from mesa.agent import AgentSet

from . import mechanisms as mech
from .agents import Brand, Follower, Influencer, audience_health, plan_influencers
from .config import Config
from .engines import ENGINES, DayInputs, DayResult
from .network import build_ties
from .outputs import TIMESERIES_COLUMNS, record
from .population import draw_susceptibility
from .state import build_state
from .vocabulary import CHANNELS, OWN, tier_channel

__all__ = ["MarketModel"]

#: Most offer rounds in a period (each brand asks each account at most once a period, so
#: rounds end by themselves long before this in any market tried).
MAX_ROUNDS = 50


class MarketModel(mesa.Model):
    """Brands, influencers and followers on a social graph.

    Args:
        cfg: the scenario.
        seed: overrides ``cfg.run.seed``; the run's one ``numpy.random.Generator`` is
            ``default_rng(seed)`` and feeds everything, networkx included.
    """

    def __init__(self, cfg: Config, seed: int | None = None):
        seed = cfg.run.seed if seed is None else int(seed)
        super().__init__(rng=np.random.default_rng(seed))
        self.cfg = cfg
        self.seed_value = seed
        self.day = 0
        self.state = build_state(cfg, self.rng)
        self.ties = build_ties(cfg, self.state.topic, self.rng)
        self.state.susceptibility = draw_susceptibility(cfg, self.rng)
        self.engine = ENGINES[cfg.run.engine]
        st = self.state
        self.brands = AgentSet([Brand(self, b) for b in range(st.n_brands)], random=self.random)
        self.influencers = AgentSet(
            [Influencer(self, j) for j in range(st.n_influencers)], random=self.random
        )
        self._brand_list = list(self.brands)
        self._influencer_list = list(self.influencers)
        self._followers: AgentSet | None = None
        k = cfg.population.n_topics
        self.mean_interest = st.interest.mean(axis=0, dtype=np.float64)
        off = np.array(
            [
                st.interest[st.topic != c, c].mean() if (st.topic != c).any() else 0.0
                for c in range(k)
            ]
        )
        self.offtopic_interest = off
        inf = cfg.influencers
        #: lower follower bounds of every tier but the smallest (for ``tier_index``)
        self.tier_bounds = inf.tier_bounds[1:-1]
        self.platform_income = 0.0
        self.sponsorship = np.zeros(
            (st.n_influencers, inf.sponsored_cap + 1, inf.sponsored_cap + 1)
        )
        self._audience = None
        self.totals: dict[str, float] = defaultdict(float)
        self.metrics: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m.metrics[c]) for c in TIMESERIES_COLUMNS}
        )

    # -- agents ------------------------------------------------------------------------

    @property
    def followers(self) -> AgentSet:
        """Follower agents (views of the follower arrays), created on first use.

        No engine needs the objects (both step the arrays), so a million-follower run does
        not pay for them; anyone who asks gets them all.
        """
        if self._followers is None:
            self._followers = AgentSet(
                [Follower(self, i) for i in range(self.state.n_followers)], random=self.random
            )
        return self._followers

    def brand(self, b: int) -> Brand:
        return self._brand_list[b]

    def influencer(self, j: int) -> Influencer:
        return self._influencer_list[j]

    # -- the day -----------------------------------------------------------------------

    def step(self) -> None:
        """One day of the market."""
        period = self.cfg.run.period
        if self.day % period == 0:
            self.trade_deals()
        self.post()
        inputs = self.day_inputs()
        audience = self.state.follower_counts()
        result = self.engine(self, inputs)
        self.settle(result, audience)
        if (self.day + 1) % period == 0:
            self.reprice()
        self.metrics = record(self, result, audience, inputs)
        self.datacollector.collect(self)
        self.day += 1

    def trade_deals(self) -> None:
        """Start of a period: influencers plan, brands plan, then rounds of offers.

        In each round brands, in a random order, offer a bundle of posts to each candidate not
        yet asked that clears their hurdle within its channel's budget; influencers, in index
        order, take some posts and refuse the rest. Rounds stop when no brand offers; then
        the same rounds again with each brand's unused budget pooled across channels (at most
        ``MAX_ROUNDS`` each).
        """
        st = self.state
        st.offers[:] = 0
        st.booked[:] = 0
        st.booked_off[:] = 0
        st.schedule[:] = -1
        self.forget_audience_stats()
        plan_influencers(self)
        self.brands.do("plan")
        for pooled in (False, True):
            for brand in self._brand_list:
                brand.pooled = pooled
            for _ in range(MAX_ROUNDS):
                offers: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
                for b in self.rng.permutation(st.n_brands).tolist():
                    for j, n, least in self._brand_list[b].next_offers():
                        offers[j].append((b, n, least))
                if not offers:
                    break
                for j in sorted(offers):
                    taken = dict(self._influencer_list[j].accept(offers[j]))
                    for b, _, _ in offers[j]:
                        self._brand_list[b].answered(j, taken.get(b, 0))

    def forget_audience_stats(self) -> None:
        """Drop the measured audiences, so the next :meth:`audience_stats` measures them on
        the audiences of that day (done at the start of every period, before brands plan)."""
        self._audience = None

    def audience_stats(self, cand: np.ndarray, b: int) -> tuple[np.ndarray, ...]:
        """What the platform shows brand ``b`` of accounts ``cand``: their followers' mean
        trust in recommendations (``r * B``), mean interest in the brand's category, and the
        share already the brand's customers (measured once a period, on the audiences of its
        first day, and kept until :meth:`forget_audience_stats`)."""
        st = self.state
        e = st.edges
        m = st.n_influencers
        if self._audience is None:
            act = np.flatnonzero(e.active[: e.n])
            src, dst = e.src[act], e.dst[act]
            n = np.maximum(np.bincount(dst, minlength=m), 1)
            trust = np.bincount(dst, weights=e.trust[act], minlength=m) / n * st.trust0
            interest = np.stack(
                [
                    np.bincount(dst, weights=st.interest[src, c], minlength=m) / n
                    for c in range(self.cfg.population.n_topics)
                ],
                axis=1,
            )
            self._audience = (src, dst, n, trust, interest, {})
        src, dst, n, trust, interest, adopted = self._audience
        if b not in adopted:
            adopted[b] = np.bincount(dst, weights=st.adopted[b, src], minlength=m) / n
        c = int(st.category[b])
        return trust[cand], interest[cand, c], adopted[b][cand]

    def post(self) -> None:
        """Influencers post (a booked sponsored post, else an organic one with probability
        ``influencers.post_prob``) and brands pay for the posts that go out today. An account
        whose audience is too small to hold a simulated follower still posts; nobody in the
        simulation sees it."""
        st = self.state
        booked = st.schedule[:, self.day % self.cfg.run.period]
        st.sponsored = booked >= 0
        st.posted = st.sponsored | (
            self.rng.random(st.n_influencers) < self.cfg.influencers.post_prob
        )
        st.sponsored &= st.posted
        st.post_brand = np.where(st.sponsored, booked, -1)
        st.offtopic = (
            st.sponsored & (st.category[np.maximum(booked, 0)] != st.inf_topic)
            if st.n_brands
            else np.zeros_like(st.sponsored)
        )
        for j in np.flatnonzero(st.sponsored).tolist():
            self._brand_list[int(st.post_brand[j])].pay_post(j)
        for brand in self._brand_list:
            brand.pay_own()

    def own_reach(self) -> np.ndarray:
        """Today's reach of each brand's own posts (:func:`mechanisms.own_reach`)."""
        a, br = self.cfg.algorithm, self.cfg.brands
        return mech.own_reach(
            br.own_reach, self.state.own_paid, a.brand_demotion, self.day, a.change_step
        )

    def day_inputs(self) -> DayInputs:
        """Quantities both engines read: size term, commercial excess, fatigue, own reach."""
        st, beh = self.state, self.cfg.behaviour
        # float32, like the edge arrays they are combined with (half the memory traffic)
        return DayInputs(
            size_term=mech.size_engagement(
                np.maximum(st.follower_counts(), 1.0),
                beh.engagement_base,
                beh.engagement_size_exponent,
            ).astype(np.float32),
            excess=mech.commercial_excess(st.share, beh.share_tolerance).astype(np.float32),
            fatigue=np.asarray(mech.fatigue_level(st.exposures, beh.fatigue_scale), np.float32),
            own_p=np.asarray(self.own_reach() * self.cfg.brands.own_conversion, np.float64),
            trust0=st.trust0.astype(np.float32),
        )

    def settle(self, r: DayResult, audience: np.ndarray) -> None:
        """After the followers: influencers' shares, engagement and audiences; brands' books.

        Every count is booked in people (simulated counts times ``w``)."""
        st, beh = self.state, self.cfg.behaviour
        w = st.w
        rate = np.divide(r.expected, st.counts, out=np.zeros(st.n_influencers), where=st.counts > 0)
        st.engagement_ema = np.where(
            st.posted,
            st.engagement_ema + (rate - st.engagement_ema) / self.cfg.influencers.engagement_memory,
            st.engagement_ema,
        )
        st.share = mech.commercial_share_update(st.share, st.posted, st.sponsored, beh.share_memory)
        st.posts += st.posted
        st.engaged_total += r.engaged * w
        st.exposed_total += audience * st.posted
        st.spons_engaged += r.engaged * w * st.sponsored
        st.spons_customers += r.adopt_via * w
        st.counts = st.counts + r.follows - r.unfollows
        if st.n_brands:
            spons = np.flatnonzero(st.sponsored)
            b = st.post_brand[spons]
            ch = tier_channel(st.tier[spons].astype(np.int64))
            nb, nc = st.n_brands, len(CHANNELS)
            key = b * nc + ch
            size = nb * nc
            imp = np.bincount(key, weights=r.seen[spons] * w, minlength=size).reshape(nb, nc)
            eng = np.bincount(key, weights=r.engaged[spons] * w, minlength=size).reshape(nb, nc)
            cus = np.bincount(key, weights=r.adopt_via[spons] * w, minlength=size).reshape(nb, nc)
            cus[:, OWN] = r.adopt_own * w
            for brand in self._brand_list:
                k = brand.index
                brand.impressions += imp[k]
                brand.engagements += eng[k]
                brand.customers += cus[k]
                brand.period_customers += cus[k]
                brand.wom_customers += float(r.adopt_wom[k] * w)

    def reprice(self) -> None:
        """End of a period: each account's demand multiplier moves with excess demand and its
        price is the multiplier times its recognition price at today's size and engagement."""
        st, inf = self.state, self.cfg.influencers
        st.demand = mech.demand_multiplier_update(
            st.demand,
            st.offers,
            st.capacity,
            inf.price_demand_rate,
            inf.price_demand_min,
            inf.price_demand_max,
        )
        st.price = st.demand * mech.recognition_price(
            np.maximum(st.follower_counts(), 1.0),
            audience_health(self),
            inf.price_per_k,
            inf.price_exponent,
            inf.price_quality_elasticity,
        )
