"""The findings the experiments state, asserted: a change that breaks one fails here.

Each test runs one experiment of ``experiments/<name>/`` as its README describes it, its own
sweep files through the sweep machinery and its own ``analysis.analyze``, at a smaller size
(:data:`SIZES`: fewer simulated followers, days, replications or levels, given as the
``--set`` overrides of ``influencer-sim sweep``), and asserts the conclusion its README
states, as a sign, an ordering or a threshold, on the numbers ``analyze`` returns (the
``results`` of ``summary.json``). The runs are seeded from each sweep file's own root seed,
so every test is deterministic; each size was chosen so that the asserted margin is several
times the spread between seeds, measured by running the same size from other root seeds
(``root_seed=1`` and ``2``); the comment beside each assertion gives the values.

The mechanisms behind these findings have their own unit tests (``tests/test_mechanisms.py``,
``tests/test_economics.py``); these tests hold the experiments' conclusions, which several
mechanisms make together.
"""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiment import sweep_files
from simulation.sweep import run_sweep
from simulation.sweep.spec import load_sweep

#: The small size of each experiment: ``--set`` overrides for every sweep file of its folder
#: (``"*"``) and for one file (by its stem).
SIZES: dict[str, dict[str, list[str]]] = {
    "engagement_vs_size": {
        "*": ["base.set.population.n_followers=10000", "steps=180", "replications=3"]
    },
    "baseline_market": {
        "*": ["factors.population.n_followers=[20000]", "steps=180", "replications=2"]
    },
    "strategy_returns": {
        "*": [
            "base.set.population.n_followers=10000",
            "steps=120",
            "replications=3",
            "factors.brands.relationship_cost=[0.0, 200.0]",
        ]
    },
    "less_is_more": {
        "*": [
            "base.set.population.n_followers=10000",
            "steps=180",
            "replications=1",
            "design.n=12",
        ]
    },
    "price_escalation": {
        "*": [
            "base.set.population.n_followers=10000",
            "steps=120",
            "replications=2",
            "factors.brands.n_brands=[5, 20, 80]",
        ]
    },
    "commercial_collapse": {
        "*": ["base.set.population.n_followers=40000", "steps=180", "replications=1"],
        "sweep": [
            "factors.influencers.sponsored_cap=[16]",
            "factors.population.sensitivity_mean=[0.0, 4.0]",
        ],
    },
    "tune_out": {
        "*": [
            "base.set.population.n_followers=40000",
            "steps=150",
            "replications=2",
            "factors.brands.n_brands=[5, 120]",
        ]
    },
    "algorithm_change": {
        "*": [
            "base.set.population.n_followers=10000",
            "base.set.algorithm.change_step=120",
            "steps=240",
            "replications=3",
        ]
    },
    "influencer_balance": {
        "*": ["base.set.population.n_followers=10000", "steps=730", "replications=1"],
        "sweep": [
            "factors.population.sensitivity_mean=[1.0]",
            "factors.influencers.sponsored_cap=[1, 3, 8]",
        ],
    },
}


def run_small(name: str, out: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run experiment ``name`` at its size of :data:`SIZES` into ``out`` (its sweep files
    through the sweep machinery, then its ``analyze``) and return the numbers ``analyze``
    returns. ``extra`` overrides go to every sweep file (the spread was measured with
    ``root_seed=...``)."""
    sizes = SIZES[name]
    folders = {}
    for f in sweep_files(name):
        sweep = load_sweep(f, [*sizes.get("*", []), *sizes.get(f.stem, []), *extra])
        folders[f.stem] = out / "sweeps" / f.stem
        report = run_sweep(sweep, folders[f.stem], workers=1, progress=False)
        assert report.complete and report.n_failed == 0, f"{name}: {f.name} did not finish"
    analysis = importlib.import_module(f"simulation.experiments.{name}.analysis")
    return analysis.analyze(folders, out)


def _rows(records: list[dict], **match) -> list[dict]:
    return [r for r in records if all(r[k] == v for k, v in match.items())]


def _row(records: list[dict], **match) -> dict:
    (row,) = _rows(records, **match)
    return row


def test_engagement_falls_with_audience_size(tmp_path):
    """engagement_vs_size, README "What it shows": "Engagement falls with audience size in
    every replication, at about Markerly's rate", and "Micro / celebrity engagement: 3.45x
    [3.32, 3.57], inside the published 2x-5x" (calibration targets: this holds the fit in the
    experiments' market, it is not evidence)."""
    n = run_small("engagement_vs_size", tmp_path)
    rates = n["by_range"]
    # each range engages less than the one below it, intervals apart: gaps between the
    # intervals 0.022, 0.016, 0.009 (root seeds 1 and 2: at least 0.0073)
    for small, large in itertools.pairwise(rates):
        assert small["ci_low"] > large["ci_high"], (small, large)
    # slope over the ranges -0.178 [-0.182, -0.173] (root seeds 1, 2: upper ends -0.162, -0.151)
    assert n["slope_by_range"]["ci"][1] < -0.1
    # the ratio 3.79 (root seeds 1, 2: 3.74, 3.86), inside 2x-5x with 0.6 to spare
    assert 2.5 < n["micro_to_celebrity"]["mean"] < 4.5, n["micro_to_celebrity"]


def test_overhead_decides_cost_per_engagement_at_the_defaults(tmp_path):
    """baseline_market, README "What it shows", Cost per engagement: "Price only, nano is
    cheapest ($0.09) and micro, mid and macro cost about the same ($0.22-0.25). All in, the
    order reverses: the $50 overhead per relationship per period makes a nano engagement cost
    $0.94 and a micro one $0.50, against $0.29 for mid and $0.26 for macro." """
    (row,) = run_small("baseline_market", tmp_path)["by_population"]
    price = {t: row[f"cpe_{t}"] for t in ("nano", "micro", "mid", "macro")}
    all_in = {t: row[f"cpe_all_in_{t}"] for t in price}
    # price only: nano $0.095 against $0.19-0.25 above it, half the next cheapest (root seeds
    # 1, 2: 0.094 against at least 0.187)
    assert price["nano"] < 0.7 * min(price["micro"], price["mid"], price["macro"]), price
    # all in: nano $0.82, micro $0.42, macro $0.26: nano 1.97 times micro, micro 1.57 times
    # macro (root seeds 1, 2: 1.99 and 2.10; 1.55 and 1.54)
    assert all_in["nano"] > 1.5 * all_in["micro"], all_in
    assert all_in["micro"] > 1.2 * all_in["macro"], all_in


def test_micro_portfolios_sell_more_and_overhead_hurts_them(tmp_path):
    """strategy_returns, README "What it shows": "Micro beats celebrity on sales in every
    condition ... (paired, every interval above 0)"; "Overhead hurts the micro portfolio, as
    the brief says ... its sales per dollar falls from 3.86 to 2.10 and 1.25"; "The platform
    lets micro brands spend the whole budget, at a lower return ... nearly the same at every
    overhead (the platform removes 70% of it)"; "Celebrity brands earn about $5 of EMV per
    dollar ... more than micro brands without it once overhead is paid"."""
    n = run_small("strategy_returns", tmp_path)
    # micro - celebrity, paired: lower ends 0.84-2.90 (root seeds 1, 2: at least 1.08, 0.82)
    for d in n["micro_minus_celebrity"]:
        assert d["ci_low"] > 0, d
    sales = {(r["platform"], r["overhead"]): r for r in _rows(n["returns"], strategy="micro")}
    # without a platform: lower end 2.87 at $0 against upper end 2.10 at $200 (root seeds 1,
    # 2: 5.57 against 1.78, 8.31 against 1.50)
    assert sales[False, 0.0]["sales_per_dollar_lo"] > sales[False, 200.0]["sales_per_dollar_hi"]
    # with the platform the fall is an eighth as large: 0.75 against 6.01 (root seeds 1, 2:
    # 0.46 against 6.76, 0.30 against 9.20)
    fall = {
        p: sales[p, 0.0]["sales_per_dollar"] - sales[p, 200.0]["sales_per_dollar"]
        for p in (False, True)
    }
    assert fall[True] < 0.3 * fall[False], fall
    # attention: celebrity EMV per $ 5.45 against micro's 2.64 at $200 without a platform
    # (root seeds 1, 2: 4.82 against 2.72, 5.69 against 2.70)
    celeb = _row(n["returns"], strategy="celebrity", platform=False, overhead=200.0)
    assert celeb["emv_per_dollar"] > 1.5 * sales[False, 200.0]["emv_per_dollar"]


def test_micro_wins_on_sales_and_celebrity_on_attention_over_the_map(tmp_path):
    """less_is_more, README (first paragraph and "What it shows"): "a brand that put its whole
    budget into micro influencers sold more per dollar than one that put it into celebrities
    in 155 markets (97%)"; "The celebrity portfolio won only where people act on a
    celebrity's recommendation at least 30% of the time"; "On attention the answer reverses:
    celebrities return more earned media value per dollar in 159 of the 160 markets"."""
    n = run_small("less_is_more", tmp_path)
    # micro wins on sales at 11 of 12 points (root seeds 1, 2: 12 and 11 of 12)
    assert n["sales_share"]["micro"] > 0.6, n["sales_share"]
    assert n["sales_mean_difference"] > 0.3  # 0.77 (root seeds 1, 2: 0.91, 0.74)
    # celebrity wins on EMV at 12 of 12 (root seeds 1, 2: 12 of 12)
    assert n["emv_share"]["celebrity"] > 0.8, n["emv_share"]
    assert n["emv_mean_difference"] < -2
    # where celebrity wins on sales, people trust celebrities far more than the surveys'
    # 3-7%: at 0.31 (root seeds 1, 2: none; 0.19). This small map does not resolve the
    # README's 30% threshold itself.
    pts = pd.read_csv(tmp_path / "points.csv")
    assert (pts.loc[pts["d_sales"] < 0, "behaviour__trust_init_large"] > 0.1).all()


def test_prices_rise_with_competing_brands_where_brands_buy(tmp_path):
    """price_escalation, README "What it shows": "Prices rise with competing brands where
    brands buy. Micro prices end at 0.55 of their start with 5 brands, 0.85 with 20 and 1.69
    with 80. Mid and nano prices rise less ...; macro prices do not move." and "Celebrity
    prices do not rise at all. They sit at 0.50, the floor ..., with any number of brands"."""
    n = run_small("price_escalation", tmp_path)
    end = {(int(r["n_brands"]), r["tier"]): r["end_over_start"] for r in n["end_over_start"]}
    # micro 0.52 < 0.76 < 1.72 (root seeds 1, 2: 0.53 < 0.73 < 1.71, 0.53 < 0.70 < 1.63):
    # each step at least 0.17
    for fewer, more in itertools.pairwise((5, 20, 80)):
        assert end[more, "micro"] > end[fewer, "micro"] + 0.1, end
    for b in (5, 20, 80):
        # celebrity 0.499-0.500, macro 0.500-0.507 (root seeds 1, 2: within 0.02 of 0.5)
        assert end[b, "celebrity"] == pytest.approx(0.5, abs=0.02)
        assert end[b, "macro"] == pytest.approx(0.5, abs=0.05)
    # with 80 brands mid (0.63) and nano (0.59) rise less than micro (1.72); the same within
    # 0.02 on root seeds 1, 2
    for tier in ("mid", "nano"):
        assert end[80, tier] < end[80, "micro"] - 0.5


def test_audiences_collapse_past_a_commercial_share_that_falls_with_sensitivity(tmp_path):
    """commercial_collapse, README "What it shows": "Audiences collapse past a commercial
    share that falls with sensitivity ... from 5-10% at 4 ... Without sensitivity (0) no
    audience is lost at any share" and "Market level. Retention falls with both the cap and
    sensitivity"."""
    n = run_small("commercial_collapse", tmp_path)
    collapse = {float(s): v for s, v in n["collapse_share_by_sensitivity"].items()}
    # one replicate: without sensitivity every share bin keeps 0.989-1.005 of the no-deal
    # audience (root seeds 1, 2: 0.991-1.008, 0.998-1.005)
    assert collapse[0.0] is None
    # sensitive followers: accounts at 5-10% share keep 0.78, at 10-15% 0.08 (root seeds 1,
    # 2: 0.80 and 0.09, 0.80 and 0.09): the collapse bin is 10-15% (midpoint 0.125)
    assert collapse[4.0] is not None and collapse[4.0] <= 0.15, collapse
    grid = {r["sensitivity"]: r for r in n["grid"]}
    control = n["control_retention"]["mean"]
    # market retention at cap 16: 1.003 without sensitivity (control 1.004), 0.64 at 4 (root
    # seeds 1, 2: 1.004 and 0.65, 1.004 and 0.61)
    assert grid[0.0]["mean"] == pytest.approx(control, abs=0.01)
    assert grid[4.0]["mean"] < 0.85, grid[4.0]


def test_sponsored_content_is_tuned_out_but_not_by_half(tmp_path):
    """tune_out, README "What it shows" and "What it does not show": "Engagement per
    sponsored impression falls as sponsored content fills the feed, by 26% (full model) and
    21% (fatigue only)"; "Lost trust adds to fatigue ... the full model's engagement per
    impression is lower than with fatigue alone at every level"; "Mean ad fatigue rises
    steadily with the sponsored share"; "The tune-out point is not reached"."""
    n = run_small("tune_out", tmp_path)
    assert n["tune_out_point"] == {"full model": None, "fatigue only": None}
    rows = {(r["variant"], int(r["n_brands"])): r for r in n["by_market"]}
    for v in ("full model", "fatigue only"):
        many, few = rows[v, 120], rows[v, 5]
        # relative engagement at 34% sponsored share: full model 0.74, fatigue only 0.86
        # (root seeds 1, 2: 0.67 and 0.85, 0.72 and 0.81; replicates 0.64-0.77, 0.76-0.88)
        assert 0.55 < many["relative_engagement"] < 0.93, (v, many)
        # fatigue 0.17-0.19 against 0.02 (the same on root seeds 1, 2)
        assert many["mean_fatigue"] > 4 * few["mean_fatigue"]
        assert many["sponsored_engagements_per_day"] > few["sponsored_engagements_per_day"]
    # per impression the full model engages 0.72 and 0.61 times as much as fatigue alone
    # (root seeds 1, 2: 0.71 and 0.56, 0.65 and 0.57)
    for b in (5, 120):
        full, fatigue = rows["full model", b], rows["fatigue only", b]
        assert full["engagement_per_impression"] < 0.85 * fatigue["engagement_per_impression"]


def test_demoting_brand_posts_moves_budget_to_influencers(tmp_path):
    """algorithm_change, README "What it shows": "Brands stop promoting their own posts
    altogether ... own-post views and customers fall to zero" and "Budgets move toward
    influencers"."""
    n = run_small("algorithm_change", tmp_path)
    assert n["change_day"] == 120 and n["window_days"] == 90
    e = n["effects"]
    for k in ("own_impressions", "customers_own"):
        assert e[k]["demotion_over_control_after"] == 0.0, (k, e[k])
    # planned own share 0.91 [0.89, 0.93] of the control's (root seeds 1, 2: upper ends
    # 0.94, 0.93)
    assert e["budget_share_own"]["ci"][1] < 0.97, e["budget_share_own"]


def test_long_run_income_is_an_inverted_u_in_the_deal_load(tmp_path):
    """influencer_balance, README "What it shows": "Long-run income is an inverted U in the
    deal load. At the default sensitivity it peaks at 3-4 posts a period ... and falls to 0.89
    at 8; the peak is 1.14 [1.02, 1.26] above the income at 8 (paired)" and "Influencers
    choose close to the peak ... 93% of micro influencers choose 3 posts a period"."""
    n = run_small("influencer_balance", tmp_path)
    peak = {float(s): p for s, p in n["peaks"].items()}[1.0]
    turn = {float(s): t for s, t in n["turn"].items()}[1.0]
    # one replicate: income a period in year 2 peaks at 3 posts, 1.98, and is 0.82 at 8
    # (root seeds 1, 2: the peak at 3 too)
    # the README's "peaks at 3-4 posts": a peak inside the loads that earn (not at 1, not at 8)
    assert peak["inverted_u"] and peak["peak_load"] in (3.0, 4.0), peak
    # income at 3 posts minus at 8, paired: 1.16 (root seeds 1, 2: 1.20, 1.18)
    assert turn["peak_minus_max_load"] > 0.5, turn
    # the loads chosen in the baseline market: 3 posts for 94% (root seeds 1, 2: 94%, 94%)
    assert n["chosen"]["share_by_capacity"][3] > 0.8, n["chosen"]
