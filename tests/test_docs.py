"""The documentation cannot drift from the code.

The parameter tables in docs/ODD.md and docs/CONFIG.md are the generated table; every
mechanism has its ODD subsection; every output column and summary key is documented in
docs/OUTPUTS.md; every scenario in configs/ is listed in docs/CONFIG.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import tiny_dict

from simulation import mechanisms
from simulation.cli import parameter_table_markdown
from simulation.config import config_from_dict
from simulation.model import TIMESERIES_COLUMNS
from simulation.runner import run

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
START, END = "<!-- params:start -->", "<!-- params:end -->"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_result():
    return run(config_from_dict(tiny_dict(run={"steps": 5})))


@pytest.mark.parametrize("name", ["ODD.md", "CONFIG.md"])
def test_parameter_table_is_generated(name):
    text = read(name)
    assert text.count(START) == 1 and text.count(END) == 1, f"{name}: one pair of markers"
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == parameter_table_markdown(), (
        f"docs/{name}: the parameter table is stale; regenerate it from "
        "simulation.cli.parameter_table_markdown() (influencer-sim params)"
    )


@pytest.mark.parametrize("func", mechanisms.__all__)
def test_every_mechanism_has_an_odd_subsection(func):
    headings = re.findall(r"^###+ .*$", read("ODD.md"), flags=re.M)
    assert any(f"`{func}`" in h for h in headings), f"docs/ODD.md: no subsection for {func}"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("func", mechanisms.__all__)
def test_every_mechanism_formula_is_in_odd(func):
    """Each formula of a mechanism's docstring (a ``...`` span with an equals sign) is copied
    into docs/ODD.md, so a changed formula fails here until the description follows."""
    doc = getattr(mechanisms, func).__doc__ or ""
    formulas = [f for f in re.findall(r"``(.+?)``", doc, flags=re.S) if "=" in f]
    odd = _squash(read("ODD.md"))
    missing = [_squash(f) for f in formulas if _squash(f) not in odd]
    assert not missing, f"docs/ODD.md: the formula of {func} differs from the code: {missing}"


def test_every_timeseries_column_is_documented(tiny_result):
    text = read("OUTPUTS.md")
    assert list(tiny_result.timeseries.columns) == TIMESERIES_COLUMNS
    missing = [c for c in TIMESERIES_COLUMNS if f"`{c}`" not in text]
    assert not missing, f"docs/OUTPUTS.md does not document {missing}"


@pytest.mark.parametrize("table", ["influencers", "brands"])
def test_every_table_column_is_documented(tiny_result, table):
    text = read("OUTPUTS.md")
    section = text.split(f"## `{table}.parquet`", 1)[1].split("\n## ", 1)[0]
    columns = list(getattr(tiny_result, table).columns)
    missing = [c for c in columns if f"| `{c}` |" not in section]
    assert not missing, f"docs/OUTPUTS.md, {table} table, does not document {missing}"


def test_every_summary_key_is_documented(tiny_result):
    text = read("OUTPUTS.md")
    section = text.split("## `summary.json`", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in tiny_result.summary if f"| `{k}` |" not in section]
    assert not missing, f"docs/OUTPUTS.md, summary.json, does not document {missing}"


def test_every_plot_is_documented():
    from simulation.plots import PLOTS

    text = read("OUTPUTS.md")
    missing = [name for name in PLOTS if f"`{name}`" not in text]
    assert not missing, f"docs/OUTPUTS.md does not list the plots {missing}"


def test_every_scenario_is_documented():
    text = read("CONFIG.md")
    scenarios = sorted(p.name for p in (ROOT / "configs").glob("*.toml"))
    assert scenarios
    missing = [s for s in scenarios if f"`configs/{s}`" not in text]
    assert not missing, f"docs/CONFIG.md does not list the scenarios {missing}"
