"""Invariants of a run, checked after every step: money conserved, counts never negative and
consistent with the follow edges, probabilities and trust in [0, 1], adoption and
unfollowing irreversible.

Runs use the tiny market (a few seeds, the vectorized engine) and one short run of the
reference engine; half of the brands use the platform so that fees are exercised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import mechanisms as mech
from simulation.model import TIMESERIES_COLUMNS, MarketModel
from simulation.runner import run
from simulation.state import EdgeArrays

COUNT_COLUMNS = [
    c
    for c in TIMESERIES_COLUMNS
    if c in ("posts", "sponsored_posts", "deals", "follows", "unfollows", "followers")
    or c.startswith("followers_")
    or c in ("adoptions", "adopters", "conversions", "impressions", "engagements")
]
SHARE_COLUMNS = [
    "sponsored_share",
    "commercial_share",
    "engagement_rate",
    "organic_engagement_rate",
    "sponsored_engagement_rate",
    "mean_trust",
    "mean_fatigue",
    "adopted_share",
    "own_reach",
] + [c for c in TIMESERIES_COLUMNS if c.startswith("engagement_rate_")]

MARKET = {
    "brands": {"platform_share": 0.5, "n_brands": 4, "budget": 20_000.0, "seed_adopters": 5},
    "behaviour": {"wom_p": 0.1, "wom_q": 0.05, "discovery_rate": 0.2, "unfollow_threshold": 0.6},
    "influencers": {"sponsored_cap": 8, "authenticity_mean": 0.2},
    "algorithm": {"brand_demotion": 0.5, "change_step": 20},
}


def _check_money(model: MarketModel) -> None:
    st, cfg = model.state, model.cfg
    brands = list(model.brands)
    paid = sum(b.paid for b in brands)
    assert paid == pytest.approx(st.income.sum(), rel=1e-12, abs=1e-9)
    for b in brands:
        assert b.spend == pytest.approx(b.paid + b.fees + b.overhead)
        if b.uses_platform:
            assert b.fees == pytest.approx(cfg.platform.fee_rate * b.paid)
        else:
            assert b.fees == 0.0
        assert min(b.paid, b.fees, b.overhead, b.deals) >= 0
    assert model.platform_income == pytest.approx(sum(b.fees for b in brands))
    assert sum(b.deals for b in brands) == st.deals.sum()


def _check_state(model: MarketModel, prev: dict | None) -> dict:
    st = model.state
    e = st.edges
    n = e.n
    active = e.active[:n].copy()
    assert np.all(st.counts >= 0)
    np.testing.assert_array_equal(
        st.counts, np.bincount(e.dst[:n][active], minlength=st.n_influencers)
    )
    np.testing.assert_allclose(st.follower_counts(), st.counts * st.weight)
    trust = e.trust[:n]
    assert np.all((trust >= 0) & (trust <= 1))
    fatigue = mech.fatigue_level(st.exposures, model.cfg.behaviour.fatigue_scale)
    assert np.all((fatigue >= 0) & (fatigue <= 1))
    assert np.all((st.share >= 0) & (st.share <= 1))
    assert np.all(st.exposures >= 0)
    assert np.all(st.price >= 0)
    assert np.all(st.booked <= st.capacity)
    lo, hi = model.cfg.influencers.price_demand_min, model.cfg.influencers.price_demand_max
    assert np.all((st.demand >= lo - 1e-12) & (st.demand <= hi + 1e-12))
    # no (follower, influencer) pair is ever a follow edge twice
    keys = e.key(e.src[:n], e.dst[:n])
    assert np.unique(keys).size == n
    if prev is not None:
        assert n >= prev["n"]
        # adoption is for good
        assert np.all(st.adopted[prev["adopted"]])
        # an unfollowed edge never comes back
        assert not np.any(active[: prev["n"]] & ~prev["active"])
        # new edges are born active
        assert np.all(active[prev["n"] :] | (prev["n"] == n))
    return {"n": n, "active": active, "adopted": st.adopted.copy()}


def _check_metrics(m: dict) -> None:
    for c in COUNT_COLUMNS:
        assert m[c] >= 0, c
    for c in SHARE_COLUMNS:
        v = m[c]
        assert np.isnan(v) or 0.0 <= v <= 1.0, (c, v)
    assert m["sponsored_posts"] <= m["posts"]
    for c in ("brand_spend", "influencer_income", "platform_fees", "overhead"):
        assert m[c] >= -1e-9, c
    assert m["brand_spend"] == pytest.approx(
        m["influencer_income"] + m["platform_fees"] + m["overhead"], abs=1e-6
    )


def _run_checked(cfg, seed: int, steps: int) -> MarketModel:
    model = MarketModel(cfg, seed=seed)
    prev = _check_state(model, None)
    budget, period = cfg.brands.budget, cfg.run.period
    spent = [0.0] * cfg.brands.n_brands
    for day in range(steps):
        if day % period == 0:
            spent = [b.spend for b in model.brands]
        model.step()
        prev = _check_state(model, prev)
        _check_money(model)
        _check_metrics(model.metrics)
        # a brand never spends more than its budget in a period
        for b, before in zip(model.brands, spent, strict=True):
            assert b.spend - before <= budget * (1 + 1e-12) + 1e-9
    return model


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_every_step_vectorized(tiny, seed):
    model = _run_checked(tiny(**MARKET), seed, 60)
    # the run exercised what the invariants are about
    assert sum(b.deals for b in model.brands) > 0
    assert any(b.fees > 0 for b in model.brands)
    assert any(b.fees == 0 and b.deals > 0 for b in model.brands)
    e = model.state.edges
    assert (~e.active[: e.n]).any(), "no unfollows: the unfollow invariant was not exercised"
    assert e.n > model.state.edges.keys.size, "no new follows"
    assert model.state.adopted.any()


def test_invariants_every_step_reference(tiny):
    cfg = tiny(run={"engine": "reference", "period": 10}, **MARKET)
    model = _run_checked(cfg, 4, 12)
    assert sum(b.deals for b in model.brands) > 0


@pytest.mark.parametrize(
    "sections",
    [
        {"brands": {"n_brands": 0}},
        {
            "influencers": {f"n_{t}": 0 for t in ("nano", "micro", "mid", "macro", "celebrity")},
            "graph": {"kind": "complete"},
            "behaviour": {"wom_q": 0.38, "wom_p": 0.05},
            "brands": {"own_reach": 1.0, "own_conversion": 0.03},
        },
        {"run": {"period": 1}, "brands": {"platform_share": 1.0, "budget": 500.0}},
        {"graph": {"kind": "path"}, "brands": {"share_micro": 1.0, "share_celebrity": 0.0}},
        {"brands": {"budget": 0.0}, "influencers": {"sponsored_cap": 0}},
    ],
    ids=["no-brands", "no-influencers", "period-1", "micro-only-path", "no-deals"],
)
def test_invariants_in_corner_markets(tiny, sections):
    _run_checked(tiny(**sections), 9, 35)


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
    assert br["paid"].sum() == pytest.approx(inf["income"].sum())
    np.testing.assert_allclose(br["spend"], br["paid"] + br["platform_fees"] + br["overhead"])
    fee_rate = res.config.platform.fee_rate
    platform = br["uses_platform"]
    assert platform.sum() == 2  # platform_share 0.5 of 4 brands
    np.testing.assert_allclose(
        br.loc[platform, "platform_fees"], fee_rate * br.loc[platform, "paid"]
    )
    assert (br.loc[~platform, "platform_fees"] == 0).all()
    assert br["deals"].sum() == inf["deals"].sum() == ts["deals"].sum()
    assert ts["brand_spend"].sum() == pytest.approx(br["spend"].sum())
    assert ts["influencer_income"].sum() == pytest.approx(inf["income"].sum())
    assert ts["platform_fees"].sum() == pytest.approx(br["platform_fees"].sum())
    assert res.summary["brand_spend"] == pytest.approx(
        res.summary["influencer_income"] + res.summary["platform_fees"] + br["overhead"].sum()
    )
    for c in COUNT_COLUMNS:
        assert (ts[c] >= 0).all(), c
    assert ts["adopters"].is_monotonic_increasing


def test_table_followers_are_counts_times_weight(tiny):
    res = run(tiny(**MARKET), seed=8, keep_model=True)
    st = res.model.state
    inf = res.influencers
    np.testing.assert_allclose(inf["followers_end"], st.counts * st.weight)
    np.testing.assert_allclose(inf["audience_weight"], st.weight)
    np.testing.assert_allclose(inf["followers_start"], st.followers0)
    ts = res.timeseries
    assert ts["followers"].iloc[-1] == pytest.approx((st.counts * st.weight).sum())
    # followers change by exactly the weighted follows and unfollows of the day
    start = st.followers0.sum()
    assert start + ts["follows"].sum() - ts["unfollows"].sum() == pytest.approx(
        ts["followers"].iloc[-1]
    )


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_same_seed_same_run(tiny, engine):
    cfg = tiny(run={"engine": engine}, **MARKET)
    steps = 40 if engine == "vectorized" else 6
    a, b = run(cfg, seed=3, steps=steps), run(cfg, seed=3, steps=steps)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.influencers, b.influencers)
    pd.testing.assert_frame_equal(a.brands, b.brands)
    c = run(cfg, seed=4, steps=steps)
    assert not a.influencers["followers_start"].equals(c.influencers["followers_start"])
