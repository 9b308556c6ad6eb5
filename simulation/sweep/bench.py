"""``influencer-sim bench --sweep``: what the sweep machinery costs and how it scales.

One small scenario (the baseline market at 3,000 followers), one grid, run twice in one go:

1. ``--workers 1`` (in this process). Per-run overhead = (wall time - time inside
   ``runner.run``) / runs: deriving each run's config, extracting outcomes, writing its part
   and series files, the manifest, the design and the consolidation, all included.
2. ``--workers 2`` (local processes). Speed-up = time 1 / time 2, worker start-up included;
   also the steady-state speed-up, from the first finished run to the last.

Targets: overhead under 50 ms per run; speed-up at least 1.8 on two idle cores. Other work on
the machine slows the two-worker run most, so the bench also prints the load average and the
machine's own ceiling at that moment: the speed-up of two pure-Python busy loops on two
processes over the same loops one after the other.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

__all__ = ["main", "measure"]

_SWEEP = """
name = "bench"
replications = {reps}
root_seed = 1
steps = {steps}

[base]
config = "{base}"
set = {{ "population.n_followers" = 5000 }}

[factors]
brands.budget = [3000.0, 6000.0, 9000.0, 12000.0]
brands.share_micro = [0.2, 0.5]

[outcomes]
summary = ["return_per_dollar", "follower_retention", "engagement_rate_by_tier.micro"]
final = ["mean_trust"]
series = ["mean_trust", "followers"]
"""


def _busy(n: int) -> float:
    """A pure-Python CPU loop; returns its seconds."""
    t0 = time.perf_counter()
    s = 0
    for i in range(n):
        s += i
    return time.perf_counter() - t0


def machine_ceiling(n: int = 5_000_000) -> float:
    """Speed-up the machine offers right now: two busy loops in two processes vs one after
    the other. About 2 on two idle cores; less when other work holds the cores."""
    import multiprocessing

    t0 = time.perf_counter()
    _busy(n)
    _busy(n)
    serial = time.perf_counter() - t0
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_busy, [1000, 1000])  # start-up, not measured
        t0 = time.perf_counter()
        pool.map(_busy, [n, n], chunksize=1)
        parallel = time.perf_counter() - t0
    return serial / parallel


def measure(quick: bool = False) -> dict:
    """Run the sweep on one and on two workers; returns the figures."""
    from ..resources import configs_dir
    from .coordinator import run_sweep
    from .spec import load_sweep

    base = configs_dir() / "baseline.toml"
    reps, steps = (1, 10) if quick else (4, 50)
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        tmp = Path(tmp)
        f = tmp / "bench.toml"
        f.write_text(_SWEEP.format(reps=reps, steps=steps, base=base.as_posix()))
        sweep = load_sweep(f)
        load0 = os.getloadavg()[0]
        ceiling0 = machine_ceiling()
        r1 = run_sweep(sweep, tmp / "w1", workers=1, progress=False)
        r2 = run_sweep(sweep, tmp / "w2", workers=2, progress=False)
        ceiling1 = machine_ceiling()
        load1 = os.getloadavg()[0]
    n = r1.n_runs
    steady1 = (r1.last_result - r1.first_result) / (n - 1) if n > 1 else float("nan")
    steady2 = (r2.last_result - r2.first_result) / (n - 1) if n > 1 else float("nan")
    return {
        "runs": n,
        "steps": steps,
        "serial_seconds": r1.wall_time,
        "serial_model_seconds": r1.model_time,
        "two_workers_seconds": r2.wall_time,
        "two_workers_first_result": r2.first_result,
        "throughput_1": n / r1.wall_time,
        "throughput_2": n / r2.wall_time,
        "speedup": r1.wall_time / r2.wall_time,
        "steady_speedup": steady1 / steady2,
        "overhead_ms": 1000 * (r1.wall_time - r1.model_time) / n,
        "busy_2": r2.model_time / (2 * r2.wall_time),
        # On idle cores, two workers each doing half the runs' CPU seconds, start-up aside.
        "idle_estimate": 2 * r1.cpu_time / r2.cpu_time,
        "cpu_ratio": r2.cpu_time / r1.cpu_time,
        "load": (load0, load1),
        "ceiling": (ceiling0, ceiling1),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }


def main(args: argparse.Namespace) -> int:
    quick = bool(getattr(args, "quick", False))
    print("sweep benchmark: baseline market at 3,000 followers, grid 4 x 2, seeded replications")
    m = measure(quick=quick)
    print(f"  runs                       {m['runs']} x {m['steps']} days")
    print(
        f"  1 worker  (in process)     {m['serial_seconds']:6.2f} s  "
        f"{m['throughput_1']:.2f} runs/s  (model itself {m['serial_model_seconds']:.2f} s)"
    )
    print(
        f"  2 workers (processes)      {m['two_workers_seconds']:6.2f} s  "
        f"{m['throughput_2']:.2f} runs/s  (first run back after "
        f"{m['two_workers_first_result']:.2f} s)"
    )
    print(
        f"  speed-up with 2 workers    {m['speedup']:.2f}x overall, "
        f"{m['steady_speedup']:.2f}x steady state  (target >= 1.8x)"
    )
    print(f"  overhead per run           {m['overhead_ms']:.1f} ms  (target < 50 ms)")
    print(
        f"  CPU per run, 2 vs 1 worker {m['cpu_ratio']:.2f}x  "
        f"(1.00 = running in parallel costs no extra work)"
    )
    print(
        f"  speed-up on idle cores     {m['idle_estimate']:.2f}x steady state, from CPU seconds "
        "(2 x CPU of 1 worker / CPU of 2 workers; start-up aside)"
    )
    print(
        f"  2 workers busy             {100 * m['busy_2']:.0f}% of the sweep's wall time "
        "(in the model; the rest is start-up, waiting and consolidation)"
    )
    print(
        f"  load average               {m['load'][0]:.2f} before, {m['load'][1]:.2f} after "
        f"on {m['cores']} cores"
    )
    print(
        f"  machine ceiling            {m['ceiling'][0]:.2f}x before, {m['ceiling'][1]:.2f}x after "
        "(two pure-Python loops on two processes vs one after the other)"
    )
    if min(m["ceiling"]) < 1.8:
        print("  note: other work holds the cores; the two-worker figure is a lower bound")
    return 0
