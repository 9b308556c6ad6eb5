"""Every experiment of ``simulation/studies`` runs end to end on the tiny market (--quick)
and writes its figures, tables and summary; the shared helpers give the right seeds and
intervals."""

import json

import numpy as np
import pytest

from simulation.cli import main
from simulation.studies import EXPERIMENTS, run_experiment
from simulation.studies.common import mean_ci, replicate_seeds


def test_replicate_seeds_are_fixed_by_index():
    assert replicate_seeds(3) == replicate_seeds(5)[:3]
    assert len(set(replicate_seeds(20))) == 20


def test_mean_ci_matches_students_t():
    m, _lo, hi = mean_ci([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.303, sd = 1, n = 3
    assert m == 2.0
    assert hi - m == pytest.approx(4.3027 / np.sqrt(3), rel=1e-4)
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
    assert np.isnan(mean_ci([np.nan])[0])


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_experiment_runs_end_to_end(tmp_path, name):
    out = tmp_path / name
    numbers = run_experiment(name, out, quick=True)
    assert numbers
    pngs = list(out.glob("*.png"))
    csvs = list(out.glob("*.csv"))
    assert pngs and csvs
    assert all(p.stat().st_size > 1000 for p in pngs)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["experiment"] == name and summary["replications"] == 2


def test_cli_experiment_and_unknown_name(tmp_path, capsys):
    assert main(["experiment", "engagement_vs_size", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "engagement_vs_size.png").exists()
    assert main(["experiment", "nope", "--quick"]) == 2
    assert "unknown experiment" in capsys.readouterr().err
