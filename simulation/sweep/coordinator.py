"""The coordinator: expand a sweep into runs, hand them to an executor, save each result.

The coordinator holds the design, one boolean per run (done or not) and the runs in flight;
results go to disk as they arrive, so its memory does not grow with the number of runs.

Stopping. Ctrl-C (SIGINT), SIGTERM (what a cluster scheduler sends a job it stops) and SIGHUP
(a closed terminal or SSH session) all stop a sweep the same way: the workers are ended,
the runs that finished are kept and consolidated, and the manifest says ``interrupted`` with
the counts. Further signals while that happens are ignored, so the folder is never left half
written; a sweep killed outright (SIGKILL) keeps every finished run too, and ``--resume``
finishes it.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import executors
from .design import iter_runs, make_design
from .evaluate import ModelEvaluator
from .spec import Sweep, SweepError
from .store import SweepStore

__all__ = ["STOP_SIGNALS", "Stopped", "SweepReport", "run_sweep"]

#: Signals that stop a sweep cleanly (SIGHUP where the platform has it).
STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived while runs were going (a KeyboardInterrupt, as Ctrl-C is)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
    #: the signal that stopped the sweep (e.g. 15 for SIGTERM; 2 for Ctrl-C), if any
    signum: int | None = None

    @property
    def complete(self) -> bool:
        return self.n_done == self.n_runs

    @property
    def signal_name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum else None


class _StopSignals:
    """Turn stop signals into :class:`Stopped` while ``armed``; otherwise only remember them.

    Installed only in the main thread (Python delivers signals there); the previous handlers
    come back on exit.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.armed = False
        self.signum: int | None = None
        self._old: dict[int, object] = {}

    def _handle(self, signum, frame):
        if self.signum is not None:
            return  # already stopping: let the clean-up finish
        self.signum = signum
        if self.armed:
            self.armed = False
            raise Stopped(signum)

    def __enter__(self):
        if self.enabled:
            for sig in STOP_SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


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
    handle_signals: bool = True,
) -> SweepReport:
    """Run every run of ``sweep`` that is not yet in ``out``.

    Args:
        sweep: a validated sweep (:func:`~simulation.sweep.spec.load_sweep`).
        out: the sweep folder (see :mod:`~simulation.sweep.store`).
        workers: 1 runs in this process; more uses local processes (default: one per core);
            with ``scheduler``, the LocalCluster size / the in-flight bound.
        scheduler: ``"local"`` or a Dask scheduler address.
        resume: finish a sweep already started in ``out``, or add replications to it.
        retry_failed: with ``resume``, also run again the runs recorded as failed.
        overwrite: replace whatever ``out`` holds.
        progress: show a progress bar with the time left (stderr).
        evaluate: the function from a :class:`RunSpec` to outcomes (default: the model).
        handle_signals: stop cleanly on SIGINT, SIGTERM and SIGHUP (main thread only).

    A stop signal (or a KeyboardInterrupt) stops the sweep after saving what finished; the
    report says so and which signal it was.
    """
    t0 = time.perf_counter()
    if resume and overwrite:
        raise SweepError("--resume and --overwrite: give one or the other")
    if workers is not None and workers < 1:
        raise SweepError(f"--workers: {workers} must be at least 1")
    if retry_failed and not resume:
        raise SweepError("--retry-failed: only with --resume")
    if scheduler:
        executors.import_dask()  # a missing optional dependency fails before anything is written
    evaluate = evaluate if evaluate is not None else ModelEvaluator.for_sweep(sweep)
    n_workers = workers or executors.default_workers()
    if scheduler or n_workers > 1:
        executors.check_picklable(evaluate)
    with _StopSignals(handle_signals) as stop:
        design = make_design(sweep)
        store = SweepStore(out, sweep, len(design))
        n_runs = store.n_runs
        notes: list[str] = []
        if resume:
            notes += store.open_resume(design)
            if retry_failed:
                store.forget_failed()
        else:
            store.create(design, overwrite=overwrite)
        done = store.done_mask()
        n_before = int(done.sum())
        specs = iter_runs(sweep, design, skip=lambda p, r: done[p, r])

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
        interrupted = stop.signum is not None  # a signal during set-up: stop before starting
        try:
            stop.armed = not interrupted
            if not interrupted:
                for spec, rec in results:
                    store.write(spec, rec)
                    done[spec.point, spec.replicate] = True
                    n_new += 1
                    model_time += rec.model_time or 0.0
                    cpu_time += rec.cpu_time
                    last = time.perf_counter() - t0
                    first = last if first is None else first
                    bar.update(1)
        except KeyboardInterrupt as err:
            interrupted = True
            if stop.signum is None:  # Ctrl-C without our handler, or raised by an evaluator
                stop.signum = getattr(err, "signum", signal.SIGINT)
        finally:
            stop.armed = False
            with contextlib.suppress(KeyboardInterrupt):
                results.close()  # ends the workers of an executor that was stopped early
            bar.close()
        n_rows = store.consolidate()
        n_failed = _count_failed(store)
        if n_rows == n_runs:
            state = "complete"
        else:
            state = "interrupted" if interrupted else "incomplete"
        extra = {"stopped_by": signal.Signals(stop.signum).name} if interrupted else {}
        store.write_manifest(
            state=state,
            counts={"done": n_rows, "failed": n_failed, "missing": n_runs - n_rows},
            **extra,
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
        signum=int(stop.signum) if interrupted else None,
    )


def _count_failed(store: SweepStore) -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    status = pq.read_table(store.out / "runs.parquet", columns=["status"])["status"]
    return int(pc.sum(pc.equal(status, "error")).as_py() or 0)
