"""Invariants of a run, checked after every step: money conserved with relationship overhead
and own-post spend, counts never negative and in one unit (people, ``w`` per simulated
follower), probabilities and relative trust in [0, 1], a deal paid is a deal posted,
adoption and unfollowing irreversible.

Runs use the tiny market (a few seeds, the vectorized engine) and one short run of the
reference engine; half of the brands use the platform so that fees and off-topic deals are
exercised, own-post promotion pays until the feed demotes it, and four periods let budgets
move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import mechanisms as mech
from simulation.model import MarketModel
from simulation.outputs import TIMESERIES_COLUMNS
from simulation.runner import run
from simulation.state import EdgeArrays
from simulation.vocabulary import CHANNELS, OWN, TIER_CHANNELS, TIERS

COUNT_COLUMNS = [
    c
    for c in TIMESERIES_COLUMNS
    if c in ("posts", "sponsored_posts", "deals", "follows", "unfollows", "followers")
    or c.startswith(("followers_", "customers", "budget_share_"))
    or c in ("adoptions", "adopters", "impressions", "engagements", "own_impressions")
    or c in ("brand_spend", "own_spend", "influencer_income", "platform_fees", "overhead")
]
SHARE_COLUMNS = [
    "sponsored_share",
    "commercial_share",
    "engagement_rate",
    "organic_engagement_rate",
    "sponsored_engagement_rate",
    "mean_trust",
    "mean_fatigue",
    "unfollowed_share",
    "adopted_share",
    "own_reach",
] + [c for c in TIMESERIES_COLUMNS if c.startswith(("engagement_rate_", "budget_share_"))]

#: The tiny market with every book in use: platform and non-platform brands, own-post
#: promotion (cheap reach) until the feed halves it on day 40, trust erosion strong enough to
#: make followers leave, imitation and word of mouth, four 15-day periods; followers
#: susceptible enough that the few sponsored posts of a tiny market win customers.
MARKET = {
    "run": {"period": 15},
    "population": {"susceptibility_mean": 0.5},
    "brands": {
        "platform_share": 0.5,
        "n_brands": 4,
        "budget": 20_000.0,
        "seed_adopters": 5,
        "own_cpm": 4.0,
    },
    "behaviour": {
        "wom_p": 0.1,
        "wom_q": 0.05,
        "discovery_rate": 0.2,
        "unfollow_threshold": 0.6,
        "trust_erosion": 0.6,
    },
    "influencers": {"sponsored_cap": 8, "authenticity_mean": 0.2},
    "algorithm": {"brand_demotion": 0.5, "change_step": 40},
}

BOOKS = ("seen_edges", "unfollow_edges", "follow_edges")
ADOPTIONS = ("adoptions_via_posts", "adoptions_own", "adoptions_wom")


def _check_money(model: MarketModel) -> None:
    st, cfg = model.state, model.cfg
    brands = list(model.brands)
    # brand payments to influencers are the influencers' income
    to_influencers = sum(float(b.paid[TIER_CHANNELS].sum()) for b in brands)
    assert to_influencers == pytest.approx(st.income.sum(), rel=1e-12, abs=1e-9)
    # platform income is the fees
    assert model.platform_income == pytest.approx(sum(float(b.fees.sum()) for b in brands))
    # every dollar brands spent went to an influencer, the platform, overhead or own posts
    own = sum(float(b.paid[OWN]) for b in brands)
    fees = sum(float(b.fees.sum()) for b in brands)
    overhead = sum(float(b.overhead.sum()) for b in brands)
    assert sum(b.spend for b in brands) == pytest.approx(
        st.income.sum() + model.platform_income + overhead + own, rel=1e-12, abs=1e-9
    )
    assert fees == pytest.approx(model.platform_income)
    for b in brands:
        for book in (b.paid, b.fees, b.overhead, b.posts, b.customers):
            assert np.all(book >= 0)
        # own posts carry no fee and no overhead
        assert b.fees[OWN] == 0.0 and b.overhead[OWN] == 0.0
        if b.uses_platform:
            np.testing.assert_allclose(b.fees, cfg.platform.fee_rate * b.paid * (b.posts > 0))
        else:
            assert np.all(b.fees == 0.0)
        # overhead: the relationship cost for every relationship-period, cut by the platform
        per = cfg.brands.relationship_cost * (1 - cfg.platform.overhead_cut * b.uses_platform)
        assert b.overhead.sum() == pytest.approx(b.relationships * per)
        assert b.relationships <= b.posts[TIER_CHANNELS].sum()
        # never more than budgeted
        assert b.spend <= b.budgeted.sum() * (1 + 1e-12) + 1e-9
    assert sum(int(b.posts[TIER_CHANNELS].sum()) for b in brands) == st.deals.sum()


def _check_state(model: MarketModel, prev: dict | None) -> dict:
    st, cfg = model.state, model.cfg
    e = st.edges
    n = e.n
    active = e.active[:n].copy()
    assert np.all(st.counts >= 0)
    np.testing.assert_array_equal(
        st.counts, np.bincount(e.dst[:n][active], minlength=st.n_influencers)
    )
    np.testing.assert_allclose(st.follower_counts(), st.counts * st.w)
    trust = e.trust[:n]
    assert np.all((trust >= 0) & (trust <= 1))
    fatigue = mech.fatigue_level(st.exposures, cfg.behaviour.fatigue_scale)
    assert np.all((fatigue >= 0) & (fatigue <= 1))
    assert np.all((st.share >= 0) & (st.share <= 1))
    assert np.all(st.exposures >= 0)
    assert np.all(st.price > 0)
    assert np.all(np.isfinite(st.price))
    lo, hi = cfg.influencers.price_demand_min, cfg.influencers.price_demand_max
    assert np.all((st.demand >= lo - 1e-12) & (st.demand <= hi + 1e-12))
    # influencers' choices: capacity within the cap, on-topic posts within capacity
    cap = cfg.influencers.sponsored_cap
    assert np.all((st.capacity >= 0) & (st.capacity <= cap))
    assert np.all(st.booked <= cap)
    assert np.all((st.booked_off >= 0) & (st.booked_off <= st.booked))
    assert np.all(st.booked - st.booked_off <= st.capacity)
    # every booked post has a day of the period, and only booked posts do
    np.testing.assert_array_equal((st.schedule >= 0).sum(axis=1), st.booked)
    # today's posts: sponsored ones are booked, posted, and paid by their brand
    assert np.all(st.posted[st.sponsored])
    np.testing.assert_array_equal(st.post_brand >= 0, st.sponsored)
    assert np.all(st.offtopic <= st.sponsored)
    if st.n_brands:
        j = np.flatnonzero(st.sponsored)
        np.testing.assert_array_equal(
            st.offtopic[j], st.category[st.post_brand[j]] != st.inf_topic[j]
        )
    # budget shares: a split over the channels each brand may use
    if st.n_brands:
        np.testing.assert_allclose(st.shares.sum(axis=1), 1.0)
        assert np.all(st.shares[~st.allowed] == 0.0)
        assert np.all(st.shares >= 0)
    # no (follower, influencer) pair is ever a follow edge twice
    keys = e.key(e.src[:n], e.dst[:n])
    assert np.unique(keys).size == n
    # whoever lost a follow edge is marked as having unfollowed
    assert np.all(st.unfollowed[e.src[:n][~active]])
    if prev is not None:
        assert n >= prev["n"]
        # adoption is for good
        assert np.all(st.adopted[prev["adopted"]])
        # an unfollowed edge never comes back
        assert not np.any(active[: prev["n"]] & ~prev["active"])
        # new edges are born active, at the follower's baseline trust (r = 1)
        assert np.all(active[prev["n"] :])
        assert np.all(trust[prev["n"] :] == 1.0)
    return {"n": n, "active": active, "adopted": st.adopted.copy()}


def _check_metrics(model: MarketModel, before: dict) -> None:
    m, tot, w = model.metrics, model.totals, model.state.w
    for c in COUNT_COLUMNS:
        assert not m[c] < -1e-9, c  # NaN only where undefined (budget shares without brands)
    for c in SHARE_COLUMNS:
        v = m[c]
        assert np.isnan(v) or 0.0 <= v <= 1.0 + 1e-12, (c, v)
    assert m["sponsored_posts"] <= m["posts"]
    # a deal paid is a deal posted: today's paid posts are today's sponsored posts
    assert m["deals"] == m["sponsored_posts"]
    # money: today's spend is today's payments, fees, overhead and own promotion
    assert m["brand_spend"] == pytest.approx(
        m["influencer_income"] + m["platform_fees"] + m["overhead"] + m["own_spend"],
        rel=1e-9,
        abs=1e-6,
    )
    # one unit per count: a simulated event stands for w people
    d = {k: tot[k] - before.get(k, 0) for k in (*BOOKS, *ADOPTIONS)}
    assert m["unfollows"] == pytest.approx(d["unfollow_edges"] * w)
    assert m["follows"] == pytest.approx(d["follow_edges"] * w)
    assert m["followers"] == pytest.approx(model.state.counts.sum() * w)
    assert m["customers"] == pytest.approx(d["adoptions_via_posts"] * w)
    assert m["customers_own"] == pytest.approx(d["adoptions_own"] * w)
    assert m["customers_wom"] == pytest.approx(d["adoptions_wom"] * w)
    assert m["adoptions"] == pytest.approx(sum(d[k] for k in ADOPTIONS) * w)
    assert m["sales_value"] == pytest.approx(
        (m["customers"] + m["customers_own"] + m["customers_wom"]) * model.cfg.brands.margin
    )


def _run_checked(cfg, seed: int, steps: int) -> MarketModel:
    model = MarketModel(cfg, seed=seed)
    prev = _check_state(model, None)
    budget, period = cfg.brands.budget, cfg.run.period
    spent = [0.0] * cfg.brands.n_brands
    for day in range(steps):
        if day % period == 0:
            spent = [b.spend for b in model.brands]
        before = dict(model.totals)
        model.step()
        prev = _check_state(model, prev)
        _check_money(model)
        _check_metrics(model, before)
        periods = day // period + 1
        for b, start in zip(model.brands, spent, strict=True):
            # a brand never spends more than its budget in a period
            assert b.spend - start <= budget * (1 + 1e-12) + 1e-9
            assert b.budgeted.sum() == pytest.approx(budget * periods)
    return model


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_every_step_vectorized(tiny, seed):
    model = _run_checked(tiny(**MARKET), seed, 60)
    # the run exercised what the invariants are about
    brands = list(model.brands)
    assert sum(int(b.posts[TIER_CHANNELS].sum()) for b in brands) > 0
    assert any(b.fees.sum() > 0 for b in brands)
    assert any(b.overhead.sum() > 0 for b in brands)
    assert any(b.paid[OWN] > 0 for b in brands)
    e = model.state.edges
    assert (~e.active[: e.n]).any(), "no unfollows: the unfollow invariant was not exercised"
    assert e.n > model.state.edges.keys.size, "no new follows"
    assert model.totals["adoptions_via_posts"] > 0
    assert model.totals["adoptions_own"] > 0
    assert model.totals["adoptions_wom"] > 0


def test_invariants_every_step_reference(tiny):
    # three 5-day periods: at most 4 sponsored posts a period, so every booking fits its days
    market = {**MARKET, "influencers": {**MARKET["influencers"], "sponsored_cap": 4}}
    cfg = tiny(**{**market, "run": {"engine": "reference", "period": 5}})
    model = _run_checked(cfg, 4, 12)
    assert sum(int(b.posts[TIER_CHANNELS].sum()) for b in model.brands) > 0
    assert model.totals["seen_edges"] > 0


@pytest.mark.parametrize(
    "sections",
    [
        {"brands": {"n_brands": 0}},
        {
            "influencers": {f"n_{t}": 0 for t in TIERS},
            "graph": {"kind": "complete"},
            "behaviour": {"wom_q": 0.38, "wom_p": 0.05},
            "brands": {"own_reach": 1.0, "own_conversion": 0.03},
        },
        {
            "run": {"period": 1},
            "brands": {"platform_share": 1.0, "budget": 500.0},
            "influencers": {"sponsored_cap": 1},
        },
        {"graph": {"kind": "path"}, "brands": {"share_micro": 1.0, "share_celebrity": 0.0}},
        {"brands": {"budget": 0.0}, "influencers": {"sponsored_cap": 0}},
        {"brands": {"relationship_cost": 0.0, "hurdle": 0.0, "learning_rate": 5.0}},
    ],
    ids=["no-brands", "no-influencers", "period-1", "micro-only-path", "no-deals", "no-overhead"],
)
def test_invariants_in_corner_markets(tiny, sections):
    _run_checked(tiny(**sections), 9, 35)


#: A one-day period in which influencers take off-topic posts from platform brands, in
#: several offer rounds (a small budget leaves money for the pooled rounds).
SHORT_PERIOD_OFFTOPIC = {
    "run": {"period": 1, "steps": 30},
    "brands": {"platform_share": 1.0, "budget": 300.0, "hurdle": 0.0, "relationship_cost": 0.0},
    "influencers": {"authenticity_mean": 0.1},
}


def test_short_period_with_off_topic_offers_never_overbooks(tiny):
    _run_checked(tiny(**SHORT_PERIOD_OFFTOPIC), 0, 10)


def test_an_influencer_plans_no_more_posts_than_the_period_has_days(tiny):
    cfg = tiny(run={"period": 1}, influencers={"authenticity_mean": 0.1})
    model = MarketModel(cfg, seed=0)
    model.step()
    assert model.state.capacity.max() <= cfg.run.period


def test_edge_arrays_grow_and_remember():
    e = EdgeArrays.create(
        np.array([0, 1, 2]), np.array([0, 0, 1]), np.full(3, 0.5), np.ones(3), np.ones(3), 2
    )
    cap = e.src.size
    e.active[1] = False  # unfollowed: kept with its row
    src = np.arange(3, 3 + cap)
    dst = np.arange(cap) % 2
    e.append(src, dst, np.full(cap, 0.7), np.zeros(cap), np.full(cap, 0.5))
    assert e.n == 3 + cap
    assert e.src.size >= e.n
    np.testing.assert_array_equal(e.src[:3], [0, 1, 2])
    np.testing.assert_array_equal(e.src[3 : e.n], src)
    np.testing.assert_array_equal(e.active[: e.n], [True, False, True] + [True] * cap)
    np.testing.assert_allclose(e.trust[: e.n], [0.5] * 3 + [0.7] * cap)
    # every pair ever created exists, unfollowed ones included; others do not
    assert e.exists(np.array([0, 1, 2, 3, 4]), np.array([0, 0, 1, 0, 1])).all()
    assert not e.exists(np.array([0, 1, 3, 10**6]), np.array([1, 1, 1, 0])).any()


@pytest.mark.parametrize("seed", [5, 6])
def test_tables_conserve_money(tiny, seed):
    res = run(tiny(**MARKET), seed=seed)
    br, inf, ts = res.brands, res.influencers, res.timeseries
    cfg = res.config
    # brand payments to influencers = influencer income; spend = all its parts
    assert br["paid"].sum() == pytest.approx(inf["income"].sum())
    np.testing.assert_allclose(
        br["spend"], br["paid"] + br["own_spend"] + br["platform_fees"] + br["overhead"]
    )
    np.testing.assert_allclose(br["spend"], br[[f"spend_{c}" for c in CHANNELS]].sum(axis=1))
    np.testing.assert_allclose(br["spend_own"], br["own_spend"])
    # budget used + unspent = budgeted, and nothing is overspent
    np.testing.assert_allclose(br["budget_used"], br["spend"])
    np.testing.assert_allclose(br["budget_used"] + br["budget_unspent"], br["budgeted"])
    assert (br["budget_unspent"] >= -1e-9).all()
    # four 15-day periods in 60 days
    np.testing.assert_allclose(br["budgeted"], cfg.brands.budget * 4, rtol=1e-12)
    # fees on platform deals only; overhead per relationship-period, cut by the platform
    platform = br["uses_platform"]
    assert platform.sum() == 2  # platform_share 0.5 of 4 brands
    np.testing.assert_allclose(
        br.loc[platform, "platform_fees"], cfg.platform.fee_rate * br.loc[platform, "paid"]
    )
    assert (br.loc[~platform, "platform_fees"] == 0).all()
    per = cfg.brands.relationship_cost * (1 - cfg.platform.overhead_cut * platform)
    np.testing.assert_allclose(br["overhead"], br["relationships"] * per)
    assert br["overhead"].sum() > 0
    # the time series adds up to the tables
    assert br["deals"].sum() == inf["deals"].sum() == ts["deals"].sum()
    assert ts["deals"].sum() == ts["sponsored_posts"].sum()
    assert ts["brand_spend"].sum() == pytest.approx(br["spend"].sum())
    assert ts["own_spend"].sum() == pytest.approx(br["own_spend"].sum())
    assert ts["influencer_income"].sum() == pytest.approx(inf["income"].sum())
    assert ts["platform_fees"].sum() == pytest.approx(br["platform_fees"].sum())
    assert ts["overhead"].sum() == pytest.approx(br["overhead"].sum())
    s = res.summary
    assert s["brand_spend"] == pytest.approx(
        s["influencer_income"] + s["platform_fees"] + s["overhead"] + br["own_spend"].sum()
    )
    for c in COUNT_COLUMNS:
        assert (ts[c] >= -1e-9).all(), c
    assert ts["adopters"].is_monotonic_increasing


def test_tables_count_in_one_unit(tiny):
    """Every count is in people: a simulated follower, follow, unfollow or adoption stands
    for w = 100 people in the tiny market."""
    res = run(tiny(**MARKET), seed=8, keep_model=True)
    model = res.model
    st, tot = model.state, model.totals
    w = st.w
    assert w == 100.0 == res.summary["people_per_follower"]
    inf, br, ts = res.influencers, res.brands, res.timeseries
    np.testing.assert_allclose(inf["followers_end"], st.counts * w)
    np.testing.assert_allclose(inf["followers_start"], st.followers0)
    assert ts["followers"].iloc[-1] == pytest.approx((st.counts * w).sum())
    # followers change by exactly the follows and unfollows of the day, in people
    start = st.followers0.sum()
    assert start + ts["follows"].sum() - ts["unfollows"].sum() == pytest.approx(
        ts["followers"].iloc[-1]
    )
    assert ts["unfollows"].sum() == pytest.approx(tot["unfollow_edges"] * w)
    assert ts["follows"].sum() == pytest.approx(tot["follow_edges"] * w)
    assert tot["unfollow_edges"] > 0 and tot["follow_edges"] > 0
    # customers: the brands' sponsored customers are the influencers' customers
    assert br["customers_sponsored"].sum() == pytest.approx(inf["customers"].sum())
    assert br["customers_sponsored"].sum() == pytest.approx(tot["adoptions_via_posts"] * w)
    assert br["customers_own"].sum() == pytest.approx(tot["adoptions_own"] * w)
    assert br["customers_wom"].sum() == pytest.approx(tot["adoptions_wom"] * w)
    np.testing.assert_allclose(
        br["customers_sponsored"], br[[f"customers_{t}" for t in TIERS]].sum(axis=1)
    )
    np.testing.assert_allclose(
        br["customers"], br["customers_sponsored"] + br["customers_own"] + br["customers_wom"]
    )
    # a simulated adoption counts w customers
    assert ts["adoptions"].sum() == pytest.approx(br["customers"].sum())
    assert ts["adoptions"].sum() == pytest.approx((int(st.adopted.sum()) - 4 * 5) * w)  # 5 seeds
    np.testing.assert_allclose(br["sales_value"], br["customers"] * res.config.brands.margin)


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_same_seed_same_run(tiny, engine):
    cfg = tiny(run={"engine": engine}, **{k: v for k, v in MARKET.items() if k != "run"})
    steps = 40 if engine == "vectorized" else 6
    a, b = run(cfg, seed=3, steps=steps), run(cfg, seed=3, steps=steps)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.influencers, b.influencers)
    pd.testing.assert_frame_equal(a.brands, b.brands)
    c = run(cfg, seed=4, steps=steps)
    assert not a.influencers["followers_start"].equals(c.influencers["followers_start"])
