"""Mesa agents: brands, influencers and followers.

Influencers and followers are *views*: their state lives in rows of the model's arrays
(``state.py``) so that the population steps at once in numpy; an agent object reads and
writes its row. Brands are ordinary agents with their own books (there are few).

What each decides, in one sentence each (the formulas are in ``mechanisms.py``):

- a **follower** sees, engages, buys, trusts less or more, unfollows, tires and tells a
  friend (the rule of one follower's day is :func:`engines.step_follower`; this module
  only shows a follower's row);
- an **influencer** takes the offers that pay more than the trust and followers it expects
  to lose (:meth:`Influencer.accept`, with the plan from :func:`plan_influencers`);
- a **brand** splits its budget over its own posts and the influencer tiers by what has
  paid, estimates each candidate's sales per dollar and buys, best first, while a post clears
  its hurdle and the budget lasts (:class:`Brand`).
"""

from __future__ import annotations

import mesa
import numpy as np

from . import mechanisms as mech
from .vocabulary import CELEBRITY, CHANNELS, OWN, STRATEGIES, TIER_CHANNELS, TIERS, tier_channel

__all__ = ["Brand", "Follower", "Influencer", "plan_influencers", "sponsorship_table"]


class Follower(mesa.Agent):
    """A follower: interests, trust in each account it follows, ad fatigue, susceptibility.

    The state is row ``index`` of the follower arrays and the follow edges whose ``src`` is
    ``index``. Its day is :func:`engines.step_follower` (reference engine) or
    :func:`engines.step_vectorized`; the agent only reads its row.
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
        """Accounts followed now, with the trust (relative to the baseline) in each."""
        e = self.model.state.edges
        rows = np.flatnonzero((e.src[: e.n] == self.index) & e.active[: e.n])
        return dict(zip(e.dst[rows].tolist(), e.trust[rows].tolist(), strict=True))

    @property
    def adopted(self) -> np.ndarray:
        """Brands whose product this follower has adopted."""
        return np.flatnonzero(self.model.state.adopted[:, self.index])


# -- influencers ---------------------------------------------------------------------------


def public_norm(model, followers: np.ndarray) -> np.ndarray:
    """Engagement per follower per post expected of each account at its size, with its
    audience's fit and intact trust: ``reach * e(N) * fit_norm`` (the price's quality norm)."""
    st, beh = model.state, model.cfg.behaviour
    return (
        beh.reach
        * mech.size_engagement(
            np.maximum(followers, 1.0), beh.engagement_base, beh.engagement_size_exponent
        )
        * st.fit_norm
    )


def audience_health(model) -> np.ndarray:
    """Each account's public engagement over its norm, capped at 1: about the relative trust
    of its audience (``r``) as an outsider can read it."""
    st = model.state
    norm = public_norm(model, st.follower_counts())
    return np.clip(st.engagement_ema / np.maximum(norm, 1e-12), 0.0, 1.0)


def sponsorship_table(model) -> np.ndarray:
    """``U[j, k, o]``: :func:`mechanisms.sponsorship_value` of every influencer for k
    sponsored posts a period (0..``sponsored_cap``), o of them off-topic (o <= k; -inf
    elsewhere), at its current audience health and horizon."""
    cfg, st = model.cfg, model.state
    inf, beh, pop = cfg.influencers, cfg.behaviour, cfg.population
    cap = inf.sponsored_cap
    k = np.arange(cap + 1, dtype=np.float64)[:, None]
    o = np.arange(cap + 1, dtype=np.float64)[None, :]
    period = cfg.run.period
    posts = k + (period - k) * inf.post_prob
    u = mech.sponsorship_value(
        k[None],
        o[None],
        st.horizon[:, None, None],
        audience_health(model)[:, None, None],
        posts[None],
        inf.price_exponent,
        inf.price_quality_elasticity,
        beh.unfollow_threshold,
        pop.sensitivity_mean,
        pop.sensitivity_sigma,
        beh.trust_rebuild,
        beh.trust_erosion,
        beh.offtopic_penalty,
        beh.share_tolerance,
    )
    return np.where((o <= k)[None], u, -np.inf)


def plan_influencers(model) -> None:
    """Start of a period: every influencer sets how many sponsored posts it will take
    (``capacity``, the k that maximises ``U[k, 0]``, at most one a day of the period) and
    keeps ``U`` for off-topic offers."""
    st = model.state
    table = sponsorship_table(model)
    model.sponsorship = table
    st.capacity = np.argmax(table[:, :, 0], axis=1).astype(np.int64)
    np.minimum(st.capacity, model.cfg.run.period, out=st.capacity)  # one post a day at most
    st.capacity[st.counts == 0] = 0


class Influencer(mesa.Agent):
    """An influencer: audience, tier, niche topic, authenticity and a price that moves.

    The state is row ``index`` of the influencer arrays. Its plan for the period (how many
    sponsored posts, :func:`plan_influencers`) and its price (``MarketModel.reprice``) are set
    for all influencers at once; offers are accepted here, one influencer at a time.
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
        """Followers now, in people."""
        st = self.model.state
        return float(st.counts[self.index] * st.w)

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

    def accept(self, offers: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        """Answer this round's offers, each (brand, posts asked, least posts the brand takes);
        return (brand, posts taken).

        On-topic offers first, brands in random order, each given as many of its posts as the
        period's free capacity allows, if that is at least the least it takes; then off-topic
        posts one at a time, each taken only if it raises ``U(booked + 1, off + 1)`` above
        ``U(booked, off)`` (its fee beats the trust and followers it is expected to cost),
        again only if the brand gets at least the least it takes. Taken posts are booked on
        free days of the period; every post asked and not taken is refused.
        """
        st, rng = self.model.state, self.model.rng
        j = self.index
        cap = self.model.cfg.influencers.sponsored_cap
        asked = sum(n for _, n, _ in offers)
        st.offers[j] += asked
        order = [offers[k] for k in rng.permutation(len(offers)).tolist()]
        topic = st.inf_topic[j]
        table = self.model.sponsorship[j]
        free_days = int((st.schedule[j] < 0).sum())
        taken: dict[int, int] = {}
        booked, off, used = int(st.booked[j]), int(st.booked_off[j]), 0
        for b, n, least in order:
            if st.category[b] == topic:
                give = min(n, int(st.capacity[j]) - booked, free_days - used)
            else:
                give = 0
                while (
                    give < n
                    and booked + give < cap
                    and used + give < free_days
                    and table[booked + give + 1, off + give + 1] > table[booked + give, off + give]
                ):
                    give += 1
            if give >= max(least, 1):
                taken[b] = give
                booked += give
                used += give
                if st.category[b] != topic:
                    off += give
        brands = [b for b, k in taken.items() for _ in range(k)]
        free = np.flatnonzero(st.schedule[j] < 0)
        days = rng.choice(free, size=len(brands), replace=False)
        st.schedule[j, days] = brands
        st.booked[j] = booked
        st.booked_off[j] = off
        n_taken = len(brands)
        st.accepted_total[j] += n_taken
        st.refused_total[j] += asked - n_taken
        return list(taken.items())


# -- brands --------------------------------------------------------------------------------


def _least_posts(value, unit, overhead: float, hurdle: float) -> np.ndarray:
    """Smallest number of posts k with ``value / (unit + overhead / k) >= hurdle``, for each
    candidate: ``k = ceil(overhead / (value / hurdle - unit))``, at least 1 (a very large
    number where no bundle clears the hurdle; 1 for any bundle when the hurdle is 0)."""
    value = np.asarray(value, dtype=np.float64)
    unit = np.asarray(unit, dtype=np.float64)
    if hurdle <= 0:
        return np.ones(value.shape, np.int64)
    room = value / hurdle - unit
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(room > 0, np.ceil(overhead / np.where(room > 0, room, 1.0) - 1e-12), 1e18)
    return np.maximum(k, 1).astype(np.int64)


class Brand(mesa.Agent):
    """A brand: a budget per period, a product category, a margin, a strategy.

    Each period it (1) moves its budget split toward the channels (own posts and the tiers
    its strategy allows) whose sales per budgeted dollar were highest
    (:func:`mechanisms.budget_shares_update`); (2) buys promotion of its own posts when they
    clear its hurdle; (3) estimates the customers each candidate account would win it
    (:func:`mechanisms.expected_post_sales`) and offers posts best first while the sales
    value per dollar of a post (price, fee and, for a new relationship, its overhead) stays
    above ``brands.hurdle`` and the channel's budget lasts. Without the platform it knows the
    accounts it has worked with and ``search_breadth`` new ones of its own category a period;
    with it, every account, their audiences' measured trust and interest, and a smaller
    overhead, for the platform's fee.

    Money moves on delivery: a post is paid (price and fee) on the day it is posted, and a
    relationship's overhead on its first post of the period; a deal that is never posted is
    never paid.
    """

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        c = len(CHANNELS)
        self.known: set[int] = set()  # accounts it has worked with
        # this period
        self.budget = np.zeros(c)  # by channel
        self.committed = np.zeros(c)  # accepted deals' cost and own promotion, by channel
        self.pooled = False  # last rounds: any unused budget, whatever its channel
        self.asked = np.zeros(model.state.n_influencers, bool)  # offered a bundle this period
        self.charged: set[int] = set()  # relationships charged their overhead this period
        self.cand = np.zeros(0, np.int64)
        self.value = np.zeros(0)
        self.period_spend = np.zeros(c)
        self.period_customers = np.zeros(c)
        # cumulative books, by channel (CHANNELS order)
        self.paid = np.zeros(c)  # to influencers (and for own-post promotion)
        self.fees = np.zeros(c)  # to the platform
        self.overhead = np.zeros(c)  # relationship overhead
        self.budgeted = np.zeros(c)
        self.posts = np.zeros(c, np.int64)
        self.impressions = np.zeros(c)  # people
        self.engagements = np.zeros(c)  # people
        self.customers = np.zeros(c)  # people won through the channel
        self.wom_customers = 0.0  # people won by word of mouth
        self.relationships = 0  # relationship-periods paid

    # -- views ----------------------------------------------------------------------------

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
        return float((self.paid + self.fees + self.overhead).sum())

    @property
    def spend_by_channel(self) -> np.ndarray:
        return self.paid + self.fees + self.overhead

    @property
    def influencer_spend(self) -> float:
        return float(self.spend_by_channel[TIER_CHANNELS].sum())

    @property
    def earned_value(self) -> float:
        """Earned media value of its sponsored posts (:func:`mechanisms.earned_media_value`)."""
        b = self.model.cfg.brands
        return float(
            mech.earned_media_value(
                self.impressions[TIER_CHANNELS].sum(),
                self.engagements[TIER_CHANNELS].sum(),
                b.value_per_impression,
                b.value_per_engagement,
            )
        )

    @property
    def customers_won(self) -> float:
        """Every customer won (people): through its own posts, sponsored posts and the word
        of mouth that followed them."""
        return float(self.customers.sum()) + self.wom_customers

    @property
    def sales_value(self) -> float:
        """Margin on every customer won (:attr:`customers_won`)."""
        return self.customers_won * self.model.cfg.brands.margin

    @property
    def return_per_dollar(self) -> float:
        """Earned media value of sponsored posts per dollar of influencer spend."""
        s = self.influencer_spend
        return self.earned_value / s if s > 0 else float("nan")

    @property
    def sales_per_dollar(self) -> float:
        """Sales value per dollar spent, all channels."""
        s = self.spend
        return self.sales_value / s if s > 0 else float("nan")

    def overhead_per_relationship(self) -> float:
        cfg = self.model.cfg
        return float(
            mech.relationship_overhead(
                1, cfg.brands.relationship_cost, self.uses_platform, cfg.platform.overhead_cut
            )
        )

    # -- the period -----------------------------------------------------------------------

    def learn(self) -> None:
        """Move the budget split toward what paid last period (exponential weights).

        A channel's realized return is the sales value of the customers it won last period
        over the larger of its budget and its spend (idle budget earns nothing; money a
        channel used beyond its budget, in the pooled rounds, counts against it)."""
        st, br = self.model.state, self.model.cfg.brands
        b = self.index
        base = np.maximum(self.budget, self.period_spend)
        with np.errstate(invalid="ignore", divide="ignore"):
            returns = np.where(base > 0, self.period_customers * br.margin / base, np.nan)
        st.shares[b] = mech.budget_shares_update(
            st.shares[b],
            returns,
            st.allowed[b],
            br.learning_rate,
            br.budget_inertia,
            br.explore_share,
        )

    def plan(self) -> None:
        """Start of a period: learn, set channel budgets, buy own-post promotion, estimate the
        candidates' sales."""
        model, st = self.model, self.model.state
        b = self.index
        if model.day > 0 and st.learns[b]:
            self.learn()
        self.budget = st.shares[b] * st.budget[b]
        self.budgeted += self.budget
        self.committed[:] = 0.0
        self.pooled = False
        self.asked[:] = False
        self.charged = set()
        self.period_spend[:] = 0.0
        self.period_customers[:] = 0.0
        self._plan_own()
        self._estimate()

    def _plan_own(self) -> None:
        """Promote its own posts with the own channel's budget if that clears the hurdle."""
        model, st, cfg = self.model, self.model.state, self.model.cfg
        br, b = cfg.brands, self.index
        period = cfg.run.period
        per_day = self.budget[OWN] / period
        a = cfg.algorithm
        keep = 1.0 - a.brand_demotion if model.day + period > a.change_step else 1.0
        not_adopted = 1.0 - st.adopted[b].mean() if st.n_followers else 0.0
        per_dollar = (
            1000.0 / br.own_cpm * keep * br.own_conversion * model.mean_interest[self.category]
        )
        if per_day > 0 and per_dollar * not_adopted * br.margin >= br.hurdle:
            st.own_spend_day[b] = per_day
            st.own_paid[b] = float(mech.paid_reach(per_day, br.own_cpm, cfg.population.people))
            self.committed[OWN] = self.budget[OWN]
        else:
            st.own_spend_day[b] = 0.0
            st.own_paid[b] = 0.0

    def _candidates(self) -> np.ndarray:
        """Accounts it can evaluate this period, in the tiers its channels budget for: every
        one with the platform; without it, those it has worked with and ``search_breadth``
        new ones of its own category (celebrities count in every category: they are public
        figures with broad audiences), drawn with probability proportional to the budget of
        their tier's channel."""
        model, st, cfg = self.model, self.model.state, self.model.cfg
        b = self.index
        tiers = np.flatnonzero(st.allowed[b, TIER_CHANNELS] & (self.budget[TIER_CHANNELS] > 0))
        ok = np.isin(st.tier, tiers) & (st.counts > 0)
        if self.uses_platform:
            return np.flatnonzero(ok)
        known = np.fromiter(self.known, np.int64, len(self.known))
        known = known[ok[known]] if known.size else known
        # niche accounts of its own category, and celebrities, whom everybody knows and whose
        # audiences are broad whatever their topic
        pool = ok & ((st.inf_topic == self.category) | (st.tier == CELEBRITY))
        pool[known] = False
        pool = np.flatnonzero(pool)
        k = min(cfg.brands.search_breadth, pool.size)
        if k:
            # search where the money is: accounts weighted by their tier's budget share
            p = self.budget[tier_channel(st.tier[pool].astype(np.int64))]
            p = p / p.sum()
            k = min(k, int(np.count_nonzero(p)))
            new = model.rng.choice(pool, size=k, replace=False, p=p)
        else:
            new = pool[:0]
        return np.unique(np.concatenate([known, new]))

    def _estimate(self) -> None:
        """Expected sales value of one post of each candidate (``self.value``, $)."""
        model, st, cfg = self.model, self.model.state, self.model.cfg
        b, c = self.index, self.category
        cand = self._candidates()
        self.cand = cand
        if cand.size == 0:
            self.value = np.zeros(0)
            return
        followers = st.counts[cand] * st.w
        if self.uses_platform:
            trust, fit, adopted = model.audience_stats(cand, b)
        else:
            inf = cfg.influencers
            health = audience_health(model)[cand]
            trust = st.trust0[cand] * health
            h = mech.size_interpolation(
                followers, inf.homophily_small, inf.homophily_large, inf.micro_min, inf.fame_size
            )
            other = model.offtopic_interest[c]
            on_topic = st.inf_topic[cand] == c
            fit = np.where(on_topic, h + (1.0 - h) * other, model.mean_interest[c])
            adopted = np.full(cand.size, st.adopted[b].mean())
        customers = mech.expected_post_sales(
            followers,
            st.engagement_ema[cand],
            trust,
            fit,
            1.0 - adopted,
            cfg.population.susceptibility_mean,
        )
        self.value = customers * cfg.brands.margin

    def next_offers(self) -> list[tuple[int, int, int]]:
        """This round's offers, each (account, posts, least posts): to candidates not yet
        asked this period, best sales per dollar first, a bundle of the posts the account says
        it takes (its capacity), while the bundle clears the hurdle,
        ``value / (price (1 + fee) + overhead / posts) >= hurdle``, and the budget lasts: the
        channel's, or, once ``pooled`` is set (the model's last rounds), whatever of the whole
        budget no channel could use. Offers go down the ranking until the money runs out; the
        last bundle is cut to what the money affords. The least number of posts is the
        smallest bundle that still clears the hurdle (the overhead spread over fewer posts);
        the brand takes no fewer. An account already booked to its plan refuses at once
        (counted as asked and refused, so its price still sees the demand)."""
        st, cfg = self.model.state, self.model.cfg
        if self.cand.size == 0:
            return []
        br = cfg.brands
        cand = self.cand
        unit = mech.deal_cost(st.price[cand], cfg.platform.fee_rate, self.uses_platform, 0, 0.0)
        over = self.overhead_per_relationship()
        want = np.maximum(st.capacity[cand], 1)
        ratio = self.value / (unit + over / want)
        ok = (ratio >= br.hurdle) & ~self.asked[cand] & (st.capacity[cand] > 0)
        # an account already booked to its plan refuses at once: the ask still counts as demand
        full = ok & (st.booked[cand] >= st.capacity[cand])
        if full.any():
            j = cand[full]
            st.offers[j] += want[full]
            st.refused_total[j] += want[full]
            self.asked[j] = True
            ok &= ~full
        if not ok.any():
            return []
        least = _least_posts(self.value, unit, over, br.hurdle)
        left = self.budget - self.committed
        if self.pooled:
            groups = [(np.flatnonzero(ok), float(left.sum()))]
        else:
            ch = tier_channel(st.tier[cand].astype(np.int64))
            groups = [(np.flatnonzero(ok & (ch == c)), float(left[c])) for c in np.unique(ch[ok])]
        out = []
        for idx, money in groups:
            idx = idx[np.lexsort((cand[idx], -ratio[idx]))]
            cost = want[idx] * unit[idx] + over
            spent = np.cumsum(cost)
            k = int(np.searchsorted(spent, money + 1e-9, side="right"))
            take = [(int(i), int(want[i])) for i in idx[:k]]
            if k < idx.size:  # the next bundle, cut to what is left
                i = int(idx[k])
                rest = money - (spent[k - 1] if k else 0.0)
                n = int((rest - over) // unit[i]) if rest > over else 0
                if n >= 1:
                    take.append((i, min(n, int(want[i]))))
            for i, n in take:
                if least[i] <= n:
                    out.append((int(cand[i]), n, int(least[i])))
                    self.asked[cand[i]] = True
        out.sort(key=lambda x: x[0])
        return out

    def answered(self, j: int, posts: int) -> None:
        """An account's answer: ``posts`` of the bundle taken (0: refused). Taken posts commit
        their price and fee, and the relationship its overhead, to the channel."""
        if posts:
            st, cfg = self.model.state, self.model.cfg
            ch = tier_channel(int(st.tier[j]))
            unit = mech.deal_cost(st.price[j], cfg.platform.fee_rate, self.uses_platform, 0, 0.0)
            self.committed[ch] += posts * float(unit) + self.overhead_per_relationship()
            self.known.add(j)

    # -- the day --------------------------------------------------------------------------

    def pay_post(self, j: int) -> None:
        """Pay for today's post of account ``j``: price and fee, and the relationship's
        overhead if it is its first post this period."""
        st, cfg = self.model.state, self.model.cfg
        ch = tier_channel(int(st.tier[j]))
        price = float(st.price[j])
        fee = float(mech.platform_fee(price, cfg.platform.fee_rate, self.uses_platform))
        over = 0.0
        if j not in self.charged:
            self.charged.add(j)
            over = self.overhead_per_relationship()
            self.relationships += 1
        self.paid[ch] += price
        self.fees[ch] += fee
        self.overhead[ch] += over
        self.period_spend[ch] += price + fee + over
        self.posts[ch] += 1
        st.income[j] += price
        st.list_income[j] += price / st.demand[j]
        st.deals[j] += 1
        self.model.platform_income += fee

    def pay_own(self) -> None:
        """Pay today's promotion of its own posts."""
        spend = float(self.model.state.own_spend_day[self.index])
        self.paid[OWN] += spend
        self.period_spend[OWN] += spend
