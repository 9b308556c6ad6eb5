"""``influencer-sim bench --sweep``: what the sweep machinery costs and how it scales.

On one small scenario (baseline with 3,000 followers) and one grid, measured in one go:

1. the model alone: ``runner.run`` called in a loop for every run of the sweep;
2. the same sweep with ``--workers 1`` (in-process; per-run overhead = (2 - 1) / runs);
3. the same sweep with ``--workers 2`` (local processes; speed-up = 2's time / 3's time,
   worker start-up included).

Targets: overhead under 50 ms per run, speed-up at least 1.8 on two cores.
"""

from __future__ import annotations

import argparse
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
set = {{ "population.n_followers" = 3000, "influencers.audience_cap" = 500 }}

[factors]
brands.budget = [3000.0, 6000.0, 9000.0, 12000.0]
brands.share_micro = [0.2, 0.5]

[outcomes]
summary = ["return_per_dollar", "follower_retention", "engagement_rate_by_tier.micro"]
final = ["mean_trust"]
series = ["mean_trust", "followers"]
"""


def measure(quick: bool = False) -> dict:
    """Run the three measurements; returns the figures."""
    from ..runner import run
    from .coordinator import run_sweep
    from .design import iter_runs, make_design
    from .spec import load_sweep

    base = Path(__file__).resolve().parents[2] / "configs" / "baseline.toml"
    reps, steps = (1, 20) if quick else (3, 40)
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        tmp = Path(tmp)
        f = tmp / "bench.toml"
        f.write_text(_SWEEP.format(reps=reps, steps=steps, base=base.as_posix()))
        sweep = load_sweep(f)
        design = make_design(sweep)
        n = len(design) * sweep.replications
        from ..config import apply_overrides

        t0 = time.perf_counter()
        for spec in iter_runs(sweep, design):
            run(apply_overrides(sweep.base, {**spec.factors, "run.seed": spec.seed}))
        t_model = time.perf_counter() - t0

        r1 = run_sweep(sweep, tmp / "w1", workers=1, progress=False)
        r2 = run_sweep(sweep, tmp / "w2", workers=2, progress=False)
    return {
        "runs": n,
        "steps": steps,
        "model_seconds": t_model,
        "serial_seconds": r1.wall_time,
        "two_workers_seconds": r2.wall_time,
        "throughput_1": n / r1.wall_time,
        "throughput_2": n / r2.wall_time,
        "speedup": r1.wall_time / r2.wall_time,
        "overhead_ms": 1000 * (r1.wall_time - t_model) / n,
    }


def main(args: argparse.Namespace) -> int:
    quick = bool(getattr(args, "quick", False))
    print("sweep benchmark: baseline at 3,000 followers, grid 4 x 2, seeded replications")
    m = measure(quick=quick)
    print(f"  runs                     {m['runs']} x {m['steps']} days")
    print(f"  model alone (run() loop) {m['model_seconds']:.2f} s")
    print(
        f"  sweep, 1 worker          {m['serial_seconds']:.2f} s  ({m['throughput_1']:.2f} runs/s)"
    )
    print(
        f"  sweep, 2 workers         {m['two_workers_seconds']:.2f} s  "
        f"({m['throughput_2']:.2f} runs/s)"
    )
    print(f"  speed-up with 2 workers  {m['speedup']:.2f}x   (target >= 1.8x)")
    print(f"  overhead per run         {m['overhead_ms']:.1f} ms (target < 50 ms)")
    return 0
