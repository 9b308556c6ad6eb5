"""How much to trust a sweep's numbers: seed noise, index sanity and convergence.

Pure functions over arrays (no files): :mod:`.analysis` calls them and writes the tables.

- :func:`seed_noise`: the share of an outcome's variance that is seed noise, estimated from the
  replications (one-way analysis of variance for independent seeds; two-way, points by
  replicates, for common random numbers, where the part of the noise shared by every point
  cancels out of comparisons).
- :func:`sobol_indices`, :func:`morris_indices`: SALib's estimators on the first ``n`` base
  samples (Sobol) or trajectories (Morris) of a design, so the same sweep shows how the
  indices move as N grows.
- :func:`index_warnings`: indices outside [0, 1] beyond their interval, S1 above ST, N too
  small for the method.
- :func:`settled`: the stated rules by which an outcome's means and indices count as settled.

Rules (also in docs/SWEEPS.md):

- *Indices settled*: every index is known to within ``INDEX_TOL`` (its 95% half-width at most
  0.05) and moved by at most ``INDEX_TOL`` from half the sample (N/2, and half the
  replications) to all of it. Sobol indices are shares of variance; Morris mu* is scaled by
  the largest mu* of the outcome first. Judging convergence by the width of bootstrap
  intervals follows Sarrazin, Pianosi & Wagener (2016), Environmental Modelling & Software 79.
- *Screening settled* (which factors matter is known; it settles long before the values):
  every factor's total-order index (Morris: scaled mu*) has its 95% interval wholly above or
  wholly below ``SCREEN_TOL`` (0.05), and each factor is on the same side of it with half the
  sample (N/2, and half the replications). This is the "screening" convergence of Sarrazin
  et al. (2016). Neither index verdict stands while seed noise is large (below): noise in the
  point means inflates every total-order index.
- *Means settled*: seed noise is at most ``NOISE_TOL`` (5%) of the variance of the point means,
  so the differences between design points are factor effects rather than luck; the grand
  mean (the outcome averaged over the design) is known to within ``LEVEL_TOL`` (10%) of the
  spread of the point means (their standard deviation; for a single point, 5% of the mean),
  so the level is known as well as the differences; and it moved by less than its 95%
  half-width from half the replications to all of them.
- *Seed noise is large* (a warning) when it is more than ``NOISE_TOL`` of the variance of the
  point means: the variance the indices decompose.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "INDEX_TOL",
    "LEVEL_TOL",
    "MIN_MORRIS_R",
    "MIN_SOBOL_N",
    "NOISE_TOL",
    "SCREEN_TOL",
    "index_warnings",
    "mean_convergence",
    "morris_indices",
    "replication_schedule",
    "sample_schedule",
    "seed_noise",
    "settled_indices",
    "settled_means",
    "settled_screening",
    "sobol_indices",
]

#: An index is settled when known to +-0.05 and moving by at most 0.05 from half the sample.
INDEX_TOL = 0.05
#: A factor matters when its total-order index (Morris: scaled mu*) is above 0.05.
SCREEN_TOL = 0.05
#: The grand mean's 95% half-width may be at most 10% of the spread of the point means.
LEVEL_TOL = 0.10
#: Seed noise above 5% of the variance of the point means: a warning, and the means have not
#: settled.
NOISE_TOL = 0.05
#: Fewer Sobol base samples than this: the bootstrap intervals themselves are unreliable.
MIN_SOBOL_N = 64
#: Fewer Morris trajectories than this: mu* rests on too few elementary effects per factor.
MIN_MORRIS_R = 10


# -- seed noise -----------------------------------------------------------------------------


def seed_noise(y: np.ndarray, common: bool) -> dict | None:
    """Seed noise of one outcome from a points-by-replicates matrix.

    Args:
        y: ``[points, replicates]`` values; rows with a missing value are left out.
        common: the replicates used common random numbers (the same seed in each column).

    Returns:
        None with fewer than two replicates or two complete points; else a dict:
        ``noise_var`` (the noise variance of one run that differs between points: the
        pooled within-point variance for independent seeds, the residual mean square of the
        two-way layout for common seeds), ``within_var`` (all of a run's seed noise, shared
        part included), ``signal_var`` (the variance of the true point means across the
        design: the variance of the point means less their noise, at least 0),
        ``run_share`` (``within_var / (within_var + signal_var)``: how much of one run's
        variation is luck), ``mean_share`` (``noise_var / R`` over the variance of the point
        means: the share of what the indices decompose that is noise),
        ``replications_for_5pct`` (replications that would bring ``mean_share`` to 5%; inf
        if the point means show no variance beyond noise).
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2:
        return None
    y = y[np.isfinite(y).all(axis=1)]
    p, r = y.shape
    if p < 2:
        return None
    within = float(y.var(axis=1, ddof=1).mean())
    means = y.mean(axis=1)
    var_means = float(means.var(ddof=1))
    if common:
        resid = y - means[:, None] - y.mean(axis=0)[None, :] + y.mean()
        noise = float((resid**2).sum() / ((p - 1) * (r - 1)))
    else:
        noise = within
    signal = var_means - noise / r
    run_total = within + max(signal, 0.0)
    share = (noise / r) / var_means if var_means > 0 else (0.0 if noise == 0 else 1.0)
    if noise == 0:
        need = 1.0
    elif signal > 0:
        need = noise / (signal * (0.05 / 0.95))
    else:
        need = math.inf
    return {
        "points": p,
        "replications": r,
        "within_var": within,
        "noise_var": noise,
        "signal_var": max(signal, 0.0),
        "run_share": within / run_total if run_total > 0 else 0.0,
        "mean_share": min(share, 1.0),
        "replications_for_5pct": float(math.ceil(need)) if math.isfinite(need) else math.inf,
    }


# -- indices on part of a design ----------------------------------------------------------


def sample_schedule(n: int, smallest: int = 4) -> list[int]:
    """``[n/8, n/4, n/2, n]`` (halvings of a base sample, at least ``smallest``)."""
    out = [n]
    while out[0] // 2 >= smallest and len(out) < 4:
        out.insert(0, out[0] // 2)
    return out


def replication_schedule(r: int) -> list[int]:
    """``1, 2, 4, ...`` up to ``r``, with ``ceil(r/2)`` and ``r`` always in."""
    s = {r, math.ceil(r / 2)}
    k = 1
    while k < r:
        s.add(k)
        k *= 2
    return sorted(s)


def _problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def sobol_indices(
    y: np.ndarray,
    names: list[str],
    second_order: bool,
    seed: int,
    n_base: int | None = None,
) -> pd.DataFrame:
    """First and total order Sobol indices (SALib ``sobol.analyze``: Saltelli 2002, Jansen
    1999, Saltelli et al. 2010) from the first ``n_base`` base samples of a Saltelli design.

    SALib's Saltelli rows come in blocks of ``D + 2`` (``2D + 2`` with second order), one per
    base sample, and the first n points of a scrambled Sobol' sequence of length N are the
    sequence of length n, so the first ``n_base`` blocks are themselves a Saltelli design.
    Returns one row per factor: ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (conf:
    half-width of the bootstrap 95% interval).
    """
    from SALib.analyze import sobol

    d = len(names)
    block = 2 * d + 2 if second_order else d + 2
    n = len(y) // block if n_base is None else n_base
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(
            _problem(names), np.asarray(y[: n * block]), calc_second_order=second_order, seed=seed
        )
    return pd.DataFrame(
        {
            "factor": names,
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def morris_indices(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    levels: int,
    seed: int,
    n_traj: int | None = None,
) -> pd.DataFrame:
    """Morris ``mu``, ``mu*``, ``sigma`` and the half-width of mu*'s 95% interval (SALib
    ``morris.analyze``: Morris 1991, Campolongo et al. 2007) from the first ``n_traj``
    trajectories (``D + 1`` rows each)."""
    from SALib.analyze import morris

    d = len(names)
    n = len(y) // (d + 1) if n_traj is None else n_traj
    rows = n * (d + 1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = morris.analyze(
            _problem(names), x[:rows], np.asarray(y[:rows]), num_levels=levels, seed=seed
        )
    return pd.DataFrame(
        {
            "factor": names,
            "mu": np.asarray(res["mu"], dtype=float),
            "mu_star": np.asarray(res["mu_star"], dtype=float),
            "sigma": np.asarray(res["sigma"], dtype=float),
            "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
        }
    )


# -- warnings and rules ---------------------------------------------------------------------


def index_warnings(outcome: str, idx: pd.DataFrame, kind: str, n: int) -> list[str]:
    """Plain-words warnings about one outcome's indices (``idx`` from :func:`sobol_indices`
    or :func:`morris_indices` on the whole design, ``n`` its base sample / trajectories)."""
    out = []
    if kind == "sobol":
        if n < MIN_SOBOL_N:
            out.append(
                f"{outcome}: N = {n} base samples is below the {MIN_SOBOL_N} Sobol indices need "
                "for their bootstrap intervals to be trusted; raise design.n"
            )
        for r in idx.itertuples():
            for name in ("S1", "ST"):
                v, c = getattr(r, name), getattr(r, f"{name}_conf")
                if not np.isfinite(v):
                    continue
                if v + c < 0 and v > -INDEX_TOL:
                    out.append(
                        f"{outcome}: {name} of {r.factor} is {v:.3f} ± {c:.3f}, below 0 beyond "
                        f"its 95% interval: read it as no effect; at this N the estimator is "
                        "still biased"
                    )
                elif v - c > 1 or v + c < 0:
                    out.append(
                        f"{outcome}: {name} of {r.factor} is {v:.3f} ± {c:.3f}, outside [0, 1] "
                        "beyond its 95% interval; the estimate is not usable (too small N, or "
                        "seed noise in the outcome)"
                    )
            if (r.S1 - r.ST) - (r.S1_conf + r.ST_conf) > 0:
                out.append(
                    f"{outcome}: S1 of {r.factor} ({r.S1:.3f}) exceeds its ST ({r.ST:.3f}) "
                    "beyond both intervals, which cannot be; the estimates are not usable"
                )
    elif n < MIN_MORRIS_R:
        out.append(
            f"{outcome}: {n} Morris trajectories give each factor only {n} elementary effects; "
            f"use at least {MIN_MORRIS_R} (design.n)"
        )
    return out


def _scaled(idx: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Indices on a [0, 1] scale with their half-widths: Sobol as is, Morris mu* over the
    largest mu*."""
    if kind == "sobol":
        return idx
    top = float(np.nanmax(idx["mu_star"])) if len(idx) else 0.0
    top = top if top > 0 else 1.0
    return pd.DataFrame(
        {
            "factor": idx["factor"],
            "mu_star": idx["mu_star"] / top,
            "mu_star_conf": idx["mu_star_conf"] / top,
        }
    )


def _index_columns(kind: str) -> list[str]:
    return ["S1", "ST"] if kind == "sobol" else ["mu_star"]


def settled_indices(
    full: pd.DataFrame,
    half: pd.DataFrame | None,
    kind: str,
    what: str,
    n: int | None = None,
    width: bool = True,
) -> tuple[bool, str]:
    """Whether indices have settled (see the module docstring) and why (not).

    Args:
        full: indices on the whole design (all replications).
        half: the same on half of it (N/2, or half the replications), None if there is none.
        kind: ``"sobol"`` or ``"morris"``.
        what: what ``half`` halves, for the message ("N", "replications").
        n: the base sample N (or trajectories) of ``full``, to say what N would do.
        width: also require the intervals to be narrow (off when another call checks them).
    """
    f, cols = _scaled(full, kind), _index_columns(kind)
    widest = max(float(np.nanmax(f[f"{c}_conf"])) for c in cols)
    if not np.isfinite(widest):
        return False, "intervals could not be estimated"
    reasons = []
    if width and widest > INDEX_TOL:
        more = ""
        if n:  # half-widths shrink as 1 / sqrt(N)
            need = 2 ** math.ceil(math.log2(n * (widest / INDEX_TOL) ** 2))
            more = f"; about N = {need} would do"
        reasons.append(f"widest 95% half-width {widest:.3f} > {INDEX_TOL}{more}")
    if half is None:
        reasons.append(f"no half {what} to compare with")
    else:
        h = _scaled(half, kind)
        moved = max(float(np.nanmax(np.abs(f[c].to_numpy() - h[c].to_numpy()))) for c in cols)
        if not moved <= INDEX_TOL:
            reasons.append(f"moved {moved:.3f} > {INDEX_TOL} from half the {what}")
    if reasons:
        return False, "; ".join(reasons)
    if not width:
        return True, f"moved <= {INDEX_TOL} from half the {what}"
    return True, f"half-widths <= {widest:.3f}, moved <= {INDEX_TOL} from half the {what}"


def _total(idx: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray]:
    f = _scaled(idx, kind)
    col = "ST" if kind == "sobol" else "mu_star"
    return f[col].to_numpy(dtype=float), f[f"{col}_conf"].to_numpy(dtype=float)


def settled_screening(
    full: pd.DataFrame, halves: list[pd.DataFrame], kind: str
) -> tuple[bool, str, list[str]]:
    """Whether it is settled which factors matter (module docstring): the verdict, why, and
    the factors that matter (total-order index, or scaled mu*, above ``SCREEN_TOL``).

    Args:
        full: indices on the whole design.
        halves: the indices on half the sample (N/2, half the replications) that exist.
        kind: ``"sobol"`` or ``"morris"``.
    """
    v, c = _total(full, kind)
    names = list(full["factor"])
    matter = [n for n, x in zip(names, v, strict=True) if x > SCREEN_TOL]
    if not np.isfinite(v).all() or not np.isfinite(c).all():
        return False, "intervals could not be estimated", matter
    unclear = [n for n, x, w in zip(names, v, c, strict=True) if x - w <= SCREEN_TOL <= x + w]
    reasons = []
    if unclear:
        reasons.append(f"{', '.join(unclear)}: interval straddles {SCREEN_TOL}")
    if not halves:
        reasons.append("no half sample to compare with")
    for h in halves:
        hv, _ = _total(h, kind)
        flipped = [
            n for n, a, b in zip(names, v, hv, strict=True) if (a > SCREEN_TOL) != (b > SCREEN_TOL)
        ]
        if flipped:
            reasons.append(f"{', '.join(flipped)}: on the other side of {SCREEN_TOL} with half")
    if reasons:
        return False, "; ".join(reasons), matter
    return True, f"{len(matter)} of {len(names)} factors matter", matter


def mean_convergence(y: np.ndarray, schedule: list[int]) -> pd.DataFrame:
    """The grand mean of an outcome and its 95% interval using the first r replicates.

    Each replicate's average over the design points is one observation (the replicates are
    independent of each other under either seed scheme), so the half-width is
    ``t(0.975, r - 1) sd / sqrt(r)`` of those r averages.

    Args:
        y: ``[points, replicates]`` values (NaN for failed runs).
        schedule: replicate counts r.

    Returns:
        One row per r: ``r``, ``mean`` (the grand mean), ``ci_half`` (NaN with r < 2),
        ``spread`` (the standard deviation of the point means across the design).
    """
    from scipy import stats

    rows = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep_means = np.nanmean(y, axis=0)  # one average per replicate
    for r in schedule:
        m = rep_means[:r]
        m = m[np.isfinite(m)]
        half = (
            float(stats.t.ppf(0.975, len(m) - 1) * m.std(ddof=1) / math.sqrt(len(m)))
            if len(m) > 1
            else math.nan
        )
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm = np.nanmean(y[:, :r], axis=1)
        pm = pm[np.isfinite(pm)]
        rows.append(
            {
                "r": r,
                "mean": float(m.mean()) if len(m) else math.nan,
                "ci_half": half,
                "spread": float(pm.std(ddof=1)) if len(pm) > 1 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def settled_means(
    conv: pd.DataFrame, noise: dict | None, n_points: int
) -> tuple[bool | None, bool, str]:
    """Whether an outcome's means have settled (module docstring), and why (not).

    Args:
        conv: :func:`mean_convergence` over a schedule ending at all the replications.
        noise: :func:`seed_noise` of the outcome (None with one replicate).
        n_points: design points.

    Returns:
        ``(differences, level, why)``: the differences between points are settled (seed noise
        at most 5% of the point means' variance; None for a single point), the level is
        settled (the grand mean known to within 10% of the spread of the point means, and
        steady from half the replications), and the reasons in words.
    """
    if len(conv) and not np.isfinite(conv["mean"]).any():
        # e.g. sales per $ of a strategy no brand has, or EMV per $ with no influencer spend
        return (False if n_points > 1 else None), False, "no run has a value for it"
    if len(conv) < 2 or not np.isfinite(conv["ci_half"].iloc[-1]):
        return (False if n_points > 1 else None), False, "needs at least two replications"
    last = conv.iloc[-1]
    half = conv[conv["r"] == math.ceil(last["r"] / 2)].iloc[0]
    reasons = []
    differences = None
    if n_points > 1 and noise is not None:
        share = noise["mean_share"]
        differences = share <= NOISE_TOL
        if not differences:
            need = noise["replications_for_5pct"]
            how = (
                f"about {int(need)} replications would do"
                if math.isfinite(need) and need <= 10_000
                else "the point means barely differ beyond noise"
            )
            reasons.append(f"seed noise is {share:.0%} of the point means' variance ({how})")
    if n_points > 1 and last["spread"] > 0:
        scale, what, tol = last["spread"], "the spread of the point means", LEVEL_TOL
    else:
        scale, what, tol = abs(last["mean"]), "the mean", NOISE_TOL
    level = True
    if not last["ci_half"] <= tol * scale:
        level = False
        # half-widths shrink about as t(0.975, r - 1) / sqrt(r)
        from scipy import stats

        r = int(last["r"])
        z = last["ci_half"] * math.sqrt(r) / stats.t.ppf(0.975, r - 1)
        need = r
        while need < 100_000 and stats.t.ppf(0.975, need - 1) * z / math.sqrt(need) > tol * scale:
            need *= 2
        how = f"about {need} replications would do" if need < 100_000 else "far more replications"
        reasons.append(
            f"grand mean known to ±{last['ci_half']:.3g}, over {tol:.0%} of {what} "
            f"({scale:.3g}; {how})"
        )
    moved = abs(last["mean"] - half["mean"])
    if moved > last["ci_half"]:
        level = False
        reasons.append(
            f"grand mean moved {moved:.3g} (> its half-width) from half the replications"
        )
    if reasons:
        return differences, level, "; ".join(reasons)
    if differences:
        why = f"seed noise {noise['mean_share']:.1%} of the point means' variance; "
        return True, True, why + f"grand mean known to ±{last['ci_half']:.3g}"
    return differences, True, f"grand mean known to ±{last['ci_half']:.3g}"
