"""Runs you can rebuild: a run's scenario file reproduces it exactly, recorded values
round-trip through --set, a finished sweep gains replications without touching the runs it
has, and the tables export as CSV for R and spreadsheets."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.config import config_to_toml, load_config, parse_override
from simulation.sweep import load_sweep, run_sweep
from simulation.sweep.rebuild import toml_literal
from simulation.sweep.spec import SweepError
from simulation.vocabulary import MICRO, TIERS

SWEEP = """
name = "rebuild"
replications = 2
root_seed = 5
steps = 8

[base]
config = "base.toml"
set = { "behaviour.unfollow_rate" = 0.07 }

[factors]
behaviour.trust_erosion = { low = 0.5, high = 2.0 }
brands.budget = { low = 1000.0, high = 9000.0 }
influencers.sponsored_cap = { low = 2, high = 12 }

[design]
kind = "lhs"
n = 3

[outcomes]
summary = ["return_per_dollar", "engagement_rate_by_tier.micro"]
final = ["mean_trust"]
at = [{ column = "mean_trust", steps = [4, 8] }]
series = true
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    (tmp_path / "base.toml").write_text(tiny_toml(run={"steps": 30, "seed": 1}))
    f = tmp_path / "rebuild.toml"
    f.write_text(SWEEP)
    return f


def _runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet")


def test_show_run_writes_a_scenario_that_reproduces_the_run(sweep_file, tmp_path, capsys):
    out = tmp_path / "sweep"
    run_sweep(load_sweep(sweep_file), out, workers=1, progress=False)
    scen = tmp_path / "run_2_1.toml"
    assert main(["show-run", str(out), "2", "1", "--out", str(scen)]) == 0
    err = capsys.readouterr().err
    command = err.split("the same run from the base scenario: ", 1)[1].splitlines()[0]
    # 1. the scenario file, run by `influencer-sim run`
    assert main(["run", str(scen), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    ts = pq.read_table(tmp_path / "a" / "timeseries.parquet")
    series = (
        ds.dataset(out / "series", format="parquet", partitioning="hive")
        .to_table(filter=(ds.field("point") == 2) & (ds.field("replicate") == 1))
        .drop_columns(["point", "replicate"])
    )
    assert series.num_rows == 8
    assert series.equals(ts.select(series.column_names))  # every value, to the bit
    row = _runs(out).query("point == 2 and replicate == 1").iloc[0]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert row["return_per_dollar"] == summary["return_per_dollar"]
    micro = TIERS[MICRO]
    assert row[f"engagement_rate_by_tier__{micro}"] == summary["engagement_rate_by_tier"][micro]
    assert row["mean_trust_final"] == ts["mean_trust"][-1].as_py()
    assert row["mean_trust_at_4"] == ts["mean_trust"][3].as_py()
    # the run wrote the very scenario it was given (every key, seed and steps included)
    assert (tmp_path / "a" / "config.toml").read_text() == config_to_toml(load_config(scen))
    # 2. the printed command line on the sweep's base scenario: the same bytes
    args = shlex.split(command)
    assert args[:2] == ["influencer-sim", "run"]
    cap = load_config(scen).influencers.sponsored_cap
    assert f"influencers.sponsored_cap={cap}" in args  # an integer key as an integer, not 8.0
    assert main([*args[1:], "--out", str(tmp_path / "b"), "--quiet"]) == 0
    for name in ("timeseries.parquet", "influencers.parquet", "brands.parquet", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_show_run_refuses_a_run_outside_the_sweep(sweep_file, tmp_path, capsys):
    out = tmp_path / "sweep"
    run_sweep(load_sweep(sweep_file, ["replications=1"]), out, workers=1, progress=False)
    assert main(["show-run", str(out), "3", "0"]) == 2
    assert "POINT: 3 is out of range; allowed [0, 2]" in capsys.readouterr().err
    assert main(["show-run", str(out), "0", "1"]) == 2
    err = capsys.readouterr().err
    assert "REPLICATE: 1 is out of range" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "value", [1.4, 0.1 + 0.2, 1 / 3, 2.0, 1e-300, np.float64(1.4), np.float64(6000.000000000001)]
)
def test_recorded_values_round_trip_through_set(value):
    text = toml_literal(value)
    assert "np." not in text
    _, _, back = parse_override(f"behaviour.trust_erosion={text}")
    assert back == float(value) and type(back) is float


def test_every_recorded_factor_value_round_trips(sweep_file, tmp_path):
    out = tmp_path / "sweep"
    sweep = load_sweep(sweep_file)
    run_sweep(sweep, out, workers=1, progress=False)
    runs = _runs(out)
    for f in sweep.factors:
        for v in runs[f.column]:
            cfg = load_config(tmp_path / "base.toml", [f"{f.key}={toml_literal(v)}"])
            section, key = f.key.split(".")
            assert getattr(getattr(cfg, section), key) == v


def test_a_finished_sweep_gains_replications_and_keeps_its_runs(sweep_file, tmp_path, capsys):
    out = tmp_path / "grow"
    args = ["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    before = _runs(out)
    parts = {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()}
    assert main([*args, "--resume", "--set", "replications=3"]) == 0
    captured = capsys.readouterr()
    assert "(3 new)" in captured.out and "adding replicates 2..2" in captured.err
    after = _runs(out)
    assert len(after) == 9
    # the runs it had are untouched, to the wall time: their parts were not even rewritten
    kept = after[after["replicate"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before)
    assert all((out / "parts" / n).stat().st_mtime_ns == t for n, t in parts.items())
    # and the grown sweep equals one run with three replications from the start
    fresh = tmp_path / "fresh"
    run_sweep(load_sweep(sweep_file, ["replications=3"]), fresh, workers=2, progress=False)
    pd.testing.assert_frame_equal(
        after.drop(columns="wall_time"), _runs(fresh).drop(columns="wall_time")
    )
    # fewer replications than it holds: refused, nothing thrown away
    assert main([*args, "--resume", "--set", "replications=2"]) == 2
    err = capsys.readouterr().err
    assert "replications: 2 is fewer than the 3 replicates" in err and err.count("\n") == 1
    assert len(list((out / "parts").iterdir())) == 9


def test_export_writes_csv_that_r_and_spreadsheets_read(sweep_file, tmp_path):
    out = tmp_path / "sweep"
    run_sweep(load_sweep(sweep_file), out, workers=1, progress=False)
    assert main(["export", str(out)]) == 0
    runs_csv = pd.read_csv(out / "export" / "runs.csv")
    runs = _runs(out)
    assert list(runs_csv.columns) == list(runs.columns)
    assert "behaviour__trust_erosion" in runs_csv.columns
    for c in ("behaviour__trust_erosion", "return_per_dollar", "mean_trust_at_8"):
        np.testing.assert_array_equal(runs_csv[c].to_numpy(), runs[c].to_numpy())  # exact
    series = pd.read_csv(out / "export" / "series.csv")
    assert list(series.columns[:3]) == ["point", "replicate", "step"]
    assert len(series) == 3 * 2 * 8
    assert series.groupby(["point", "replicate"]).size().eq(8).all()
    text = (out / "export" / "runs.csv").read_text()
    assert "nan" not in text.lower()  # NaN is an empty cell (NA in R)
    assert (out / "export" / "design.csv").is_file()


def test_analyze_days_gives_the_sensitivity_of_a_series_at_chosen_steps(
    sweep_file, tmp_path, capsys
):
    out = tmp_path / "sweep"
    sets = ["design.kind=sobol", "design.n=4", "replications=2", "outcomes.series=['mean_trust']"]
    run_sweep(load_sweep(sweep_file, sets), out, workers=1, progress=False)
    assert main(["analyze", str(out), "--days", "4,8"]) == 0
    sens = pd.read_csv(out / "sensitivity.csv")
    assert {"mean_trust_day4", "mean_trust_day8"} <= set(sens["outcome"])
    # the day-8 value is the final value, so its indices are those of mean_trust_final
    a = sens[sens["outcome"] == "mean_trust_day8"][["S1", "ST"]].to_numpy()
    b = sens[sens["outcome"] == "mean_trust_final"][["S1", "ST"]].to_numpy()
    np.testing.assert_allclose(a, b)
    assert (out / "plots" / "sensitivity_by_day.png").is_file()
    assert main(["analyze", str(out), "--days", "9"]) == 2
    assert "--days: 9 is out of range; allowed [1, 8]" in capsys.readouterr().err


class Cheap:
    """A near-free model: the outcome is a function of the factors and the seed."""

    def __call__(self, spec):
        f = spec.factors
        return {"return_per_dollar": f["behaviour.trust_erosion"] + spec.seed % 97 / 1e4}


@pytest.mark.parametrize("kind", ["sobol", "random"])
def test_a_finished_sweep_grows_its_sample_and_keeps_its_runs(sweep_file, tmp_path, kind):
    sets = [f"design.kind={kind}", "design.n=4", "outcomes.series=false"]
    small = load_sweep(sweep_file, sets)
    out = tmp_path / "grow"
    run_sweep(small, out, workers=1, progress=False, evaluate=Cheap())
    before = _runs(out)
    rep = run_sweep(
        load_sweep(sweep_file, [*sets, "design.n=8"]),
        out,
        workers=1,
        resume=True,
        progress=False,
        evaluate=Cheap(),
    )
    assert rep.complete and rep.n_new == len(before)  # the size doubled
    assert any("growing the design" in n for n in rep.notes)
    after = _runs(out)
    pd.testing.assert_frame_equal(after.iloc[: len(before)].reset_index(drop=True), before)
    fresh = tmp_path / "fresh"
    run_sweep(
        load_sweep(sweep_file, [*sets, "design.n=8"]),
        fresh,
        workers=1,
        progress=False,
        evaluate=Cheap(),
    )
    pd.testing.assert_frame_equal(
        after.drop(columns="wall_time"), _runs(fresh).drop(columns="wall_time")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "design.parquet"), pd.read_parquet(fresh / "design.parquet")
    )
    with pytest.raises(SweepError, match=r"design\.n: 4 gives .* fewer than"):
        run_sweep(small, out, workers=1, resume=True, progress=False, evaluate=Cheap())


def test_an_lhs_design_cannot_grow(sweep_file, tmp_path):
    sets = ["design.n=3", "outcomes.series=false"]
    run_sweep(load_sweep(sweep_file, sets), tmp_path / "o", workers=1, progress=False)
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(
            load_sweep(sweep_file, [*sets, "design.n=6"]),
            tmp_path / "o",
            workers=1,
            resume=True,
            progress=False,
            evaluate=Cheap(),
        )
