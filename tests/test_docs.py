"""The documentation cannot drift from the code.

The parameter tables in docs/ODD.md and docs/CONFIG.md are the generated table; every
mechanism has its ODD subsection; the column, summary-key and plot tables of docs/OUTPUTS.md
are generated from their declarations; every scenario in configs/ is listed in docs/CONFIG.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation import mechanisms
from simulation.cli import parameter_table_markdown
from simulation.outputs import TABLES, update_docs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
START, END = "<!-- params:start -->", "<!-- params:end -->"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


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


@pytest.mark.parametrize("table", [*TABLES, "plots"])
def test_output_tables_are_generated_from_the_declarations(table):
    """The column, summary-key and plot tables of docs/OUTPUTS.md are the ones the
    declarations (simulation.outputs, simulation.plots.CHARTS) generate."""
    text = read("OUTPUTS.md")
    start, end = f"<!-- outputs:{table}:start -->", f"<!-- outputs:{table}:end -->"
    assert text.count(start) == 1 and text.count(end) == 1, f"OUTPUTS.md: one pair of {start}"
    body = text.split(start, 1)[1].split(end, 1)[0].strip()
    want = update_docs(text).split(start, 1)[1].split(end, 1)[0].strip()
    assert body == want, (
        f"docs/OUTPUTS.md: the {table} table is stale; regenerate it with "
        "python scripts/update_outputs_doc.py"
    )


def test_each_table_is_under_its_heading():
    text = read("OUTPUTS.md")
    for table, heading in [
        ("timeseries", "## `timeseries.parquet`"),
        ("influencers", "## `influencers.parquet`"),
        ("brands", "## `brands.parquet`"),
        ("followers", "## `followers.parquet`"),
        ("summary", "## `summary.json`"),
        ("plots", "## Plots"),
    ]:
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        assert f"<!-- outputs:{table}:start -->" in section, f"{table} is not under {heading}"


def test_every_scenario_is_documented():
    """Every scenario file of configs/ (the calibration targets file is not one)."""
    from simulation.resources import is_targets_file

    text = read("CONFIG.md")
    scenarios = sorted(p.name for p in (ROOT / "configs").glob("*.toml") if not is_targets_file(p))
    assert scenarios
    missing = [s for s in scenarios if f"`configs/{s}`" not in text]
    assert not missing, f"docs/CONFIG.md does not list the scenarios {missing}"
