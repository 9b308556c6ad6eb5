"""Run a scenario and collect its tables: ``run(config, seed=..., steps=...)``.

This is the one way a scenario becomes results, used by the command line, the sweeps and
the tests: config -> :class:`~simulation.model.MarketModel` -> :class:`RunResult` (time
series, influencers, brands, summary). What is recorded, and how, is ``outputs.py``'s
business; writing files is ``writer.py``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Config, apply_overrides, load_config
from .model import MarketModel
from .outputs import brand_table, influencer_table, summarize

__all__ = ["RunResult", "run"]


@dataclass
class RunResult:
    """Everything a run produced.

    Attributes:
        config: the resolved scenario (with the seed and steps actually used).
        seed: the seed of the run's Generator.
        timeseries: one row per step (columns in ``outputs.TIMESERIES_COLUMNS``).
        influencers: one row per influencer, at the end of the run.
        brands: one row per brand, at the end of the run.
        summary: headline outcomes (JSON-ready floats).
        wall_time: seconds from building the model to the last step.
    """

    config: Config
    seed: int
    timeseries: pd.DataFrame
    influencers: pd.DataFrame
    brands: pd.DataFrame
    summary: dict
    wall_time: float
    model: MarketModel | None = field(default=None, repr=False)


def run(
    config: Config | str | Path,
    seed: int | None = None,
    steps: int | None = None,
    progress: bool = False,
    on_step: Callable[[MarketModel], None] | None = None,
    keep_model: bool = False,
) -> RunResult:
    """Run one scenario.

    Args:
        config: a :class:`Config` or the path of a scenario TOML file.
        seed: overrides ``run.seed``.
        steps: overrides ``run.steps``.
        progress: show a progress bar on stderr.
        on_step: called with the model after every step.
        keep_model: keep the model object on the result (memory!).
    """
    cfg = load_config(config) if isinstance(config, (str, Path)) else config
    changes = {k: v for k, v in (("run.seed", seed), ("run.steps", steps)) if v is not None}
    if changes:
        cfg = apply_overrides(cfg, changes)
    t0 = time.perf_counter()
    model = MarketModel(cfg)
    days = range(cfg.run.steps)
    if progress:
        from tqdm import tqdm

        days = tqdm(days, desc="simulating", unit="day", leave=False)
    for _ in days:
        model.step()
        if on_step is not None:
            on_step(model)
    wall = time.perf_counter() - t0
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ts["step"] = ts["step"].astype(np.int64)
    inf = influencer_table(model)
    br = brand_table(model)
    summary = summarize(model, ts, inf, br)
    return RunResult(
        config=cfg,
        seed=cfg.run.seed,
        timeseries=ts,
        influencers=inf,
        brands=br,
        summary=summary,
        wall_time=wall,
        model=model if keep_model else None,
    )
