"""The classroom page's wiring: slider value -> config key -> model state, and its pictures.

None of these needs solara or a browser; ``test_app_browser.py`` drives the real page.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.app.charts import CHARTS, ChartCanvas, NetworkCanvas
from simulation.app.model import (
    LEVERS,
    ClassroomModel,
    NetworkSample,
    lever_overrides,
    lever_values,
    scenario_config,
    scenario_names,
)
from simulation.config import apply_overrides, config_to_dict
from simulation.model import MarketModel
from simulation.vocabulary import STRATEGIES, STRATEGY_CELEBRITY, STRATEGY_MICRO

#: Small enough to build in a fraction of a second; every scenario fits it.
N = 1_500


def small(**kw) -> ClassroomModel:
    return ClassroomModel(n_followers=N, sample_size=60, **kw)


def value_at(cfg, key: str):
    section, name = key.split(".")
    return config_to_dict(cfg)[section][name]


def test_levers_name_real_config_keys():
    cfg = scenario_config("baseline")
    for lever in LEVERS:
        value_at(cfg, lever.key)  # raises KeyError if the key does not exist
    assert set(lever_values(cfg)) == {lever.name for lever in LEVERS}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n_brands", 4, 4),
        ("share_micro", 0.2, 0.2),
        ("share_celebrity", 0.5, 0.5),
        ("sponsored_cap", 6, 6),
        ("sensitivity", 2.5, 2.5),
        ("relationship_cost", 120, 120.0),
        ("platform", True, 1.0),
        ("platform", False, 0.0),
    ],
)
def test_each_lever_sets_its_config_key(name, value, expected):
    base = scenario_config("baseline")
    overrides, notes = lever_overrides(base, N, {name: value})
    key = next(lever.key for lever in LEVERS if lever.name == name)
    assert overrides[key] == expected
    assert value_at(apply_overrides(base, overrides), key) == expected
    assert overrides["population.n_followers"] == N
    assert notes == []


def test_levers_reach_the_model_state():
    model = small(
        seed=2,
        n_brands=6,
        share_micro=0.5,
        share_celebrity=0.5,
        platform=True,
        sensitivity=0.0,
        sponsored_cap=0,
    )
    st = model.state
    assert st.n_followers == N
    assert st.n_brands == 6
    counts = np.bincount(st.strategy, minlength=len(STRATEGIES))
    assert counts[STRATEGY_MICRO] == counts[STRATEGY_CELEBRITY] == 3 == counts.sum() / 2
    assert st.platform.all()
    assert float(st.sensitivity.max()) == 0.0
    assert int(st.capacity.max()) == 0


def test_page_model_is_the_cli_model():
    """Same scenario, seed and size: the page's run is the command line's run (the network
    sample draws from its own Generator and does not disturb the market's)."""
    page = small(seed=9)
    plain = MarketModel(page.cfg, seed=9)
    for _ in range(8):
        page.step()
        plain.step()
        page.sample.frame()
    assert page.metrics == pytest.approx(plain.metrics, nan_ok=True)


def test_untouched_levers_keep_the_scenario():
    """A slider still at its start position leaves the chosen scenario's value alone."""
    start = lever_values(scenario_config("baseline"))
    for name in scenario_names():
        base = scenario_config(name)
        overrides, _ = lever_overrides(base, N, start, start)
        cfg = apply_overrides(base, overrides)
        for lever in LEVERS:
            assert value_at(cfg, lever.key) == value_at(base, lever.key), (name, lever)
    moved, _ = lever_overrides(scenario_config("baseline"), N, start | {"n_brands": 3}, start)
    assert moved["brands.n_brands"] == 3
    assert "brands.share_micro" not in moved


def test_untouched_population_is_the_scenario_size_at_most_the_default():
    start = {"n_followers": 10_000}
    for name, expected in (("baseline", 10_000), ("cascade", 50), ("bass", 2_000)):
        if name not in scenario_names():
            continue
        base = scenario_config(name)
        overrides, _ = lever_overrides(base, 10_000, {}, start)
        want = min(expected, base.population.n_followers)
        assert overrides["population.n_followers"] == want, name
    moved, _ = lever_overrides(scenario_config("baseline"), 12_000, {}, start)
    assert moved["population.n_followers"] == 12_000


def test_seed_text_and_invalid_combinations():
    """Text from the page's seed box is parsed; combinations the config refuses are adjusted
    with a note on the page instead of failing on Reset."""
    assert small(seed="7").seed_value == 7
    bad = small(seed="abc", share_micro=0.8, share_celebrity=0.6)
    assert bad.seed_value == bad.cfg.run.seed
    assert bad.cfg.brands.share_micro == 0.8
    assert bad.cfg.brands.share_celebrity == pytest.approx(0.2)
    assert any("seed" in note for note in bad.notes)
    assert any("celebrity share" in note for note in bad.notes)
    base = scenario_config("baseline")
    overrides, notes = lever_overrides(base, 10, {})
    assert overrides["population.n_followers"] == 10  # accounts need no follower each
    assert notes == []


def test_model_accepts_exactly_the_page_parameters():
    """SolaraViz re-creates the model with its parameters as keywords; an unknown one fails."""
    with pytest.raises(TypeError):
        ClassroomModel(nonsense=1)


def test_network_sample_is_bounded_and_tracks_unfollows():
    # myopic influencers, many brands and sensitive followers: trust erodes within months
    model = ClassroomModel(
        scenario="myopic", n_followers=3_000, seed=3, sample_size=150, sensitivity=3.0, n_brands=40
    )
    sample = model.sample
    assert isinstance(sample, NetworkSample)
    assert sample.followers.size == 150
    f = model.sample.frame()
    assert f["inf_xy"].shape == (model.state.n_influencers, 2)
    assert f["f_xy"].shape == (150, 2)
    assert len(f["segments"]) == len(f["active"])
    e = model.state.edges
    seen = 0
    for _ in range(120):
        before = e.active[sample.rows].copy()
        model.step()
        f = sample.frame(("fatigue", "adopted", "trust")[model.steps % 3])
        gone = sample.rows[: before.size][before & ~e.active[sample.rows[: before.size]]]
        assert set(sample.removed.tolist()) == set(gone.tolist())
        assert np.all(sample.member[e.src[sample.rows]])
        assert np.all((f["f_value"] >= 0) & (f["f_value"] <= 1))
        seen += len(f["removed"])
    assert seen == sample.unfollows_seen
    assert seen > 0, "ad-sensitive followers of myopic influencers should unfollow"


def test_pictures_change_as_the_market_runs():
    model = small(seed=4)
    charts = {name: ChartCanvas(model, name) for name in CHARTS}
    net = NetworkCanvas(model)
    model.step()
    first = {name: c.render() for name, c in charts.items()} | {"net": net.render()}
    for _ in range(5):
        model.step()
    later = {name: c.render() for name, c in charts.items()} | {"net": net.render()}
    for name, png in first.items():
        assert png.startswith(b"\x89PNG"), name
        assert later[name] != png, f"{name} did not change"
