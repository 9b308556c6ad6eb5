"""The classroom page's wiring: slider value -> config key -> model state, the charts'
specifications, the monitors and the lessons.

None of these needs solara or a browser; ``test_app_browser.py`` drives the real page.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulation.app.charts import (
    CHARTS,
    FONT_PX,
    MAX_POINTS,
    RUNS,
    NetworkCanvas,
    chart_rows,
    chart_spec,
)
from simulation.app.lessons import INFO, LESSONS, PRESETS, preset_settings
from simulation.app.model import (
    FOLLOWERS,
    LEVERS,
    MIN_FOLLOWERS,
    ClassroomModel,
    NetworkSample,
    lever_overrides,
    lever_values,
    page_scenarios,
    parameter,
    scenario_config,
    scenario_names,
    settings_for,
)
from simulation.app.monitors import monitors, people, scale_note
from simulation.app.vega import bundled_libraries, split_spec
from simulation.config import apply_overrides, config_to_dict
from simulation.model import MarketModel
from simulation.plots import STRATEGY_COLORS, TIER_COLORS
from simulation.vocabulary import STRATEGIES, STRATEGY_CELEBRITY, STRATEGY_MICRO, TIERS

#: Small enough to build in a fraction of a second; every scenario fits it.
N = 1_500


def small(**kw) -> ClassroomModel:
    return ClassroomModel(n_followers=N, sample_size=60, **kw)


def value_at(cfg, key: str):
    section, name = key.split(".")
    return config_to_dict(cfg)[section][name]


def test_levers_name_real_config_keys_with_their_units():
    cfg = scenario_config("baseline")
    for lever in (*LEVERS, FOLLOWERS):
        meta = parameter(lever.key)  # raises KeyError if the key does not exist
        value_at(cfg, lever.key)
        if meta["unit"]:  # the parameter table's unit is the slider's
            assert lever.unit == meta["unit"], lever
        assert lever.unit, f"{lever.name} shows no unit"
        assert lever.meaning == meta["doc"]
        assert meta["lo"] is None or lever.lo >= meta["lo"], lever
        assert meta["hi"] is None or lever.hi <= meta["hi"], lever
    assert set(lever_values(cfg)) == {lever.name for lever in LEVERS}
    assert FOLLOWERS.unit == "agents"
    by = {lever.name: lever for lever in LEVERS}
    assert by["sponsored_cap"].unit == "posts/period"  # per 30-day period, not per week
    assert by["relationship_cost"].unit == "$/relationship/period"


def test_a_slider_shows_its_value_and_unit():
    by = {lever.name: lever for lever in LEVERS}
    assert by["n_brands"].text(20) == "20 brands"
    assert by["share_micro"].text(0.4) == "0.40 share of brands"
    assert by["share_micro"].text(0.30000000000000004) == "0.30 share of brands"
    assert by["sponsored_cap"].text(8) == "8 posts/period"
    assert by["relationship_cost"].text(50.0) == "50 $/relationship/period"
    assert by["sensitivity"].text(2) == "2.0 x trust erosion"
    assert by["change_step"].text(180) == "day 180"
    assert FOLLOWERS.text(10_000) == "10,000 agents"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n_brands", 4, 4),
        ("share_micro", 0.2, 0.2),
        ("share_celebrity", 0.5, 0.5),
        ("hurdle", 0.0, 0.0),
        ("relationship_cost", 120, 120.0),
        ("platform_share", 0.5, 0.5),
        ("sponsored_cap", 6, 6),
        ("lookahead", 0, 0.0),
        ("sensitivity", 2.5, 2.5),
        ("brand_demotion", 0.8, 0.8),
        ("change_step", 180, 180),
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
        platform_share=1.0,
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


def test_a_scenario_sets_every_slider_to_its_values():
    """Picking a scenario moves the sliders to its values, and the market built from the
    sliders is that scenario (at the page's population)."""
    for name in page_scenarios():
        base = scenario_config(name)
        settings = settings_for(name, N)
        assert settings["n_followers"] == min(N, base.population.n_followers)
        model = ClassroomModel(**settings)
        for lever in LEVERS:
            assert value_at(model.cfg, lever.key) == pytest.approx(value_at(base, lever.key))
    assert settings_for("platform")["platform_share"] == 0.5
    assert settings_for("myopic")["lookahead"] == 0.0


def test_the_page_offers_scenarios_that_fit_its_slider():
    offered = page_scenarios()
    assert "baseline" in offered and "platform" in offered
    for name in scenario_names():
        fits = scenario_config(name).population.n_followers >= MIN_FOLLOWERS
        assert (name in offered) == fits, name


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


def test_model_accepts_exactly_the_page_settings():
    with pytest.raises(TypeError):
        ClassroomModel(nonsense=1)
    ClassroomModel(**settings_for("baseline", N), sample_size=10)  # every setting is a keyword


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


def _series(model) -> dict[str, list]:
    return {k: list(v) for k, v in model.datacollector.model_vars.items()}


def test_chart_specifications_follow_the_run():
    model = small(seed=4)
    for _ in range(3):
        model.step()
    first = {name: chart_spec(name, _series(model)) for name in CHARTS}
    for _ in range(5):
        model.step()
    later = {name: chart_spec(name, _series(model)) for name in CHARTS}
    for name, spec in later.items():
        json.dumps(spec, allow_nan=False)  # valid JSON: no NaN reaches the browser
        assert spec["data"]["values"] != first[name]["data"]["values"], name
        assert spec["data"]["values"][-1]["day"] == 8
        # one colour per tier and strategy, the run's plots' colours
        scale = spec["encoding"]["color"]["scale"]
        colours = dict(zip(scale["domain"], scale["range"], strict=True))
        for tier in TIERS:
            if tier in colours and name.endswith("by_tier"):
                assert colours[tier] == TIER_COLORS[tier]
        for strategy in STRATEGIES:
            if name == "sales_by_strategy":
                assert colours[strategy] == STRATEGY_COLORS[strategy]
        # text a projector shows: 14 px or more
        config = spec["config"]
        assert config["axis"]["labelFontSize"] >= FONT_PX >= 14
        assert config["legend"]["labelFontSize"] >= 14
        assert spec["title"]["subtitleFontSize"] >= 14
        # the x axis does not move: day 0 to the stop day
        assert spec["encoding"]["x"]["scale"]["domain"] == [0, 365]
        assert spec["encoding"]["y"]["scale"].get("type") == ("log" if CHARTS[name].log else None)


def test_charts_show_the_previous_run_faded_on_the_same_axes():
    model = small(seed=5)
    for _ in range(400):
        model.step()
    old = _series(model)
    new = {k: v[:50] for k, v in old.items()}
    spec = chart_spec("engagement_by_tier", new, old, last_day=365)
    runs = {row["run"] for row in spec["data"]["values"]}
    assert runs == set(RUNS)
    opacity = spec["encoding"]["opacity"]["scale"]
    assert dict(zip(opacity["domain"], opacity["range"], strict=True))[RUNS[1]] < 1
    # the longer previous run widens the fixed x axis; its points are thinned
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 400]
    rows = chart_rows(CHARTS["engagement_by_tier"], old, RUNS[1])
    assert len(rows) == MAX_POINTS
    assert rows[-1]["day"] == 400
    split, data = split_spec(spec)
    assert split["data"] == {"name": "table"} and data == spec["data"]["values"]


def test_vega_is_loaded_from_the_bundled_assets(tmp_path):
    for name in ("vega@5.21.0", "vega@5.9.1", "vega-lite@5.2.0", "vega-embed@6.20.2"):
        (tmp_path / name).mkdir()
    found = bundled_libraries.__wrapped__(tmp_path)
    assert found["vega"] == "vega@5.21.0"  # the highest version, not the last listed
    assert found["vega-lite"] == "vega-lite@5.2.0"
    assert found["requirejs"] == "requirejs@2.3.6"  # none bundled: asked for by version


def test_network_image_changes_as_the_market_runs():
    # sensitive followers of myopic influencers: unfollows within weeks
    model = ClassroomModel(
        scenario="myopic", n_followers=2_000, seed=3, sample_size=100, sensitivity=3.0, n_brands=40
    )
    net = NetworkCanvas(model)
    model.step()
    first = net.render()
    for _ in range(30):
        model.step()
    later = net.render()
    assert first.startswith(b"\x89PNG") and later != first
    assert "Day 31" in net.caption()


def test_monitors_report_the_models_figures():
    model = small(seed=6, n_brands=10)
    empty = monitors(model)
    assert all(m.value == "–" for m in empty["prices_by_tier"])
    for _ in range(40):
        model.step()
    m = model.metrics
    shown = monitors(model)
    prices = {x.label: x.value for x in shown["prices_by_tier"]}
    for tier in TIERS:
        price = m[f"price_{tier}"]
        assert prices[tier] == (f"${price:,.0f}" if price >= 1000 else f"${price:.3g}")
    unf = shown["unfollows"][0]
    assert unf.value == people(m["unfollows"])
    share = shown["sponsored_share"][0].value
    assert share == f"{100 * m['sponsored_share']:.1f}%"  # one decimal
    money = {x.label: x.value for x in shown["sales_by_strategy"]}
    for s in STRATEGIES:
        v = m[f"sales_per_dollar_{s}"]
        assert money[f"{s}: sales per $"] == ("–" if math.isnan(v) else f"{v:.2f}")
    eng = {x.label: x for x in shown["engagement_by_tier"]}
    last7 = np.nanmean(model.datacollector.model_vars["sponsored_engagement_rate"][-7:])
    assert eng["sponsored posts"].value == f"{100 * last7:.2f}%"
    assert eng["micro"].color == TIER_COLORS["micro"]
    used = shown["budget_shares"][0].value
    assert used.endswith("%") and 0 <= float(used[:-1]) <= 100.0001
    note = scale_note(model)
    assert f"{N:,} simulated followers" in note
    assert f"{model.cfg.population.people:,} people" in note
    assert set(shown) <= set(CHARTS)


def test_the_information_panel_has_netlogos_sections_and_presets():
    headings = [h for h, _ in INFO]
    assert headings == [
        "What is it?",
        "How it works",
        "How to use it",
        "Things to notice",
        "Things to try",
        "Extending the model",
        "Credits and references",
    ]
    assert {"unfollow", "cap_many", "cap_few", "saturation", "overhead", "platform"} <= set(PRESETS)
    assert {"algorithm", "our_brand"} <= set(PRESETS)
    assert all(lesson.presets for lesson in LESSONS)
    names = {lever.name for lever in LEVERS}
    for key, preset in PRESETS.items():
        assert preset.scenario in page_scenarios(), key
        assert set(preset.levers) <= names and set(preset.compare) <= names, key
        settings = preset_settings(preset, N)
        for name, value in preset.levers.items():
            assert settings[name] == value
        ClassroomModel(**settings, sample_size=10)  # a valid market


def test_the_unfollow_preset_shows_the_unfollow_effect():
    """What the lesson asks students to compare: the preset's sensitive followers unfollow;
    with sensitivity 0 (its comparison) the same market has no unfollows."""
    preset = PRESETS["unfollow"]
    runs = []
    for compare in (False, True):
        settings = preset_settings(preset, 2_000) | (preset.compare if compare else {})
        model = ClassroomModel(**settings, sample_size=10)
        for _ in range(90):
            model.step()
        runs.append(float(np.sum(model.datacollector.model_vars["unfollows"])))
    assert runs[0] > 0
    assert runs[1] == 0


def test_the_panels_markdown_becomes_safe_html():
    from simulation.app.lessons import to_html

    html = to_html("**Notice** the *cap* (`sponsored_cap`) at $200 <b>\n\n- one\n- two & three")
    assert html == (
        "<p><strong>Notice</strong> the <em>cap</em> (<code>sponsored_cap</code>) at $200 "
        "&lt;b&gt;</p><ul><li>one</li><li>two &amp; three</li></ul>"
    )
