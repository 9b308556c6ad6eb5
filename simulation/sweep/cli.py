"""``influencer-sim sweep``, ``analyze``, ``show-run`` and ``export`` (registered in
``simulation/cli.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = [
    "add_analyze_arguments",
    "add_export_arguments",
    "add_show_run_arguments",
    "add_sweep_arguments",
    "cmd_analyze",
    "cmd_export",
    "cmd_show_run",
    "cmd_sweep",
]


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file", help="a shipped sweep by name, e.g. saturation, or a sweep file of your own"
    )
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
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish a sweep started in --out, or add replications to it "
        "(--set replications=N; the runs it has are kept)",
    )
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
    p.add_argument(
        "--days",
        metavar="STEPS",
        help="also analyse each kept series column at these steps, e.g. 30,60,90 "
        "(outcomes <column>_day<step>)",
    )


def add_show_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="a sweep's output folder")
    p.add_argument("point", type=int, help="design point (column point of runs.parquet)")
    p.add_argument("replicate", type=int, help="replicate (column replicate of runs.parquet)")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the run's full scenario file here (default: print it)",
    )


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="a sweep's output folder")
    p.add_argument("--out", help="folder for the tables (default: DIR/export)")
    p.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)"
    )


def _resume_command(args: argparse.Namespace, out: Path) -> str:
    import shlex

    parts = ["influencer-sim", "sweep", args.file, "--out", str(out), "--resume"]
    for s in args.set or []:
        parts += ["--set", s]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    return shlex.join(parts)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file; exit 1 if runs failed, 128 + the signal's number if stopped (130
    for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    from ..resources import sweep_path
    from .coordinator import run_sweep
    from .spec import load_sweep

    sweep = load_sweep(sweep_path(args.file), args.set or [])
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
    try:  # after SIGHUP the terminal may be gone; the folder is already consistent
        for note in rep.notes:
            print(f"warning: {note}", file=sys.stderr)
        print(
            f"wrote {out}/runs.parquet: {rep.n_done} of {rep.n_runs} runs "
            f"({rep.n_new} new) in {rep.wall_time:.1f} s"
        )
        if rep.interrupted or not rep.complete:
            why = f"stopped by {rep.signal_name}" if rep.interrupted else "incomplete"
            print(
                f"{why}: {rep.n_done} of {rep.n_runs} runs done ({rep.n_failed} failed), "
                f"{rep.n_runs - rep.n_done} missing; finish with: {_resume_command(args, out)}",
                file=sys.stderr,
            )
    except OSError:  # pragma: no cover
        pass
    if rep.interrupted:
        return 128 + (rep.signum or 2)
    if not rep.complete:
        return 1
    if args.analyze:
        _print_analysis(out, plots=True)
    if rep.n_failed:
        print(
            f"{rep.n_failed} runs failed (status 'error'; message in the error column)",
            file=sys.stderr,
        )
        return 1
    return 0


def _days(text: str | None) -> list[int] | None:
    from .spec import SweepError

    if not text:
        return None
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise SweepError(f"--days: {text!r} is not a list of steps, e.g. 30,60,90") from None


def cmd_analyze(args: argparse.Namespace) -> int:
    """Tables, confidence intervals, sensitivity indices, diagnostics and plots."""
    _print_analysis(Path(args.dir), plots=not args.no_plots, days=_days(args.days))
    return 0


def cmd_show_run(args: argparse.Namespace) -> int:
    """Write (or print) the full scenario file of one run of a sweep."""
    from ..writer import atomic_write_text
    from .rebuild import run_scenario

    rs = run_scenario(Path(args.dir), args.point, args.replicate)
    text = rs.toml()
    if args.out:
        atomic_write_text(Path(args.out), text)
        print(f"wrote {args.out}: point {rs.point}, replicate {rs.replicate}, seed {rs.seed}")
        print(f"run it: influencer-sim run {args.out}", file=sys.stderr)
    else:
        print(text, end="")
    print(f"the same run from the base scenario: {rs.command()}", file=sys.stderr)
    if rs.status is None:
        print("note: this run is not in the sweep yet (it has not run)", file=sys.stderr)
    elif rs.status == "error":
        print("note: this run failed in the sweep (see its error column)", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the sweep's runs, design and series tables as CSV (or Parquet)."""
    from .export import export

    files = export(Path(args.dir), args.out, args.format)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def _pct(x: float) -> str:
    import math

    return "  n/a" if x is None or not math.isfinite(x) else f"{x:5.0%}"


def _print_analysis(out: Path, plots: bool, days: list[int] | None = None) -> None:
    from .analysis import analyze

    res = analyze(out, plots=plots, days=days)
    print(
        f"wrote {len(res['files'])} files to {out}/: "
        + ", ".join(res["files"][:4])
        + (" ..." if len(res["files"]) > 4 else "")
    )
    diag = res["diagnostics"]
    if len(diag):
        width = max(len("outcome"), *(len(o) for o in diag["outcome"]))
        print(f"{'outcome':<{width}}  seed noise: of a run  of the means  means        indices")
        for r in diag.itertuples():
            if r.indices_settled is None or r.indices_settled != r.indices_settled:
                ind = "-"
            elif r.indices_settled:
                ind = "settled"
            else:
                ind = "screening settled" if r.screening_settled else "not settled"
            if r.means_settled:
                means = "settled"
            elif r.differences_settled is True:
                means = "differences"
            else:
                means = "not settled"
            print(
                f"{r.outcome:<{width}}  {_pct(r.seed_share_of_runs):>20}  "
                f"{_pct(r.seed_share_of_means):>12}  {means:<11}  {ind}"
            )
    sens = res["sensitivity"]
    if sens is not None:
        print(sens.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    for r in diag.itertuples():
        if r.indices_settled is not None and r.indices_settled == r.indices_settled:
            if r.screening_settled:
                print(f"{r.outcome}: factors that matter: {r.factors_that_matter or 'none'}")
            if not r.indices_settled:
                print(f"{r.outcome}: index values not settled: {r.indices_reason}")
                if not r.screening_settled:
                    print(f"{r.outcome}: screening not settled: {r.screening_reason}")
        if not r.means_settled:
            print(f"{r.outcome}: means not settled: {r.means_reason}")
    for w in res["warnings"]:
        print(f"warning: {w}")
    for note in res["notes"]:
        print(f"note: {note}")
