"""Declared outputs: a run records exactly the declared columns and summary keys, of the
declared types; the chart list draws declared columns in one colour per tier, strategy and
event."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tiny_dict

from simulation.config import config_from_dict
from simulation.outputs import (
    BRAND_COLUMNS,
    BRANDS,
    FOLLOWER_COLUMNS,
    FOLLOWERS,
    INFLUENCER_COLUMNS,
    INFLUENCERS,
    SUMMARY,
    TIMESERIES,
    TIMESERIES_COLUMNS,
    flatten_summary,
    follower_table,
    summary_keys,
    unit_of,
)
from simulation.plots import (
    CHANNEL_COLORS,
    CHARTS,
    EVENT_COLORS,
    STRATEGY_COLORS,
    TIER_COLORS,
    chart_lines,
)
from simulation.runner import run
from simulation.vocabulary import STRATEGIES, TIERS


@pytest.fixture(scope="module")
def tiny_result():
    return run(config_from_dict(tiny_dict(run={"steps": 5})), keep_model=True)


def _kind(series: pd.Series) -> str:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "str"


@pytest.mark.parametrize(
    ("table", "declared", "columns"),
    [
        ("timeseries", TIMESERIES, TIMESERIES_COLUMNS),
        ("influencers", INFLUENCERS, INFLUENCER_COLUMNS),
        ("brands", BRANDS, BRAND_COLUMNS),
        ("followers", FOLLOWERS, FOLLOWER_COLUMNS),
    ],
)
def test_a_run_records_the_declared_columns_and_types(tiny_result, table, declared, columns):
    df = follower_table(tiny_result.model) if table == "followers" else getattr(tiny_result, table)
    assert list(df.columns) == columns
    wrong = [
        (name, o.type, _kind(df[name]))
        for o in declared
        for name in o.names
        if _kind(df[name]) != o.type
    ]
    assert not wrong, f"{table}: recorded types differ from the declared ones: {wrong}"


@pytest.mark.parametrize("sections", [{}, {"influencers": {f"n_{t}": 0 for t in TIERS}}])
def test_the_summary_has_every_declared_key_and_no_other(sections):
    """Also in a market without influencers: every {tier: ...} object keeps every tier."""
    res = run(config_from_dict(tiny_dict(run={"steps": 3}, **sections)))
    assert list(res.summary) == [o.name for o in SUMMARY]
    assert tuple(flatten_summary(res.summary)) == summary_keys()


def test_every_output_has_a_type_and_a_meaning():
    for o in (*TIMESERIES, *INFLUENCERS, *BRANDS, *FOLLOWERS, *SUMMARY):
        assert o.type and o.meaning, o.names


def test_units_are_looked_up_from_the_declarations():
    assert unit_of("price_micro") == "$ per post"
    assert unit_of("spend_celebrity", "brands") == "$"
    assert unit_of("engagement_rate_by_tier.micro", "summary") == unit_of("engagement_rate")
    assert unit_of("steady_state.window_days", "summary") == "days"
    assert unit_of("nope") is None


# -- the chart list and its colours -----------------------------------------------------


def test_one_colour_per_tier_strategy_and_event():
    assert set(TIER_COLORS) == set(TIERS) and set(STRATEGY_COLORS) == set(STRATEGIES)
    assert len(set(TIER_COLORS.values())) == len(TIERS)
    # a strategy that buys one tier wears its colour; mixed has one no tier has
    assert STRATEGY_COLORS["micro"] == TIER_COLORS["micro"]
    assert STRATEGY_COLORS["celebrity"] == TIER_COLORS["celebrity"]
    assert STRATEGY_COLORS["mixed"] not in TIER_COLORS.values()
    taken = {*TIER_COLORS.values(), *STRATEGY_COLORS.values(), *CHANNEL_COLORS.values()}
    assert not taken & set(EVENT_COLORS.values()), "an event wears a tier or strategy colour"
    assert len(set(EVENT_COLORS.values())) == len(EVENT_COLORS)


def test_charts_draw_declared_columns_in_their_colours():
    for name, chart in CHARTS.items():
        assert set(chart.columns) <= set(TIMESERIES_COLUMNS), name
        if "{unit}" in chart.ylabel:
            units = {unit_of(c) for c in chart.columns}
            assert len(units) == 1, f"{name}: its columns have different units {units}"
        for s in chart.series:
            for t in TIERS:
                if s.column.endswith(f"_{t}"):
                    assert s.color == TIER_COLORS[t], (name, s.column)
            for k in STRATEGIES:
                if s.column.endswith(f"_{k}"):
                    assert s.color == STRATEGY_COLORS[k], (name, s.column)


def test_chart_lines_smooth_and_relate_to_the_first_day():
    from simulation.plots import Chart, Series

    data = {"a": [2.0, 4.0, 6.0, 0.0]}
    chart = Chart("t", "y", (Series("a", "a", "#000000"),), smooth=2, relative=True)
    (y,) = chart_lines(chart, data)
    assert y.tolist() == [1.0, 1.5, 2.5, 1.5]
    (y,) = chart_lines(Chart("t", "y", (Series("a", "a", "#000000"),), log=True), data)
    assert y[-1] != y[-1]  # a log scale cannot show 0: NaN


def test_the_page_draws_from_the_same_chart_list():
    pytest.importorskip("PIL")
    from simulation.app import charts as page_charts

    assert page_charts.CHARTS
    for name, chart in page_charts.CHARTS.items():
        assert CHARTS[name] is chart and chart.page
    assert page_charts.TIER_COLORS is TIER_COLORS
