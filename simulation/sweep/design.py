"""Design points, runs and their seeds.

Every design samples numbers in [0, 1] per factor and maps them to factor values
(:meth:`Factor.from_unit`): evenly or geometrically spaced bounds, or an index into a list of
values. The SALib designs therefore see the problem ``bounds = [0, 1]`` for every factor
(Sobol indices do not depend on that scale; Morris elementary effects are per unit of the
normalized range, which makes them comparable across factors).

Seeds. The design's own randomness (random, lhs, sobol scrambling, morris trajectories) comes
from ``SeedSequence(root_seed, spawn_key=(0,))``; the run at design point ``p``, replicate
``r`` gets ``SeedSequence(root_seed, spawn_key=(1, p, r))``: the seed is fixed by the run's
position in the design, not by the order in which runs happen, so a resumed, re-ordered or
distributed sweep gives every run the same seed. ``run_id = p * replications + r``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .spec import Sweep

__all__ = ["RunSpec", "design_seed", "iter_runs", "make_design", "run_seed", "salib_problem"]


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: where it sits in the design, its seed and its factor values."""

    run_id: int
    point: int
    replicate: int
    seed: int
    factors: dict[str, Any]


def run_seed(root_seed: int, point: int, replicate: int) -> int:
    """Seed of the run at ``(point, replicate)``: 63 bits of ``SeedSequence(root, (1, p, r))``."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(1, point, replicate))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def design_seed(root_seed: int) -> int:
    """Seed handed to the design samplers (SALib takes an int)."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(0,))
    return int(ss.generate_state(1, np.uint32)[0])


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
    """The design points: column ``point``, one column per factor (the values run) and, for
    sampled designs, ``unit:KEY`` columns with the points in the unit cube (what SALib's
    analysers take)."""
    keys = list(sweep.factor_keys)
    u = None
    if sweep.design.kind == "grid":
        rows = list(itertools.product(*(f.levels() for f in sweep.factors)))
    else:
        u = unit_sample(sweep)
        rows = [
            tuple(f.from_unit(float(x)) for f, x in zip(sweep.factors, row, strict=True))
            for row in u
        ]
    df = pd.DataFrame(rows, columns=keys)
    for f in sweep.factors:
        df[f.key] = df[f.key].astype(_PANDAS_DTYPE[f.dtype])
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    if u is not None:
        for j, k in enumerate(keys):
            df[f"unit:{k}"] = u[:, j].astype(np.float64)
    return df


_PANDAS_DTYPE = {"int": "int64", "float": "float64", "str": "object", "bool": "bool"}


def iter_runs(sweep: Sweep, design: pd.DataFrame, skip=None) -> Iterator[RunSpec]:
    """Every run of the sweep in run_id order, made lazily; ``skip(run_id)`` leaves runs out."""
    keys = list(sweep.factor_keys)
    reps = sweep.replications
    cols = [design[k].to_numpy() for k in keys]
    for p in range(len(design)):
        values = {
            k: c[p].item() if hasattr(c[p], "item") else c[p]
            for k, c in zip(keys, cols, strict=False)
        }
        for r in range(reps):
            rid = p * reps + r
            if skip is not None and skip(rid):
                continue
            yield RunSpec(
                run_id=rid,
                point=p,
                replicate=r,
                seed=run_seed(sweep.root_seed, p, r),
                factors=values,
            )
