"""Calibration as a command: fit free parameters to observed figures, through the sweep
machinery.

``influencer-sim calibrate TARGETS.toml [--out DIR] [--workers W] [--scheduler ADDR]
[--quick]`` reads a **targets file** (the format is in ``docs/CALIBRATION.md``; the published
targets the model uses today are ``configs/calibration.toml``, shipped with the package and
found by name, ``influencer-sim calibrate calibration``)::

    name = "calibration"
    replications = 2              # runs per design point, on common seeds
    root_seed = 20260315
    steps = 365
    [base]                        # the scenario, relative to this file, as in a sweep file
    config = "baseline.toml"
    set = { "population.n_followers" = 20000 }
    [design]                      # lhs | sobol | random (SALib), n as in a sweep file
    kind = "lhs"
    n = 128
    [fit]
    accept = 0.1                  # share of the design points accepted
    check_replications = 6        # runs at the fitted values and at the defaults
    [parameters]                  # the free parameters and their ranges (the prior)
    "brands.margin" = { low = 3.0, high = 20.0, log = true }
    [[targets]]                   # one per observed figure
    name = "micro posts sell at their rate-card price"
    output = "paid_to_list_by_tier.micro"   # a summary key, or a computed figure
    value = 1.0
    interval = [0.8, 1.25]        # or tolerance = (absolute), rel_tolerance =, sd =
    source = "Influencer Marketing Hub rate cards 2021-2024"
    sets = ["brands.margin"]      # the parameters it identifies (optional)

The command runs the design as a sweep (:func:`simulation.sweep.run_sweep`: local processes,
this process or Dask), fits the parameters by **approximate Bayesian computation by
rejection** (:func:`abc_rejection`) and runs the model again at the fitted values and at the
base scenario's values, on fresh seeds, to measure the fit of every target. It writes
``DIR/sweeps/{design,check}/`` (the sweeps) and ``DIR/fit/`` (``fit.json``,
``parameters.csv``, ``targets.csv``, ``samples.csv``, ``calibration.png``, ``report.md``),
the latter built in a temporary folder and moved into place whole, so a ``fit/`` folder is
always a finished one.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .calibration import FIGURES, Target, check_figure_args, is_output, output_value
from .config import ConfigError, read_toml
from .outputs import summary_keys
from .writer import OutputExistsError, git_commit, replace_dir

__all__ = [
    "DESIGN_KINDS",
    "CalibrationError",
    "Targets",
    "abc_rejection",
    "calibrate",
    "load_targets",
    "targets_from_dict",
]

#: Designs a targets file may ask for: space-filling samples of the parameters' ranges.
DESIGN_KINDS: tuple[str, ...] = ("lhs", "sobol", "random")

_TOP = ("name", "question", "replications", "root_seed", "steps", "base", "design", "fit")
_TOP = (*_TOP, "parameters", "targets", "quick")
_TARGET_KEYS = ("name", "output", "value", "source", "sets", "note")
_TOLERANCES = ("tolerance", "rel_tolerance", "sd", "interval")


class CalibrationError(ConfigError):
    """A mistake in a targets file or the command's options; one line naming it."""


@dataclass(frozen=True)
class Parameter:
    """A free parameter: a scenario key and its range (uniform, or log-uniform with ``log``)."""

    key: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Targets:
    """A validated targets file."""

    name: str
    question: str
    path: Path
    replications: int
    root_seed: int
    steps: int | None
    base: dict
    design: dict
    accept: float
    check_replications: int
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    quick: bool = False

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]


# --------------------------------------------------------------------------------------
# reading the targets file


def load_targets(path: str | Path, quick: bool = False) -> Targets:
    """Read and check a targets file (``quick``: apply its ``[quick]`` table)."""
    path = Path(path)
    _, data = read_toml(path, "targets file", CalibrationError)
    return targets_from_dict(data, path, quick=quick)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _apply_quick(data: dict) -> dict:
    quick = data.get("quick")
    if not isinstance(quick, dict):
        raise CalibrationError("quick: the targets file has no [quick] table; --quick needs one")
    allowed = ("replications", "root_seed", "steps", "base", "design", "fit")
    bad = sorted(set(quick) - set(allowed))
    if bad:
        raise CalibrationError(f"quick.{bad[0]}: not allowed; quick may set {', '.join(allowed)}")
    data = {k: v for k, v in data.items() if k != "quick"}
    for k, v in quick.items():
        if k in ("design", "fit") and isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    return data


def _parse_parameters(table: Any) -> tuple[Parameter, ...]:
    from .sweep.spec import SweepError, _flatten

    if not isinstance(table, dict) or not table:
        raise CalibrationError(
            'parameters: required; e.g. [parameters] "brands.margin" = { low = 3, high = 20 }'
        )
    try:
        flat = _flatten(table, "parameters", lambda v: bool({"low", "high"} & set(v)))
    except SweepError as err:
        raise CalibrationError(str(err)) from None
    out = []
    for key, spec in flat.items():
        where = f"parameters.{key}"
        if not isinstance(spec, dict):
            raise CalibrationError(f"{where}: expected a range {{ low = .., high = .. }}")
        bad = sorted(set(spec) - {"low", "high", "log"})
        if bad:
            raise CalibrationError(f"{where}.{bad[0]}: unknown key; allowed are low, high, log")
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise CalibrationError(f"{where}.log: expected true or false, got {log!r}")
        for b in ("low", "high"):
            if not _number(spec.get(b)):
                raise CalibrationError(f"{where}.{b}: required; expected a number")
        out.append(Parameter(key, float(spec["low"]), float(spec["high"]), log))
    return tuple(out)


def _parse_target(i: int, t: Any, free: list[str]) -> Target:
    where = f"targets[{i}]"
    if not isinstance(t, dict):
        raise CalibrationError(f"{where}: expected a table [[targets]]")
    name = t.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CalibrationError(f"{where}.name: required; a label for the figure")
    where = f"targets[{i}] ({name})"
    output = t.get("output")
    if not isinstance(output, str) or not is_output(output):
        raise CalibrationError(
            f"{where}.output: {output!r} is not a model output; allowed are the computed "
            f"figures {', '.join(FIGURES)} and the summary keys {', '.join(summary_keys())}"
        )
    tol = [k for k in _TOLERANCES if k in t]
    args = {k: v for k, v in t.items() if k not in (*_TARGET_KEYS, *_TOLERANCES)}
    if output in FIGURES:
        try:
            args = check_figure_args(output, args, where)
        except ValueError as err:
            raise CalibrationError(str(err)) from None
    elif args:
        allowed = ", ".join((*_TARGET_KEYS, *_TOLERANCES))
        raise CalibrationError(f"{where}.{sorted(args)[0]}: unknown key; allowed are {allowed}")
    value = t.get("value")
    if not _number(value):
        raise CalibrationError(f"{where}.value: required; expected a number, got {value!r}")
    value = float(value)
    if len(tol) != 1:
        raise CalibrationError(
            f"{where}: give exactly one of tolerance (absolute, ±), rel_tolerance (share of "
            "the value, ±), sd (standard error; ±2 sd) or interval ([low, high])"
        )
    kind, spec = tol[0], t[tol[0]]
    if kind == "interval":
        ok = isinstance(spec, list) and len(spec) == 2 and all(_number(x) for x in spec)
        if not ok or not spec[0] <= value <= spec[1] or spec[0] >= spec[1]:
            raise CalibrationError(
                f"{where}.interval: {spec!r} must be [low, high] with low <= value <= high "
                "and low < high"
            )
        low, high = float(spec[0]), float(spec[1])
        words = f"interval [{low:g}, {high:g}]"
    else:
        if not _number(spec) or spec <= 0:
            raise CalibrationError(f"{where}.{kind}: expected a number above 0, got {spec!r}")
        half = {"tolerance": spec, "rel_tolerance": spec * abs(value), "sd": 2 * spec}[kind]
        if half <= 0:
            raise CalibrationError(f"{where}.rel_tolerance: a value of 0 has no relative tolerance")
        low, high = value - half, value + half
        words = {
            "tolerance": f"±{spec:g}",
            "rel_tolerance": f"±{spec:.0%} relative",
            "sd": f"±2 sd (sd {spec:g})",
        }[kind]
    source = t.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalibrationError(f"{where}.source: required; where the figure comes from")
    sets = t.get("sets", [])
    if isinstance(sets, str):
        sets = [sets]
    if not isinstance(sets, list) or not all(isinstance(s, str) for s in sets):
        raise CalibrationError(f"{where}.sets: expected a list of parameter keys")
    for s in sets:
        if s not in free:
            raise CalibrationError(
                f"{where}.sets: {s!r} is not a free parameter; allowed are {', '.join(free)}"
            )
    note = t.get("note", "")
    if not isinstance(note, str):
        raise CalibrationError(f"{where}.note: expected a string")
    return Target(
        name=name,
        output=output,
        value=value,
        low=low,
        high=high,
        source=source,
        args=tuple(args.items()),
        parameters=tuple(sets),
        tolerance=words,
    )


def targets_from_dict(data: dict, path: str | Path = "targets.toml", quick: bool = False):
    """Check a parsed targets file; every mistake is a :class:`CalibrationError` naming the
    key and what is allowed. The base scenario, steps, design and parameter ranges are
    checked by building the design sweep (:func:`design_sweep`)."""
    path = Path(path)
    if quick:
        data = _apply_quick(data)
    unknown = sorted(set(data) - set(_TOP))
    if unknown:
        raise CalibrationError(f"{unknown[0]}: unknown key; allowed are {', '.join(_TOP)}")
    name = data.get("name", path.stem)
    question = data.get("question", "")
    if not isinstance(name, str) or not isinstance(question, str):
        raise CalibrationError("name, question: expected strings")
    for key, lo in (("replications", 1), ("root_seed", 0)):
        v = data.get(key, 1 if key == "replications" else None)
        if v is None or isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise CalibrationError(f"{key}: required; expected an integer >= {lo}, got {v!r}")
    steps = data.get("steps")
    base = data.get("base")
    if not isinstance(base, dict) or "config" not in base:
        raise CalibrationError('base: required; e.g. [base] config = "baseline.toml"')
    design = data.get("design", {"kind": "lhs"})
    if not isinstance(design, dict) or design.get("kind", "lhs") not in DESIGN_KINDS:
        kind = design.get("kind") if isinstance(design, dict) else design
        raise CalibrationError(f"design.kind: {kind!r} is not one of {', '.join(DESIGN_KINDS)}")
    design = {"kind": "lhs", **design}
    fit = data.get("fit", {})
    if not isinstance(fit, dict):
        raise CalibrationError("fit: expected a table (accept, check_replications)")
    bad = sorted(set(fit) - {"accept", "check_replications"})
    if bad:
        raise CalibrationError(f"fit.{bad[0]}: unknown key; allowed are accept, check_replications")
    accept = fit.get("accept", 0.1)
    if not _number(accept) or not 0 < accept <= 1:
        raise CalibrationError(f"fit.accept: {accept!r} must be a share in (0, 1]")
    check = fit.get("check_replications", 6)
    if isinstance(check, bool) or not isinstance(check, int) or check < 2:
        raise CalibrationError(
            f"fit.check_replications: {check!r} must be an integer >= 2 (an interval needs two)"
        )
    parameters = _parse_parameters(data.get("parameters"))
    free = [p.key for p in parameters]
    raw = data.get("targets")
    if not isinstance(raw, list) or not raw:
        raise CalibrationError("targets: required; at least one [[targets]] table")
    targets = tuple(_parse_target(i, t, free) for i, t in enumerate(raw))
    names = [t.name for t in targets]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise CalibrationError(f"targets: {dup!r} is given twice; give each figure once")
    out = Targets(
        name=name,
        question=question,
        path=path,
        replications=data.get("replications", 1),
        root_seed=data["root_seed"],
        steps=steps,
        base=base,
        design=design,
        accept=float(accept),
        check_replications=check,
        parameters=parameters,
        targets=targets,
        quick=quick,
    )
    design_sweep(out)  # checks the base scenario, steps, design and parameter ranges
    return out


# --------------------------------------------------------------------------------------
# the sweeps


def _outcomes(targets: Targets) -> dict:
    summary = sorted({t.output for t in targets.targets if t.output not in FIGURES})
    out: dict[str, Any] = {"summary": summary}
    if any(t.output in FIGURES for t in targets.targets):
        out["tables"] = "simulation.calibration:figure_tables"
    return out


def _sweep(data: dict, targets: Targets, quick: bool):
    from .sweep.spec import SweepError, sweep_from_dict

    try:
        return sweep_from_dict(data, path=targets.path, quick=quick)
    except SweepError as err:
        msg = str(err)
        if msg.startswith("factors."):
            msg = "parameters." + msg[len("factors.") :]
        raise CalibrationError(msg) from None


def design_sweep(targets: Targets):
    """The design as a sweep: the parameters as factors over their ranges, sampled by the
    design (SALib), ``replications`` runs per point on common seeds."""
    data = {
        "name": f"{targets.name}-design",
        "question": targets.question,
        "replications": targets.replications,
        "root_seed": targets.root_seed,
        "seeds": "common",
        "base": targets.base,
        "factors": {
            p.key: {"low": p.low, "high": p.high, "log": p.log} for p in targets.parameters
        },
        "design": targets.design,
        "outcomes": _outcomes(targets),
    }
    if targets.steps is not None:
        data["steps"] = targets.steps
    return _sweep(data, targets, targets.quick)


def check_sweep(targets: Targets, fitted: dict, defaults: dict):
    """Two conditions, the fitted values and the base scenario's, ``check_replications``
    runs each on common seeds drawn from ``root_seed + 1`` (fresh: not the seeds the design
    was selected on)."""
    data = {
        "name": f"{targets.name}-check",
        "question": targets.question,
        "replications": targets.check_replications,
        "root_seed": targets.root_seed + 1,
        "seeds": "common",
        "base": targets.base,
        "bundles": {"parameters": {"fitted": fitted, "defaults": defaults}},
        "design": {"kind": "grid"},
        "outcomes": _outcomes(targets),
    }
    if targets.steps is not None:
        data["steps"] = targets.steps
    return _sweep(data, targets, targets.quick)


def run_values(folder: Path, targets: Targets) -> pd.DataFrame:
    """Each finished run's model value of every target: columns ``point``, ``replicate``
    and one per target name (NaN for failed runs)."""
    from .sweep.spec import column_name
    from .sweep.store import read_table

    runs = pd.read_parquet(folder / "runs.parquet")
    ok = runs["status"] == "ok"
    out = runs[["point", "replicate"]].copy()
    figures = [t for t in targets.targets if t.output in FIGURES]
    grouped = {}
    if figures and ok.any():
        for name in ("size_bins", "tier_prices"):
            grouped[name] = dict(iter(read_table(folder, name).groupby(["point", "replicate"])))
    for t in targets.targets:
        if t.output not in FIGURES:
            out[t.name] = runs[column_name(t.output)].where(ok)
            continue
        vals = []
        for p, r, good in zip(runs["point"], runs["replicate"], ok, strict=True):
            if not good:
                vals.append(math.nan)
                continue
            tables = {k: g[(p, r)] for k, g in grouped.items()}
            vals.append(output_value(t.output, t.kwargs, {}, tables))
        out[t.name] = vals
    return out


# --------------------------------------------------------------------------------------
# the fit


def distances(values: np.ndarray, targets: tuple[Target, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Standardized deviations ``d`` (points x targets, :meth:`Target.deviation`) and each
    point's distance ``sqrt(mean_i d_i^2)`` over the targets that are measurable anywhere
    (a target NaN at every point is left out; a point NaN on a measurable target is at
    infinite distance)."""
    d = np.column_stack([t.deviation(values[:, i]) for i, t in enumerate(targets)])
    measurable = np.isfinite(d).any(axis=0)
    dm = d[:, measurable]
    with np.errstate(invalid="ignore"):
        dist = np.sqrt(np.mean(dm**2, axis=1)) if dm.shape[1] else np.full(len(d), np.inf)
    dist[~np.isfinite(dist)] = np.inf
    return d, dist


def abc_rejection(
    theta: np.ndarray, values: np.ndarray, targets: tuple[Target, ...], accept: float
) -> dict:
    """Approximate Bayesian computation by rejection (Pritchard et al. 1999; Beaumont,
    Zhang & Balding 2002, the rejection step).

    Each design point ``theta[j]`` is a draw from the prior (the parameters' ranges, sampled
    by the design); its summaries ``values[j]`` are the model outputs averaged over its
    replications. The distance of a point is the root mean square of its standardized
    deviations (:func:`distances`: 1 means every output at the edge of its tolerance). The
    ``accept`` share of the points nearest the figures (at least two) is the accepted
    sample, an approximate posterior; ``epsilon`` is the largest accepted distance.

    Returns ``accepted`` (indices, nearest first), ``distance`` (every point), ``deviation``
    (points x targets), ``epsilon``, ``median``, ``q05`` and ``q95`` (per parameter, of the
    accepted sample) and ``best`` (the nearest point's index).
    """
    d, dist = distances(values, targets)
    finite = np.flatnonzero(np.isfinite(dist))
    if len(finite) < 2:
        raise CalibrationError(
            f"the fit needs at least two design points with every target measured; "
            f"{len(finite)} of {len(dist)} have them (see samples.csv)"
        )
    k = min(len(finite), max(2, math.ceil(accept * len(finite))))
    order = finite[np.argsort(dist[finite], kind="stable")]
    acc = order[:k]
    sample = theta[acc]
    return {
        "accepted": acc,
        "distance": dist,
        "deviation": d,
        "epsilon": float(dist[acc].max()),
        "median": np.median(sample, axis=0),
        "q05": np.quantile(sample, 0.05, axis=0),
        "q95": np.quantile(sample, 0.95, axis=0),
        "best": int(order[0]),
    }


def _value(x: float, dtype: str):
    return round(x) if dtype == "int" else float(f"{x:.6g}")


# --------------------------------------------------------------------------------------
# the command


def _prepare(out: Path, overwrite: bool, resume: bool) -> None:
    """Refuse a folder that holds anything but a calibration; clear one for ``overwrite``."""
    if resume and overwrite:
        raise CalibrationError("--resume and --overwrite: give one or the other")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not ((out / "sweeps").is_dir() or (out / "fit").is_dir()):
        raise OutputExistsError(
            f"{out}: is not empty and holds no calibration (no sweeps/ or fit/); "
            "choose another --out DIR"
        )
    if overwrite:
        shutil.rmtree(out)
    elif not resume:
        raise OutputExistsError(
            f"{out}: already holds a calibration; pass --resume to finish or refit it, "
            "--overwrite to replace it, or --out DIR"
        )


def _run(
    sweep,
    folder: Path,
    workers,
    scheduler,
    resume: bool,
    progress: bool,
    hint: str,
    derived: bool = False,
):
    """Run one sweep into ``folder``. With ``resume``, finish the sweep there (the design:
    it must be the same sweep; a ``derived`` sweep, the check, is replaced if it differs)."""
    from .sweep.coordinator import SweepReport, run_sweep
    from .sweep.store import read_manifest

    again = resume and (folder / "manifest.json").is_file()
    if again and derived:
        # the check depends on the fit: reuse it only whole and for the same fitted values,
        # otherwise run it again (it is small)
        man = read_manifest(folder)
        again = man.get("fingerprint") == sweep.fingerprint() and man.get("state") == "complete"
        if again:
            n = man.get("counts", {})
            return SweepReport(folder, n["done"], n["done"], 0, n["failed"], False, 0.0)
    report = run_sweep(
        sweep,
        folder,
        workers=workers,
        scheduler=scheduler,
        resume=again,
        overwrite=not again,
        progress=progress,
    )
    if not report.complete:
        raise CalibrationError(
            f"{folder}: stopped with {report.n_done} of {report.n_runs} runs; finish with: "
            f"{hint} --resume"
        )
    return report


def calibrate(
    path: str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quick: bool = False,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Run the design, fit, run the check, write ``out``; returns ``fit.json``'s content.
    ``path`` is a targets file, or a shipped one by name (``"calibration"``)."""
    from .resources import targets_path

    t0 = time.perf_counter()
    targets = load_targets(targets_path(path), quick=quick)
    default = Path("results") / ("quick" if quick else "") / targets.name
    out = Path(out) if out is not None else default
    hint = f"influencer-sim calibrate {path}" + (" --quick" if quick else "") + f" --out {out}"
    if workers is None and quick:
        workers = 1  # a tiny market: starting worker processes would cost more than it saves
    design = design_sweep(targets)
    _prepare(out, overwrite, resume)
    rep_design = _run(design, out / "sweeps" / "design", workers, scheduler, resume, progress, hint)

    from .sweep.design import make_design

    points = make_design(design).set_index("point").sort_index()
    runs = run_values(out / "sweeps" / "design", targets)
    names = [t.name for t in targets.targets]
    means = runs.groupby("point")[names].mean().reindex(points.index)
    cols = [p.key.replace(".", "__") for p in targets.parameters]
    theta = points[cols].to_numpy(dtype=float)
    fit = abc_rejection(theta, means.to_numpy(dtype=float), targets.targets, targets.accept)

    dtypes = {f.key: f.dtype for f in design.factors}
    base = design.base
    defaults = {k: getattr(getattr(base, k.split(".")[0]), k.split(".")[1]) for k in targets.keys}
    fitted = {k: _value(fit["median"][i], dtypes[k]) for i, k in enumerate(targets.keys)}
    check = check_sweep(targets, fitted, defaults)
    rep_check = _run(
        check, out / "sweeps" / "check", workers, scheduler, resume, progress, hint, True
    )
    check_runs = run_values(out / "sweeps" / "check", targets)
    levels = make_design(check).set_index("point")["parameters"]
    check_runs["condition"] = check_runs["point"].map(levels)

    result = _summarise(targets, fit, theta, means, fitted, defaults, check_runs)
    result["out"] = str(out)
    result["run"] = {
        "targets_file": str(Path(path)),
        "quick": quick,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "workers": workers or ("dask" if scheduler else "one per core"),
        "scheduler": scheduler,
        "design_runs": rep_design.n_runs,
        "design_failed": rep_design.n_failed,
        "check_runs": rep_check.n_runs,
        "check_failed": rep_check.n_failed,
        "wall_time_s": round(time.perf_counter() - t0, 1),
        "steps": design.steps,
        "base": design.base_path,
        "base_set": design.base_set,
    }
    _write(out, targets, result, theta, means, fit, check_runs)
    return result


def _q(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if not x.size:
        return (math.nan,) * 3
    return float(np.median(x)), float(np.quantile(x, 0.05)), float(np.quantile(x, 0.95))


def _summarise(targets, fit, theta, means, fitted, defaults, check_runs) -> dict:
    from .sweep.analysis import mean_ci

    params = []
    for i, p in enumerate(targets.parameters):
        lo, hi, dflt = float(fit["q05"][i]), float(fit["q95"][i]), float(defaults[p.key])
        outside = 0.0 if lo <= dflt <= hi else (dflt - hi if dflt > hi else dflt - lo)
        params.append(
            {
                "parameter": p.key,
                "range_low": p.low,
                "range_high": p.high,
                "log": p.log,
                "default": dflt,
                "fitted": fitted[p.key],
                "q05": lo,
                "q95": hi,
                "best_point": float(theta[fit["best"], i]),
                "default_inside": outside == 0.0,
                "default_outside_by": outside,
                "interval_share_of_range": (hi - lo) / (p.high - p.low),
            }
        )
    acc = fit["accepted"]
    rows = []
    for t in targets.targets:
        m, lo, hi = _q(means[t.name].to_numpy(dtype=float)[acc])
        row = {
            "target": t.name,
            "output": t.output + (f" {t.kwargs}" if t.args else ""),
            "value": t.value,
            "low": t.low,
            "high": t.high,
            "tolerance": t.tolerance,
            "source": t.source,
            "sets": ", ".join(t.parameters),
            "accepted_median": m,
            "accepted_q05": lo,
            "accepted_q95": hi,
        }
        for cond in ("fitted", "defaults"):
            vals = check_runs.loc[check_runs["condition"] == cond, t.name]
            mean, clo, chi = mean_ci(vals)
            row[f"{cond}_mean"] = mean
            row[f"{cond}_ci_low"] = clo
            row[f"{cond}_ci_high"] = chi
            row[f"{cond}_within"] = t.within(mean)
            row[f"{cond}_ratio"] = mean / t.value if t.value else math.nan
        rows.append(row)
    check_distance = {}
    for cond in ("fitted", "defaults"):
        v = np.array([[row[f"{cond}_mean"] for row in rows]])
        check_distance[cond] = float(distances(v, targets.targets)[1][0])
    return {
        "name": targets.name,
        "question": targets.question,
        "check_distance": check_distance,
        "method": {
            "name": "approximate Bayesian computation by rejection",
            "references": [
                "Pritchard, Seielstad, Perez-Lezaun & Feldman 1999, Mol. Biol. Evol. 16:1791",
                "Beaumont, Zhang & Balding 2002, Genetics 162:2025 (the rejection step)",
            ],
            "distance": "root mean square of (model - value) / half-width of the allowed "
            "interval on that side, over the targets; model = mean over the point's "
            "replications",
            "prior": "uniform (log-uniform with log = true) over each parameter's range, "
            f"sampled by the {targets.design['kind']} design",
            "accept": targets.accept,
            "design_points": len(theta),
            "accepted": len(acc),
            "epsilon": fit["epsilon"],
            "replications": targets.replications,
            "check_replications": targets.check_replications,
            "fitted_values": "median of the accepted sample; interval: its 5% and 95% quantiles",
        },
        "parameters": params,
        "targets": rows,
    }


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _write(out: Path, targets, result, theta, means, fit, check_runs) -> None:
    tmp = out / f".fit.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        pd.DataFrame(result["parameters"]).to_csv(tmp / "parameters.csv", index=False)
        pd.DataFrame(result["targets"]).to_csv(tmp / "targets.csv", index=False)
        samples = pd.DataFrame(theta, columns=targets.keys)
        samples.insert(0, "point", means.index.to_numpy())
        for i, t in enumerate(targets.targets):
            samples[t.name] = means[t.name].to_numpy()
            samples[f"deviation: {t.name}"] = fit["deviation"][:, i]
        samples["distance"] = fit["distance"]
        samples["accepted"] = False
        samples.loc[samples.index[fit["accepted"]], "accepted"] = True
        samples.to_csv(tmp / "samples.csv", index=False)
        check_runs.to_csv(tmp / "check_runs.csv", index=False)
        _figure(tmp / "calibration.png", targets, result, theta, fit)
        (tmp / "report.md").write_text(_report(result), encoding="utf-8")
        (tmp / "fit.json").write_text(
            json.dumps(result, indent=2, default=_jsonable) + "\n", encoding="utf-8"
        )
        replace_dir(tmp, out / "fit")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _jsonable(x: Any):
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    if isinstance(x, (np.ndarray, tuple)):
        return list(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(type(x))


def _figure(path: Path, targets, result, theta, fit) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    k = len(targets.parameters)
    n_t = len(targets.targets)
    fig = plt.figure(figsize=(max(9, 3 * k), 4.2 + 0.45 * n_t))
    gs = fig.add_gridspec(2, k, height_ratios=[3, 1.2 + 0.45 * n_t], hspace=0.45)
    acc = fit["accepted"]
    axes = []
    dist = np.where(np.isfinite(fit["distance"]), fit["distance"], np.nan)
    for i, (p, row) in enumerate(zip(targets.parameters, result["parameters"], strict=True)):
        ax = fig.add_subplot(gs[0, i])
        ax.axvspan(row["q05"], row["q95"], color="C0", alpha=0.15, label="90% of accepted")
        ax.scatter(theta[:, i], dist, s=9, color="0.6", label="design point")
        ax.scatter(theta[acc, i], dist[acc], s=16, color="C0", label="accepted")
        ax.axvline(row["fitted"], color="C0", lw=1.5, label="fitted (median)")
        ax.axvline(row["default"], color="crimson", lw=1.2, ls=":", label="default")
        ax.set_xlim(p.low, p.high)
        if p.log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(ticker.FormatStrFormatter("%g"))
            axis.set_minor_formatter(ticker.NullFormatter())
        if i:
            ax.sharey(axes[0])
        axes.append(ax)
        ax.set_xlabel(p.key, fontsize=8)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.set_ylabel("distance (1 = at the tolerance)", fontsize=8)
            fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.96), ncol=5, fontsize=7)
    ax = fig.add_subplot(gs[1, :])
    y = np.arange(n_t)[::-1]
    for j, (t, row) in enumerate(zip(targets.targets, result["targets"], strict=True)):
        v = t.value
        ax.barh(y[j], (t.high - t.low) / v, left=t.low / v, color="0.88", height=0.7)
        ax.plot(
            [row["accepted_q05"] / v, row["accepted_q95"] / v], [y[j] + 0.22] * 2, color="C0", lw=3
        )
        for cond, dy, c in (("fitted", 0.0, "C0"), ("defaults", -0.22, "crimson")):
            m = row[f"{cond}_mean"] / v
            err = [[m - row[f"{cond}_ci_low"] / v], [row[f"{cond}_ci_high"] / v - m]]
            ax.errorbar(m, y[j] + dy, xerr=err, fmt="o", color=c, ms=4, capsize=2)
    ax.axvline(1, color="k", lw=0.8, ls=":")
    ax.set_yticks(y, [t.name for t in targets.targets], fontsize=7)
    ax.set_xlabel(
        "model / published (grey: allowed interval; blue bar: 90% of the accepted sample; "
        "dots: check runs at the fitted values (blue) and the defaults (red), 95% CI)",
        fontsize=7,
    )
    ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{result['name']}: distance of every design point by parameter (top), target fits "
        "(bottom)",
        fontsize=10,
    )
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def _report(r: dict) -> str:
    m = r["method"]
    lines = [
        f"# Calibration: {r['name']}",
        "",
        *(
            [
                "**Quick version (`--quick`): a tiny market and design, to check the "
                "machinery; no conclusions.**",
                "",
            ]
            if r.get("run", {}).get("quick")
            else []
        ),
        r["question"],
        "",
        f"Method: {m['name']} ({'; '.join(m['references'])}). {m['design_points']} design "
        f"points ({m['prior']}), {m['replications']} replication(s) each on common seeds; "
        f"accepted the {m['accepted']} nearest ({m['accept']:.0%}), distance up to "
        f"{m['epsilon']:.3g} ({m['distance']}). Check: {m['check_replications']} runs at the "
        "fitted values and at the defaults, on fresh seeds: distance "
        f"{r['check_distance']['fitted']:.3g} at the fitted values, "
        f"{r['check_distance']['defaults']:.3g} at the defaults.",
        "",
        "## Parameters",
        "",
        "| parameter | range | default | fitted (median) | 90% interval | default inside |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in r["parameters"]:
        inside = (
            "yes" if p["default_inside"] else f"**no** (outside by {p['default_outside_by']:+.3g})"
        )
        lines.append(
            f"| `{p['parameter']}` | [{p['range_low']:g}, {p['range_high']:g}] | "
            f"{p['default']:g} | {p['fitted']:.4g} | [{p['q05']:.3g}, {p['q95']:.3g}] | {inside} |"
        )
    lines += [
        "",
        "## Targets",
        "",
        "| target | published | allowed | accepted sample (median, 90%) | at fitted (95% CI) "
        "| at defaults (95% CI) | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in r["targets"]:

        def ci(cond, t=t):
            ok = "" if t[f"{cond}_within"] else " **outside**"
            return (
                f"{_fmt(t[f'{cond}_mean'])} [{_fmt(t[f'{cond}_ci_low'])}, "
                f"{_fmt(t[f'{cond}_ci_high'])}]{ok}"
            )

        lines.append(
            f"| {t['target']} | {_fmt(t['value'])} | [{_fmt(t['low'])}, {_fmt(t['high'])}] | "
            f"{_fmt(t['accepted_median'])} [{_fmt(t['accepted_q05'])}, "
            f"{_fmt(t['accepted_q95'])}] | {ci('fitted')} | {ci('defaults')} | {t['source']} |"
        )
    run = r.get("run", {})
    lines += ["", "![calibration](calibration.png)", ""]
    if run:
        lines.append(
            f"Run {run['date']} on {run['machine']}, {run['wall_time_s']:.0f} s; "
            f"{run['design_runs']} design runs ({run['design_failed']} failed) and "
            f"{run['check_runs']} check runs ({run['check_failed']} failed); "
            f"{run['steps']} days."
        )
    return "\n".join(lines) + "\n"
