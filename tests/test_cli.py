"""`influencer-sim run`: the files it writes, reproducibility to the byte, and safety of
the output folder."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.outputs import TIMESERIES_COLUMNS
from simulation.plots import CHARTS

TABLES = ["timeseries", "influencers", "brands"]


@pytest.fixture
def scenario(tmp_path):
    """The tiny market as a scenario file."""
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_toml(run={"steps": 25, "seed": 4}))
    return path


def _run(args, capsys=None) -> int:
    return main(["run", *map(str, args), "--quiet"])


def test_run_writes_every_documented_file(scenario, tmp_path):
    out = tmp_path / "out"
    assert _run([scenario, "--out", out]) == 0
    names = {p.name for p in out.iterdir()}
    expected = {f"{t}.parquet" for t in TABLES} | {"config.toml", "manifest.json", "summary.json"}
    assert expected | {f"{name}.png" for name in CHARTS} == names
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == TIMESERIES_COLUMNS
    assert ts["step"].tolist() == list(range(1, 26))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["steps"] == 25
    assert {"mesa", "numpy", "networkx", "python"} <= set(manifest["versions"])
    assert len(manifest["config_sha256"]) == 64 and manifest["wall_time_seconds"] > 0
    assert "git_commit" in manifest
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 25
    # the resolved config runs again to the same result
    again = tmp_path / "again"
    assert _run([out / "config.toml", "--out", again]) == 0
    assert (again / "timeseries.parquet").read_bytes() == (out / "timeseries.parquet").read_bytes()


def test_same_seed_same_bytes_other_seed_differs(scenario, tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert _run([scenario, "--out", tmp_path / name, "--seed", seed]) == 0
    pngs = [f"{name}.png" for name in CHARTS]
    for f in [f"{t}.parquet" for t in TABLES] + ["summary.json", "config.toml", *pngs]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a" / "timeseries.parquet").read_bytes() != (
        tmp_path / "c" / "timeseries.parquet"
    ).read_bytes()


def test_csv_on_request_and_set_overrides(scenario, tmp_path):
    out = tmp_path / "csv"
    args = [scenario, "--out", out, "--format", "csv", "--set", "brands.n_brands=2"]
    assert _run(args) == 0
    brands = pd.read_csv(out / "brands.csv")
    assert len(brands) == 2
    assert "n_brands = 2" in (out / "config.toml").read_text()


def test_existing_results_are_not_overwritten_unless_asked(scenario, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run([scenario, "--out", out, "--seed", 1]) == 0
    before = (out / "timeseries.parquet").read_bytes()
    capsys.readouterr()
    assert _run([scenario, "--out", out, "--seed", 2]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]
    assert (out / "timeseries.parquet").read_bytes() == before
    assert _run([scenario, "--out", out, "--seed", 2, "--overwrite"]) == 0
    assert (out / "timeseries.parquet").read_bytes() != before


def _start_long_run(scenario, out, **popen):
    """A run far too long to finish, as a separate process; returns once it is stepping."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--steps",
            "100000",
            "--quiet",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        **popen,
    )
    # stepping once it has used a few seconds of CPU (imports and model building take about
    # two): waiting on its CPU time, not the clock, holds on a loaded machine too
    if not Path(f"/proc/{proc.pid}/stat").exists():  # no /proc (not Linux): the clock
        time.sleep(4)
        return proc
    tick = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / tick >= 4.0:  # utime + stime
            break
        time.sleep(0.2)
    return proc


def test_interrupted_run_leaves_nothing_that_looks_complete(scenario, tmp_path):
    out = tmp_path / "killed"
    proc = _start_long_run(scenario, out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    # no temporary folder left that a reader could take for results either
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("killed")]


def test_ctrl_c_is_one_line_and_writes_nothing(scenario, tmp_path):
    out = tmp_path / "interrupted"
    proc = _start_long_run(scenario, out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == ["influencer-sim: error: interrupted; nothing was written"]
    assert not out.exists()


def test_params_prints_the_parameter_table(capsys):
    assert main(["params"]) == 0
    table = capsys.readouterr().out
    assert "| `brands.budget` |" in table and "Klear" in table


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_entry_point_is_installed():
    out = subprocess.run(
        ["influencer-sim", "--help"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": str(Path(sys.executable).parent) + ":" + os.environ.get("PATH", ""),
        },
    )
    assert out.returncode == 0 and "run" in out.stdout and "bench" in out.stdout


def test_failure_while_writing_leaves_no_output_folder(tmp_path, monkeypatch, tiny):
    import simulation.plots
    from simulation.runner import run
    from simulation.writer import write_run

    result = run(tiny(), steps=3)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(simulation.plots, "plot_run", broken)
    with pytest.raises(OSError, match="disk full"):
        write_run(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary twin


def test_overwrite_never_replaces_a_folder_that_is_not_results(scenario, tmp_path, capsys):
    keep = tmp_path / "documents"
    keep.mkdir()
    (keep / "thesis.txt").write_text("years of work")
    assert _run([scenario, "--out", keep, "--overwrite"]) == 2
    assert "not a results folder" in capsys.readouterr().err
    assert (keep / "thesis.txt").read_text() == "years of work"


def test_written_config_runs_again_with_a_relative_graph_file(tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "ties.txt").write_text("".join(f"{k} {k + 1}\n" for k in range(39)))
    (scen / "s.toml").write_text(
        Path("configs/cascade.toml")
        .read_text()
        .replace('kind = "path"', 'kind = "edgelist"\nfile = "ties.txt"')
        .replace("n_followers = 50", "n_followers = 40")
    )
    out = tmp_path / "out"
    assert _run([scen / "s.toml", "--out", out]) == 0
    assert _run([out / "config.toml", "--out", tmp_path / "again"]) == 0
    assert (tmp_path / "again" / "timeseries.parquet").read_bytes() == (
        out / "timeseries.parquet"
    ).read_bytes()
