"""Sweeps: same answer on every executor, resume after a crash, faults, designs, seeds,
errors in sweep files, and a coordinator whose memory does not grow with the run count."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.sweep import Evaluation, iter_runs, load_sweep, make_design, run_seed, run_sweep
from simulation.sweep.design import common_seed
from simulation.sweep.spec import SweepError
from simulation.sweep.store import part_name
from simulation.vocabulary import MICRO, TIERS

ROOT = Path(__file__).resolve().parents[1]

TINY_BASE = tiny_toml(run={"steps": 12, "seed": 1})

TINY_SWEEP = """
name = "tiny"
question = "does the machinery work?"
replications = 2
root_seed = 7
steps = 10

[base]
config = "tiny_base.toml"

[factors]
brands.share_micro = [0.2, 0.5, 0.9]   # 0.9 + share_celebrity 0.3 > 1: those runs fail
behaviour.trust_erosion = { low = 0.5, high = 2.0, num = 2 }

[outcomes]
summary = ["return_per_dollar", "engagement_rate_by_tier.micro"]
final = ["mean_trust"]
series = ["mean_trust", "followers"]
window_mean = [{ column = "engagement_rate", last = 5 }]
first_step = [{ column = "mean_trust", below = 0.74, name = "day_trust_below" }]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "tiny_base.toml").write_text(TINY_BASE)
    f = tmp_path / "tiny.toml"
    f.write_text(TINY_SWEEP)
    return f


def _runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet").drop(columns="wall_time")


def _series(out: Path) -> pd.DataFrame:
    t = ds.dataset(out / "series", format="parquet", partitioning="hive").to_table()
    df = t.to_pandas()
    df["point"] = df["point"].astype(np.int64)
    return df.sort_values(["point", "replicate", "step"]).reset_index(drop=True)


# -- executors ----------------------------------------------------------------------------


def test_serial_processes_and_dask_give_identical_tables(tiny, tmp_path):
    sweep = load_sweep(tiny)
    serial = run_sweep(sweep, tmp_path / "serial", workers=1, progress=False)
    procs = run_sweep(sweep, tmp_path / "procs", workers=2, progress=False)
    assert serial.n_runs == procs.n_runs == 12
    assert serial.n_failed == procs.n_failed == 4  # share_micro 0.9 fails, the rest finish
    a = _runs(tmp_path / "serial")
    pd.testing.assert_frame_equal(a, _runs(tmp_path / "procs"))
    pd.testing.assert_frame_equal(_series(tmp_path / "serial"), _series(tmp_path / "procs"))
    assert list(zip(a["point"], a["replicate"], strict=True)) == [
        (p, r) for p in range(6) for r in range(2)
    ]
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask.distributed not installed")
    run_sweep(sweep, tmp_path / "dask", workers=2, scheduler="local", progress=False)
    pd.testing.assert_frame_equal(a, _runs(tmp_path / "dask"))
    pd.testing.assert_frame_equal(_series(tmp_path / "serial"), _series(tmp_path / "dask"))


def test_failing_runs_are_recorded_and_the_rest_finish(tiny, tmp_path, capsys):
    code = main(["sweep", str(tiny), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "4 runs failed" in err
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    bad = runs[runs["status"] == "error"]
    assert set(bad["brands__share_micro"]) == {0.9}
    assert bad["error"].str.contains("share_micro").all()
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 8 and ok["error"].isna().all()
    assert np.isfinite(ok["mean_trust_final"]).all()
    assert bad["mean_trust_final"].isna().all()


def test_outcomes_match_a_direct_run(tiny, tmp_path):
    from simulation.config import apply_overrides
    from simulation.runner import run

    sweep = load_sweep(tiny, ["factors.brands.share_micro=[0.2]"])
    run_sweep(sweep, tmp_path / "o", workers=1, progress=False)
    row = pd.read_parquet(tmp_path / "o" / "runs.parquet").iloc[1]
    assert (row["point"], row["replicate"]) == (0, 1)
    cfg = apply_overrides(
        sweep.base,
        {"brands.share_micro": 0.2, "behaviour.trust_erosion": 0.5, "run.seed": int(row["seed"])},
    )
    res = run(cfg)
    ts = res.timeseries
    assert row["seed"] == common_seed(7, 1)  # a grid shares seeds across points by default
    assert row["mean_trust_final"] == ts["mean_trust"].iloc[-1]
    assert row["return_per_dollar"] == res.summary["return_per_dollar"]
    micro = TIERS[MICRO]
    assert row[f"engagement_rate_by_tier__{micro}"] == res.summary["engagement_rate_by_tier"][micro]
    assert row["engagement_rate_mean_6_10"] == pytest.approx(ts["engagement_rate"].iloc[5:].mean())
    below = ts.loc[ts["mean_trust"] < 0.74, "step"]
    assert (
        (row["day_trust_below"] == below.iloc[0])
        if len(below)
        else np.isnan(row["day_trust_below"])
    )
    series = _series(tmp_path / "o")
    s1 = series[(series["point"] == 0) & (series["replicate"] == 1)]
    np.testing.assert_array_equal(s1["mean_trust"].to_numpy(), ts["mean_trust"].to_numpy())


class _DiesOnce:
    """Kills its worker process the first time it sees run (1, 1) (a marker file remembers)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __call__(self, spec):
        if spec.key == (1, 1) and not os.path.exists(self.marker):
            Path(self.marker).write_text("died")
            os._exit(1)
        return {"return_per_dollar": float(spec.seed % 1000)}


def test_a_dead_worker_is_replaced_and_its_runs_retried(tiny, tmp_path):
    sweep = load_sweep(tiny, ["factors.brands.share_micro=[0.2, 0.5]"])
    rep = run_sweep(
        sweep,
        tmp_path / "o",
        workers=2,
        progress=False,
        evaluate=_DiesOnce(str(tmp_path / "marker")),
    )
    assert (tmp_path / "marker").exists()
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert rep.n_done == 8 and (runs["status"] == "ok").all()
    assert list(runs["return_per_dollar"]) == [float(s % 1000) for s in runs["seed"]]


def test_a_lost_dask_worker_is_retried(tiny, tmp_path):
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask.distributed not installed")
    sweep = load_sweep(tiny, ["factors.brands.share_micro=[0.2, 0.5]"])
    rep = run_sweep(
        sweep,
        tmp_path / "o",
        workers=2,
        scheduler="local",
        progress=False,
        evaluate=_DiesOnce(str(tmp_path / "marker")),
    )
    assert (tmp_path / "marker").exists()
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert rep.n_done == 8 and (runs["status"] == "ok").all()


class _Unreturnable:
    def __call__(self, spec):
        if spec.key == (1, 0):
            return Evaluation({"return_per_dollar": 1.0}, series=_NoPickle())
        return {"return_per_dollar": 1.0}


class _NoPickle:
    def __reduce__(self):
        raise TypeError("cannot pickle this")


def test_a_result_that_cannot_come_back_is_a_failed_run(tiny, tmp_path):
    sweep = load_sweep(tiny, ["factors.brands.share_micro=[0.2]"])
    rep = run_sweep(sweep, tmp_path / "o", workers=2, progress=False, evaluate=_Unreturnable())
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert rep.n_done == 4 and rep.n_failed == 1
    assert runs.loc[2, "status"] == "error" and "cannot pickle" in runs.loc[2, "error"]


def test_an_unpicklable_evaluator_is_a_clear_error(tiny, tmp_path):
    with pytest.raises(SweepError, match="cannot be sent to worker processes"):
        run_sweep(
            load_sweep(tiny), tmp_path / "o", workers=2, progress=False, evaluate=lambda s: {}
        )


# -- crash and resume ---------------------------------------------------------------------


class _InterruptAt:
    """Behaves like Ctrl-C when run ``at`` (point, replicate) starts."""

    def __init__(self, at: tuple[int, int], inner):
        self.at, self.inner = at, inner

    def __call__(self, spec):
        if spec.key == self.at:
            raise KeyboardInterrupt
        return self.inner(spec)


def test_interrupted_then_resumed_equals_uninterrupted(tiny, tmp_path):
    from simulation.sweep import ModelEvaluator

    sweep = load_sweep(tiny)
    run_sweep(sweep, tmp_path / "ref", workers=1, progress=False)
    ev = _InterruptAt((5, 0), ModelEvaluator.for_sweep(sweep))  # the sixth run to start
    rep = run_sweep(sweep, tmp_path / "o", workers=1, progress=False, evaluate=ev)
    assert rep.interrupted and rep.n_done == 5 and not rep.complete
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["state"] == "interrupted" and man["counts"]["missing"] == 7
    assert len(pd.read_parquet(tmp_path / "o" / "runs.parquet")) == 5  # what finished is kept
    rep = run_sweep(sweep, tmp_path / "o", workers=2, resume=True, progress=False)
    assert rep.n_new == 7 and rep.complete
    pd.testing.assert_frame_equal(_runs(tmp_path / "ref"), _runs(tmp_path / "o"))
    pd.testing.assert_frame_equal(_series(tmp_path / "ref"), _series(tmp_path / "o"))


def test_a_sweep_with_text_levels_resumes(tmp_path):
    """A bundle's levels are text: its design read back from Parquet is the design made now
    (pandas reads the column as ``str``, the design holds ``object``)."""
    (tmp_path / "tiny_base.toml").write_text(TINY_BASE)
    f = tmp_path / "b.toml"
    f.write_text(
        'name = "b"\nroot_seed = 1\nreplications = 1\n[base]\nconfig = "tiny_base.toml"\n'
        '[bundles.variant]\n"plain" = {}\n"no erosion" = { "behaviour.trust_erosion" = 0.0 }\n'
        '[outcomes]\nsummary = ["return_per_dollar"]\n'
    )
    sweep = load_sweep(f)
    fake = _Const()
    run_sweep(sweep, tmp_path / "o", workers=1, progress=False, evaluate=fake)
    grown = load_sweep(f, ["replications=2"])
    rep = run_sweep(grown, tmp_path / "o", workers=1, resume=True, progress=False, evaluate=fake)
    assert rep.complete and rep.n_new == 2
    assert _runs(tmp_path / "o")["variant"].tolist() == ["plain"] * 2 + ["no erosion"] * 2


class _Const:
    """An evaluator that returns the same outcome for every run (no model)."""

    def __call__(self, spec):
        return {"return_per_dollar": 1.0}


def test_killed_process_then_resume_runs_exactly_the_missing(tiny, tmp_path, capsys):
    sweep = load_sweep(tiny, ["replications=6"])
    run_sweep(sweep, tmp_path / "ref", workers=1, progress=False)
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "simulation.cli", "sweep", str(tiny), "--out", str(out)]
    cmd += ["--workers", "1", "--quiet", "--set", "replications=6"]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=fh)
    parts = out / "parts"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("p*.arrow"))) >= 4:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    n_before = len(list(parts.glob("p*.arrow")))
    assert n_before > 0  # it had started
    # a crash can also leave a torn temporary and a series file without its part
    (parts / f".{part_name(5, 5)}.tmp-1").write_bytes(b"torn")
    code = main(
        [
            *("sweep", str(tiny), "--out", str(out), "--resume", "--quiet"),
            *("--workers", "2", "--set", "replications=6"),
        ]
    )
    assert code == 1  # the share_micro = 0.9 runs fail, as in the reference
    assert f"{36 - n_before} new" in capsys.readouterr().out
    pd.testing.assert_frame_equal(_runs(tmp_path / "ref"), _runs(out))
    pd.testing.assert_frame_equal(_series(tmp_path / "ref"), _series(out))


def test_lost_parts_are_rerun_on_resume(tiny, tmp_path):
    sweep = load_sweep(tiny)
    run_sweep(sweep, tmp_path / "o", workers=1, progress=False)
    ref = _runs(tmp_path / "o")
    for p, r in ((0, 0), (3, 1), (5, 1)):
        (tmp_path / "o" / "parts" / part_name(p, r)).unlink()
    rep = run_sweep(sweep, tmp_path / "o", workers=1, resume=True, progress=False)
    assert rep.n_new == 3
    pd.testing.assert_frame_equal(ref, _runs(tmp_path / "o"))


def test_retry_failed_runs_again_only_the_failures(tiny, tmp_path):
    sweep = load_sweep(tiny)
    run_sweep(sweep, tmp_path / "o", workers=1, progress=False)
    rep = run_sweep(sweep, tmp_path / "o", workers=1, resume=True, progress=False)
    assert rep.n_new == 0
    rep = run_sweep(
        sweep, tmp_path / "o", workers=1, resume=True, retry_failed=True, progress=False
    )
    assert rep.n_new == 4 and rep.n_failed == 4  # the same configuration errors again


def test_existing_folder_needs_resume_or_overwrite(tiny, tmp_path, capsys):
    out = str(tmp_path / "o")
    args = ["sweep", str(tiny), "--out", out, "--workers", "1", "--quiet"]
    assert main(args) == 1
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("influencer-sim: error: ") and "--resume" in err
    assert err.count("\n") == 1
    assert main([*args, "--overwrite"]) == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    assert main(["sweep", str(tiny), "--out", str(other), "--overwrite", "--quiet"]) == 2
    assert "holds no sweep" in capsys.readouterr().err
    assert (other / "precious.txt").is_file()
    assert main([*args, "--resume", "--set", "steps=5"]) == 2
    err = capsys.readouterr().err
    assert "different sweep" in err and "steps differs" in err


# -- designs and seeds --------------------------------------------------------------------

SIX = {
    "brands.budget": "{ low = 1000.0, high = 9000.0 }",
    "brands.n_brands": "{ low = 2, high = 12 }",
    "behaviour.trust_erosion": "{ low = 0.1, high = 3.0, log = true }",
    "behaviour.unfollow_rate": "[0.05, 0.1, 0.2]",
}


@pytest.mark.parametrize(
    ("kind", "extra", "size"),
    [
        ("random", ["design.n=37"], 37),
        ("lhs", ["design.n=20"], 20),
        ("sobol", ["design.n=8"], 8 * (5 + 2)),  # five factors
        ("sobol", ["design.n=8", "design.second_order=true"], 8 * (2 * 5 + 2)),
        ("morris", ["design.n=5", "design.levels=6"], 5 * (5 + 1)),  # 6: a multiple of 3 values
    ],
)
def test_design_sizes_and_bounds(tiny, kind, extra, size):
    sets = [f"factors.{k}={v}" for k, v in SIX.items()]
    sets += [
        "factors.brands.share_micro=[0.1]",
        "factors.behaviour.trust_erosion=" + SIX["behaviour.trust_erosion"],
        f"design.kind={kind}",
        *extra,
    ]
    sweep = load_sweep(tiny, sets)
    d = make_design(sweep)
    assert len(d) == size and list(d["point"]) == list(range(size))
    assert d["brands__budget"].between(1000, 9000).all()
    assert d["brands__n_brands"].between(2, 12).all() and d["brands__n_brands"].dtype == np.int64
    assert d["behaviour__trust_erosion"].between(0.1, 3.0).all()
    assert set(d["behaviour__unfollow_rate"]) <= {0.05, 0.1, 0.2}
    units = d[[c for c in d if c.startswith("unit__")]]
    assert ((units >= 0) & (units <= 1)).all().all()
    pd.testing.assert_frame_equal(d, make_design(sweep))  # same root seed, same design
    other = load_sweep(tiny, [*sets, "root_seed=8"])
    if kind != "morris":  # morris on few levels can coincide; the others cannot
        assert not d.equals(make_design(other))


def test_grid_size_levels_and_order(tiny):
    sweep = load_sweep(
        tiny,
        [
            "factors.brands.n_brands={ low = 2, high = 10, num = 5 }",
            "factors.brands.budget={ low = 100.0, high = 10000.0, num = 3, log = true }",
        ],
    )
    d = make_design(sweep)
    assert len(d) == 3 * 2 * 5 * 3  # share_micro x trust_erosion x n_brands x budget
    assert sorted(set(d["brands__n_brands"])) == [2, 4, 6, 8, 10]
    assert sorted(set(d["brands__budget"])) == pytest.approx([100.0, 1000.0, 10000.0])
    assert list(d["brands__share_micro"].iloc[:30]) == [0.2] * 30  # first factor slowest


@pytest.mark.parametrize("seeds", ["independent", "common"])
def test_seeds_are_fixed_by_position_not_order(tiny, seeds):
    sweep = load_sweep(tiny, [f"seeds={seeds}"])
    d = make_design(sweep)
    specs = list(iter_runs(sweep, d))
    seeds_of = {(s.point, s.replicate): s.seed for s in specs}
    assert len(seeds_of) == len(specs) == 12
    assert all(0 <= s < 2**63 for s in seeds_of.values())
    if seeds == "independent":
        assert len(set(seeds_of.values())) == len(specs)
        expected = np.random.SeedSequence(7, spawn_key=(1, 5, 1)).generate_state(1, np.uint64)[0]
        assert run_seed(7, 5, 1) == int(expected >> np.uint64(1)) == seeds_of[(5, 1)]
    else:  # replicate r has one seed at every point, and the replicates differ
        for (_, r), seed in seeds_of.items():
            assert seed == common_seed(7, r)
        assert common_seed(7, 0) != common_seed(7, 1)
    # a resumed sweep skips some runs; the rest keep their seeds
    later = list(iter_runs(sweep, d, skip=lambda p, r: (p + r) % 3 == 0))
    assert 0 < len(later) < len(specs)
    assert all(seeds_of[s.key] == s.seed for s in later)
    # more replications add runs without changing the seeds of existing ones
    bigger = load_sweep(tiny, [f"seeds={seeds}", "replications=4"])
    for s in iter_runs(bigger, make_design(bigger)):
        if s.replicate < 2:
            assert s.seed == seeds_of[s.key]


# -- bad sweep files ----------------------------------------------------------------------

BAD = [
    (["design.kind=sobl"], "design.kind: 'sobl' is not one of grid"),
    (["factors.brands.nope=[1, 2]"], "factors.brands.nope: unknown key"),
    (["factors.brands.share_micro=[0.2, 1.5]"], "factors.brands.share_micro: 1.5 is out of range"),
    (["factors.brands.budget={ low = 5.0, high = 1.0, num = 2 }"], "low (5.0) must be less"),
    (["factors.brands.budget={ low = 1.0, high = 5.0 }"], "needs num"),
    (["design.kind=sobol", "design.n=6"], "design.n: 6 is not a power of two"),
    (["design.kind=lhs"], "design.n: required"),
    (["replications=0"], "replications: 0 is out of range"),
    (["outcomes.final=['nope']"], "outcomes.final: 'nope' is not a time-series column"),
    (["outcomes.summary=['nope']"], "outcomes.summary: 'nope' is not a summary key"),
    (["steps=0"], "steps: run.steps: 0 is out of range"),
    (["base.config='missing.toml'"], "base.config:"),
    (["colour=1"], "colour: unknown sweep key"),
    (["name='../x'"], "name: '../x' is not allowed"),
    (["factors.run.seed=[1, 2]"], "factors.run.seed: seeds come from root_seed"),
    (["outcomes.first_step=[{ column = 'mean_trust' }]"], "exactly one of above"),
    (["seeds='shared'"], "seeds: 'shared' is not one of common, independent"),
    (
        ["factors.brands.n_brands={ low = 2, high = 4, num = 5 }"],
        "repeat values; allowed at most 3",
    ),
    (
        ["design.kind=morris", "design.n=4", "factors.brands.share_micro=[0.1, 0.2, 0.3]"],
        "cannot share Morris's 4 grid levels equally",
    ),
    (
        [
            "design.kind=morris",
            "design.n=4",
            "factors.brands.share_micro=[0.1, 0.2, 0.3, 0.4, 0.5]",
        ],
        "cannot all appear on Morris's 4 grid levels",
    ),
    (["outcomes.window_mean=[{ column = 'mean_trust', name = 'a.b' }]"], "not a plain name"),
    (["outcomes.at=[{ column = 'mean_trust', steps = [3, 11] }]"], "11 is out of range"),
]


@pytest.mark.parametrize(("sets", "msg"), BAD)
def test_bad_sweep_files_give_one_line_errors(tiny, tmp_path, capsys, sets, msg):
    args = ["sweep", str(tiny), "--out", str(tmp_path / "o"), "--quiet"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("influencer-sim: error: ") and err.count("\n") == 1, err
    assert msg in err, err
    if "error: --set " not in err:  # a mistake in the file (not in --set) names the file
        assert err.startswith(f"influencer-sim: error: {tiny}: "), err
    assert not (tmp_path / "o").exists()


def test_malformed_and_missing_files(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    assert main(["sweep", str(bad)]) == 2
    assert "malformed TOML" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "none.toml")]) == 2
    assert "no such sweep file" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_missing_dask_is_a_one_line_error(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    args = ["sweep", str(tiny), "--out", str(tmp_path / "o"), "--scheduler", "local", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "pip install 'influencer-sim[cluster]'" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


# -- memory -------------------------------------------------------------------------------


_MEMORY_SCRIPT = """
import sys, tracemalloc
from pathlib import Path
from simulation.sweep import load_sweep, run_sweep

tiny, out = Path(sys.argv[1]), Path(sys.argv[2])


class Cheap:  # a near-zero-cost model: what is measured is the coordinator
    def __call__(self, spec):
        return {"return_per_dollar": spec.factors["brands.budget"] * 1e-3}


def peak(n):
    sweep = load_sweep(tiny, [
        f"factors.brands.budget={{ low = 1.0, high = 1e6, num = {n} }}",
        "factors.brands.share_micro=[0.2]",
        "factors.behaviour.trust_erosion=[1.0]",
        "replications=1",
    ])
    tracemalloc.start()
    rep = run_sweep(sweep, out / str(n), workers=1, progress=False, evaluate=Cheap())
    p = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rep.n_done == n
    return p


peak(20)  # first-use imports and caches
print(peak(300), peak(3000))
"""


def test_coordinator_memory_stays_flat(tiny, tmp_path):
    # In a fresh interpreter: threads left by other tests must not allocate while we trace.
    res = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(tiny), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    small, big = map(int, res.stdout.split())
    assert big < small + 512 * 1024, (small, big)  # ten times the runs, not ten times the memory


# -- analysis -----------------------------------------------------------------------------


def test_analyze_writes_tables_cis_and_plots(tiny, tmp_path, capsys):
    from scipy import stats

    out = tmp_path / "o"
    run_sweep(load_sweep(tiny, ["replications=3"]), out, workers=1, progress=False)
    assert main(["analyze", str(out)]) == 0
    assert "6 runs failed" in capsys.readouterr().out
    st = pd.read_parquet(out / "point_stats.parquet")
    assert (out / "point_stats.csv").is_file()
    runs = pd.read_parquet(out / "runs.parquet")
    x = runs[(runs["point"] == 1)]["mean_trust_final"].to_numpy()
    row = st[(st["point"] == 1) & (st["outcome"] == "mean_trust_final")].iloc[0]
    half = stats.t.ppf(0.975, 2) * x.std(ddof=1) / np.sqrt(3)
    assert row["n"] == 3 and row["mean"] == pytest.approx(x.mean())
    assert row["ci_low"] == pytest.approx(x.mean() - half)
    assert row["ci_high"] == pytest.approx(x.mean() + half)
    assert (st[st["brands__share_micro"] == 0.9]["n"] == 0).all()
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "mean_trust_final_by_factor.png" in pngs and "mean_trust_final_heatmap.png" in pngs


def test_plots_label_factors_by_meaning_and_unit_and_outcomes_by_unit(tiny, tmp_path):
    from simulation.sweep.analysis import outcome_label, parameter_label
    from simulation.sweep.store import read_manifest

    # a factor is labelled from the parameter table, not by its config key
    label = parameter_label("brands.relationship_cost", width=None)
    assert label == "Overhead per active influencer relationship per period ($/relationship/period)"
    assert (
        parameter_label("population.sensitivity_mean") == "Mean sensitivity to commercial content"
    )
    assert parameter_label("no.such_key") == "no.such_key"
    out = tmp_path / "o"
    run_sweep(load_sweep(tiny, ["replications=1"]), out, workers=1, progress=False)
    man = read_manifest(out)
    assert outcome_label("mean_trust_final", man) == "mean_trust_final ([0, 1])"
    assert outcome_label("engagement_rate_by_tier__micro", man) == (
        "engagement_rate_by_tier__micro (engagements per follower per post)"
    )
    assert outcome_label("day_trust_below", man) == "day_trust_below (day)"


def test_heatmap_cells_carry_their_values():
    from matplotlib.figure import Figure

    from simulation.sweep.analysis import _annotate

    values = np.array([[1.0, 2.5], [np.nan, 40.0]])
    ax = Figure().subplots()
    im = ax.imshow(values)
    _annotate(ax, im, values)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2.5", "40"]


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_sensitivity_indices(tiny, tmp_path, kind):
    from simulation.sweep.analysis import analyze

    sets = [
        "factors.brands.share_micro={ low = 0.0, high = 0.7 }",
        "factors.behaviour.trust_erosion={ low = 0.5, high = 2.0 }",
        "factors.influencers.sponsored_cap={ low = 1, high = 6 }",
        f"design.kind={kind}",
        "design.n=4",
        "replications=1",
        "steps=6",
    ]
    out = tmp_path / kind
    run_sweep(load_sweep(tiny, sets), out, workers=2, progress=False)
    res = analyze(out)
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens["factor"]) == {
        "brands.share_micro",
        "behaviour.trust_erosion",
        "influencers.sponsored_cap",
    }
    col = "ST" if kind == "sobol" else "mu_star"
    assert np.isfinite(sens[col]).any()
    assert "plots/sensitivity.png" in res["files"]


def test_sweep_error_is_a_config_error():
    from simulation.config import ConfigError

    assert issubclass(SweepError, ConfigError)
