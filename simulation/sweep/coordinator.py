"""The coordinator: expand a sweep into runs, hand them to an executor, save each result.

The coordinator holds the design, one boolean per run (done or not) and the runs in flight;
results go to disk as they arrive, so its memory does not grow with the number of runs.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import executors
from .design import iter_runs, make_design
from .evaluate import ModelEvaluator
from .spec import Sweep, SweepError
from .store import SweepStore

__all__ = ["SweepReport", "run_sweep"]


@dataclass
class SweepReport:
    """What a call to :func:`run_sweep` did."""

    out: Path
    n_runs: int
    n_done: int  # runs on disk at the end (ok or error)
    n_new: int  # runs finished by this call
    n_failed: int  # runs on disk with status "error"
    interrupted: bool
    wall_time: float
    #: seconds the runs of this call spent in the model itself (as the evaluator reports it)
    model_time: float = 0.0
    #: CPU seconds the runs of this call took in their workers
    cpu_time: float = 0.0
    #: seconds from the call to the first finished run (set-up and worker start-up)
    first_result: float | None = None
    #: seconds from the call to the last finished run (before consolidating)
    last_result: float | None = None
    #: warnings for the user (e.g. the code changed between the start and a resume)
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.n_done == self.n_runs


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    evaluate=None,
) -> SweepReport:
    """Run every run of ``sweep`` that is not yet in ``out``.

    Args:
        sweep: a validated sweep (:func:`~simulation.sweep.spec.load_sweep`).
        out: the sweep folder (see :mod:`~simulation.sweep.store`).
        workers: 1 runs in this process; more uses local processes (default: one per core);
            with ``scheduler``, the LocalCluster size / the in-flight bound.
        scheduler: ``"local"`` or a Dask scheduler address.
        resume: finish a sweep already started in ``out``.
        retry_failed: with ``resume``, also run again the runs recorded as failed.
        overwrite: replace whatever ``out`` holds.
        progress: show a progress bar with the time left (stderr).
        evaluate: the function from a :class:`RunSpec` to outcomes (default: the model).

    A KeyboardInterrupt stops the sweep after saving what finished; the report says so.
    """
    t0 = time.perf_counter()
    if resume and overwrite:
        raise SweepError("--resume and --overwrite: give one or the other")
    if workers is not None and workers < 1:
        raise SweepError(f"--workers: {workers} must be at least 1")
    if scheduler:
        executors.import_dask()  # a missing optional dependency fails before anything is written
    evaluate = evaluate if evaluate is not None else ModelEvaluator.for_sweep(sweep)
    n_workers = workers or executors.default_workers()
    if scheduler or n_workers > 1:
        executors.check_picklable(evaluate)
    design = make_design(sweep)
    n_runs = len(design) * sweep.replications
    store = SweepStore(out, sweep)
    if retry_failed and not resume:
        raise SweepError("--retry-failed: only with --resume")
    notes: list[str] = []
    if resume:
        notes += store.open_resume(design)
        if retry_failed:
            store.forget_failed(n_runs)
    else:
        store.create(design, n_runs, overwrite=overwrite)
    done = store.done_mask(n_runs)
    n_before = int(done.sum())
    specs = iter_runs(sweep, design, skip=lambda rid: done[rid])

    if scheduler:
        results = executors.dask(evaluate, specs, scheduler, n_workers)
    elif n_workers == 1:
        results = executors.serial(evaluate, specs)
    else:
        results = executors.processes(evaluate, specs, n_workers)

    from tqdm import tqdm

    bar = tqdm(
        total=n_runs,
        initial=n_before,
        unit="run",
        desc=sweep.name,
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    n_new = 0
    model_time = cpu_time = 0.0
    first = last = None
    interrupted = False
    try:
        for spec, rec in results:
            store.write(spec, rec)
            done[spec.run_id] = True
            n_new += 1
            model_time += rec.model_time or 0.0
            cpu_time += rec.cpu_time
            last = time.perf_counter() - t0
            first = last if first is None else first
            bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        results.close()
        bar.close()
    n_rows = store.consolidate(n_runs)
    n_failed = _count_failed(store)
    state = "complete" if n_rows == n_runs else "incomplete"
    store.write_manifest(
        n_runs=n_runs,
        state=state,
        counts={"done": n_rows, "failed": n_failed, "missing": n_runs - n_rows},
    )
    return SweepReport(
        out=Path(out),
        n_runs=n_runs,
        n_done=n_rows,
        n_new=n_new,
        n_failed=n_failed,
        interrupted=interrupted,
        wall_time=time.perf_counter() - t0,
        model_time=model_time,
        cpu_time=cpu_time,
        first_result=first,
        last_result=last,
        notes=tuple(notes),
    )


def _count_failed(store: SweepStore) -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    status = pq.read_table(store.out / "runs.parquet", columns=["status"])["status"]
    return int(pc.sum(pc.equal(status, "error")).as_py() or 0)
