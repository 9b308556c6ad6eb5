"""Every ready-made sweep in experiments/ runs end to end at a tiny size and is analysed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY as TINY_MARKET

from simulation.cli import main

EXPERIMENTS = sorted((Path(__file__).resolve().parents[1] / "experiments").glob("*.toml"))

# The tests' tiny market (conftest.TINY): 600 followers for 60,000 people, 12 influencers on
# tier bounds scaled down to fit, 8 days, 1 replicate.
TINY = ["steps=8", "replications=1"] + [
    f"base.set.{section}.{key}={value}"
    for section, values in TINY_MARKET.items()
    if section in ("population", "influencers")
    for key, value in values.items()
]


def test_there_are_ready_made_sweeps():
    names = {p.stem for p in EXPERIMENTS}
    assert {"saturation", "price_competition", "sobol_sensitivity"} <= names
    for p in EXPERIMENTS:
        readme = p.parent / p.stem / "README.md"
        assert readme.is_file(), f"{readme} is missing"
        assert "question" in readme.read_text().lower()


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_runs_tiny_and_is_analysed(path, tmp_path, capsys):
    spec = tomllib.loads(path.read_text())
    sets = list(TINY)
    if spec.get("design", {}).get("kind", "grid") != "grid":
        sets.append("design.n=2")
    out = tmp_path / path.stem
    args = ["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet", "--analyze"]
    for s in sets:
        args += ["--set", s]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["status"] == "ok").all()
    assert (out / "point_stats.csv").is_file()
    assert list((out / "plots").glob("*.png"))
