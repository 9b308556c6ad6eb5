"""The ``influencer-sim`` command.

Each subcommand is a function ``cmd_NAME(args) -> exit code`` registered in
:func:`build_parser`. A user's mistake (a bad scenario, a missing file, an output folder in
use) prints one line, ``influencer-sim: error: ...``, and exits with status 2; nothing is
left half-written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import ConfigError, load_config, parameter_rows
from .resources import (
    configs_dir,
    scenario_names,
    scenario_path,
    scenario_question,
    targets_names,
)

__all__ = ["UserError", "build_parser", "main"]


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


def _fail(msg: str) -> int:
    print(f"influencer-sim: error: {msg}", file=sys.stderr)
    return 2


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and write its results."""
    from .runner import run
    from .writer import check_output_dir, write_run

    sets = list(args.set or [])
    if args.engine:
        sets.append(f'run.engine="{args.engine}"')
    cfg = load_config(scenario_path(args.config), sets)
    out = Path(args.out) if args.out else Path("results") / Path(args.config).stem
    check_output_dir(out, args.overwrite)  # before the run, not after an hour of it
    keep = bool(getattr(args, "followers", False))
    result = run(cfg, seed=args.seed, steps=args.steps, progress=not args.quiet, keep_model=keep)
    followers = None
    if keep:
        from .outputs import follower_table

        followers = follower_table(result.model)
    write_run(result, out, fmt=args.format, overwrite=args.overwrite, followers=followers)
    if not args.quiet:
        print(
            f"wrote {out}/ ({result.config.run.steps} days, seed {result.seed}, "
            f"{result.wall_time:.1f} s)"
        )
        print(run_report(result.summary))
    return 0


def _ratio(x: float | None) -> str:
    """A ratio of the run's lines: two decimals, ``-`` for none."""
    return "-" if x is None else f"{x:.2f}"


def run_report(s: dict) -> str:
    """The headline answers of a run, in plain lines: prices, costs and returns by tier and
    strategy, the steady-state check, the audience (from ``summary.json``)."""
    from .vocabulary import STRATEGIES, TIERS

    def money(x):
        return "-" if x is None else f"${x:,.2f}" if x < 100 else f"${x:,.0f}"

    ss = s["steady_state"]
    drift = ", ".join(f"{t} {v:+.1%}" for t, v in ss["price_drift"].items() if v is not None)
    lines = [
        "price per post at the end:  "
        + "  ".join(f"{t} {money(s['price_by_tier_end'][t])}" for t in TIERS),
        f"steady state: {'settled' if ss['settled'] else 'NOT settled'} (tier price drift over "
        f"the last {ss['window_days']} days: {drift}; allowed {ss['tolerance']:.0%})",
        "cost per engagement (price): "
        + "  ".join(f"{t} {money(s['cost_per_engagement_by_tier'][t])}" for t in TIERS),
        "cost per engagement (all in, with fees and overhead): "
        + "  ".join(f"{t} {money(s['cost_per_engagement_all_in_by_tier'][t])}" for t in TIERS),
        "sales per $ by strategy:   "
        + "  ".join(f"{k} {_ratio(s['sales_per_dollar_by_strategy'][k])}" for k in STRATEGIES),
        "earned media value per $ of influencer spend: "
        + "  ".join(f"{k} {_ratio(s['return_per_dollar_by_strategy'][k])}" for k in STRATEGIES),
        "budget used / unspent by strategy: "
        + "  ".join(
            f"{k} -"  # no brand of this strategy
            if not s["budget_used_by_strategy"][k] and not s["budget_unspent_by_strategy"][k]
            else f"{k} {money(s['budget_used_by_strategy'][k])} / "
            f"{money(s['budget_unspent_by_strategy'][k])}"
            for k in STRATEGIES
        ),
        *(
            f"note: {k} brands bought no influencer post (none was expected to clear "
            "brands.hurdle); their sales per $ are from their own posts alone"
            for k in STRATEGIES
            if s["return_per_dollar_by_strategy"][k] is None
            and s["sales_per_dollar_by_strategy"][k] is not None
        ),
        f"customers won: {s['customers']:,.0f} people; adopted share {s['adopted_share_end']:.1%}; "
        f"follower retention {_ratio(s['follower_retention'])}; people who unfollowed someone "
        f"{s['unfollowed_share']:.1%}",
    ]
    lines += our_brand_report(s["our_brand"])
    return "\n".join(lines)


def our_brand_report(o: dict) -> list[str]:
    """Our brand's lines (none without an ``[our_brand]``): its budget, customers and returns
    beside its peers', the market's brands of its strategy."""
    if o["budget"] is None:
        return []

    def money(x):
        return f"${x:,.0f}"

    used = o["budget_used_share"]
    return [
        f"our brand: spent {money(o['budget_used'])} of {money(o['budget'])} budgeted"
        + (f" ({used:.0%})" if used is not None else "")
        + f"; {o['deals']:,.0f} sponsored posts in {o['relationships']:,.0f} relationship-periods"
        f"; {o['customers']:,.0f} customers won",
        f"our brand: sales per $ {_ratio(o['sales_per_dollar'])} (peers "
        f"{_ratio(o['peers_sales_per_dollar'])}); earned media value per $ of influencer spend "
        f"{_ratio(o['return_per_dollar'])} (peers {_ratio(o['peers_return_per_dollar'])}); peers "
        "are the market's brands of its strategy",
        *(
            ["note: our brand had no budget (our_brand.budget = 0)"]
            if not o["budget"]
            else [
                "note: our brand bought no influencer post (none was expected to clear "
                "brands.hurdle); its sales per $ are from its own posts alone"
            ]
            if not o["deals"]
            else []
        ),
    ]


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped scenarios, each with the question it answers."""
    names = scenario_names()
    width = max(map(len, names), default=0)
    for name in names:
        print(f"{name:<{width}}  {scenario_question(name)}")
    print(
        f"\nrun one with: influencer-sim run NAME; the files are in {configs_dir()} "
        "(copy one to change it)"
    )
    for name in targets_names():  # beside the scenarios, but not one
        print(f"{name}.toml there holds calibration targets: influencer-sim calibrate {name}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter table (Markdown) generated from the config declarations."""
    print(parameter_table_markdown())
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    """Run one experiment of ``experiments/`` (or ``all``) through the sweep machinery."""
    from .experiment import ExperimentError, experiment_names, run_experiment

    known = experiment_names()
    names = known if args.name == "all" else [args.name]
    for name in names:
        if name not in known:
            raise UserError(f"unknown experiment {name!r}; known: all, {', '.join(known)}")
    if args.replications is not None and args.replications < 2:
        raise UserError("--replications must be at least 2 (a confidence interval needs two)")
    if args.quick:
        print("quick: a tiny market and 2 replications, to check the machinery; no conclusions")
    for name in names:
        out = Path(args.out) / name if args.out and len(names) > 1 else args.out
        out = Path(out) if out else Path("results") / ("quick" if args.quick else "") / name
        print(f"experiment {name} -> {out}")
        try:
            numbers = run_experiment(
                name,
                out,
                quick=args.quick,
                replications=args.replications,
                workers=args.workers,
                scheduler=args.scheduler,
                overwrite=args.overwrite,
                resume=args.resume,
                progress=not args.quiet,
            )
        except ExperimentError as err:
            raise UserError(str(err)) from None
        for line in experiment_headline(name, numbers):
            print(f"  {line}")
    return 0


def experiment_headline(name: str, numbers: dict) -> list[str]:
    """The lines an experiment's analysis gives for the terminal (its ``headline``)."""
    import importlib

    try:
        module = importlib.import_module(f"simulation.experiments.{name}.analysis")
    except ModuleNotFoundError:  # a sweep analysed by the sweep machinery
        return [f"{stem}: {len(v['files'])} tables and plots" for stem, v in numbers.items()]
    return module.headline(numbers) if hasattr(module, "headline") else []


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios on common seeds through the sweep machinery (see ``compare.py``)."""
    from .compare import CompareError, run_compare

    try:
        numbers = run_compare(
            args.scenarios,
            args.out,
            replications=args.replications,
            steps=args.steps,
            followers=args.followers,
            quick=args.quick,
            workers=args.workers,
            overwrite=args.overwrite,
            resume=args.resume,
            progress=not args.quiet,
        )
    except CompareError as err:
        raise UserError(str(err)) from None
    print(f"wrote {numbers['out']}/report.md")
    if args.quick:
        print("  quick: a tiny market, to check the machinery; no conclusions")
    for line in numbers["headline"]:
        print(f"  {line}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Write the validation report; exit status 1 if a check fails."""
    from .validation import main as validate_main

    return validate_main(Path(args.out) if args.out else None, quick=args.quick)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the free parameters of a targets file to its observed figures (``calibrate.py``)."""
    from .calibrate import calibrate

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: {args.workers} must be at least 1")
    res = calibrate(
        args.targets,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        quick=args.quick,
        overwrite=args.overwrite,
        resume=args.resume,
        progress=not args.quiet,
    )
    m = res["method"]
    print(
        f"{res['name']}: {m['accepted']} of {m['design_points']} design points accepted "
        f"(distance up to {m['epsilon']:.3g}); check runs: distance "
        f"{res['check_distance']['fitted']:.3g} at the fitted values, "
        f"{res['check_distance']['defaults']:.3g} at the defaults; "
        f"fit in {res['out']}/fit/report.md"
    )
    if args.quick:
        print("  quick: a tiny market and design, to check the machinery; no conclusions")
    for p in res["parameters"]:
        where = "inside" if p["default_inside"] else f"OUTSIDE by {p['default_outside_by']:+.3g}"
        print(
            f"  {p['parameter']}: {p['fitted']:.4g} [{p['q05']:.4g}, {p['q95']:.4g}] "
            f"(default {p['default']:.4g}, {where})"
        )
    for t in res["targets"]:
        ok = "within" if t["fitted_within"] else "OUTSIDE"
        print(
            f"  {t['target']}: {t['fitted_mean']:.4g} at the fitted values vs "
            f"{t['value']:.4g} [{t['low']:.4g}, {t['high']:.4g}] ({ok})"
        )
    return 0


def parameter_table_markdown() -> str:
    """Markdown table of every parameter: key, default, range, unit, meaning, source."""
    lines = [
        "| key | default | allowed | unit | meaning | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in parameter_rows():
        cells = [f"`{r['key']}`", r["default"], r["range"], r["unit"], r["meaning"], r["source"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the engines (see ``bench.py``), or the sweep runner with ``--sweep``, or the
    classroom page with ``--app``."""
    if getattr(args, "app", False):
        from .app.bench import main as app_bench_main

        return app_bench_main(args)
    if getattr(args, "sweep", False):
        from .sweep.bench import main as sweep_bench_main

        return sweep_bench_main(args)
    from .bench import main as bench_main

    return bench_main(args)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a parameter sweep (see ``sweep/``)."""
    from .sweep.cli import cmd_sweep as run_cmd

    return run_cmd(args)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse a sweep folder (see ``sweep/analysis.py``)."""
    from .sweep.cli import cmd_analyze as run_cmd

    return run_cmd(args)


def cmd_show_run(args: argparse.Namespace) -> int:
    """Write the scenario file of one run of a sweep (see ``sweep/rebuild.py``)."""
    from .sweep.cli import cmd_show_run as run_cmd

    return run_cmd(args)


def cmd_export(args: argparse.Namespace) -> int:
    """Export a sweep's tables as CSV (see ``sweep/export.py``)."""
    from .sweep.cli import cmd_export as run_cmd

    return run_cmd(args)


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the classroom page (see ``app/``; needs the ``app`` extra)."""
    from .app import launch

    try:
        return launch.main(args.host, args.port, args.scenario, open_browser=not args.no_browser)
    except launch.AppError as err:
        raise UserError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="influencer-sim",
        description="Agent-based simulation of the influencer-marketing market.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario and write its results")
    r.add_argument(
        "config",
        help="a shipped scenario by name (influencer-sim scenarios), e.g. baseline, "
        "or a scenario file",
    )
    r.add_argument("--seed", type=int, help="seed (default: run.seed of the scenario)")
    r.add_argument("--steps", type=int, help="days to simulate (default: run.steps)")
    r.add_argument("--out", help="output folder (default: results/<scenario name>)")
    r.add_argument(
        "--set",
        action="append",
        metavar="SECTION.KEY=VALUE",
        help="override a scenario value; repeatable",
    )
    r.add_argument(
        "--engine",
        choices=("vectorized", "reference"),
        help="follower engine (default: run.engine)",
    )
    r.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="table format (default parquet)",
    )
    r.add_argument(
        "--overwrite", action="store_true", help="replace results already in the output folder"
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    r.add_argument(
        "--followers",
        action="store_true",
        help="also write a per-follower table (with a graph file: each follower's node label)",
    )
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("bench", help="measure engine speed and memory")
    b.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, for a smoke test (not the published figures)",
    )
    b.add_argument(
        "--sweep",
        action="store_true",
        help="measure the sweep runner instead: throughput on 1 and 2 workers, per-run overhead",
    )
    b.add_argument(
        "--app",
        action="store_true",
        help="measure the classroom page instead: model and drawing speed at 10,000 followers",
    )
    b.set_defaults(func=cmd_bench)

    ap = sub.add_parser("app", help="open the classroom page: the market running in the browser")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    ap.add_argument("--scenario", default="baseline", help="scenario the page starts with")
    ap.add_argument("--no-browser", action="store_true", help="do not open a browser")
    ap.set_defaults(func=cmd_app)

    from .sweep.cli import (
        add_analyze_arguments,
        add_export_arguments,
        add_show_run_arguments,
        add_sweep_arguments,
    )

    sw = sub.add_parser("sweep", help="run a parameter sweep (experiments/<name>/sweep.toml)")
    add_sweep_arguments(sw)
    sw.set_defaults(func=cmd_sweep)

    an = sub.add_parser("analyze", help="tables, CIs, sensitivity indices and plots of a sweep")
    add_analyze_arguments(an)
    an.set_defaults(func=cmd_analyze)

    sr = sub.add_parser("show-run", help="write the scenario file of one run of a sweep")
    add_show_run_arguments(sr)
    sr.set_defaults(func=cmd_show_run)

    xp = sub.add_parser("export", help="a sweep's runs and series as CSV, for R and spreadsheets")
    add_export_arguments(xp)
    xp.set_defaults(func=cmd_export)

    ex = sub.add_parser(
        "experiment", help="run an experiment of experiments/<name>/ (figures, tables)"
    )
    ex.add_argument("name", help="experiment name (see docs/RESULTS.md), or 'all'")
    ex.add_argument(
        "--quick",
        action="store_true",
        help="the sweep files' [quick] versions: a tiny market, 2 replications (a check of "
        "the machinery, not a result; default folder results/quick/<name>)",
    )
    ex.add_argument("--out", help="output folder (default results/<name>)")
    ex.add_argument("--replications", type=int, help="seeded replications per condition")
    ex.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    ex.add_argument("--scheduler", help="a Dask scheduler address, or 'local'")
    ex.add_argument(
        "--resume", action="store_true", help="finish or extend a stopped run of it in --out"
    )
    ex.add_argument(
        "--overwrite", action="store_true", help="replace an earlier run of an experiment"
    )
    ex.add_argument("--quiet", action="store_true", help="no progress bar")
    ex.set_defaults(func=cmd_experiment)

    cp = sub.add_parser(
        "compare", help="compare scenarios on common seeds: one report with 95%% intervals"
    )
    cp.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="two or more scenario files or shipped names; the first is the reference",
    )
    cp.add_argument(
        "--replications", type=int, help="runs of each scenario, seed k shared (default 10)"
    )
    cp.add_argument("--steps", type=int, help="days to simulate (default: the first's run.steps)")
    cp.add_argument(
        "--followers",
        type=int,
        help="simulated followers in every scenario (the same people, coarser or finer)",
    )
    cp.add_argument("--out", help="output folder (default results/compare/<a>-vs-<b>)")
    cp.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    cp.add_argument(
        "--quick",
        action="store_true",
        help="each scenario's own keys on the tiny market (configs/tiny.toml), 2 replications: "
        "a check of the machinery, not a result",
    )
    cp.add_argument(
        "--overwrite", action="store_true", help="replace an earlier comparison in --out"
    )
    cp.add_argument("--resume", action="store_true", help="finish a stopped comparison in --out")
    cp.add_argument("--quiet", action="store_true", help="no progress bar")
    cp.set_defaults(func=cmd_compare)

    va = sub.add_parser("validate", help="write the validation report (results/validation)")
    va.add_argument("--quick", action="store_true", help="smaller checks, for the tests")
    va.add_argument("--out", help="output folder (default results/validation)")
    va.set_defaults(func=cmd_validate)

    ca = sub.add_parser(
        "calibrate", help="fit free parameters to observed figures (a targets file)"
    )
    ca.add_argument(
        "targets",
        help="a targets file, or a shipped one by name: calibration (configs/calibration.toml, "
        "the published targets; docs/CALIBRATION.md)",
    )
    ca.add_argument("--out", help="output folder (default results/<name of the targets file>)")
    ca.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    ca.add_argument("--scheduler", help="a Dask scheduler address, or 'local'")
    ca.add_argument(
        "--quick",
        action="store_true",
        help="the file's [quick] version: a tiny design, for the tests (default folder "
        "results/quick/<name>)",
    )
    ca.add_argument("--resume", action="store_true", help="finish a stopped calibration in --out")
    ca.add_argument("--overwrite", action="store_true", help="replace a calibration in --out")
    ca.add_argument("--quiet", action="store_true", help="no progress bar")
    ca.set_defaults(func=cmd_calibrate)

    sc = sub.add_parser("scenarios", help="list the shipped scenarios and the question of each")
    sc.set_defaults(func=cmd_scenarios)

    pr = sub.add_parser("params", help="print the parameter table (Markdown)")
    pr.set_defaults(func=cmd_params)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .writer import OutputExistsError

    try:
        return args.func(args)
    except (ConfigError, UserError, OutputExistsError) as err:
        return _fail(str(err))
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was written")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
