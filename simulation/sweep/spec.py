"""The sweep file: what to vary, how, how often and what to keep.

A sweep file is TOML (``experiments/<name>/sweep.toml``; the format is in ``docs/SWEEPS.md``)::

    name = "saturation"
    question = "What happens to return per dollar when every brand goes micro?"
    replications = 4
    root_seed = 2026
    seeds = "common"          # replicate k gets the same seed at every point (or "independent")
    steps = 120

    [base]
    config = "../configs/baseline.toml"        # relative to this file
    set = { "population.n_followers" = 5000 }  # overrides of the scenario

    [factors]
    brands.share_micro = [0.0, 0.35, 0.7]               # a list of values
    behaviour.trust_erosion = { low = 0.5, high = 2.0 }  # a range (num = levels for a grid)

    [bundles.variant]    # a categorical factor whose levels set several keys at once (grid)
    "full model" = {}
    "fatigue only" = { "behaviour.trust_erosion" = 0.0, "behaviour.offtopic_penalty" = 0.0 }

    [design]
    kind = "grid"        # grid | random | lhs | sobol | morris

    [outcomes]
    summary = ["return_per_dollar", "engagement_rate_by_tier.micro"]
    final = ["mean_trust"]
    series = ["mean_trust"]
    window_mean = [{ column = "engagement_rate", last = 30 }]
    first_step = [{ column = "mean_trust", below = 0.5 }]
    at = [{ column = "mean_trust", steps = [30, 60, 90] }]
    tables = "simulation.experiments.tune_out.analysis:extract"  # per-run tables

    [quick]              # what --quick replaces: a small version for a look or a test
    replications = 2
    base = { config = "../../configs/tiny.toml" }

Table columns have plain names (:func:`column_name`): ``behaviour.trust_erosion`` becomes
``behaviour__trust_erosion``, so R, spreadsheets and SQL read them without quoting.

Every mistake raises :class:`SweepError` (a :class:`~simulation.config.ConfigError`) with one
line naming the key and what is allowed. The model knows nothing of sweeps; a sweep sees the
scenario only through ``load_config`` / ``apply_overrides`` and ``runner.run``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import (
    SECTIONS,
    Config,
    ConfigError,
    apply_overrides,
    config_to_toml,
    load_config,
    read_toml,
)

__all__ = [
    "DESIGNS",
    "GROWABLE",
    "SEEDS",
    "At",
    "DesignSpec",
    "Factor",
    "FirstStep",
    "Outcomes",
    "Sweep",
    "SweepError",
    "WindowMean",
    "column_name",
    "default_seeds",
    "load_sweep",
    "sweep_from_dict",
]

#: Experiment designs a sweep file may ask for.
DESIGNS: tuple[str, ...] = ("grid", "random", "lhs", "sobol", "morris")

#: Designs whose first points for a sample size n are all of its points for n: a scrambled
#: Sobol' sequence is extensible and SALib's Saltelli rows come in one block per base point;
#: ``random`` fills its rows in order from one Generator. ``--resume --set design.n=2N``
#: keeps every run such a sweep has.
GROWABLE: tuple[str, ...] = ("sobol", "random")

#: How replicates get their seeds: the same seed for replicate k at every design point
#: (common random numbers), or a seed of its own for every run.
SEEDS: tuple[str, ...] = ("common", "independent")

_TOP_KEYS = ("name", "question", "replications", "root_seed", "seeds", "steps", "base")
_TOP_KEYS = (*_TOP_KEYS, "factors", "bundles", "design", "outcomes", "quick")
_RESERVED = ("point", "replicate", "seed", "status", "error", "wall_time", "step")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def column_name(key: str) -> str:
    """The table column of a scenario key or summary key: dots become ``__``.

    ``behaviour.trust_erosion`` -> ``behaviour__trust_erosion``;
    ``engagement_rate_by_tier.micro`` -> ``engagement_rate_by_tier__micro``. Keys themselves
    hold only letters, digits and single underscores, so the mapping can be undone.
    """
    return key.replace(".", "__")


def default_seeds(kind: str) -> str:
    """Common random numbers for the designs that compare conditions or estimate sensitivity
    (grid, sobol, morris); independent seeds for the space-filling designs (random, lhs),
    whose points are usually fitted by a metamodel that assumes independent errors."""
    return "independent" if kind in ("random", "lhs") else "common"


class SweepError(ConfigError):
    """A mistake in a sweep file or its overrides; one line naming the key."""


# -- pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One scenario key the sweep varies.

    Attributes:
        key: ``section.key`` of the scenario.
        dtype: ``"int"``, ``"float"``, ``"str"`` or ``"bool"`` (the scenario key's type).
        values: the levels, when the file gives a list.
        low, high: the bounds, when the file gives a range.
        num: levels of a range in a grid design (evenly spaced, geometric when ``log``).
        log: sample the range on a log scale.
    """

    key: str
    dtype: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    log: bool = False
    #: a bundle (``[bundles.NAME]``): the scenario keys each level sets, as
    #: ``((level, ((key, value), ...)), ...)``; the factor's values are the level names
    sets: tuple | None = None

    @property
    def is_bundle(self) -> bool:
        return self.sets is not None

    def overrides(self, level: Any) -> dict[str, Any]:
        """The scenario keys this factor sets at ``level``: ``{key: level}``, or a bundle's
        keys for its level."""
        if self.sets is None:
            return {self.key: level}
        return dict(dict(self.sets)[level])

    @property
    def is_range(self) -> bool:
        return self.values is None

    @property
    def column(self) -> str:
        """Its column in the tables (:func:`column_name`)."""
        return column_name(self.key)

    @property
    def n_values(self) -> int | None:
        """How many distinct values it can take (None for a float range)."""
        if self.values is not None:
            return len(self.values)
        if self.dtype == "int":
            return int(self.high) - int(self.low) + 1
        return None

    def from_unit(self, u: float) -> Any:
        """Map a number in [0, 1] to a value of this factor (the designs sample in [0, 1]).

        Discrete factors give every value the same share of [0, 1], so a uniform ``u`` draws
        each value equally often: a list of k values maps ``[i/k, (i+1)/k)`` to value i, and
        an integer range low..high maps ``u`` to ``floor(low + u (high - low + 1))`` (on a log
        range, the integer k gets the log-uniform mass of ``[k, k + 1)``). Rounding instead
        would give the two end values half the weight of the others.
        """
        if self.values is not None:
            k = len(self.values)
            return self.values[min(math.floor(u * k), k - 1)]
        if self.dtype == "int":
            lo, hi = int(self.low), int(self.high)
            if self.log:
                x = math.exp(math.log(lo) + u * (math.log(hi + 1) - math.log(lo)))
            else:
                x = lo + u * (hi - lo + 1)
            return min(max(math.floor(x + 1e-9), lo), hi)  # 1e-9: exp/log rounding at ends
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
            x = float(f"{x:.12g}")  # 6000, not 5999.999999999995
        else:
            x = self.low + u * (self.high - self.low)
        return float(min(max(x, self.low), self.high))

    def from_level(self, i: int, levels: int) -> Any:
        """Value of Morris grid level ``i`` of ``levels`` (a discrete factor; checked in
        :func:`morris_problem` so that every value gets the same number of levels)."""
        k = self.n_values
        if k is None:
            return self.from_unit(i / (levels - 1))
        j = round(i * (k - 1) / (levels - 1)) if k >= levels else i * k // levels
        if self.values is not None:
            return self.values[j]
        return int(self.low) + j

    def levels(self) -> tuple:
        """The levels of this factor in a grid design."""
        if self.values is not None:
            return self.values
        n = self.num
        if n == 1:
            return (self._grid_value(0.0),)
        return tuple(self._grid_value(i / (n - 1)) for i in range(n))

    def _grid_value(self, u: float) -> Any:
        """A grid level: an evenly (or geometrically) spaced point of the range, rounded to an
        integer for an integer key (the two ends are levels)."""
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
            x = float(f"{x:.12g}")
        else:
            x = self.low + u * (self.high - self.low)
        x = min(max(x, self.low), self.high)
        return round(x) if self.dtype == "int" else float(x)


def morris_problem(factors: tuple[Factor, ...], levels: int) -> str | None:
    """Why a Morris design on ``levels`` grid levels cannot give each value of a discrete
    factor the same weight, or None when it can.

    A list of k values needs k <= levels with levels a multiple of k (each value then takes
    levels / k grid levels); an integer range with k >= levels values takes ``levels`` of
    them, evenly spaced, and one with fewer needs levels a multiple of k, like a list.
    """
    for f in factors:
        k = f.n_values
        if k is None:
            continue
        if f.values is not None and k > levels:
            return (
                f"factors.{f.key}: {k} values cannot all appear on Morris's {levels} grid "
                f"levels; use design.levels = {k + k % 2} or more, or fewer values"
            )
        if k < levels and levels % k:
            return (
                f"factors.{f.key}: its {k} values cannot share Morris's {levels} grid levels "
                f"equally (some would be drawn more often); use design.levels a multiple of {k}"
            )
    return None


@dataclass(frozen=True)
class DesignSpec:
    """How design points are chosen.

    Attributes:
        kind: one of :data:`DESIGNS`.
        n: random / lhs: points; sobol: base sample N (a power of two; N*(D+2) points, or
            N*(2D+2) with second order); morris: trajectories (N*(D+1) points).
        levels: morris grid levels (even).
        second_order: sobol: also estimate second-order indices.
    """

    kind: str = "grid"
    n: int | None = None
    levels: int = 4
    second_order: bool = False


@dataclass(frozen=True)
class WindowMean:
    """Mean of a time-series column over steps ``start..end`` (inclusive; steps start at 1)."""

    name: str
    column: str
    start: int
    end: int


@dataclass(frozen=True)
class FirstStep:
    """First step at which ``column`` is above (or below) ``threshold``; NaN if it never is."""

    name: str
    column: str
    op: str  # "above" | "below"
    threshold: float


@dataclass(frozen=True)
class At:
    """Value of a time-series column at chosen steps: outcomes ``<name>_<step>``."""

    name: str
    column: str
    steps: tuple[int, ...]


@dataclass(frozen=True)
class Outcomes:
    """What each run keeps: scalar outcomes, and optionally per-step series."""

    summary: tuple[str, ...] = ()
    final: tuple[str, ...] = ()
    window_mean: tuple[WindowMean, ...] = ()
    first_step: tuple[FirstStep, ...] = ()
    at: tuple[At, ...] = ()
    series: tuple[str, ...] = ()
    #: ``module:function`` that turns a run into tables (see ``evaluate.ModelEvaluator``)
    tables: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Column names of the scalar outcomes, in table order (plain names: a summary key
        ``a.b`` is the column ``a__b``)."""
        return (
            *(column_name(k) for k in self.summary),
            *(f"{c}_final" for c in self.final),
            *(w.name for w in self.window_mean),
            *(e.name for e in self.first_step),
            *(f"{a.name}_{t}" for a in self.at for t in a.steps),
        )


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: a base scenario, factors, a design, replications and outcomes."""

    name: str
    question: str
    path: str
    text: str
    overrides: tuple[str, ...]
    base_path: str
    base_set: dict
    base: Config
    steps: int
    replications: int
    root_seed: int
    seeds: str
    factors: tuple[Factor, ...]
    design: DesignSpec
    outcomes: Outcomes
    normalized: dict = dataclasses.field(repr=False, compare=False)
    #: the base scenario's graph file: path, format and SHA-256 (None without one)
    graph_file: dict | None = None
    #: the file's ``[quick]`` table was applied
    quick: bool = False

    @property
    def factor_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.factors)

    @property
    def factor_columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.factors)

    def scenario_overrides(self, factors: dict[str, Any]) -> dict[str, Any]:
        """The scenario keys a run sets, from its factor values (bundles expanded)."""
        out: dict[str, Any] = {}
        for f in self.factors:
            out.update(f.overrides(factors[f.key]))
        return out

    def seed(self, point: int, replicate: int) -> int:
        """The seed of the run at ``(point, replicate)`` (see :mod:`.design`)."""
        from .design import common_seed, run_seed

        if self.seeds == "common":
            return common_seed(self.root_seed, replicate)
        return run_seed(self.root_seed, point, replicate)

    def fingerprint(self) -> str:
        """SHA-256 of everything that decides each run and its results: not the file's text,
        and not the number of replications, so that a finished sweep can gain replications
        (a run is fixed by its point and replicate, whatever their count); nor, for the
        designs whose points for n are the first points for a larger n (:data:`GROWABLE`),
        design.n, so that a finished sweep can grow its sample."""
        sweep = {k: v for k, v in self.normalized.items() if k != "replications"}
        if self.design.kind in GROWABLE:
            sweep["design"] = {k: v for k, v in sweep["design"].items() if k != "n"}
        blob = json.dumps(
            {
                "sweep": sweep,
                "base": config_to_toml(self.base),
                "graph_sha256": (self.graph_file or {}).get("sha256"),
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


# -- parsing ------------------------------------------------------------------------------


def _flatten(table: Any, where: str, is_leaf) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` and ``{"a.b": 1}`` both become ``{"a.b": 1}``."""
    if not isinstance(table, dict):
        raise SweepError(f"{where}: expected a table, got {table!r}")
    out: dict[str, Any] = {}

    def walk(prefix: str, t: dict) -> None:
        for k, v in t.items():
            name = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and not is_leaf(v):
                walk(name, v)
            else:
                if name in out:
                    raise SweepError(f"{where}.{name}: given twice")
                out[name] = v

    walk("", table)
    return out


def _is_range(v: dict) -> bool:
    return bool({"low", "high", "values"} & set(v))


def _normalize(data: dict) -> dict:
    """Flatten the factor and override tables so overrides can address them uniformly."""
    data = dict(data)
    if "factors" in data:
        data["factors"] = _flatten(data["factors"], "factors", _is_range)
    base = data.get("base")
    if isinstance(base, dict):
        base = dict(base)
        if "set" in base:
            base["set"] = _flatten(base["set"], "base.set", lambda v: False)
        data["base"] = base
    if isinstance(data.get("bundles"), dict):
        data["bundles"] = {
            name: (
                {lvl: _flatten(v, f"bundles.{name}.{lvl}", lambda _: False) for lvl, v in b.items()}
                if isinstance(b, dict) and all(isinstance(v, dict) for v in b.values())
                else b
            )
            for name, b in data["bundles"].items()
        }
    if isinstance(data.get("design"), dict):
        data["design"] = dict(data["design"])
    if isinstance(data.get("outcomes"), dict):
        data["outcomes"] = dict(data["outcomes"])
    return data


def _apply_sweep_override(data: dict, text: str) -> None:
    """``--set`` on a sweep file: ``steps=5``, ``design.n=8``, ``factors.brands.budget=[1, 2]``,
    ``base.set.population.n_followers=600``."""
    if "=" not in text:
        raise SweepError(f"--set {text!r}: expected KEY=VALUE, e.g. replications=2")
    name, raw = text.split("=", 1)
    name = name.strip()
    try:  # a TOML value, else a string (as a scenario's --set)
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    for prefix in ("factors.", "base.set."):
        if name.startswith(prefix):
            head = prefix[:-1].split(".")
            t = data
            for h in head:
                if not isinstance(t.get(h), dict):
                    t[h] = {}
                t = t[h]
            t[name[len(prefix) :]] = value
            return
    parts = name.split(".")
    if parts[0] not in _TOP_KEYS:
        raise SweepError(
            f"--set {name}: unknown sweep key; allowed are {', '.join(_TOP_KEYS)} "
            "(and factors.SECTION.KEY, base.set.SECTION.KEY, design.KEY, outcomes.KEY)"
        )
    t = data
    for p in parts[:-1]:
        if not isinstance(t.get(p), dict):
            t[p] = {}
        t = t[p]
    t[parts[-1]] = value


def load_sweep(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), quick: bool = False
) -> Sweep:
    """Read and validate a sweep file; ``overrides`` are ``KEY=VALUE`` texts (``--set``);
    ``quick`` applies the file's ``[quick]`` table first (:func:`apply_quick`)."""
    path = Path(path)
    text, data = read_toml(path, "sweep file", SweepError)
    try:
        if quick:
            data = apply_quick(data, path)
        return sweep_from_dict(data, path=path, text=text, overrides=overrides, quick=quick)
    except SweepError as err:  # name the file, unless the line already does or is --set's
        line = str(err)
        if line.startswith((str(path), "--set")):
            raise
        raise SweepError(f"{path}: {line}") from None


def apply_quick(data: dict, path: str | Path = "sweep.toml") -> dict:
    """The sweep with its ``[quick]`` table applied: each key of the table replaces the
    file's (``base`` wholly), except ``factors`` and ``bundles``, whose entries replace the
    file's entry of the same name and keep the others. Without a ``[quick]`` table, an error
    (a quick version is something the file's author chooses)."""
    quick = data.get("quick")
    if not isinstance(quick, dict):
        raise SweepError(f"{path}: no [quick] table; --quick needs one (see docs/SWEEPS.md)")
    bad = sorted(set(quick) - set(_TOP_KEYS) | ({"quick", "name"} & set(quick)))
    if bad:
        raise SweepError(f"quick.{bad[0]}: not allowed; quick may replace any key but name")
    data = _normalize({k: v for k, v in data.items() if k != "quick"})
    quick = _normalize(quick)
    for k, v in quick.items():
        if k in ("factors", "bundles") and isinstance(v, dict):
            data[k] = {**data.get(k, {}), **v}
        else:
            data[k] = v
    return data


def _int(d: dict, key: str, where: str, default=None, lo=None, hi=None) -> int:
    v = d.get(key, default)
    if v is None:
        raise SweepError(f"{where}: required; expected an integer")
    if isinstance(v, bool) or not isinstance(v, int):
        raise SweepError(f"{where}: expected an integer, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise SweepError(f"{where}: {v} is out of range; allowed [{lo}, {hi}]")
    return v


def _str_list(v: Any, where: str) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise SweepError(f"{where}: expected a list of names, got {v!r}")
    return tuple(v)


def sweep_from_dict(
    data: dict,
    path: str | Path = "sweep.toml",
    text: str = "",
    overrides: list[str] | tuple[str, ...] = (),
    quick: bool = False,
) -> Sweep:
    """Validate a parsed sweep file (see the module docstring for the format); ``quick``
    says the file's ``[quick]`` table was applied (it is recorded)."""
    path = Path(path)
    data = _normalize(data)
    for o in overrides:
        _apply_sweep_override(data, o)
    data = _normalize(data)
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise SweepError(f"{unknown[0]}: unknown sweep key; allowed are {', '.join(_TOP_KEYS)}")

    name = data.get("name", path.stem)
    question = data.get("question", "")
    if not isinstance(name, str) or not isinstance(question, str):
        raise SweepError("name, question: expected strings")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name.startswith("."):
        raise SweepError(
            f"name: {name!r} is not allowed; use letters, digits, '_', '-' and '.' "
            "(it names the output folder)"
        )
    replications = _int(data, "replications", "replications", 1, 1, 1_000_000)
    root_seed = _int(data, "root_seed", "root_seed", None, 0, 2**63 - 1)
    design_table = data.get("design", {})
    kind = design_table.get("kind", "grid") if isinstance(design_table, dict) else ""
    seeds = data.get("seeds", default_seeds(kind))
    if seeds not in SEEDS:
        raise SweepError(
            f"seeds: {seeds!r} is not one of {', '.join(SEEDS)} (common: replicate k has the "
            "same seed at every point; independent: every run its own)"
        )

    # base scenario
    base = data.get("base")
    if not isinstance(base, dict) or "config" not in base:
        raise SweepError('base.config: required; a scenario file, e.g. "../configs/baseline.toml"')
    bad = sorted(set(base) - {"config", "set"})
    if bad:
        raise SweepError(f"base.{bad[0]}: unknown key; allowed are config, set")
    if not isinstance(base["config"], str):
        raise SweepError(f"base.config: expected a path, got {base['config']!r}")
    base_path = (path.parent / base["config"]).resolve()
    if not base_path.is_file() and "/" not in base["config"]:
        # a shipped scenario by name ("baseline"), as on the command line
        from ..resources import scenario_path

        try:
            base_path = scenario_path(base["config"]).resolve()
        except ConfigError as err:
            raise SweepError(f"base.config: {err}") from None
    base_set = base.get("set", {})
    try:
        cfg = load_config(base_path)
    except ConfigError as err:
        raise SweepError(f"base.config: {err}") from None
    steps = data.get("steps", cfg.run.steps)
    try:
        cfg = apply_overrides(cfg, {**base_set, "run.steps": steps})
    except ConfigError as err:
        where = "steps" if str(err).startswith("run.steps") else "base.set"
        raise SweepError(f"{where}: {err}") from None
    steps = cfg.run.steps

    bundles = _parse_bundles(data.get("bundles"), cfg)
    if bundles and kind != "grid":
        raise SweepError(f"bundles: only in a grid design (design.kind is {kind!r})")
    # a grid may have no factor at all: one condition, replicated
    one_condition = bool(bundles) or kind == "grid"
    factors = (*bundles, *_parse_factors(data.get("factors"), cfg, allow_empty=one_condition))
    design = _parse_design(data.get("design", {}), factors)
    outcomes = _parse_outcomes(data.get("outcomes"), steps, {f.column for f in factors})
    graph_file = _graph_file(cfg)

    normalized = {
        "name": name,
        "replications": replications,
        "root_seed": root_seed,
        "seeds": seeds,
        "steps": steps,
        "base": {"config": str(base["config"]), "set": base_set},
        "factors": {f.key: dataclasses.asdict(f) for f in factors},
        "quick": quick,
        "design": dataclasses.asdict(design),
        "outcomes": dataclasses.asdict(outcomes),
    }
    return Sweep(
        name=name,
        question=question,
        path=str(path),
        text=text,
        overrides=tuple(overrides),
        base_path=str(base_path),
        base_set=dict(base_set),
        base=cfg,
        steps=steps,
        replications=replications,
        root_seed=root_seed,
        seeds=seeds,
        factors=factors,
        design=design,
        outcomes=outcomes,
        normalized=normalized,
        graph_file=graph_file,
        quick=quick,
    )


def _graph_file(cfg: Config) -> dict | None:
    """The base scenario's graph file and its SHA-256 (a resume checks it has not changed)."""
    if cfg.graph.kind not in ("edgelist", "graphml"):
        return None
    path = Path(cfg.graph.file)
    if not path.is_absolute():
        path = Path(cfg.base_dir) / path
    if not path.is_file():
        raise SweepError(f"base.config: graph.file: {path} does not exist")
    return {
        "file": str(path.resolve()),
        "format": cfg.graph.kind,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def _dtype_of(key: str) -> str:
    section, name = key.split(".", 1)
    cls = SECTIONS[section]
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return type(f.default).__name__


def _parse_bundles(table: Any, cfg: Config) -> tuple[Factor, ...]:
    """``[bundles.NAME]``: categorical factors whose levels each set several scenario keys."""
    if not table:
        return ()
    if not isinstance(table, dict):
        raise SweepError(f"bundles: expected tables [bundles.NAME], got {table!r}")
    out = []
    for name, levels in table.items():
        where = f"bundles.{name}"
        if not _PLAIN.fullmatch(name) or name in _RESERVED:
            raise SweepError(f"{where}: a bundle's name is a plain word (letters, digits, _)")
        if not isinstance(levels, dict) or not levels:
            raise SweepError(f'{where}: expected levels, e.g. "fatigue only" = {{ key = value }}')
        sets = []
        for level, keys in levels.items():
            if not isinstance(keys, dict):
                raise SweepError(f"{where}.{level}: expected a table of scenario keys")
            try:
                apply_overrides(cfg, keys)
            except ConfigError as err:
                raise SweepError(f"{where}.{level}: {err}") from None
            sets.append((level, tuple(sorted(keys.items()))))
        out.append(Factor(key=name, dtype="str", values=tuple(levels), sets=tuple(sets)))
    return tuple(out)


def _parse_factors(table: Any, cfg: Config, allow_empty: bool = False) -> tuple[Factor, ...]:
    if not table:
        if allow_empty:
            return ()
        raise SweepError("factors: required; e.g. [factors] brands.budget = [3000, 6000]")
    out = []
    for key, spec in table.items():
        where = f"factors.{key}"
        if key.count(".") != 1 or key.split(".")[0] not in SECTIONS:
            raise SweepError(
                f"{where}: expected section.key with section one of {', '.join(SECTIONS)}"
            )
        if key == "run.seed":
            raise SweepError(f"{where}: seeds come from root_seed and replications, not a factor")
        if key == "run.steps":
            raise SweepError(f"{where}: set steps at the top of the sweep file, not as a factor")
        section, field_name = key.split(".")
        fields = [f.name for f in dataclasses.fields(SECTIONS[section])]
        if field_name not in fields:
            raise SweepError(
                f"{where}: unknown key; allowed keys in [{section}] are {', '.join(fields)}"
            )
        dtype = _dtype_of(key)
        if isinstance(spec, list):
            if not spec:
                raise SweepError(f"{where}: expected at least one value")
            values = tuple(spec)
            if len(set(values)) != len(values):
                raise SweepError(f"{where}: values repeat; give each level once")
            values = tuple(_check_factor_value(cfg, key, v) for v in values)
            out.append(Factor(key=key, dtype=dtype, values=values))
        elif isinstance(spec, dict):
            bad = sorted(set(spec) - {"low", "high", "num", "log"})
            if bad:
                raise SweepError(f"{where}.{bad[0]}: unknown key; allowed are low, high, num, log")
            if dtype not in ("int", "float"):
                raise SweepError(f"{where}: a {dtype} key takes a list of values, not a range")
            for b in ("low", "high"):
                v = spec.get(b)
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise SweepError(f"{where}.{b}: required; expected a number, got {v!r}")
            low, high = spec["low"], spec["high"]
            if not low < high:
                raise SweepError(f"{where}: low ({low}) must be less than high ({high})")
            _check_factor_value(cfg, key, low, "low")
            _check_factor_value(cfg, key, high, "high")
            log = spec.get("log", False)
            if not isinstance(log, bool):
                raise SweepError(f"{where}.log: expected true or false, got {log!r}")
            if log and low <= 0:
                raise SweepError(f"{where}.log: a log range needs low > 0, got {low}")
            num = spec.get("num")
            if num is not None:
                num = _int(spec, "num", f"{where}.num", None, 1, 1_000_000)
            f = Factor(key=key, dtype=dtype, low=float(low), high=float(high), num=num, log=log)
            if num is not None and len(set(f.levels())) < num:
                raise SweepError(
                    f"{where}.num: {num} levels of the integer range {int(low)}..{int(high)} "
                    f"repeat values; allowed at most {f.n_values} (or give a list)"
                )
            out.append(f)
        else:
            raise SweepError(
                f"{where}: expected a list of values or a range {{ low = .., high = .. }}, "
                f"got {spec!r}"
            )
    return tuple(out)


def _check_factor_value(cfg: Config, key: str, v: Any, what: str = "") -> Any:
    """Check one level against the scenario's allowed range (on the base scenario)."""
    try:
        new = apply_overrides(cfg, {key: v})
    except ConfigError as err:
        msg = str(err)
        # cross-key checks depend on the other factors: those are per-run errors
        if msg.startswith(key + ":"):
            label = f"factors.{key}" + (f".{what}" if what else "")
            raise SweepError(f"{label}: {msg[len(key) + 2 :]}") from None
        return v
    section, name = key.split(".")
    return getattr(getattr(new, section), name)


def _parse_design(table: Any, factors: tuple[Factor, ...]) -> DesignSpec:
    if not isinstance(table, dict):
        raise SweepError(f"design: expected a table, got {table!r}")
    bad = sorted(set(table) - {"kind", "n", "levels", "second_order"})
    if bad:
        raise SweepError(f"design.{bad[0]}: unknown key; allowed are kind, n, levels, second_order")
    kind = table.get("kind", "grid")
    if kind not in DESIGNS:
        raise SweepError(f"design.kind: {kind!r} is not one of {', '.join(DESIGNS)}")
    n = table.get("n")
    if kind == "grid":
        if n is not None:
            raise SweepError("design.n: a grid has no n; its size is the product of the levels")
        for f in factors:
            if f.is_range and f.num is None:
                raise SweepError(
                    f"factors.{f.key}: a range in a grid design needs num (levels), "
                    "e.g. { low = 1, high = 5, num = 5 }"
                )
    else:
        n = _int(table, "n", "design.n", None, 1, 10_000_000)
        if kind == "sobol" and n & (n - 1):
            raise SweepError(f"design.n: {n} is not a power of two; Sobol sampling needs one")
    levels = _int(table, "levels", "design.levels", 4, 2, 1000)
    if kind == "morris" and levels % 2:
        raise SweepError(f"design.levels: {levels} is odd; Morris needs an even number of levels")
    if kind in ("sobol", "morris") and len(factors) < 2:
        raise SweepError(f"factors: a {kind} design needs at least two factors")
    if kind == "morris":
        why = morris_problem(factors, levels)
        if why:
            raise SweepError(why)
    so = table.get("second_order", False)
    if not isinstance(so, bool):
        raise SweepError(f"design.second_order: expected true or false, got {so!r}")
    return DesignSpec(kind=kind, n=n, levels=levels, second_order=so)


def _parse_outcomes(table: Any, steps: int, factor_columns: set[str]) -> Outcomes:
    from ..outputs import TIMESERIES_COLUMNS, summary_keys

    if not isinstance(table, dict) or not table:
        raise SweepError('outcomes: required; e.g. [outcomes] summary = ["return_per_dollar"]')
    allowed = ("summary", "final", "window_mean", "first_step", "at", "series", "tables")
    bad = sorted(set(table) - set(allowed))
    if bad:
        raise SweepError(f"outcomes.{bad[0]}: unknown key; allowed are {', '.join(allowed)}")
    cols = [c for c in TIMESERIES_COLUMNS if c != "step"]

    def column(c: Any, where: str) -> str:
        if c not in cols:
            raise SweepError(
                f"{where}: {c!r} is not a time-series column; allowed are {', '.join(cols)}"
            )
        return c

    summary = _str_list(table.get("summary", []), "outcomes.summary")
    if summary:
        keys = summary_keys()
        for k in summary:
            if k not in keys:
                raise SweepError(
                    f"outcomes.summary: {k!r} is not a summary key; allowed are {', '.join(keys)}"
                )
    final = tuple(
        column(c, "outcomes.final") for c in _str_list(table.get("final", []), "outcomes.final")
    )
    windows = []
    for i, w in enumerate(_table_list(table.get("window_mean", []), "outcomes.window_mean")):
        where = f"outcomes.window_mean[{i}]"
        bad = sorted(set(w) - {"name", "column", "start", "end", "last"})
        if bad:
            raise SweepError(
                f"{where}.{bad[0]}: unknown key; allowed are name, column, start, end, last"
            )
        col = column(w.get("column"), f"{where}.column")
        if "last" in w:
            if "start" in w or "end" in w:
                raise SweepError(f"{where}: give last, or start and end, not both")
            # the last N steps, or the whole run when it is shorter (a smoke test's --set steps)
            last = min(_int(w, "last", f"{where}.last", None, 1, 10**9), steps)
            start, end = steps - last + 1, steps
        else:
            start = _int(w, "start", f"{where}.start", 1, 1, steps)
            end = _int(w, "end", f"{where}.end", steps, start, steps)
        name = w.get("name", f"{col}_mean_{start}_{end}")
        windows.append(WindowMean(name=name, column=col, start=start, end=end))
    events = []
    for i, e in enumerate(_table_list(table.get("first_step", []), "outcomes.first_step")):
        where = f"outcomes.first_step[{i}]"
        bad = sorted(set(e) - {"name", "column", "above", "below"})
        if bad:
            raise SweepError(
                f"{where}.{bad[0]}: unknown key; allowed are name, column, above, below"
            )
        col = column(e.get("column"), f"{where}.column")
        ops = [o for o in ("above", "below") if o in e]
        if len(ops) != 1:
            raise SweepError(f"{where}: give exactly one of above = X or below = X")
        thr = e[ops[0]]
        if isinstance(thr, bool) or not isinstance(thr, (int, float)):
            raise SweepError(f"{where}.{ops[0]}: expected a number, got {thr!r}")
        plain = f"{thr:g}".replace("-", "m").replace(".", "_").replace("+", "")
        name = e.get("name", f"{col}_first_{ops[0]}_{plain}")
        events.append(FirstStep(name=name, column=col, op=ops[0], threshold=float(thr)))
    ats = []
    for i, a in enumerate(_table_list(table.get("at", []), "outcomes.at")):
        where = f"outcomes.at[{i}]"
        bad = sorted(set(a) - {"name", "column", "steps"})
        if bad:
            raise SweepError(f"{where}.{bad[0]}: unknown key; allowed are name, column, steps")
        col = column(a.get("column"), f"{where}.column")
        days = a.get("steps")
        if isinstance(days, int) and not isinstance(days, bool):
            days = [days]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) for d in days)
        ):
            raise SweepError(f"{where}.steps: expected a list of steps, e.g. [30, 60, 90]")
        for d in days:
            if not 1 <= d <= steps:
                raise SweepError(f"{where}.steps: {d} is out of range; allowed [1, {steps}]")
        if len(set(days)) != len(days):
            raise SweepError(f"{where}.steps: steps repeat; give each once")
        name = a.get("name", f"{col}_at")
        if not isinstance(name, str) or not _PLAIN.fullmatch(name):
            raise SweepError(f"{where}.name: {name!r} is not a plain name (letters, digits, _)")
        ats.append(At(name=name, column=col, steps=tuple(days)))
    series = table.get("series", [])
    if series is True:
        series = cols
    elif series is False:
        series = []
    series = tuple(column(c, "outcomes.series") for c in _str_list(series, "outcomes.series"))
    tables = table.get("tables")
    if tables is not None:
        resolve_function(tables, "outcomes.tables")
    out = Outcomes(
        summary=summary,
        final=final,
        window_mean=tuple(windows),
        first_step=tuple(events),
        at=tuple(ats),
        series=series,
        tables=tables,
    )
    names = out.names
    if not names and not series and not tables:
        raise SweepError("outcomes: nothing to keep; give summary, final, window_mean, ...")
    seen = set()
    for n in names:
        if not isinstance(n, str) or not _PLAIN.fullmatch(n):
            raise SweepError(
                f"outcomes: outcome name {n!r} is not a plain name; use letters, digits and _ "
                "(it names a column that R and spreadsheets must read), starting with a letter"
            )
        if n in seen:
            raise SweepError(f"outcomes: {n!r} is kept twice; give each outcome once")
        if n in _RESERVED or n in factor_columns or n.startswith("unit__"):
            raise SweepError(f"outcomes: {n!r} clashes with a column of the runs table")
        seen.add(n)
    return out


def resolve_function(ref: Any, where: str = "outcomes.tables"):
    """The function named ``module:function`` (importable where the runs run)."""
    import importlib

    if not isinstance(ref, str) or ref.count(":") != 1:
        raise SweepError(f"{where}: expected 'module:function', got {ref!r}")
    mod, fn = ref.split(":")
    try:
        f = getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as err:
        raise SweepError(f"{where}: cannot load {ref!r}: {err}") from None
    if not callable(f):
        raise SweepError(f"{where}: {ref!r} is not a function")
    return f


def _table_list(v: Any, where: str) -> list[dict]:
    if isinstance(v, dict):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise SweepError(f"{where}: expected a list of tables, e.g. [{{ column = ... }}]")
    return v
