"""The model as a function from a run's parameters to its outcomes.

An evaluator is any picklable callable ``evaluate(spec: RunSpec) -> Evaluation | dict``; the
coordinator and the executors know nothing else about the model, so a test (or another model)
can plug in its own. :class:`ModelEvaluator` is the one for this simulation: base scenario +
the run's factor values + its seed -> ``runner.run`` -> the outcomes the sweep file keeps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import Config, apply_overrides
from ..outputs import flatten_summary
from .design import RunSpec
from .spec import Outcomes, Sweep, column_name, resolve_function

__all__ = ["Evaluation", "ModelEvaluator", "RunRecord", "extract_outcomes", "safe_call"]


@dataclass
class Evaluation:
    """What an evaluator returns: scalar outcomes and, optionally, a per-step series."""

    outcomes: dict[str, Any]
    series: pd.DataFrame | None = None
    #: per-run tables (``outcomes.tables``): name -> table
    tables: dict[str, pd.DataFrame] | None = None
    #: seconds spent in the model itself (``runner.run``), when the evaluator knows it
    model_time: float | None = None


@dataclass
class RunRecord:
    """One finished run as it travels back to the coordinator."""

    point: int
    replicate: int
    status: str  # "ok" | "error"
    outcomes: dict[str, Any] = field(default_factory=dict)
    series: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] | None = None
    error: str | None = None
    wall_time: float = 0.0
    model_time: float | None = None
    #: CPU seconds of the worker process for this run (unaffected by other work on the machine)
    cpu_time: float = 0.0


def _float(x: Any) -> float:
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def extract_outcomes(outcomes: Outcomes, ts: pd.DataFrame, summary: dict) -> dict[str, float]:
    """The scalar outcomes of one run from its time series and summary, by column name."""
    out: dict[str, float] = {}
    if outcomes.summary:
        flat = flatten_summary(summary)
        for k in outcomes.summary:
            out[column_name(k)] = _float(flat.get(k))
    for c in outcomes.final:
        out[f"{c}_final"] = _float(ts[c].iloc[-1]) if len(ts) else math.nan
    step = ts["step"].to_numpy()
    for w in outcomes.window_mean:
        sel = (step >= w.start) & (step <= w.end)
        vals = ts[w.column].to_numpy(dtype=float)[sel]
        out[w.name] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
    for e in outcomes.first_step:
        v = ts[e.column].to_numpy(dtype=float)
        hit = v > e.threshold if e.op == "above" else v < e.threshold
        idx = np.flatnonzero(hit)
        out[e.name] = float(step[idx[0]]) if len(idx) else math.nan
    for a in outcomes.at:
        v = ts[a.column].to_numpy(dtype=float)
        for t in a.steps:
            hit = np.flatnonzero(step == t)
            out[f"{a.name}_{t}"] = float(v[hit[0]]) if len(hit) else math.nan
    return out


def snapshot(model) -> dict[str, np.ndarray]:
    """Each influencer's running totals at the current day: income, income at list price,
    deals and followers (what an experiment's ``tables`` function may ask for mid-run)."""
    st = model.state
    return {
        "income": st.income.copy(),
        "list_income": st.list_income.copy(),
        "deals": st.deals.copy(),
        "counts": st.follower_counts().copy(),
    }


def run_with_tables(cfg: Config, tables_fn) -> tuple[Any, dict[str, pd.DataFrame] | None]:
    """Run the model; with ``tables_fn``, also its per-run tables.

    ``tables_fn(result, snapshots)`` returns ``{name: DataFrame}``; ``snapshots`` maps each
    day of ``tables_fn.snapshot_days`` (a list, or a function of the scenario giving one)
    to :func:`snapshot` at the end of that day.
    """
    from ..runner import run

    if tables_fn is None:
        return run(cfg), None
    days = getattr(tables_fn, "snapshot_days", ())
    days = set(days(cfg) if callable(days) else days)
    snaps: dict[int, dict] = {}

    def on_step(model):
        if int(model.steps) in days:
            snaps[int(model.steps)] = snapshot(model)

    res = run(cfg, on_step=on_step if days else None)
    tables = tables_fn(res, snaps)
    if not isinstance(tables, dict) or not all(
        isinstance(t, pd.DataFrame) for t in tables.values()
    ):
        raise TypeError("outcomes.tables: the function must return {name: DataFrame}")
    return res, tables


class ModelEvaluator:
    """Run the influencer-market model for one design point and replicate.

    Args:
        base: the resolved base scenario (steps already set).
        outcomes: what to keep.
        factors: the sweep's factors (a bundle's level sets several keys).
    """

    def __init__(self, base: Config, outcomes: Outcomes, factors: tuple = ()):
        self.base = base
        self.outcomes = outcomes
        self.factors = factors

    @classmethod
    def for_sweep(cls, sweep: Sweep) -> ModelEvaluator:
        return cls(sweep.base, sweep.outcomes, sweep.factors)

    def __call__(self, spec: RunSpec) -> Evaluation:
        keys: dict[str, Any] = {}
        for f in self.factors:
            keys.update(f.overrides(spec.factors[f.key]))
        if not self.factors:  # an evaluator built without its factors: keys as given
            keys = dict(spec.factors)
        cfg = apply_overrides(self.base, {**keys, "run.seed": spec.seed})
        tables_fn = None
        if self.outcomes.tables:
            tables_fn = resolve_function(self.outcomes.tables)
        t0 = time.perf_counter()
        res, tables = run_with_tables(cfg, tables_fn)
        model_time = time.perf_counter() - t0
        ts = res.timeseries
        series = None
        if self.outcomes.series:
            series = ts[["step", *self.outcomes.series]].reset_index(drop=True)
        outcomes = extract_outcomes(self.outcomes, ts, res.summary)
        return Evaluation(outcomes, series, tables=tables, model_time=model_time)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    name = type(err).__name__
    return f"{name}: {text}" if text else name


def safe_call(evaluate, spec: RunSpec) -> RunRecord:
    """Evaluate one run; an exception becomes a record with status "error" and its message."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        res = evaluate(spec)
    except Exception as err:  # a failing run is a result, not the end of the sweep
        return RunRecord(
            point=spec.point,
            replicate=spec.replicate,
            status="error",
            error=_one_line(err),
            wall_time=time.perf_counter() - t0,
            cpu_time=time.process_time() - c0,
        )
    if not isinstance(res, Evaluation):
        res = Evaluation(dict(res))
    return RunRecord(
        point=spec.point,
        replicate=spec.replicate,
        status="ok",
        outcomes={k: _float(v) for k, v in res.outcomes.items()},
        series=res.series,
        tables=res.tables,
        wall_time=time.perf_counter() - t0,
        model_time=res.model_time,
        cpu_time=time.process_time() - c0,
    )


# Worker-side slot for the evaluator, filled by the process pool's initializer so it is
# pickled once per worker instead of once per run. Only worker processes ever set it.
_WORKER_EVALUATE = None


def install_evaluator(evaluate) -> None:
    """Process-pool initializer: keep the evaluator in the worker.

    The worker also ignores Ctrl-C: a terminal sends SIGINT to the whole process group, and
    stopping the workers is the coordinator's job (it terminates them), so a worker never
    prints a KeyboardInterrupt traceback of its own.
    """
    import signal

    global _WORKER_EVALUATE
    _WORKER_EVALUATE = evaluate
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def call_installed(spec: RunSpec) -> RunRecord:
    """Evaluate with the evaluator installed in this worker."""
    return safe_call(_WORKER_EVALUATE, spec)
