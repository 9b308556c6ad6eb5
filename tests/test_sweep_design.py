"""Designs give every value of a discrete factor its fair weight, Morris steps never collapse,
seeds follow the sweep's choice, and table columns have plain names."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_toml

from simulation.sweep import load_sweep, make_design
from simulation.sweep.spec import Factor, SweepError, column_name, default_seeds

SWEEP = """
name = "d"
root_seed = 11
steps = 4

[base]
config = "base.toml"

[factors]
behaviour.trust_erosion = { low = 0.5, high = 2.0 }
influencers.sponsored_cap = { low = 1, high = 4 }
brands.share_micro = [0.1, 0.3]

[design]
kind = "sobol"
n = 64

[outcomes]
final = ["mean_trust"]
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    (tmp_path / "base.toml").write_text(tiny_toml())
    f = tmp_path / "d.toml"
    f.write_text(SWEEP)
    return f


def test_an_integer_range_gives_each_value_the_same_share_of_the_unit_interval():
    f = Factor(key="influencers.sponsored_cap", dtype="int", low=1.0, high=3.0)
    u = (np.arange(3000) + 0.5) / 3000
    counts = Counter(f.from_unit(x) for x in u)
    # rounding low + u (high - low) would give 750, 1500, 750
    assert counts == {1: 1000, 2: 1000, 3: 1000}
    assert f.from_unit(0.0) == 1 and f.from_unit(1.0) == 3
    g = Factor(key="brands.n_brands", dtype="int", low=1.0, high=100.0, log=True)
    vals = [g.from_unit(x) for x in u]
    assert min(vals) == 1 and max(vals) == 100
    # log-uniform on [1, 101): the integer 1 gets log(2)/log(101) of the mass
    assert abs(vals.count(1) / len(vals) - np.log(2) / np.log(101)) < 0.002


def test_a_sobol_design_draws_each_integer_equally_often(sweep_file):
    sweep = load_sweep(sweep_file)
    d = make_design(sweep)
    a_rows = d.iloc[:: len(sweep.factors) + 2]  # the A matrix: the first row of each block
    assert len(a_rows) == 64
    # a scrambled Sobol' sequence of 64 points puts 16 in each quarter of [0, 1)
    assert Counter(a_rows["influencers__sponsored_cap"]) == {1: 16, 2: 16, 3: 16, 4: 16}
    assert Counter(a_rows["brands__share_micro"]) == {0.1: 32, 0.3: 32}


def test_morris_levels_of_discrete_factors_are_fair_and_every_step_changes_the_value(
    sweep_file,
):
    sweep = load_sweep(
        sweep_file,
        ["design.kind=morris", "design.n=12", "design.levels=4"],
    )
    d = make_design(sweep)
    two = Factor(key="brands.share_micro", dtype="float", values=(0.1, 0.3))
    assert [two.from_level(i, 4) for i in range(4)] == [0.1, 0.1, 0.3, 0.3]
    ten = Factor(key="brands.n_brands", dtype="int", low=1.0, high=10.0)
    assert [ten.from_level(i, 4) for i in range(4)] == [1, 4, 7, 10]
    three = Factor(key="brands.n_brands", dtype="int", low=1.0, high=3.0)
    assert [three.from_level(i, 6) for i in range(6)] == [1, 1, 2, 2, 3, 3]
    # 1..3 on 4 levels cannot be fair (rounding gave 1, 2, 2, 3): refused, with the reason
    with pytest.raises(SweepError, match=r"its 3 values cannot share Morris's 4 grid levels"):
        load_sweep(
            sweep_file,
            [
                "design.kind=morris",
                "design.n=12",
                "factors.influencers.sponsored_cap={ low = 1, high = 3 }",
            ],
        )
    cols = list(sweep.factor_columns)
    units = [f"unit__{c}" for c in cols]
    k = len(cols) + 1
    for t in range(12):
        block = d.iloc[t * k : (t + 1) * k]
        for a, b in zip(block.index[:-1], block.index[1:], strict=True):
            moved = [c for c, u in zip(cols, units, strict=True) if d.at[a, u] != d.at[b, u]]
            assert len(moved) == 1  # one factor per step, and its value really changes
            assert d.at[a, moved[0]] != d.at[b, moved[0]]


def test_seeds_default_by_design_and_are_recorded(sweep_file):
    assert load_sweep(sweep_file).seeds == "common"
    assert load_sweep(sweep_file, ["design.kind=lhs", "design.n=8"]).seeds == "independent"
    assert load_sweep(sweep_file, ["design.kind=lhs", "design.n=8", "seeds='common'"]).seeds == (
        "common"
    )
    assert [default_seeds(k) for k in ("grid", "sobol", "morris", "random", "lhs")] == [
        "common",
        "common",
        "common",
        "independent",
        "independent",
    ]


def test_column_names_are_plain():
    assert column_name("behaviour.trust_erosion") == "behaviour__trust_erosion"
    assert column_name("engagement_rate_by_tier.micro") == "engagement_rate_by_tier__micro"


def test_every_table_column_is_a_plain_name(sweep_file):
    sweep = load_sweep(
        sweep_file,
        [
            "outcomes.summary=['engagement_rate_by_tier.micro']",
            "outcomes.first_step=[{ column = 'mean_trust', below = 0.5 }]",
        ],
    )
    from simulation.sweep.store import runs_schema

    names = [*runs_schema(sweep).names, *make_design(sweep).columns]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names), names
    assert "mean_trust_first_below_0_5" in names
