"""Every experiment of ``experiments/<name>/`` runs end to end in its quick version through the
sweep machinery and writes its figures, tables and summary; the experiment command refuses a
folder that holds something else; the one interval function is Student's t."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiment import experiment_names, sweep_files
from simulation.resources import configs_dir, experiments_dir
from simulation.sweep.analysis import mean_ci
from simulation.sweep.spec import load_sweep

NAMES = experiment_names()


def test_every_experiment_folder_is_whole():
    folders = sorted(p.name for p in experiments_dir().iterdir() if p.is_dir() and p.name[0] != "_")
    assert folders == NAMES, "every folder of experiments/ holds a sweep.toml"
    for name in NAMES:
        readme = experiments_dir() / name / "README.md"
        assert readme.is_file(), f"{readme} is missing"
        text = readme.read_text()
        assert "question" in text.lower()
        assert "simulation/studies" not in text
        for f in sweep_files(name):
            full, quick = load_sweep(f), load_sweep(f, quick=True)
            assert quick.quick and not full.quick
            assert quick.fingerprint() != full.fingerprint()
    assert not list(experiments_dir().glob("*.toml")), "sweep files live in their folders"


def test_mean_ci_matches_students_t():
    m, _lo, hi = mean_ci([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.303, sd = 1, n = 3
    assert m == 2.0
    assert hi - m == pytest.approx(4.3027 / np.sqrt(3), rel=1e-4)
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
    assert np.isnan(mean_ci([np.nan])[0])


@pytest.mark.parametrize("name", NAMES)
def test_experiment_runs_end_to_end(quick_experiment, name):
    out, numbers = quick_experiment(name)
    assert numbers
    summary = json.loads((out / "summary.json").read_text())
    assert summary["experiment"] == name and summary["quick"] is True
    assert summary["replications"] == 2
    for stem, info in summary["sweeps"].items():
        folder = out / info["folder"]
        man = json.loads((folder / "manifest.json").read_text())
        assert man["state"] == "complete" and man["fingerprint"] == info["fingerprint"], stem
        runs = pd.read_parquet(folder / "runs.parquet")
        assert (runs["status"] == "ok").all(), runs["error"].dropna().tolist()
    pngs = list(out.rglob("*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs)
    assert list(out.rglob("*.csv"))


def test_experiment_command_refuses_other_folders_and_names(tmp_path, capsys):
    name = "strategy_returns"
    out = tmp_path / "x"
    args = ["experiment", name, "--quick", "--quiet", "--out", str(out)]
    assert main(args) == 0
    assert "sales per $" in capsys.readouterr().out  # the headline, in numbers
    before = (out / "summary.json").read_bytes()
    assert main(args) == 2  # holds a finished run: not rewritten without asking
    assert "already holds experiment 'strategy_returns'" in capsys.readouterr().err
    assert (out / "summary.json").read_bytes() == before
    assert main([*args, "--resume"]) == 0  # nothing to run; analysed again, same bytes
    assert (out / "summary.json").read_bytes() == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["experiment", name, "--quick", "--out", str(other), "--overwrite"]) == 2
    assert "holds no experiment" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "mine"
    assert main(["experiment", "nope", "--quick"]) == 2
    assert "unknown experiment" in capsys.readouterr().err


def test_a_bundle_sets_its_keys_and_a_run_rebuilds(tmp_path):
    """A bundle's level sets several scenario keys; show-run writes them back."""
    from simulation.sweep import run_sweep
    from simulation.sweep.rebuild import run_scenario
    from simulation.sweep.spec import sweep_from_dict

    data = {
        "name": "b",
        "replications": 1,
        "root_seed": 3,
        "steps": 5,
        "base": {"config": str(configs_dir() / "tiny.toml")},
        "bundles": {
            "variant": {
                "full": {},
                "no erosion": {"behaviour.trust_erosion": 0.0, "behaviour.unfollow_rate": 0.0},
            }
        },
        "outcomes": {"summary": ["mean_trust_end"]},
    }
    sweep = sweep_from_dict(data, path=tmp_path / "b.toml")
    assert sweep.scenario_overrides({"variant": "no erosion"}) == {
        "behaviour.trust_erosion": 0.0,
        "behaviour.unfollow_rate": 0.0,
    }
    run_sweep(sweep, tmp_path / "out", workers=1, progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert sorted(runs["variant"]) == ["full", "no erosion"]
    point = int(runs.loc[runs["variant"] == "no erosion", "point"].iloc[0])
    rebuilt = run_scenario(tmp_path / "out", point, 0)
    assert rebuilt.config.behaviour.trust_erosion == 0.0
    assert rebuilt.config.behaviour.unfollow_rate == 0.0


def test_a_sweep_file_may_name_a_shipped_scenario(tmp_path):
    """``base.config = "baseline"`` in a user's own folder finds the shipped baseline."""
    from simulation.sweep.spec import sweep_from_dict

    data = {
        "root_seed": 1,
        "steps": 5,
        "base": {"config": "tiny"},
        "factors": {"brands.n_brands": [2, 3]},
        "outcomes": {"summary": ["mean_trust_end"]},
    }
    sweep = sweep_from_dict(data, path=tmp_path / "mine.toml")
    assert sweep.base_path == str((configs_dir() / "tiny.toml").resolve())
    with pytest.raises(Exception, match=r"^base\.config: nope: no such scenario .*shipped: "):
        sweep_from_dict({**data, "base": {"config": "nope"}}, path=tmp_path / "mine.toml")
