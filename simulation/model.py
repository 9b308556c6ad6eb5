"""The market model: one Mesa model, one day per step.

A step reads like the sentence that describes it: at the start of a period brands plan and
influencers accept deals; influencers post; followers see, engage, adopt, lose or regain
trust, unfollow, tire and discover (the engine); influencers' shares, engagement and
audiences update and brands book the results; at the end of a period prices adjust; the
day's figures are collected.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
from mesa.agent import AgentSet

from . import mechanisms as mech
from .agents import Brand, Follower, Influencer
from .config import TIERS, Config
from .engines import ENGINES, DayInputs, DayResult
from .network import build_ties
from .state import STRATEGIES, build_state

__all__ = ["TIMESERIES_COLUMNS", "MarketModel"]

#: Columns of the time series, in order (documented in docs/OUTPUTS.md).
TIMESERIES_COLUMNS: list[str] = (
    [
        "step",
        "posts",
        "sponsored_posts",
        "sponsored_share",
        "commercial_share",
        "engagement_rate",
        "organic_engagement_rate",
        "sponsored_engagement_rate",
    ]
    + [f"engagement_rate_{t}" for t in TIERS]
    + ["mean_trust", "mean_fatigue", "follows", "unfollows", "followers"]
    + [f"followers_{t}" for t in TIERS]
    + [f"price_{t}" for t in TIERS]
    + [
        "deals",
        "brand_spend",
        "influencer_income",
        "platform_fees",
        "overhead",
        "impressions",
        "engagements",
        "earned_value",
        "return_per_dollar",
    ]
    + [f"return_per_dollar_{s}" for s in STRATEGIES]
    + [
        "conversions",
        "sales_value",
        "adoptions",
        "adopters",
        "adopted_share",
        "own_reach",
        "own_impressions",
        "sponsored_impressions",
    ]
)


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
        self.engine = ENGINES[cfg.run.engine]
        st = self.state
        self.brands = AgentSet([Brand(self, b) for b in range(st.n_brands)], random=self.random)
        self.influencers = AgentSet(
            [Influencer(self, j) for j in range(st.n_influencers)], random=self.random
        )
        self._brand_list = list(self.brands)
        self._influencer_list = list(self.influencers)
        self._followers: AgentSet | None = None
        if cfg.run.engine == "reference":
            _ = self.followers
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
        #: lower follower bounds of micro, mid, macro and celebrity (for ``tier_index``)
        self.tier_bounds = (inf.micro_min, inf.mid_min, inf.macro_min, inf.celebrity_min)
        self.platform_income = 0.0
        self.totals: dict[str, float] = defaultdict(float)
        self.metrics: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m.metrics[c]) for c in TIMESERIES_COLUMNS}
        )

    # -- agents ------------------------------------------------------------------------

    @property
    def followers(self) -> AgentSet:
        """Follower agents (views of the follower arrays), created on first use.

        The vectorized engine never needs the objects, so a million-follower run does not
        pay for them; the reference engine and anyone who asks gets them all.
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
            self.influencers.do("reprice")
        self.record(result, audience, inputs)
        self.datacollector.collect(self)
        self.day += 1

    def trade_deals(self) -> None:
        """Start of a period: brands rank influencers and make offers in up to three rounds;
        influencers accept up to capacity; accepted deals are paid at once."""
        st = self.state
        st.offers[:] = 0
        st.booked[:] = 0
        st.schedule[:] = -1
        self.brands.do("plan")
        for _ in range(3):
            offers: dict[int, list[Brand]] = defaultdict(list)
            for b in self.rng.permutation(st.n_brands).tolist():
                brand = self._brand_list[b]
                for j in brand.next_offers():
                    offers[j].append(brand)
            if not offers:
                break
            for j in sorted(offers):
                for brand in self._influencer_list[j].accept(offers[j]):
                    brand.pay(j)

    def post(self) -> None:
        """Influencers post: a booked sponsored post, else an organic one with
        probability ``influencers.post_prob``."""
        st = self.state
        booked = st.schedule[:, self.day % self.cfg.run.period]
        st.sponsored = booked >= 0
        st.posted = st.sponsored | (
            self.rng.random(st.n_influencers) < self.cfg.influencers.post_prob
        )
        st.posted &= st.counts > 0
        st.sponsored &= st.posted
        st.post_brand = np.where(st.sponsored, booked, -1)
        st.offtopic = (
            st.sponsored & (st.category[np.maximum(booked, 0)] != st.inf_topic)
            if st.n_brands
            else np.zeros_like(st.sponsored)
        )

    def own_reach(self) -> float:
        """Today's reach of a brand's own post (:func:`mechanisms.own_reach`)."""
        a = self.cfg.algorithm
        return mech.own_reach(self.cfg.brands.own_reach, a.brand_demotion, self.day, a.change_step)

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
            fatigue=mech.fatigue_level(st.exposures, beh.fatigue_scale).astype(np.float32),
            own_p=np.full(st.n_brands, self.own_reach() * self.cfg.brands.own_conversion),
            trust0=st.trust0.astype(np.float32),
        )

    def settle(self, r: DayResult, audience: np.ndarray) -> None:
        """After the followers: influencers' shares, engagement and audiences; brands' books."""
        st, beh = self.state, self.cfg.behaviour
        rate = np.divide(r.engaged, st.counts, out=np.zeros(st.n_influencers), where=st.counts > 0)
        st.engagement_ema = np.where(
            st.posted,
            st.engagement_ema + (rate - st.engagement_ema) / self.cfg.influencers.engagement_memory,
            st.engagement_ema,
        )
        st.share = mech.commercial_share_update(st.share, st.posted, st.sponsored, beh.share_memory)
        st.engaged_total += r.engaged * st.weight
        st.exposed_total += audience * st.posted
        st.counts = st.counts + r.follows - r.unfollows
        if st.n_brands:
            spons = np.flatnonzero(st.sponsored)
            b = st.post_brand[spons]
            w = st.weight[spons]
            nb = st.n_brands
            imp = np.bincount(b, weights=r.seen[spons] * w, minlength=nb)
            eng = np.bincount(b, weights=r.engaged[spons] * w, minlength=nb)
            conv = np.bincount(b, weights=r.adopt_via[spons] * w, minlength=nb)
            for brand in self._brand_list:
                k = brand.index
                brand.impressions += imp[k]
                brand.engagements += eng[k]
                brand.conversions += conv[k]
                brand.own_adoptions += int(r.adopt_own[k])
                brand.wom_adoptions += int(r.adopt_wom[k])

    # -- figures -----------------------------------------------------------------------

    def record(self, r: DayResult, audience: np.ndarray, inputs: DayInputs) -> None:
        """The day's figures (one row of the time series)."""
        st, cfg = self.state, self.cfg
        w = st.weight
        m = {"step": self.day + 1}  # steps count from 1; day is the 0-based index
        posted = st.posted
        m["posts"] = int(posted.sum())
        m["sponsored_posts"] = int(st.sponsored.sum())
        m["sponsored_share"] = _ratio(m["sponsored_posts"], m["posts"])
        m["commercial_share"] = float(st.share.mean()) if st.n_influencers else 0.0
        eng_w = r.engaged * w
        base = audience * posted
        m["engagement_rate"] = _ratio(eng_w.sum(), base.sum())
        org = posted & ~st.sponsored
        m["organic_engagement_rate"] = _ratio(eng_w[org].sum(), base[org].sum())
        m["sponsored_engagement_rate"] = _ratio(eng_w[st.sponsored].sum(), base[st.sponsored].sum())
        e = st.edges
        act = e.active[: e.n]
        m["mean_trust"] = float(e.trust[: e.n].mean(where=act)) if act.any() else float("nan")
        m["mean_fatigue"] = float(inputs.fatigue.mean())
        m["follows"] = float((r.follows * w).sum())
        m["unfollows"] = float((r.unfollows * w).sum())
        now = st.follower_counts()
        m["followers"] = float(now.sum())
        for t, name in enumerate(TIERS):
            sel = st.tier == t
            m[f"engagement_rate_{name}"] = _ratio(eng_w[sel].sum(), base[sel].sum())
            self.totals[f"engaged_{name}"] += float(eng_w[sel].sum())
            self.totals[f"exposed_{name}"] += float(base[sel].sum())
            m[f"followers_{name}"] = float(now[sel].sum())
            m[f"price_{name}"] = float(st.price[sel].mean()) if sel.any() else float("nan")
        tot = self.totals
        brands = self._brand_list
        spend = sum(b.spend for b in brands)
        paid = sum(b.paid for b in brands)
        fees = sum(b.fees for b in brands)
        over = sum(b.overhead for b in brands)
        deals = sum(b.deals for b in brands)
        imp = sum(b.impressions for b in brands)
        eng = sum(b.engagements for b in brands)
        conv = sum(b.conversions for b in brands)
        emv = mech.earned_media_value(
            imp, eng, cfg.brands.value_per_impression, cfg.brands.value_per_engagement
        )
        m["deals"] = deals - tot["deals"]
        m["brand_spend"] = spend - tot["spend"]
        m["influencer_income"] = paid - tot["paid"]
        m["platform_fees"] = fees - tot["fees"]
        m["overhead"] = over - tot["overhead"]
        m["impressions"] = imp - tot["impressions"]
        m["engagements"] = eng - tot["engagements"]
        m["earned_value"] = emv - tot["emv"]
        m["return_per_dollar"] = _ratio(emv, spend)
        for s in STRATEGIES:
            mine = [b for b in brands if b.strategy == s]
            m[f"return_per_dollar_{s}"] = _ratio(
                sum(b.earned_value for b in mine), sum(b.spend for b in mine)
            )
        m["conversions"] = conv - tot["conversions"]
        m["sales_value"] = m["conversions"] * cfg.brands.margin
        m["adoptions"] = int(st.new_f.size)
        adopters = int(st.any_adopted.sum())
        m["adopters"] = adopters
        m["adopted_share"] = _ratio(adopters, st.n_followers)
        m["own_reach"] = self.own_reach()
        m["own_impressions"] = float(
            m["own_reach"] * self.mean_interest[st.category].sum() * st.n_followers
        )
        m["sponsored_impressions"] = m["impressions"]
        tot.update(
            deals=deals,
            spend=spend,
            paid=paid,
            fees=fees,
            overhead=over,
            impressions=imp,
            engagements=eng,
            emv=emv,
            conversions=conv,
        )
        tot["uptake_engaged"] += r.uptake_engaged
        tot["uptake_adopted"] += r.uptake_adopted
        tot["uptake_expected"] += r.uptake_expected
        tot["exposures"] += r.exposures
        tot["follows"] += m["follows"]
        tot["unfollows"] += m["unfollows"]
        # simulated (unweighted) counts, for comparing engines and checking invariants
        tot["seen_edges"] += int(r.seen.sum())
        tot["engaged_edges"] += int(r.engaged.sum())
        tot["follow_edges"] += int(r.follows.sum())
        tot["unfollow_edges"] += int(r.unfollows.sum())
        tot["adoptions_via_posts"] += int(r.adopt_via.sum())
        tot["adoptions_own"] += int(r.adopt_own.sum())
        tot["adoptions_wom"] += int(r.adopt_wom.sum())
        self.metrics = m


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")
