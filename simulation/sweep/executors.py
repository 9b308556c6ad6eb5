"""Executors: hand runs to workers, yield them back as they finish.

Each executor is a generator ``execute(evaluate, specs) -> (spec, RunRecord), ...`` that pulls
run specs lazily from an iterator and keeps a bounded number in flight, so the coordinator's
memory does not grow with the size of the sweep. Results come back in completion order; the
store puts them in order.

- :func:`serial`: in this process (``--workers 1``).
- :func:`processes`: a ``ProcessPoolExecutor`` with its own ``forkserver`` (or ``spawn``)
  context, created here and never set globally. A worker that dies (``BrokenProcessPool``) is
  replaced and its runs are retried once.
- :func:`dask`: a Dask distributed cluster, an existing scheduler (``tcp://host:port``) or a
  ``LocalCluster`` on loopback (``"local"``). Dask is optional (``pip install .[cluster]``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator

from .design import RunSpec
from .evaluate import RunRecord, call_installed, install_evaluator, safe_call
from .spec import SweepError

__all__ = ["dask", "default_workers", "processes", "serial", "terminate_workers"]

Results = Iterator[tuple[RunSpec, RunRecord]]


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def _died(spec: RunSpec, why: str) -> RunRecord:
    return RunRecord(
        point=spec.point,
        replicate=spec.replicate,
        status="error",
        error=f"worker died twice: {why}",
    )


def _lost(spec: RunSpec, err: BaseException) -> RunRecord:
    text = " ".join(str(err).split())
    return RunRecord(
        point=spec.point,
        replicate=spec.replicate,
        status="error",
        error=f"result not returned: {type(err).__name__}: {text}",
    )


def check_picklable(evaluate) -> None:
    """Workers get the evaluator by pickle; say so plainly instead of breaking every worker."""
    import pickle

    try:
        pickle.dumps(evaluate)
    except Exception as err:
        raise SweepError(
            f"evaluate: {evaluate!r} cannot be sent to worker processes ({err}); "
            "use a module-level function or class, or --workers 1"
        ) from None


def serial(evaluate, specs: Iterable[RunSpec]) -> Results:
    """Run every spec in this process, one after another."""
    for spec in specs:
        yield spec, safe_call(evaluate, spec)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has already imported the model: fast start-up.
        ctx.set_forkserver_preload(["simulation.sweep.evaluate", "simulation.runner"])
        return ctx
    return multiprocessing.get_context("spawn")


def processes(evaluate, specs: Iterable[RunSpec], workers: int) -> Results:
    """Run specs on ``workers`` local processes; at most ``2 * workers`` runs in flight."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    check_picklable(evaluate)
    ctx = _mp_context()

    def new_pool():
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=install_evaluator,
            initargs=(evaluate,),
        )

    limit = 2 * workers
    it = iter(specs)
    retry: deque[tuple[RunSpec, int]] = deque()
    in_flight: dict = {}
    pool = new_pool()
    finished = False
    try:
        while True:
            while len(in_flight) < limit:
                if retry:
                    # A retried run goes alone, so a run that kills its worker again cannot
                    # take innocent runs with it.
                    if in_flight:
                        break
                    spec, attempt = retry.popleft()
                else:
                    spec = next(it, None)
                    if spec is None:
                        break
                    attempt = 0
                try:
                    fut = pool.submit(call_installed, spec)
                except BrokenProcessPool:
                    retry.appendleft((spec, attempt))
                    break
                in_flight[fut] = (spec, attempt)
                if attempt:
                    break
            if not in_flight:
                if retry:  # pool broke while submitting
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
                    continue
                finished = True
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                spec, attempt = in_flight.pop(fut)
                try:
                    rec = fut.result()
                except BrokenProcessPool as err:
                    broken = True
                    if attempt == 0:
                        retry.append((spec, 1))
                    else:
                        yield spec, _died(spec, str(err) or "process pool broken")
                    continue
                except Exception as err:  # e.g. a result that cannot be pickled back
                    yield spec, _lost(spec, err)
                    continue
                yield spec, rec
            if broken:
                # every run still in flight on the broken pool fails the same way
                for fut in list(in_flight):
                    spec, attempt = in_flight.pop(fut)
                    try:
                        rec = fut.result()
                    except BrokenProcessPool as err:
                        if attempt == 0:
                            retry.append((spec, 1))
                        else:
                            yield spec, _died(spec, str(err) or "process pool broken")
                        continue
                    except Exception as err:
                        yield spec, _lost(spec, err)
                        continue
                    yield spec, rec
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    finally:
        if not finished:
            # Stopped early (Ctrl-C, SIGTERM, an error in the coordinator): the runs in flight
            # are abandoned, not awaited, so the workers are ended now.
            terminate_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def terminate_workers(pool) -> None:
    """Send SIGTERM to every worker process of a ``ProcessPoolExecutor`` and reap them.

    ``ProcessPoolExecutor.terminate_workers`` arrives in Python 3.14; before that the pool's
    processes are reached through its ``_processes`` table (the same objects that method uses).
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():  # pragma: no cover (a worker that ignores SIGTERM)
            p.kill()
            p.join(timeout=5)


def import_dask():
    try:
        import distributed
    except ImportError:
        raise SweepError(
            "--scheduler: Dask is not installed; install it with "
            "pip install 'influencer-sim[cluster]' (or use --workers N for local processes)"
        ) from None
    return distributed


def dask(evaluate, specs: Iterable[RunSpec], scheduler: str, workers: int) -> Results:
    """Run specs on a Dask cluster; at most ``2 * workers`` runs in flight per worker count.

    ``scheduler`` is ``"local"`` (a LocalCluster of ``workers`` single-threaded processes on
    127.0.0.1) or the address of a running scheduler (``tcp://host:port``), e.g. one made by
    dask-jobqueue on Slurm or by the Dask Kubernetes operator. Workers must be able to import
    ``simulation`` (install the package on them).
    """
    import logging

    distributed = import_dask()
    check_picklable(evaluate)
    cluster = None
    try:
        if scheduler == "local":
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
        else:
            try:
                client = distributed.Client(scheduler, timeout="30s")
            except (OSError, TimeoutError) as err:
                raise SweepError(f"--scheduler {scheduler}: cannot connect: {err}") from None
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    meta: dict = {}  # task key -> (spec, attempt, future) of the runs in flight
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        token = uuid.uuid4().hex[:12]  # task keys unique to this sweep on a shared scheduler
        limit = 2 * n
        ev = client.scatter(evaluate, broadcast=True)
        ac = distributed.as_completed()
        it = iter(specs)
        retry: deque[tuple[RunSpec, int]] = deque()
        pending = 0

        def fill():
            nonlocal pending
            while pending < limit:
                if retry:
                    spec, attempt = retry.popleft()
                else:
                    spec = next(it, None)
                    if spec is None:
                        return
                    attempt = 0
                fut = client.submit(
                    safe_call,
                    ev,
                    spec,
                    pure=False,
                    key=f"sweep-{token}-p{spec.point}-r{spec.replicate}-{attempt}",
                )
                meta[fut.key] = (spec, attempt, fut)
                ac.add(fut)
                pending += 1

        fill()
        while pending:
            fut = next(ac)
            pending -= 1
            spec, attempt, _ = meta.pop(fut.key)
            try:
                rec = fut.result()
            except Exception as err:  # worker lost (KilledWorker), connection closed, ...
                if attempt == 0:
                    retry.append((spec, 1))
                else:
                    rec = _died(spec, f"{type(err).__name__}: {err}")
                    yield spec, rec
                fut.release()
                fill()
                continue
            fut.release()
            yield spec, rec
            fill()
    finally:
        # Stopped early: cancel this sweep's runs still queued or running on the cluster
        # (a shared scheduler would otherwise finish them for nobody).
        live = [f for _, _, f in meta.values()]
        if live:
            with contextlib.suppress(Exception):  # the connection may already be gone
                client.cancel(live, force=True)
        client.close()
        if cluster is not None:
            cluster.close()
