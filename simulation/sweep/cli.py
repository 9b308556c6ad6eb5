"""``influencer-sim sweep`` and ``influencer-sim analyze`` (registered in ``simulation/cli.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_analyze_arguments", "add_sweep_arguments", "cmd_analyze", "cmd_sweep"]


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="sweep file, e.g. experiments/saturation.toml")
    p.add_argument("--out", help="output folder (default: results/sweeps/<sweep name>)")
    p.add_argument(
        "--workers",
        type=int,
        help="1 = in this process; N = N local processes (default: one per core); "
        "with --scheduler local, the cluster's worker count",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on Dask: 'local' (a LocalCluster on this machine) or tcp://host:port",
    )
    p.add_argument("--resume", action="store_true", help="finish a sweep started in --out")
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume, also run again the runs that failed",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace a sweep already in the output folder"
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override the sweep file: replications=2, steps=10, design.n=8, "
        "factors.brands.budget=[1000,2000], base.set.population.n_followers=600; repeatable",
    )
    p.add_argument("--analyze", action="store_true", help="run `analyze` when the sweep is done")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="a sweep's output folder")
    p.add_argument("--no-plots", action="store_true", help="tables only")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file; exit 1 if runs failed, 130 if interrupted."""
    from .coordinator import run_sweep
    from .spec import load_sweep

    sweep = load_sweep(args.file, args.set or [])
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    rep = run_sweep(
        sweep,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        retry_failed=args.retry_failed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    for note in rep.notes:
        print(f"warning: {note}", file=sys.stderr)
    print(
        f"wrote {out}/runs.parquet: {rep.n_done} of {rep.n_runs} runs "
        f"({rep.n_new} new) in {rep.wall_time:.1f} s"
    )
    if rep.interrupted or not rep.complete:
        again = f"influencer-sim sweep {args.file} --out {out} --resume"
        for s in args.set or []:
            again += f" --set '{s}'"
        print(
            f"interrupted: {rep.n_runs - rep.n_done} runs missing; finish with: {again}",
            file=sys.stderr,
        )
        return 130
    if args.analyze:
        _print_analysis(out, plots=True)
    if rep.n_failed:
        print(
            f"{rep.n_failed} runs failed (status 'error'; message in the error column)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Tables, confidence intervals, sensitivity indices and plots of a sweep folder."""
    _print_analysis(Path(args.dir), plots=not args.no_plots)
    return 0


def _print_analysis(out: Path, plots: bool) -> None:
    from .analysis import analyze

    res = analyze(out, plots=plots)
    print(
        f"wrote {len(res['files'])} files to {out}/: "
        + ", ".join(res["files"][:4])
        + (" ..." if len(res["files"]) > 4 else "")
    )
    sens = res["sensitivity"]
    if sens is not None:
        print(sens.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    for note in res["notes"]:
        print(f"note: {note}")
