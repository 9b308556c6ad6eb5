"""Shared fixtures: a tiny market that runs in a fraction of a second, and the baseline
scenario run once per session (`baseline_run`) for the tests that read it."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from simulation.config import config_from_dict, load_config
from simulation.runner import run

ROOT = Path(__file__).resolve().parent.parent

#: The smallest market with every tier: 600 followers standing for 60,000 people (100 each),
#: 12 influencers on tier bounds scaled down to fit (celebrities have 10,000-30,000
#: followers), 3 brands, 60 days.
TINY = {
    "population": {"n_followers": 600, "people": 60_000},
    "influencers": {
        "n_nano": 2,
        "n_micro": 6,
        "n_mid": 2,
        "n_macro": 1,
        "n_celebrity": 1,
        "micro_min": 300,
        "mid_min": 1_000,
        "macro_min": 3_000,
        "celebrity_min": 10_000,
        "celebrity_max": 30_000,
        "fame_size": 30_000,
    },
    "brands": {"n_brands": 3},
    "run": {"steps": 60},
}


def tiny_dict(**sections: dict) -> dict:
    """The tiny scenario as nested dicts, with ``section={key: value}`` merged in."""
    data = copy.deepcopy(TINY)
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def tiny_toml(**sections: dict) -> str:
    """The tiny scenario as TOML text (only its own keys), with ``section={...}`` merged in."""
    lines = []
    for section, values in tiny_dict(**sections).items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v!r}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def tiny():
    """Factory: ``tiny(brands={"platform_share": 0.5})`` -> a validated tiny Config."""

    def make(**sections: dict):
        return config_from_dict(tiny_dict(**sections))

    return make


@functools.cache
def baseline_run(n_followers: int | None = None, seed: int | None = None, steps: int | None = None):
    """The baseline scenario (configs/baseline.toml), optionally simulated by fewer followers
    (the same market of 4M people, coarser), run once per session for every test that reads
    it (calibration, steady state, population convergence)."""
    sets = [] if n_followers is None else [f"population.n_followers={n_followers}"]
    cfg = load_config(ROOT / "configs" / "baseline.toml", sets)
    return run(cfg, seed=seed, steps=steps)


@pytest.fixture(scope="session")
def quick_experiment(tmp_path_factory):
    """Factory: ``quick_experiment(name)`` runs experiment ``name``'s quick version once per
    session into one folder (``<folder>/<name>``) and returns that folder and its numbers;
    the test of every experiment and the test of docs/RESULTS.md share the runs."""
    from simulation.experiment import run_experiment

    root = tmp_path_factory.mktemp("quick_results")
    done: dict[str, dict] = {}

    def make(name: str) -> tuple[Path, dict]:
        if name not in done:
            done[name] = run_experiment(name, root / name, quick=True, progress=False)
        return root / name, done[name]

    return make


@pytest.fixture(scope="session")
def quick_validation(tmp_path_factory):
    """``influencer-sim validate --quick`` once per session: its folder, exit status and what
    it printed."""
    import contextlib
    import io

    from simulation.cli import main

    out = tmp_path_factory.mktemp("quick_validation") / "validation"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["validate", "--quick", "--out", str(out)])
    return out, code, printed.getvalue()
