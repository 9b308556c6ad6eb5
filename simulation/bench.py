"""``influencer-sim bench``: speed and memory of the follower engines, measured in one run.

1. Both engines on the same scenario (``configs/bench.toml`` scaled to 100,000 followers):
   follow-edge updates per second of each and their ratio (target: vectorized at least 30x).
2. The vectorized engine on ``configs/bench.toml`` itself (1,000,000 followers, about
   5,000,000 follow edges) for 365 days, building included, in a child process so that
   its peak memory is its own (targets: under 2 minutes, under 2 GiB).

A follow-edge update is one active follow edge stepped through one day.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from .config import Config, apply_overrides, load_config
from .resources import configs_dir

__all__ = ["main", "scaled_config", "time_engine"]

#: The benchmark scenario, shipped with the package (``configs/bench.toml``).
BENCH_CONFIG = configs_dir() / "bench.toml"


def scaled_config(n_followers: int, engine: str = "vectorized") -> Config:
    """The benchmark market simulated at another resolution: the same people, accounts and
    brands, ``n_followers`` simulated followers (so follow edges scale with them)."""
    cfg = load_config(BENCH_CONFIG)
    return apply_overrides(cfg, {"population.n_followers": n_followers, "run.engine": engine})


def time_engine(cfg: Config, steps: int) -> dict:
    """Build a model (not timed), take one warm-up day, then time ``steps`` days."""
    from .model import MarketModel

    model = MarketModel(cfg)
    model.step()
    edges = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        e = model.state.edges
        edges += int(e.active[: e.n].sum())
        model.step()
    wall = time.perf_counter() - t0
    return {
        "engine": cfg.run.engine,
        "followers": cfg.population.n_followers,
        "steps": steps,
        "seconds": wall,
        "edge_updates_per_second": edges / wall,
        "follow_edges": edges / steps,
    }


def _child(n_followers: int, steps: int) -> None:
    """Run the big year and print its figures as JSON (used in a child process)."""
    from .model import MarketModel

    t0 = time.perf_counter()
    model = MarketModel(scaled_config(n_followers))
    built = time.perf_counter() - t0
    edges0 = model.state.edges.n
    for _ in range(steps):
        model.step()
    wall = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "followers": n_followers,
                "follow_edges": edges0,
                "steps": steps,
                "build_seconds": built,
                "wall_seconds": wall,
            }
        )
    )


def _big_year(n_followers: int, steps: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, "-m", "simulation.bench", "--child", str(n_followers), str(steps)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the largest child so far (KiB on Linux); the big run is the
    # only child, so it is its peak resident memory
    result["peak_rss_mib"] = max(peak_kib, before) / 1024
    return result


def main(args: argparse.Namespace) -> int:
    quick = bool(getattr(args, "quick", False))
    n_cmp, vec_steps, ref_steps = (5_000, 10, 2) if quick else (100_000, 30, 2)
    n_big, big_steps = (50_000, 30) if quick else (1_000_000, 365)
    print(f"engines on the same scenario ({BENCH_CONFIG.name} at {n_cmp:,} followers)")
    vec = time_engine(scaled_config(n_cmp, "vectorized"), vec_steps)
    ref = time_engine(scaled_config(n_cmp, "reference"), ref_steps)
    for r in (vec, ref):
        print(
            f"  {r['engine']:<10} {r['follow_edges']:>12,.0f} follow edges  "
            f"{r['steps']:>3} days in {r['seconds']:7.2f} s  "
            f"{r['edge_updates_per_second']:>14,.0f} edge updates/s"
        )
    ratio = vec["edge_updates_per_second"] / ref["edge_updates_per_second"]
    print(f"  ratio vectorized / reference: {ratio:,.1f}x (target at least 30x)")
    print(f"vectorized engine, {n_big:,} followers, {big_steps} days, building included")
    big = _big_year(n_big, big_steps)
    print(f"  follow edges at start: {big['follow_edges']:,}")
    print(
        f"  build {big['build_seconds']:.1f} s, wall time {big['wall_seconds']:.1f} s "
        f"(target under 120 s)"
    )
    print(f"  peak memory {big['peak_rss_mib']:,.0f} MiB (target under 2,048 MiB)")
    if quick:
        print("(--quick: small sizes; the targets apply to the full benchmark)")
    return 0


if __name__ == "__main__":  # the child process of the big year
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]))
    else:  # pragma: no cover
        sys.exit("usage: python -m simulation.bench --child N_FOLLOWERS STEPS")
