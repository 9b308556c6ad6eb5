"""Our brand: a focal brand set in the scenario file, run by the market's rules and reported
apart from the market (``[our_brand]``, docs/ODD.md 2.3)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.cli import main, our_brand_report
from simulation.compare import plan_comparison
from simulation.config import ConfigError, apply_overrides, load_config
from simulation.model import MarketModel
from simulation.resources import configs_dir
from simulation.runner import run
from simulation.state import build_state

TINY = configs_dir() / "tiny.toml"


def _tiny(**keys):
    return apply_overrides(load_config(TINY), keys)


def test_without_our_brand_nothing_is_reported_and_the_market_is_unchanged():
    cfg = load_config(TINY)
    res = run(cfg, seed=3, steps=60, progress=False)
    assert all(v is None for v in res.summary["our_brand"].values())
    assert not res.brands["our_brand"].any()
    assert res.timeseries["our_brand_sales_per_dollar"].isna().all()
    assert our_brand_report(res.summary["our_brand"]) == []


def test_our_brand_is_set_not_drawn_and_leaves_the_markets_draws_alone():
    plain = build_state(load_config(TINY), np.random.default_rng(5))
    cfg = _tiny(**{"our_brand.strategy": "celebrity", "our_brand.category": 2})
    ours = build_state(cfg, np.random.default_rng(5))
    b = plain.n_brands
    assert ours.n_brands == b + 1 and ours.our == b and plain.our == -1
    np.testing.assert_array_equal(ours.category[:b], plain.category)
    np.testing.assert_array_equal(ours.strategy[:b], plain.strategy)
    np.testing.assert_array_equal(ours.interest, plain.interest)
    np.testing.assert_array_equal(ours.edges.dst[: ours.edges.n], plain.edges.dst[: plain.edges.n])
    assert ours.category[b] == 2
    assert ours.allowed[b].tolist() == [True, False, False, False, False, True]  # own, celebrity


def test_our_brand_is_reported_apart_from_its_peers():
    cfg = _tiny(**{"our_brand.strategy": "micro", "our_brand.budget": 4000.0})
    res = run(cfg, seed=1, steps=90, progress=False)
    br, o = res.brands, res.summary["our_brand"]
    assert br["our_brand"].sum() == 1 and bool(br["our_brand"].iloc[-1])
    row = br[br["our_brand"]].iloc[0]
    periods = -(-90 // cfg.run.period)
    assert row["budget_per_period"] == 4000.0
    assert o["budget"] == pytest.approx(4000.0 * periods)
    assert o["budget_used"] == pytest.approx(row["spend"]) and o["budget_used"] > 0
    assert o["customers"] == pytest.approx(row["customers"])
    assert o["deals"] == row["deals"] > 0
    # the daily columns add up to the run's totals
    assert res.timeseries["our_brand_spend"].sum() == pytest.approx(o["budget_used"])
    assert res.timeseries["our_brand_customers"].sum() == pytest.approx(o["customers"])
    assert res.timeseries["our_brand_sales_per_dollar"].iloc[-1] == pytest.approx(
        o["sales_per_dollar"]
    )
    # the market's micro brands, without ours, are its peers and the strategy's outcome
    peers = br[(br["strategy"] == "micro") & ~br["our_brand"]]
    expected = peers["sales_value"].sum() / peers["spend"].sum()
    assert o["peers_sales_per_dollar"] == pytest.approx(expected)
    assert res.summary["sales_per_dollar_by_strategy"]["micro"] == pytest.approx(expected)
    assert res.summary["budget_used_by_strategy"]["micro"] == pytest.approx(peers["spend"].sum())


def test_a_bigger_budget_buys_more_customers():
    """The same market and seed: our brand with ten times the budget spends more and wins
    more customers (not necessarily more posts: money a tier cannot use at $140 a period buys
    dearer accounts at $1,400)."""
    small, big = (
        run(
            _tiny(**{"our_brand.strategy": "mixed", "our_brand.budget": budget}),
            seed=1,
            steps=90,
            progress=False,
        ).summary["our_brand"]
        for budget in (1000.0, 10000.0)
    )
    assert big["budget_used"] > 3 * small["budget_used"]
    assert big["customers"] > small["customers"]


def test_a_brand_that_does_not_learn_keeps_its_planned_split():
    keys = {"our_brand.strategy": "mixed", "our_brand.own_share": 0.5}
    fixed = MarketModel(_tiny(**keys, **{"our_brand.learns": False}), seed=1)
    learning = MarketModel(_tiny(**keys), seed=1)
    planned = fixed.state.shares[fixed.state.our].copy()
    for _ in range(90):
        fixed.step()
        learning.step()
    np.testing.assert_array_equal(fixed.state.shares[fixed.state.our], planned)
    assert not np.allclose(learning.state.shares[learning.state.our], planned)


def test_a_category_outside_the_topics_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"our_brand\.category: 9 is not a topic; allowed 0 to"):
        _tiny(**{"our_brand.strategy": "micro", "our_brand.category": 9})
    with pytest.raises(ConfigError, match=r"our_brand\.strategy: 'big' is not one of"):
        _tiny(**{"our_brand.strategy": "big"})


def test_the_run_prints_our_brands_lines(tmp_path, capsys):
    code = main(
        [
            "run",
            "tiny",
            "--set",
            'our_brand.strategy="micro"',
            "--out",
            str(tmp_path / "r"),
            "--quiet",
        ]
    )
    assert code == 0
    code = main(
        ["run", "tiny", "--set", 'our_brand.strategy="micro"', "--out", str(tmp_path / "s")]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "our brand: spent $" in text and "(peers " in text


def test_compare_reports_our_brand_only_when_a_scenario_has_one(tmp_path):
    ours = tmp_path / "ours.toml"
    ours.write_text('[our_brand]\nstrategy = "micro"\n', encoding="utf-8")
    with_ours = plan_comparison(["tiny", str(ours)], quick=True)
    without = plan_comparison(["tiny", "saturation"], quick=True)
    keys = [k for k, _, _ in with_ours.outcomes]
    assert "our_brand.sales_per_dollar" in keys and "our_brand.peers_sales_per_dollar" in keys
    assert "our_brand.sales_per_dollar" in with_ours.text
    assert not any(k.startswith("our_brand") for k, _, _ in without.outcomes)
    assert "our_brand" not in without.text


def test_an_our_brand_table_without_a_strategy_is_refused(tmp_path):
    """A brand that would vanish silently (the strategy defaults to none) is one clear error."""
    f = tmp_path / "mine.toml"
    f.write_text("[our_brand]\ncategory = 3\nbudget = 5000.0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"our_brand\.strategy: not set"):
        load_config(f)
    f.write_text('[our_brand]\nstrategy = "none"\ncategory = 3\n', encoding="utf-8")
    assert load_config(f).our_brand.strategy == "none"  # switched off on purpose


def test_compare_does_not_difference_peers_of_different_strategies(tmp_path):
    """Our brand's peers are the brands of its strategy: between a micro plan and a mixed plan
    they are other brands, so the report does not subtract them (our brand's own rows it
    does)."""
    import pandas as pd

    from simulation.compare import run_compare

    plans = []
    for s in ("micro", "mixed"):
        f = tmp_path / f"{s}.toml"
        f.write_text(f'[our_brand]\nstrategy = "{s}"\n', encoding="utf-8")
        plans.append(str(f))
    out = tmp_path / "cmp"
    run_compare(plans, out, quick=True, workers=1, progress=False)
    diffs = pd.read_csv(out / "differences.csv")
    peers = diffs[diffs["outcome"] == "our_brand.peers_sales_per_dollar"]
    own = diffs[diffs["outcome"] == "our_brand.budget_used_share"]
    assert len(peers) == 1 and peers["difference"].isna().all()
    assert np.isfinite(own["difference"]).all()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "not compared: our brand's strategy differs, so its peers do" in report
