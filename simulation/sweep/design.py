"""Design points, runs and their seeds.

Every design samples numbers in [0, 1] per factor and maps them to factor values
(:meth:`Factor.from_unit`): evenly or geometrically spaced bounds, or an equal share of [0, 1]
per value of a discrete factor (a list, or an integer range). The SALib designs therefore see
the problem ``bounds = [0, 1]`` for every factor (Sobol indices do not depend on that scale;
Morris elementary effects are per unit of the normalized range, which makes them comparable
across factors). Morris samples only its ``levels`` grid points; a discrete factor maps them
with :meth:`Factor.from_level`, so that each of its values gets the same number of levels.

Seeds. The design's own randomness (random, lhs, sobol scrambling, morris trajectories) comes
from ``SeedSequence(root_seed, spawn_key=(0,))``. A run is identified by its design point
``p`` and replicate ``r``, whatever the number of points or replications:

- ``seeds = "common"`` (common random numbers): replicate ``r`` gets
  ``SeedSequence(root_seed, spawn_key=(2, r))`` at every point, so two points differ only by
  their factors, not by their luck;
- ``seeds = "independent"``: every run gets ``SeedSequence(root_seed, spawn_key=(1, p, r))``.

Either way the seed is fixed by the run's position, not by the order in which runs happen, so
a resumed, re-ordered, distributed or extended (more replications) sweep gives every run the
same seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .spec import Sweep

__all__ = [
    "RunSpec",
    "common_seed",
    "design_seed",
    "iter_runs",
    "make_design",
    "run_seed",
    "salib_problem",
    "unit_column",
]


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: where it sits in the design, its seed and its factor values.

    Attributes:
        point: the design point (row of ``design.parquet``).
        replicate: the replicate at that point, from 0.
        seed: the run's seed.
        factors: ``{"section.key": value}`` of the point.
    """

    point: int
    replicate: int
    seed: int
    factors: dict[str, Any]

    @property
    def key(self) -> tuple[int, int]:
        """``(point, replicate)``: the run's identity in its sweep."""
        return (self.point, self.replicate)


def _seed63(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def run_seed(root_seed: int, point: int, replicate: int) -> int:
    """Independent seed of the run at ``(point, replicate)``: 63 bits of
    ``SeedSequence(root, (1, p, r))``."""
    return _seed63(np.random.SeedSequence(root_seed, spawn_key=(1, point, replicate)))


def common_seed(root_seed: int, replicate: int) -> int:
    """Common seed of replicate ``r`` at every point: 63 bits of ``SeedSequence(root, (2, r))``."""
    return _seed63(np.random.SeedSequence(root_seed, spawn_key=(2, replicate)))


def design_seed(root_seed: int) -> int:
    """Seed handed to the design samplers (SALib takes an int)."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(0,))
    return int(ss.generate_state(1, np.uint32)[0])


def unit_column(key: str) -> str:
    """Column of a factor's unit-cube coordinate in ``design.parquet``: ``unit__<column>``."""
    from .spec import column_name

    return f"unit__{column_name(key)}"


def salib_problem(sweep: Sweep) -> dict:
    """The SALib problem of a sweep: every factor on [0, 1]."""
    keys = list(sweep.factor_keys)
    return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}


def unit_sample(sweep: Sweep) -> np.ndarray | None:
    """The design's points in the unit cube (None for a grid)."""
    d = sweep.design
    k = len(sweep.factors)
    seed = design_seed(sweep.root_seed)
    if d.kind == "grid":
        return None
    if d.kind == "random":
        return np.random.default_rng(seed).random((d.n, k))
    problem = salib_problem(sweep)
    if d.kind == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, d.n, seed=seed)
    if d.kind == "sobol":
        import warnings

        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sobol.sample(problem, d.n, calc_second_order=d.second_order, seed=seed)
    if d.kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, d.n, num_levels=d.levels, seed=seed)
    raise ValueError(d.kind)  # pragma: no cover (validated in spec)


def make_design(sweep: Sweep) -> pd.DataFrame:
    """The design points: column ``point``, one column per factor (the values run, named by
    :func:`~.spec.column_name`) and, for sampled designs, ``unit__<column>`` columns with the
    points in the unit cube (what SALib's analysers take)."""
    u = None
    if sweep.design.kind == "grid":
        rows = list(itertools.product(*(f.levels() for f in sweep.factors)))
    elif sweep.design.kind == "morris":
        u = unit_sample(sweep)
        p = sweep.design.levels
        rows = [
            tuple(
                f.from_level(round(float(x) * (p - 1)), p)
                for f, x in zip(sweep.factors, row, strict=True)
            )
            for row in u
        ]
    else:
        u = unit_sample(sweep)
        rows = [
            tuple(f.from_unit(float(x)) for f, x in zip(sweep.factors, row, strict=True))
            for row in u
        ]
    cols = list(sweep.factor_columns)
    df = pd.DataFrame(rows, columns=cols)
    for f in sweep.factors:
        df[f.column] = df[f.column].astype(_PANDAS_DTYPE[f.dtype])
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    if u is not None:
        for j, f in enumerate(sweep.factors):
            df[unit_column(f.key)] = u[:, j].astype(np.float64)
    return df


_PANDAS_DTYPE = {"int": "int64", "float": "float64", "str": "object", "bool": "bool"}


def iter_runs(
    sweep: Sweep,
    design: pd.DataFrame,
    skip: Callable[[int, int], bool] | None = None,
) -> Iterator[RunSpec]:
    """Every run of the sweep, made lazily, replicate by replicate: replicate 0 at every
    point, then replicate 1, ... (so a sweep stopped half-way has whole replicates to
    analyse); ``skip(point, replicate)`` leaves runs out."""
    cols = [design[f.column].to_numpy() for f in sweep.factors]
    keys = list(sweep.factor_keys)
    n = len(design)
    for r in range(sweep.replications):
        for p in range(n):
            if skip is not None and skip(p, r):
                continue
            values = {
                k: c[p].item() if hasattr(c[p], "item") else c[p]
                for k, c in zip(keys, cols, strict=True)
            }
            yield RunSpec(point=p, replicate=r, seed=sweep.seed(p, r), factors=values)
