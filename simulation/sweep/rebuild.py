"""Rebuild one run of a sweep: its full scenario file, and the command line that repeats it.

``influencer-sim show-run DIR POINT REPLICATE`` writes the scenario of the run at design point
``POINT``, replicate ``REPLICATE`` (the sweep's base scenario with the point's factor values,
the run's seed and the sweep's steps, every key written), which ``influencer-sim run``
reproduces exactly: the same time series and summary as the sweep recorded. Everything comes
from the sweep folder (the manifest, ``design.parquet``, ``runs.parquet``), not from the sweep
file, which may have moved or changed since.
"""

from __future__ import annotations

import json
import math
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config, ConfigError, apply_overrides, config_from_dict, config_to_toml
from .design import common_seed, run_seed
from .spec import SweepError
from .store import read_manifest

__all__ = ["RunScenario", "run_scenario", "toml_literal"]


def toml_literal(v: Any) -> str:
    """A value as TOML text that reads back to the identical value (floats by ``repr``, the
    shortest text that round-trips), as ``--set KEY=VALUE`` and scenario files take it."""
    if hasattr(v, "item"):  # a numpy scalar: its Python value, never ``np.float64(1.4)``
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} has no TOML form a scenario accepts")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string is a JSON string for these characters
    raise TypeError(f"{v!r}: not a scenario value")


@dataclass(frozen=True)
class RunScenario:
    """The scenario of one run of a sweep.

    Attributes:
        config: the resolved scenario (seed and steps included).
        point, replicate, seed: which run.
        factors: ``{"section.key": value}`` of its design point.
        base_file: the sweep's base scenario file.
        base_set: the sweep's ``base.set`` overrides.
        outcomes: the outcomes the sweep recorded for it (None if it has not run).
        status: ``"ok"``, ``"error"`` or None (not run yet).
    """

    config: Config
    point: int
    replicate: int
    seed: int
    factors: dict[str, Any]
    base_file: str
    base_set: dict[str, Any]
    outcomes: dict[str, float] | None
    status: str | None

    def toml(self) -> str:
        """The full scenario file: every key, so it does not depend on defaults."""
        head = (
            f"# Run (point {self.point}, replicate {self.replicate}) of a sweep, rebuilt by "
            "influencer-sim show-run.\n"
            f"# Reproduce it: influencer-sim run THIS_FILE\n\n"
        )
        return head + config_to_toml(self.config)

    def command(self) -> str:
        """The same run as ``influencer-sim run BASE --set ...`` on the sweep's base file."""
        parts = ["influencer-sim", "run", self.base_file]
        for k in {**self.base_set, **self.factors}:
            # the resolved value, so an integer key reads 8, not the design's 8.0
            section, key = k.split(".", 1)
            parts += ["--set", f"{k}={toml_literal(getattr(getattr(self.config, section), key))}"]
        parts += ["--seed", str(self.seed), "--steps", str(self.config.run.steps)]
        return shlex.join(parts)


def _portable(cfg: Config) -> Config:
    """A relative ``graph.file`` made absolute, so the file runs from anywhere."""
    g = cfg.graph
    if not g.file or Path(g.file).is_absolute():
        return cfg
    return apply_overrides(cfg, {"graph.file": str((Path(cfg.base_dir) / g.file).resolve())})


def run_scenario(out: str | Path, point: int, replicate: int) -> RunScenario:
    """The scenario of the run at ``(point, replicate)`` of the sweep in ``out``."""
    out = Path(out)
    man = read_manifest(out)
    n_points, reps = int(man["n_points"]), int(man["replications"])
    if not 0 <= point < n_points:
        raise SweepError(f"POINT: {point} is out of range; allowed [0, {n_points - 1}]")
    if not 0 <= replicate < reps:
        raise SweepError(
            f"REPLICATE: {replicate} is out of range; allowed [0, {reps - 1}] "
            "(add replications with --resume --set replications=N)"
        )
    design = pd.read_parquet(out / "design.parquet")
    row = design.iloc[point]
    factors = {
        key: _plain(row[col])
        for key, col in zip(man["factors"], man["factor_columns"], strict=True)
    }
    keys = _scenario_keys(factors, (man.get("sweep") or {}).get("factors", {}))
    outcomes = status = None
    seed = (
        common_seed(man["root_seed"], replicate)
        if man["seeds"] == "common"
        else run_seed(man["root_seed"], point, replicate)
    )
    runs_path = out / "runs.parquet"
    if runs_path.is_file():
        runs = pd.read_parquet(
            runs_path, filters=[("point", "==", point), ("replicate", "==", replicate)]
        )
        if len(runs):
            r = runs.iloc[0]
            if int(r["seed"]) != seed:  # pragma: no cover (the seed rule is fixed)
                raise SweepError(f"{out}: recorded seed {r['seed']} is not the rule's {seed}")
            status = str(r["status"])
            outcomes = {n: float(r[n]) for n in man["outcomes"]}
    base_file = man["base_config_file"]
    try:
        base = config_from_dict(tomllib.loads(man["base_config"]), base_dir=Path(base_file).parent)
        cfg = _portable(apply_overrides(base, {**keys, "run.seed": seed}))
    except ConfigError as err:  # a factor combination that the model refuses
        raise SweepError(f"point {point}: {err}") from None
    base_set = dict((man.get("sweep") or {}).get("base", {}).get("set", {}))
    return RunScenario(
        config=cfg,
        point=point,
        replicate=replicate,
        seed=seed,
        factors=keys,
        base_file=base_file,
        base_set=base_set,
        outcomes=outcomes,
        status=status,
    )


def _scenario_keys(factors: dict[str, Any], declared: dict[str, dict]) -> dict[str, Any]:
    """The scenario keys of a point: a factor's own key, or a bundle level's keys."""
    out: dict[str, Any] = {}
    for key, value in factors.items():
        sets = (declared.get(key) or {}).get("sets")
        if sets is None:
            out[key] = value
        else:
            out.update(dict(dict(sets)[value]))
    return out


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
