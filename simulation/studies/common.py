"""Shared helpers of the experiments: seeded replications, confidence bands, files.

Every experiment runs R seeded replications of each condition. Seeds come from
``numpy.random.SeedSequence(root).spawn(R)``, fixed by the replicate index, so replicate k of
every condition uses the same seed (common random numbers across conditions). Results are
summarised as the mean over replications and a 95% confidence interval from Student's t.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config, apply_overrides, config_from_dict, load_config

__all__ = [
    "MARKET",
    "ROOT_SEED",
    "Condition",
    "Settings",
    "base_config",
    "mean_ci",
    "replicate_seeds",
    "run_conditions",
    "save_figure",
    "save_table",
    "summarise",
    "write_summary",
]

#: Root of every experiment's seed sequence (replicate k gets the k-th spawned seed).
ROOT_SEED = 20_260_401

#: The experiments' market: the baseline market simulated with 40,000 followers (100 people
#: each) instead of 100,000: the same market at a coarser resolution, about twice as fast,
#: so that replications fit.
MARKET = {"population.n_followers": 40_000}

#: A market small enough for the tests: every tier (on tier bounds scaled down to fit 80,000
#: people), a few brands, 60 days.
TINY = {
    "run": {"steps": 60},
    "population": {"n_followers": 800, "people": 80_000},
    "influencers": {
        "n_nano": 3,
        "n_micro": 12,
        "n_mid": 3,
        "n_macro": 2,
        "n_celebrity": 2,
        "micro_min": 300,
        "mid_min": 1_000,
        "macro_min": 3_000,
        "celebrity_min": 10_000,
        "celebrity_max": 30_000,
        "fame_size": 30_000,
    },
    "brands": {"n_brands": 4},
}


@dataclass(frozen=True)
class Settings:
    """How big one experiment run is: replications, days, market size, workers."""

    quick: bool = False
    replications: int = 5
    steps: int = 365
    workers: int = 2

    @classmethod
    def make(cls, quick: bool, replications: int | None, default_r: int, steps: int = 365):
        r = replications or (2 if quick else default_r)
        return cls(
            quick=quick,
            replications=r,
            steps=TINY["run"]["steps"] if quick else steps,
            workers=1 if quick else min(2, os.cpu_count() or 1),
        )


def base_config(quick: bool, scenario: str = "configs/baseline.toml", overrides=None) -> Config:
    """The experiments' market (``scenario`` with :data:`MARKET`), or the tiny market with
    ``quick``, with ``overrides``
    (``{"section.key": value}``) applied."""
    if quick:
        data = {k: dict(v) for k, v in TINY.items()}
        cfg = config_from_dict(data)
    else:
        cfg = apply_overrides(load_config(_repo_path(scenario)), MARKET)
    return apply_overrides(cfg, dict(overrides or {}))


def _repo_path(p: str) -> Path:
    """A scenario file as given, else the shipped scenario (``configs/NAME.toml``)."""
    from ..resources import scenario_path

    return scenario_path(p)


def replicate_seeds(r: int, root: int = ROOT_SEED) -> list[int]:
    """Integer seeds of replicates 0..r-1 (``SeedSequence(root).spawn(r)``)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(r)]


@dataclass
class Condition:
    """One cell of an experiment design: a label (dict of factor values) and a config."""

    label: dict
    config: Config
    extract: Callable | None = field(default=None, repr=False)


def _run_task(task):
    from ..runner import run

    cfg, seed, steps, extract, label, rep = task
    days = set(getattr(extract, "snapshots", ()) or ())
    record = getattr(extract, "record", None)
    snaps: dict = {}
    daily: list = []

    def on_step(model):
        if record is not None:
            daily.append(record(model))
        if int(model.steps) in days:
            st = model.state
            snaps[int(model.steps)] = {
                "income": st.income.copy(),
                "list_income": st.list_income.copy(),
                "deals": st.deals.copy(),
                "counts": st.follower_counts().copy(),
            }

    hook = on_step if (days or record is not None) else None
    res = run(cfg, seed=seed, steps=steps, on_step=hook)
    if record is not None:
        snaps["daily"] = daily
    out = extract(res, snaps) if extract is not None else res
    return label, rep, seed, out


def run_conditions(
    conditions: Iterable[Condition],
    settings: Settings,
    extract: Callable | None = None,
    progress: Callable[[str], None] | None = print,
):
    """Run every condition ``settings.replications`` times with the replicate seeds.

    ``extract(result, snapshots)`` (a top-level function, so it pickles) turns a
    :class:`~simulation.runner.RunResult` into what is kept; it may carry a ``snapshots``
    attribute, a list of days at which each influencer's income, deals and followers are
    recorded, and a ``record`` attribute, a function of the model called after every step
    whose values are passed as ``snapshots["daily"]``. Returns a list of
    ``(label, replicate, seed, extracted)`` in task order.
    """
    seeds = replicate_seeds(settings.replications)
    tasks = [
        (c.config, s, settings.steps, c.extract or extract, c.label, k)
        for c in conditions
        for k, s in enumerate(seeds)
    ]
    t0 = time.perf_counter()
    if settings.workers <= 1 or len(tasks) == 1:
        out = [_run_task(t) for t in tasks]
    else:
        with ProcessPoolExecutor(settings.workers, mp_context=get_context("fork")) as ex:
            out = list(ex.map(_run_task, tasks))
    if progress is not None:
        progress(f"  {len(tasks)} runs in {time.perf_counter() - t0:.1f} s")
    return out


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the ``level`` confidence interval of the mean (Student's t) of ``values``,
    ignoring NaN. With one value the interval is the value itself."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if x.size == 1:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def summarise(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, 95% CI and count of ``value`` over replications, for each group of ``by``."""
    rows = []
    for key, g in df.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        m, lo, hi = mean_ci(g[value])
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(g[value].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


def save_table(df: pd.DataFrame, out: Path, name: str) -> Path:
    """Write ``df`` as ``out/name.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    df.to_csv(path, index=False)
    return path


def save_figure(fig, out: Path, name: str) -> Path:
    """Write ``fig`` as ``out/name.png`` (no software stamp, so reruns give equal bytes)."""
    import warnings

    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    with warnings.catch_warnings():  # labels that do not fit stay where they are
        warnings.simplefilter("ignore")
        fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def write_summary(out: Path, name: str, settings: Settings, numbers: dict) -> Path:
    """Write ``out/summary.json``: the experiment, its size, seeds and headline numbers."""
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "experiment": name,
        "quick": settings.quick,
        "replications": settings.replications,
        "steps": settings.steps,
        "root_seed": ROOT_SEED,
        "seeds": replicate_seeds(settings.replications),
        "results": numbers,
    }
    path = out / "summary.json"
    path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(type(x))
