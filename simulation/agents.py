"""Mesa agents: brands, influencers and followers.

Influencers and followers are *views*: their state lives in rows of the model's arrays
(``state.py``) so that the population steps at once in numpy; an agent object reads and
writes its row. Brands are ordinary agents with their own attributes (there are few).
"""

from __future__ import annotations

import mesa
import numpy as np

from . import mechanisms as mech
from .config import TIERS
from .engines import uptake_counts
from .state import STRATEGIES, STRATEGY_TIERS

__all__ = ["Brand", "Follower", "Influencer"]


class Follower(mesa.Agent):
    """A follower: interests, trust in each account it follows, ad fatigue, susceptibility.

    The state is row ``index`` of the follower arrays and the follow edges whose ``src`` is
    ``index``. :meth:`step` is the reference engine's rule for one follower and one day.
    """

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def interests(self) -> np.ndarray:
        """Interest in each topic (1 for the primary topic)."""
        return self.model.state.interest[self.index]

    @property
    def susceptibility(self) -> float:
        return float(self.model.state.susceptibility[self.index])

    @property
    def sensitivity(self) -> float:
        return float(self.model.state.sensitivity[self.index])

    @property
    def fatigue(self) -> float:
        st = self.model.state
        return float(
            mech.fatigue_level(st.exposures[self.index], self.model.cfg.behaviour.fatigue_scale)
        )

    @property
    def following(self) -> dict[int, float]:
        """Accounts followed now, with the trust in each."""
        e = self.model.state.edges
        rows = np.flatnonzero((e.src[: e.n] == self.index) & e.active[: e.n])
        return dict(zip(e.dst[rows].tolist(), e.trust[rows].tolist(), strict=True))

    @property
    def adopted(self) -> np.ndarray:
        """Brands whose product this follower has adopted."""
        return np.flatnonzero(self.model.state.adopted[:, self.index])

    def step(self, day) -> None:
        """One day of this follower (see ``engines`` for the rule order)."""
        model, st = self.model, self.model.state
        beh, rng, e, inp, res = model.cfg.behaviour, model.rng, st.edges, day.inp, day.res
        f = self.index
        rows = day.order[day.starts[f] : day.starts[f + 1]]
        rows = rows[st.posted[e.dst[rows]]]
        u = rng.random(rows.size)
        rows, u = rows[u < beh.reach], u[u < beh.reach]
        d = e.dst[rows]
        spons = st.sponsored[d]
        trust = e.trust[rows].astype(np.float64)
        p_eng = mech.engagement_probability(
            inp.size_term[d], e.fit_mult[rows], trust, inp.fatigue[f], spons
        )
        engaged = u < beh.reach * p_eng
        np.add.at(res.seen, d, 1)
        np.add.at(res.engaged, d[engaged], 1)

        adopted_now = set()
        for j, t in zip(d[engaged & spons].tolist(), trust[engaged & spons].tolist(), strict=True):
            b = int(st.post_brand[j])
            fit_p = float(st.interest[f, st.category[b]])
            p_ad = float(mech.adoption_probability(self.susceptibility, t, fit_p))
            took = rng.random() < p_ad
            if uptake_counts(model, j, t, fit_p):
                res.uptake_engaged += 1
                res.uptake_adopted += int(took)
                res.uptake_expected += p_ad
            if took and not day.adopted0[b, f] and b not in adopted_now:
                adopted_now.add(b)
                day.pairs.append((f, b, j))

        new_trust = mech.trust_update(
            trust,
            1.0,
            ~spons,
            st.offtopic[d],
            inp.excess[d],
            self.sensitivity,
            beh.trust_rebuild,
            beh.trust_erosion,
            beh.offtopic_penalty,
            inp.trust0[d],
        )
        e.trust[rows] = new_trust
        gone = rng.random(rows.size) < mech.unfollow_probability(
            new_trust, beh.unfollow_threshold, beh.unfollow_rate
        )
        e.active[rows[gone]] = False
        np.add.at(res.unfollows, d[gone], 1)

        seen_sponsored = int(spons.sum())
        res.exposures += seen_sponsored
        st.exposures[f] = mech.exposure_update(st.exposures[f], seen_sponsored, beh.fatigue_decay)

        for j in d[engaged].tolist():
            if rng.random() < beh.discovery_rate:
                friend = int(model.ties.random_friend(np.array([f]), rng.random(1))[0])
                if friend >= 0 and rng.random() < st.interest[friend, st.inf_topic[j]]:
                    day.new_friend.append(friend)
                    day.new_j.append(j)

        friends = model.ties.friends(f)
        for b in range(st.n_brands):
            if day.adopted0[b, f]:
                continue
            external = inp.own_p[b] * st.interest[f, st.category[b]]
            if beh.wom_q > 0:
                share = day.adopted0[b, friends].mean() if friends.size else 0.0
                if rng.random() < mech.adoption_hazard(external, beh.wom_q, share):
                    day.own[b, f] = True
            elif external > 0 and rng.random() < external:
                day.own[b, f] = True
            if beh.wom_p > 0:
                for _ in range(int(day.new_adopted0[b, friends].sum())):
                    if rng.random() < beh.wom_p:
                        day.wom[b, f] = True


class Influencer(mesa.Agent):
    """An influencer: audience, tier, niche topic, authenticity and a price that moves.

    The state is row ``index`` of the influencer arrays. Posting is decided for all
    influencers at once by the model; deals are accepted here, one influencer at a time.
    """

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def tier(self) -> str:
        return TIERS[self.model.state.tier[self.index]]

    @property
    def topic(self) -> int:
        return int(self.model.state.inf_topic[self.index])

    @property
    def followers(self) -> float:
        """Nominal followers now (sampled followers times the audience weight)."""
        st = self.model.state
        return float(st.counts[self.index] * st.weight[self.index])

    @property
    def price(self) -> float:
        return float(self.model.state.price[self.index])

    @property
    def authenticity(self) -> float:
        return float(self.model.state.authenticity[self.index])

    @property
    def capacity(self) -> int:
        return int(self.model.state.capacity[self.index])

    @property
    def commercial_share(self) -> float:
        return float(self.model.state.share[self.index])

    def accept(self, offers: list[Brand]) -> list[Brand]:
        """Take offers in random order up to the free capacity of this period.

        An off-topic offer is taken with probability ``1 - authenticity`` (authentic
        influencers refuse products they would not use). Every offer counts as demand.
        """
        st, rng = self.model.state, self.model.rng
        j = self.index
        st.offers[j] += len(offers)
        taken = []
        for k in rng.permutation(len(offers)).tolist():
            if st.booked[j] >= st.capacity[j]:
                break
            brand = offers[k]
            if st.category[brand.index] != st.inf_topic[j] and rng.random() < st.authenticity[j]:
                continue
            free = np.flatnonzero(st.schedule[j] < 0)
            if free.size == 0:
                break
            st.schedule[j, free[rng.integers(free.size)]] = brand.index
            st.booked[j] += 1
            taken.append(brand)
        return taken

    def reprice(self) -> None:
        """End of period: demand multiplier and recognition price (see ``mechanisms``)."""
        st, cfg = self.model.state, self.model.cfg.influencers
        j = self.index
        st.demand[j] = mech.demand_multiplier_update(
            st.demand[j],
            st.offers[j],
            st.capacity[j],
            cfg.price_demand_rate,
            cfg.price_demand_min,
            cfg.price_demand_max,
        )
        ratio = st.engagement_ema[j] / st.engagement_ref[j]
        st.price[j] = st.demand[j] * mech.recognition_price(
            max(self.followers, 1.0),
            ratio,
            cfg.price_per_k,
            cfg.price_exponent,
            cfg.price_quality_elasticity,
        )


class Brand(mesa.Agent):
    """A brand: budget per period, category, margin, strategy; buys sponsored posts.

    It ranks candidate influencers by expected value per dollar (:func:`mechanisms.post_value`
    over price, platform fee and relationship overhead) and offers deals down the list while
    its budget lasts. Without the platform it can evaluate only ``search_breadth`` random
    candidates of its strategy's tiers and does not know their audiences' fit; with it, it
    sees every candidate and its fit, and pays the platform's fee.
    """

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.budget_left = 0.0
        self.offered: set[int] = set()
        self.ranked: list[int] = []
        self.costs: dict[int, float] = {}  # deal cost of each ranked account this period
        # cumulative accounts
        self.paid = 0.0  # to influencers
        self.fees = 0.0  # to the platform
        self.overhead = 0.0  # relationship overhead (the brand's own cost)
        self.deals = 0
        self.impressions = 0.0
        self.engagements = 0.0
        self.conversions = 0.0  # adoptions through its sponsored posts (nominal)
        self.own_adoptions = 0
        self.wom_adoptions = 0

    @property
    def strategy(self) -> str:
        return STRATEGIES[self.model.state.strategy[self.index]]

    @property
    def category(self) -> int:
        return int(self.model.state.category[self.index])

    @property
    def uses_platform(self) -> bool:
        return bool(self.model.state.platform[self.index])

    @property
    def spend(self) -> float:
        """Everything the brand has spent: payments, platform fees and overhead."""
        return self.paid + self.fees + self.overhead

    @property
    def earned_value(self) -> float:
        """Earned media value of its sponsored posts (:func:`mechanisms.earned_media_value`)."""
        b = self.model.cfg.brands
        return mech.earned_media_value(
            self.impressions, self.engagements, b.value_per_impression, b.value_per_engagement
        )

    @property
    def sales_value(self) -> float:
        """Margin on adoptions through its sponsored posts."""
        return self.conversions * self.model.cfg.brands.margin

    @property
    def return_per_dollar(self) -> float:
        """Earned media value per dollar spent (NaN before any spend)."""
        return self.earned_value / self.spend if self.spend > 0 else float("nan")

    def deal_cost(self, j: int) -> float:
        """Price, platform fee and overhead of one deal with influencer ``j``."""
        st, cfg = self.model.state, self.model.cfg
        price = st.price[j]
        return (
            price
            + mech.platform_fee(price, cfg.platform.fee_rate, self.uses_platform)
            + mech.relationship_overhead(
                1, cfg.brands.relationship_cost, self.uses_platform, cfg.platform.overhead_cut
            )
        )

    def plan(self) -> None:
        """Start of period: refill the budget and rank candidates by value per dollar."""
        model, st, cfg = self.model, self.model.state, self.model.cfg
        self.budget_left = cfg.brands.budget
        self.offered = set()
        tiers = STRATEGY_TIERS[self.strategy]
        cand = np.flatnonzero(np.isin(st.tier, tiers) & (st.capacity > 0) & (st.counts > 0))
        if not self.uses_platform and cand.size > cfg.brands.search_breadth:
            cand = np.sort(model.rng.choice(cand, cfg.brands.search_breadth, replace=False))
        if cand.size == 0:
            self.ranked = []
            return
        on_topic = st.inf_topic[cand] == self.category
        if self.uses_platform:
            match = np.where(on_topic, 1.0, model.offtopic_interest[self.category])
        else:
            match = np.full(cand.size, model.mean_interest[self.category])
        value = mech.post_value(
            st.counts[cand] * st.weight[cand],
            st.engagement_ema[cand],
            cfg.behaviour.reach,
            match,
            cfg.brands.value_per_impression,
            cfg.brands.value_per_engagement,
            cfg.brands.margin,
            cfg.population.susceptibility_mean,
        )
        cost = np.array([self.deal_cost(j) for j in cand.tolist()])
        order = np.lexsort((cand, -(value / cost)))
        self.ranked = cand[order].tolist()
        self.costs = dict(zip(cand.tolist(), cost.tolist(), strict=True))

    def next_offers(self) -> list[int]:
        """Influencers to offer a deal now: best first, not yet asked, within budget."""
        out, budget = [], self.budget_left
        for j in self.ranked:
            if j in self.offered:
                continue
            c = self.costs[j]  # prices hold within a period
            if c <= budget:
                out.append(j)
                budget -= c
        self.offered.update(out)
        return out

    def pay(self, j: int) -> None:
        """Pay for one accepted deal with influencer ``j``."""
        st, cfg = self.model.state, self.model.cfg
        price = float(st.price[j])
        fee = float(mech.platform_fee(price, cfg.platform.fee_rate, self.uses_platform))
        over = float(
            mech.relationship_overhead(
                1, cfg.brands.relationship_cost, self.uses_platform, cfg.platform.overhead_cut
            )
        )
        self.paid += price
        self.fees += fee
        self.overhead += over
        self.budget_left -= price + fee + over
        self.deals += 1
        st.income[j] += price
        st.deals[j] += 1
        self.model.platform_income += fee
