"""The market's economics: a market at rest stays at rest, a deal paid is a deal posted,
prices settle, outcomes converge as the simulated population grows, brands choose by sales
per dollar within their category, budgets move toward what paid, influencers choose how
commercial to be, and relationships cost overhead.

Runs on the baseline scenario use fewer simulated followers than its 100,000 (the same
market of 4 million people, coarser) and are shared through ``conftest.baseline_run``.
Tolerances are stated with the measurements they come from.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, baseline_run

from simulation import mechanisms as mech
from simulation.agents import plan_influencers
from simulation.config import load_config
from simulation.model import MarketModel
from simulation.outputs import brand_table, influencer_table, steady_state
from simulation.runner import run
from simulation.vocabulary import (
    CELEBRITY,
    MICRO,
    MID,
    STRATEGIES,
    STRATEGY_CELEBRITY,
    STRATEGY_MICRO,
    STRATEGY_MIXED,
    TIER_CHANNELS,
    TIERS,
    tier_channel,
)

BASELINE = ROOT / "configs" / "baseline.toml"


def baseline(*sets: str):
    return load_config(BASELINE, list(sets))


# -- a market at rest ----------------------------------------------------------------------


def test_a_market_without_brands_is_at_rest_from_day_one():
    """No brands, a year, the baseline market at 40,000 followers: every follow edge starts
    at its rest state (r = 1) and nothing pushes it away, so there is no unfollow wave.
    Audiences grow only by discovery: retention measured 1.0062-1.0076 over seeds 1-3
    (1.0057-1.0065 at 10,000 followers); the engagement rate of the last 60 days over the
    first 60 measured 0.999-1.013."""
    res = run(baseline("population.n_followers=40000", "brands.n_brands=0"), seed=1, steps=365)
    ts, s = res.timeseries, res.summary
    assert s["unfollows"] == 0.0
    assert (ts["unfollows"] == 0).all()
    assert (ts["mean_trust"] == 1.0).all()
    assert (ts["sponsored_posts"] == 0).all()
    assert (ts["commercial_share"] == 0).all()
    assert s["unfollowed_share"] == 0.0
    assert 1.0 <= s["follower_retention"] < 1.015
    assert s["follows"] > 0
    first, last = ts["engagement_rate"].iloc[:60].mean(), ts["engagement_rate"].iloc[-60:].mean()
    assert last / first == pytest.approx(1.0, abs=0.03)


# -- a deal paid is a deal posted ------------------------------------------------------


def _run_tracking_posts(cfg, seed: int):
    """Run and record every sponsored post: (day, account, brand, price on that day)."""
    model = MarketModel(cfg, seed=seed)
    posts = []
    for _ in range(cfg.run.steps):
        price = model.state.price.copy()  # reprice() moves prices at the end of a period
        model.step()
        st = model.state
        for j in np.flatnonzero(st.sponsored).tolist():
            posts.append((model.day - 1, j, int(st.post_brand[j]), float(price[j])))
    res = SimpleNamespace(
        model=model,
        timeseries=model.datacollector.get_model_vars_dataframe(),
        influencers=influencer_table(model),
        brands=brand_table(model),
    )
    return res, posts


@pytest.mark.parametrize(
    ("period", "steps", "cap"),
    [(15, 50, 8), (1, 23, 1)],
    ids=["run-ends-mid-period", "one-day-period"],
)
def test_a_deal_paid_is_a_deal_posted(tiny, period, steps, cap):
    # one-day periods take one post a period (sponsored_cap 1; see the strict xfails in
    # test_invariants.py for a cap above the period's days)
    cfg = tiny(
        run={"period": period, "steps": steps},
        brands={"platform_share": 0.5, "n_brands": 4, "budget": 20_000.0},
        influencers={"sponsored_cap": cap, "authenticity_mean": 0.2},
    )
    res, posts = _run_tracking_posts(cfg, seed=2)
    model, br, inf, ts = res.model, res.brands, res.influencers, res.timeseries
    assert len(posts) > 0
    # paid posts (brand and influencer books) are exactly the sponsored posts that went out
    assert br["deals"].sum() == inf["deals"].sum() == ts["sponsored_posts"].sum() == len(posts)
    assert ts["deals"].tolist() == ts["sponsored_posts"].tolist()
    # and paid at their day's price: nothing else reached an influencer
    assert inf["income"].sum() == pytest.approx(sum(p for *_, p in posts))
    by_account = np.bincount([j for _, j, _, _ in posts], minlength=len(inf))
    np.testing.assert_array_equal(inf["deals"], by_account)
    # one overhead per relationship-period with a post, none for relationships never posted
    triples = {(b, j, day // period) for day, j, b, _ in posts}
    assert br["relationships"].sum() == len(triples)
    # no account ever posts more than its cap in a period
    per_period = {}
    for day, j, _, _ in posts:
        per_period[(j, day // period)] = per_period.get((j, day // period), 0) + 1
    assert max(per_period.values()) <= cap
    if steps % period:
        # the last period was cut short: posts booked after the run's end exist, unpaid
        st = model.state
        left = st.schedule[:, steps % period :]
        assert (left >= 0).sum() > 0
        assert all(day < steps for day, *_ in posts)


# -- prices settle -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_baseline_prices_settle_within_two_years(seed):
    """The steady state (runner.steady_state): over the last quarter of the two-year
    baseline, the mean price of each tier moves less than 5% (second half of the window over
    its first half). Run at 40,000 followers (the same market, coarser) to keep the suite
    fast; measured drifts at most 0.009 (seed 1) and 0.028 (seed 2), and 0.048 at worst over
    seeds 1-6 (at 100,000 followers, seed 1: 0.023)."""
    res = baseline_run(40_000, seed)
    ss = res.summary["steady_state"]
    assert len(res.timeseries) == 730
    assert ss["window_days"] == 182
    assert ss["settled"] is True
    for t in TIERS:
        assert ss["price_drift"][t] is not None
        assert abs(ss["price_drift"][t]) < 0.05, t
    # prices did move to get there: demand multipliers are no longer all at their start
    micro = TIERS[MICRO]
    assert res.summary["price_by_tier_end"][micro] != res.summary["price_by_tier_start"][micro]


def test_steady_state_detects_a_trend():
    days = np.arange(400)
    flat = pd.DataFrame({f"price_{t}": np.full(400, 10.0) for t in TIERS})
    assert steady_state(flat, 30)["settled"] is True
    rising = flat.copy()
    mid = TIERS[MID]
    rising[f"price_{mid}"] = 10.0 * 1.001**days  # 0.1% a day: about 10% over a 100-day window
    out = steady_state(rising, 30)
    assert out["settled"] is False
    assert out["price_drift"][mid] == pytest.approx(1.001**50 - 1, rel=1e-6)


# -- one population scale: outcomes converge -----------------------------------------------

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def two_resolutions():
    """The two-year baseline at 10,000 and 40,000 followers (400 and 100 people each)."""
    return {n: [baseline_run(n, s) for s in SEEDS] for n in (10_000, 40_000)}


def _outcomes(res) -> dict[str, float]:
    s, ts = res.summary, res.timeseries
    half = ts.iloc[len(ts) // 2 :]
    return {
        "sales_per_dollar_micro": s["sales_per_dollar_by_strategy"][STRATEGIES[STRATEGY_MICRO]],
        "sales_per_dollar_mixed": s["sales_per_dollar_by_strategy"][STRATEGIES[STRATEGY_MIXED]],
        "mean_fatigue": half["mean_fatigue"].mean(),
        "adopted_share": s["adopted_share_end"],
    }


#: Relative tolerance on the mean over seeds 1-3 at each size. Measured over 12 seeds
#: (1-4, 7-14), two years, mean (sd per seed) at 10,000 / 40,000 followers: sales per dollar
#: of micro brands 2.09 (0.20) / 2.05 (0.14); of mixed brands 2.46 (0.11) / 2.26 (0.14), a
#: coarse-resolution bias of +9% (at 10,000 followers a nano account of 100-500 people is
#: either invisible or one follower of 400 people, and a fixed overhead per relationship
#: favours the larger account; 40,000 and 100,000 agree: 2.14 / 2.20 on seeds 1-4); mean
#: fatigue over the second year 0.0208 (0.0017) / 0.0208 (0.0018); adopted share 0.0773
#: (0.004) / 0.0757 (0.004). With 3 seeds the difference of the means has an sd of 6.8%,
#: 4.5%, 6.9% and 4.3% of the value: the tolerances are four sd, and for mixed brands five
#: sd plus the bias. Seeds 1-3 measure differences of 4%, 13%, 2% and 1.5%. An outcome
#: counted in simulated followers instead of people would differ by a factor of 4.
CONVERGENCE_TOLERANCE = {
    "sales_per_dollar_micro": 0.27,
    "sales_per_dollar_mixed": 0.31,
    "mean_fatigue": 0.28,
    "adopted_share": 0.18,
}


@pytest.mark.parametrize("outcome", list(CONVERGENCE_TOLERANCE))
def test_outcomes_converge_as_the_simulated_population_grows(two_resolutions, outcome):
    coarse = np.mean([_outcomes(r)[outcome] for r in two_resolutions[10_000]])
    fine = np.mean([_outcomes(r)[outcome] for r in two_resolutions[40_000]])
    assert coarse == pytest.approx(fine, rel=CONVERGENCE_TOLERANCE[outcome])


def test_celebrity_brands_buy_only_their_own_posts_at_the_defaults(two_resolutions):
    # at the default prices no celebrity post clears a brand's hurdle, at either resolution
    for runs in two_resolutions.values():
        for res in runs:
            br = res.brands
            celeb = br[br["strategy"] == STRATEGIES[STRATEGY_CELEBRITY]]
            assert (celeb["deals"] == 0).all()
            assert (celeb["spend_own"] > 0).all()
            assert br[f"spend_{TIERS[CELEBRITY]}"].sum() == 0.0


# -- brands choose -------------------------------------------------------------------------


def test_brands_without_the_platform_buy_only_their_own_category():
    """Without the platform a brand searches accounts of its own category and celebrities
    (and keeps those it has worked with); with it, every account, so it may buy off its
    category below the celebrity tier too."""
    cfg = baseline("population.n_followers=10000", "brands.platform_share=0.5", "run.steps=120")
    off = {False: 0, True: 0}
    on = {False: 0, True: 0}

    def on_step(model):
        st = model.state
        j = np.flatnonzero(st.sponsored)
        b = st.post_brand[j]
        niche = st.tier[j] != CELEBRITY
        for platform in (False, True):
            mine = (st.platform[b] == platform) & niche
            off[platform] += int((st.offtopic[j] & mine).sum())
            on[platform] += int((~st.offtopic[j] & mine).sum())

    res = run(cfg, seed=3, on_step=on_step, keep_model=True)
    assert on[False] > 0 and on[True] > 0
    assert off[False] == 0
    assert off[True] > 0
    st = res.model.state
    for brand in res.model.brands:
        if not brand.uses_platform:
            known = np.array(sorted(brand.known), dtype=np.int64)
            niche = known[st.tier[known] != CELEBRITY]
            assert np.all(st.inf_topic[niche] == brand.category)


def test_brands_offer_best_first_above_the_hurdle_within_the_budget():
    model = MarketModel(baseline("population.n_followers=10000"), seed=4)
    st, br = model.state, model.cfg.brands
    plan_influencers(model)
    model.brands.do("plan")
    checked = 0
    for brand in model.brands:
        before = brand.asked.copy()
        offers = brand.next_offers()
        if not offers:
            continue
        left = brand.budget.copy()
        over = brand.overhead_per_relationship()
        unit_all = mech.deal_cost(
            st.price[brand.cand], model.cfg.platform.fee_rate, brand.uses_platform, 0, 0.0
        )
        ratio_all = brand.value / (unit_all + over / np.maximum(st.capacity[brand.cand], 1))
        offered = {}
        for j, n, least in offers:
            i = int(np.flatnonzero(brand.cand == j)[0])
            unit = unit_all[i]
            # the bundle clears the hurdle with its overhead spread over its posts
            assert brand.value[i] / (unit + over / n) >= br.hurdle
            assert 1 <= n <= st.capacity[j]
            # the least bundle the brand takes is the smallest that still clears the hurdle
            assert 1 <= least <= n
            assert brand.value[i] / (unit + over / least) >= br.hurdle
            if least > 1:
                assert brand.value[i] / (unit + over / (least - 1)) < br.hurdle
            ch = tier_channel(int(st.tier[j]))
            left[ch] -= n * unit + over
            offered.setdefault(ch, []).append(ratio_all[i])
            if not brand.uses_platform:
                assert st.inf_topic[j] == brand.category or st.tier[j] == CELEBRITY
            assert st.allowed[brand.index, ch]
        # best first: in each channel, every candidate not yet asked that ranks above an
        # offered one was offered too (or refused at once, being fully booked)
        for ch, ratios in offered.items():
            sel = (tier_channel(st.tier[brand.cand]) == ch) & ~before[brand.cand]
            sel &= st.capacity[brand.cand] > 0
            better = brand.cand[sel & (ratio_all > min(ratios) + 1e-12)]
            assert brand.asked[better].all()
        # within each channel's budget
        assert np.all(left[TIER_CHANNELS] >= -1e-9)
        checked += 1
    assert checked >= 5


def test_a_hurdle_nobody_clears_means_no_deals(tiny):
    res = run(tiny(brands={"hurdle": 1e6}, run={"steps": 30}), seed=1)
    assert res.brands["deals"].sum() == 0
    assert res.summary["influencer_income"] == 0.0


def test_the_platform_shows_measured_audiences(tiny):
    model = MarketModel(tiny(brands={"platform_share": 1.0}), seed=5)
    for _ in range(20):
        model.step()
    st = model.state
    e = st.edges
    model.forget_audience_stats()
    cand = np.arange(st.n_influencers)
    b = 0
    trust, interest, adopted = model.audience_stats(cand, b)
    c = int(st.category[b])
    for j in cand[st.counts > 0]:
        rows = np.flatnonzero(e.active[: e.n] & (e.dst[: e.n] == j))
        f = e.src[rows]
        assert trust[j] == pytest.approx(e.trust[rows].mean() * st.trust0[j], rel=1e-6)
        assert interest[j] == pytest.approx(st.interest[f, c].mean(), rel=1e-6)
        assert adopted[j] == pytest.approx(st.adopted[b, f].mean())


# -- budgets move --------------------------------------------------------------------------


def test_a_fixed_split_never_changes(tiny):
    cfg = tiny(brands={"learning_rate": 0.0, "n_brands": 4}, run={"period": 10})
    model = MarketModel(cfg, seed=2)
    start = model.state.shares.copy()
    for _ in range(60):
        model.step()
        np.testing.assert_array_equal(model.state.shares, start)
    assert sum(b.spend for b in model.brands) > 0


def test_budgets_learn_from_realized_returns(tiny):
    # with learning the split moves after the first period, and stays a split
    model = MarketModel(tiny(run={"period": 10}), seed=2)
    start = model.state.shares.copy()
    for _ in range(40):
        model.step()
    assert not np.allclose(model.state.shares, start)
    np.testing.assert_allclose(model.state.shares.sum(axis=1), 1.0)


def test_an_algorithm_change_moves_budget_away_from_own_posts():
    """The feed demotes brands' own posts by 80% from day 90: own promotion no longer clears
    the hurdle, the own channel returns nothing, and budgets leave it. The same market and
    seed without the change, 240 days at 10,000 followers: mean own share at the end measured
    0.41, 0.48, 0.45 (seeds 1-3) without and 0.30, 0.32, 0.33 with the change."""
    shares = {}
    for demotion in (0.0, 0.8):
        cfg = baseline(
            "population.n_followers=10000",
            "run.steps=240",
            f"algorithm.brand_demotion={demotion}",
            "algorithm.change_step=90",
        )
        ts = run(cfg, seed=1).timeseries
        shares[demotion] = ts["budget_share_own"].to_numpy()
        if demotion:
            assert ts["own_spend"].iloc[-30:].sum() == 0.0
    # identical until the change is seen at the start of the period containing day 90
    np.testing.assert_array_equal(shares[0.0][:60], shares[0.8][:60])
    assert shares[0.8][-1] < shares[0.0][-1] - 0.05


# -- influencers choose ---------------------------------------------------------------------


def test_more_authentic_influencers_plan_fewer_sponsored_posts(tiny):
    """An influencer's plan is the k that maximises U(k, 0): with every account at rest,
    a longer horizon (authenticity x lookahead) never asks for more posts; the myopic one
    takes the cap, the far-sighted ones stop inside."""
    cfg = tiny(brands={"n_brands": 0})
    model = MarketModel(cfg, seed=1)
    st = model.state
    m = st.n_influencers
    st.horizon = np.linspace(0.0, 24.0, m)
    plan_influencers(model)
    cap = cfg.influencers.sponsored_cap
    assert st.capacity[0] == cap
    assert np.all(np.diff(st.capacity) <= 0)
    assert 0 < st.capacity[-1] < cap


def test_authenticity_lowers_capacity_in_a_market(tiny):
    caps = {}
    for a in (0.1, 0.9):
        model = MarketModel(tiny(influencers={"authenticity_mean": a}), seed=3)
        model.step()
        caps[a] = model.state.capacity.mean()
    assert caps[0.9] < caps[0.1]


def test_influencers_take_off_topic_posts_only_while_they_pay(tiny):
    """An off-topic post is taken only if U(booked + 1, off + 1) > U(booked, off): a myopic
    influencer (horizon 0, U = k) takes every one up to the cap, a far-sighted one stops
    where the trust and followers it expects to lose outweigh the fee. On-topic posts are
    taken up to the planned capacity."""
    model = MarketModel(tiny(brands={"platform_share": 1.0, "n_brands": 4}), seed=1)
    st = model.state
    cap = model.cfg.influencers.sponsored_cap
    j = int(np.argmax(st.counts))
    topic = int(st.inf_topic[j])
    off_brand, on_brand = 0, 1
    st.category[off_brand] = (topic + 1) % model.cfg.population.n_topics
    st.category[on_brand] = topic
    taken = {}
    for horizon in (0.0, 50.0):
        st.horizon[:] = horizon
        plan_influencers(model)
        table = model.sponsorship[j]
        expected = 0
        while expected < cap and table[expected + 1, expected + 1] > table[expected, expected]:
            expected += 1
        st.booked[:], st.booked_off[:], st.schedule[:] = 0, 0, -1
        got = dict(model.influencer(j).accept([(off_brand, cap, 1)]))
        assert got.get(off_brand, 0) == expected
        assert st.booked_off[j] == st.booked[j] == expected
        taken[horizon] = expected
        # on-topic offers: up to the plan
        st.booked[:], st.booked_off[:], st.schedule[:] = 0, 0, -1
        got = dict(model.influencer(j).accept([(on_brand, cap, 1)]))
        assert got.get(on_brand, 0) == st.capacity[j]
        # a brand that takes no fewer than more than the plan allows gets nothing
        st.booked[:], st.booked_off[:], st.schedule[:] = 0, 0, -1
        got = dict(model.influencer(j).accept([(on_brand, cap, st.capacity[j] + 1)]))
        assert got == {}
        assert st.booked[j] == 0
    assert taken[0.0] == cap
    assert 0 < taken[50.0] < cap


# -- relationships cost overhead ------------------------------------------------------------


def test_overhead_is_charged_per_relationship_period(tiny):
    res = run(
        tiny(brands={"platform_share": 0.5, "n_brands": 4, "relationship_cost": 80.0}), seed=6
    )
    br = res.brands
    for _, row in br.iterrows():
        per = 80.0 * (0.3 if row["uses_platform"] else 1.0)
        assert row["overhead"] == pytest.approx(per * row["relationships"])
    assert (br["relationships"] > 0).sum() >= 2
    # twenty small relationships cost more than one large one: overhead counts relationships
    assert (br["deals"] >= br["relationships"]).all()


def test_a_costlier_relationship_means_fewer_micro_deals():
    """Micro-strategy brands, 90 days at 10,000 followers: deals measured 1963 / 1877 / 1085
    (seed 1) and 1907 / 1869 / 1091 (seed 2) at a relationship cost of $0 / $50 / $200, with
    more posts per relationship as it costs more (3.4 to 3.7 and 3.5 to 3.9)."""
    deals, per_rel = [], []
    for cost in (0.0, 200.0):
        cfg = baseline(
            "population.n_followers=10000", "run.steps=90", f"brands.relationship_cost={cost}"
        )
        br = run(cfg, seed=1).brands
        micro = br[br["strategy"] == STRATEGIES[STRATEGY_MICRO]]
        deals.append(micro["deals"].sum())
        per_rel.append(micro["deals"].sum() / micro["relationships"].sum())
    assert deals[1] < 0.8 * deals[0]
    assert per_rel[1] > per_rel[0]
