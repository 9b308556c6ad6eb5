"""When do many micro influencers beat one celebrity? Scenario discovery with PRIM.

Conditions (``sweep.toml``): a Latin hypercube over the forces that decide the answer (the
price curve's exponent, baseline trust in small and in the largest accounts, relationship
overhead, the platform off or on, how niche the product is, the share of brands buying micro
accounts, the sponsored cap), two replicates per point on common seeds, brands spending their
whole budget on their portfolio whatever the return.

Per run: micro minus celebrity sales value per dollar (``sales_per_dollar_by_strategy``) and
earned media value per dollar of influencer spend (``return_per_dollar_by_strategy``); per
design point, the mean over its replicates (:func:`point_table`). Per outcome, three kinds of
point (:data:`CASES`): micro wins, celebrity wins, neither returns twice the other.
:func:`find_boxes` finds with PRIM (Friedman & Fisher 1999; the ``prim`` package, a standalone
copy of the EMA Workbench's implementation) the boxes of the inputs where each gathers, or
:func:`hull_box` places one too rare for PRIM (:func:`boxes_for` chooses);
:func:`stability` says how often a box's restrictions come back on resampled points;
:func:`sentence` says a box in words; :func:`drivers` ranks the inputs by standardized rank
regression coefficients (Saltelli et al. 2008, 1.2.5); :func:`phase_diagram` plots the binned
mean difference over the two strongest inputs with its zero contour, the design points
coloured by winner and the boxes.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.spec import column_name
from simulation.sweep.store import read_manifest, read_table

#: The message when PRIM is not installed (the optional extra ``map``: PRIM is GPL-3).
PRIM_MISSING = (
    "the less_is_more experiment needs the PRIM package (Friedman & Fisher's bump hunting); "
    "install it with: pip install '.[map]' from the repository, or pip install 'PRIM>=1.0' "
    "(PRIM is GPL-3; influencer-sim is MIT, so it is an optional extra)"
)
if importlib.util.find_spec("prim") is None:  # fail when the sweep file is read, not after
    raise ImportError(PRIM_MISSING)

#: The two portfolios compared (brand strategies of ``simulation.vocabulary``).
SIDES = ("micro", "celebrity")

#: Each factor of the sweep: its column, how it reads in a sentence and how its values print.
LABELS: dict[str, tuple[str, str]] = {
    "influencers__price_exponent": ("the price curve's exponent", "{:.2f}"),
    "behaviour__trust_init_small": ("trust in small accounts", "{:.2f}"),
    "behaviour__trust_init_large": ("trust in celebrities", "{:.3f}"),
    "brands__relationship_cost": ("overhead", "${:.0f} per relationship per period"),
    "brands__platform_share": ("the platform", "{:g}"),
    "population__interest_concentration": ("breadth of interests", "{:.2f}"),
    "brands__share_micro": ("the share of brands buying micro", "{:.2f}"),
    "influencers__sponsored_cap": ("the sponsored cap", "{:.0f} posts a period"),
}

#: Outcomes: the difference micro - celebrity per run and per point.
OUTCOMES = {
    "sales": ("sales_per_dollar_by_strategy__micro", "sales_per_dollar_by_strategy__celebrity"),
    "emv": ("return_per_dollar_by_strategy__micro", "return_per_dollar_by_strategy__celebrity"),
}


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """Per portfolio (micro, celebrity) of a run: how much of the budget was spent and on what.

    ``budget_spent`` is spend over the budget of the run's periods (celebrity brands are held
    back by the celebrities' capacity, micro brands without a platform by their search);
    ``overhead_share`` and ``fee_share`` are shares of spend.
    """
    rows = []
    for s in SIDES:
        g = res.brands[res.brands["strategy"] == s]
        spend = float(g["spend"].sum())
        budget = float(g["budgeted"].sum())
        rows.append(
            {
                "strategy": s,
                "brands": len(g),
                "spend_per_brand": float(g["spend"].mean()) if len(g) else math.nan,
                "budget_spent": spend / budget if budget else math.nan,
                "overhead_share": float(g["overhead"].sum()) / spend if spend else math.nan,
                "fee_share": float(g["platform_fees"].sum()) / spend if spend else math.nan,
                "deals_per_brand": float(g["deals"].mean()) if len(g) else math.nan,
            }
        )
    return {"by_strategy": pd.DataFrame(rows)}


# -- per point ---------------------------------------------------------------------------


def run_differences(runs: pd.DataFrame) -> pd.DataFrame:
    """Micro minus celebrity per run: ``d_sales`` and ``d_emv`` (NaN where a portfolio spent
    nothing, so has no return per dollar)."""
    out = runs.copy()
    for name, (micro, celeb) in OUTCOMES.items():
        out[f"d_{name}"] = out[micro] - out[celeb]
    return out


def point_table(runs: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """One row per design point: its factors; per outcome, the mean over the replicates in
    which both portfolios have a return (so the mean difference is the difference of the
    means) of each portfolio's return and of the difference; ``replicates``, how many
    replicates have both sales returns; ``agree``, the share of them whose sales difference
    has the sign of the mean."""
    d = run_differences(runs)
    for name, pair in OUTCOMES.items():
        d.loc[d[f"d_{name}"].isna(), list(pair)] = np.nan
    values = [c for pair in OUTCOMES.values() for c in pair] + [f"d_{n}" for n in OUTCOMES]
    g = d.groupby("point", sort=True)
    pts = g[factors].first().join(g[values].mean())
    pts["replicates"] = g["d_sales"].count()
    same = np.sign(d["d_sales"]) == np.sign(d["point"].map(pts["d_sales"]))
    d["same"] = same.astype(float).where(d["d_sales"].notna())
    pts["agree"] = d.groupby("point")["same"].mean()
    return pts.reset_index()


# -- PRIM ---------------------------------------------------------------------------------


@dataclass
class Box:
    """A box of the inputs found by PRIM: ``limits`` maps each restricted input to its
    ``(low, high)`` (inclusive, values of design points inside); ``coverage`` is the share of
    all cases of interest inside it, ``density`` the share of the points inside it that are
    cases, ``mass`` the share of all points inside it (each on the points not in an earlier
    box); ``qp`` the quasi-p-value of each restriction (Bryant & Lempert 2010)."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    n: int
    qp: dict[str, float] = field(default_factory=dict)
    #: per restriction, how often it comes back on bootstrap resamples (:func:`stability`)
    stability: dict[str, float] = field(default_factory=dict)
    #: how it was found: "PRIM" (:func:`find_boxes`) or "hull" (:func:`hull_box`)
    method: str = "PRIM"

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` lie in the box."""
        inside = np.ones(len(x), dtype=bool)
        for c, (lo, hi) in self.limits.items():
            v = x[c].to_numpy(dtype=float)
            inside &= (v >= lo) & (v <= hi)
        return inside


def find_boxes(
    x: pd.DataFrame,
    y,
    *,
    min_density: float | None = None,
    max_boxes: int = 2,
    min_coverage: float = 0.1,
    min_share: float = 0.5,
    qp_max: float = 0.05,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> list[Box]:
    """Boxes of ``x`` (numeric columns) where ``y`` (True for a case of interest) is likely,
    by PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional data"; the ``prim``
    package, which is the EMA Workbench's implementation).

    For each box PRIM peels ``peel_alpha`` of the points off one face at a time, keeping at
    least ``mass_min`` of them, then pastes back; from its peeling trajectory this takes the
    box of largest coverage whose density is at least ``min_density`` (default: the larger of
    0.8 and halfway from the share of cases to 1), or the densest box when none is, then drops,
    one at a time, the restriction with the largest quasi-p-value above ``qp_max`` (a one-sided
    binomial test of the restriction, Bryant & Lempert 2010). Later boxes are found on the
    points outside the earlier ones (PRIM's covering), up to ``max_boxes``; a later box is kept
    only when it reaches the target density and covers at least ``min_coverage`` of the cases.

    Coverage, density and mass are recomputed here from the final limits (on the points not
    in an earlier box). A box whose every restriction was dropped is the whole space; it is
    kept only when the cases are at least ``min_share`` of the points (a common outcome, "at
    96% of all points"), so a rare outcome whose restrictions do not survive the quasi-p test
    has no box. Returns the boxes, none when ``y`` has no case.
    """
    import prim

    y = np.asarray(y, dtype=bool)
    if y.shape != (len(x),):
        raise ValueError(f"y has shape {y.shape}; expected ({len(x)},)")
    if not y.any():
        return []
    target = min_density if min_density is not None else max(0.8, (1 + y.mean()) / 2)
    x = x.reset_index(drop=True).astype(float)
    p = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    boxes: list[Box] = []
    left = np.ones(len(x), dtype=bool)
    while len(boxes) < max_boxes and y[left].any():
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        ok = traj[traj["density"] >= target]
        pick = ok if len(ok) else traj[traj["density"] == traj["density"].max()]
        i = int(pick.sort_values(["coverage", "density"], ascending=False).index[0])
        box.select(i)
        while True:
            lim = box.limits
            loose = lim[lim["qp values"] > qp_max]
            if loose.empty:
                break
            box.drop_restriction(str(loose["qp values"].idxmax()))
        limits = {str(c): (float(r["min"]), float(r["max"])) for c, r in lim.iterrows()}
        qp = {str(c): float(v) for c, v in lim["qp values"].items()}
        found = Box(limits, 0.0, 0.0, 0.0, 0, qp)
        inside = found.contains(x) & left
        hits = int((inside & y).sum())
        found.coverage = hits / int(y.sum())
        found.n = int(inside.sum())
        found.density = hits / found.n if found.n else math.nan
        found.mass = found.n / len(x)
        if not limits and found.density < min_share:
            break  # no restriction holds up and the cases are a minority: no region
        if boxes and (found.density < target or found.coverage < min_coverage):
            break
        boxes.append(found)
        left &= ~inside
        if not limits:  # the whole space: nothing left to find
            break
    return boxes


def quasi_p(x: pd.DataFrame, y: np.ndarray, limits: dict, wider: dict) -> float:
    """Quasi-p-value of a restriction (Bryant & Lempert 2010): the probability that a box as
    large as ``limits``, drawn from the box ``wider`` (the same without that restriction),
    holds at least as many cases: ``binom.sf(H - 1, T, H' / T')`` with ``H`` of ``T`` points
    cases in ``limits`` and ``H'`` of ``T'`` in ``wider``."""
    from scipy.stats import binom

    inside = Box(limits, 0, 0, 0, 0).contains(x)
    outer = Box(wider, 0, 0, 0, 0).contains(x)
    t, h = int(inside.sum()), int((inside & y).sum())
    t2, h2 = int(outer.sum()), int((outer & y).sum())
    return float(binom.sf(h - 1, t, h2 / t2)) if t and t2 else 1.0


def hull_box(x: pd.DataFrame, y, *, qp_max: float = 0.05, min_cases: int = 3) -> list[Box]:
    """Where the few cases of a rare outcome lie: the smallest box holding all of them (each
    input from its smallest to its largest value among the cases), less, one at a time, the
    bound (the low or the high end of an input) with the largest quasi-p-value above
    ``qp_max`` (:func:`quasi_p`, the bound moved back to the data's extreme), so that only the
    bounds that set the cases apart remain. For an outcome with too few cases for PRIM's
    peeling, which keeps at least ``mass_min`` of the points in a box; with fewer than
    ``min_cases`` cases, no box. Its coverage is 1 by construction."""
    y = np.asarray(y, dtype=bool)
    if y.sum() < min_cases:
        return []
    x = x.reset_index(drop=True).astype(float)
    hit = x[y]
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    limits = {c: (float(hit[c].min()), float(hit[c].max())) for c in x.columns}

    def without(c: str, end: int) -> dict:
        lo, hi = limits[c]
        return {**limits, c: (full[c][0], hi) if end == 0 else (lo, full[c][1])}

    def bounds() -> list[tuple[str, int]]:
        return [(c, e) for c in limits for e in (0, 1) if limits[c][e] != full[c][e]]

    while bounds():
        qp = {b: quasi_p(x, y, limits, without(*b)) for b in bounds()}
        worst = max(qp, key=qp.get)
        if qp[worst] <= qp_max:
            break
        limits = without(*worst)
    kept = {c: v for c, v in limits.items() if v != full[c]}
    if not kept:
        return []
    qp = {c: quasi_p(x, y, kept, {k: v for k, v in kept.items() if k != c}) for c in kept}
    box = Box(kept, 0.0, 0.0, 0.0, 0, qp, method="hull")
    inside = box.contains(x)
    box.n = int(inside.sum())
    box.coverage = float((inside & y).sum() / y.sum())
    box.density = float((inside & y).sum() / box.n)
    box.mass = box.n / len(x)
    return [box]


def boxes_for(x: pd.DataFrame, y, *, mass_min: float = 0.05, **kwargs) -> list[Box]:
    """PRIM's boxes (:func:`find_boxes`) when the outcome has at least as many cases as
    PRIM's smallest box (``mass_min`` of the points, at least 5), else the hull of its cases
    (:func:`hull_box`)."""
    y = np.asarray(y, dtype=bool)
    if y.sum() >= max(5, math.ceil(mass_min * len(y))):
        return find_boxes(x, y, mass_min=mass_min, **kwargs)
    return hull_box(x, y, qp_max=kwargs.get("qp_max", 0.05))


def restrictions(box: Box, x: pd.DataFrame) -> dict[str, str]:
    """Which way the box restricts each input: ``at least`` (its low end raised above the
    data's smallest value), ``at most``, ``between``, or ``on`` / ``off`` for the platform; a
    side at the data's own extreme is no restriction."""
    out = {}
    for c, (lo, hi) in box.limits.items():
        low, high = lo > x[c].min(), hi < x[c].max()
        if c == "brands__platform_share":  # 0 or 1: a restriction keeps one of them
            if low != high:
                out[c] = "on" if low else "off"
        elif low or high:
            out[c] = "between" if low and high else "at least" if low else "at most"
    return out


def describe_box(box: Box, x: pd.DataFrame) -> str:
    """The box's restrictions in words, e.g. ``overhead is at most $120 per relationship per
    period and trust in celebrities is at least 0.080``."""
    parts = []
    for c, how in restrictions(box, x).items():
        name, fmt = LABELS.get(c, (c, "{:.3g}"))
        lo, hi = box.limits[c]
        if how in ("on", "off"):
            parts.append(f"the platform is {how}")
        elif how == "between":
            parts.append(f"{name} is between {fmt.format(lo)} and {fmt.format(hi)}")
        else:
            parts.append(f"{name} is {how} {fmt.format(lo if how == 'at least' else hi)}")
    return " and ".join(parts) if parts else "anywhere in the ranges tried"


#: Which restrictions of a resample's box count as the same as a restriction of the box.
SAME_WAY: dict[str, tuple[str, ...]] = {
    "at most": ("at most", "between"),
    "at least": ("at least", "between"),
    "between": ("at most", "at least", "between"),
    "on": ("on",),
    "off": ("off",),
}


def stability(
    x: pd.DataFrame, y, box: Box, *, resamples: int = 50, seed: int = 0, **kwargs
) -> dict[str, float]:
    """How often each restriction of ``box`` comes back when PRIM is run again on bootstrap
    resamples of the points (the first box of each, by :func:`boxes_for` with ``kwargs``):
    per restricted input, the share of ``resamples`` whose box restricts it the same way
    (:func:`restrictions`; an upper bound counts as back when the resample bounds the input
    from above, alone or from both sides, and so on: :data:`SAME_WAY`). A restriction that
    rests on a few points comes back less often (resampling to judge PRIM's boxes: Kwakkel &
    Cunningham 2016)."""
    y = np.asarray(y, dtype=bool)
    want = restrictions(box, x)
    if not want:
        return {}
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(want, 0)
    for _ in range(resamples):
        idx = rng.integers(0, len(x), len(x))
        xs = x.iloc[idx].reset_index(drop=True)
        found = boxes_for(xs, y[idx], max_boxes=1, **kwargs)
        got = restrictions(found[0], xs) if found else {}
        for c, how in want.items():
            hits[c] += got.get(c) in SAME_WAY[how]
    return {c: h / resamples for c, h in hits.items()}


def drivers(points: pd.DataFrame, factors: list[str], outcome: str = "d_sales") -> pd.DataFrame:
    """Standardized rank regression coefficients (SRRC) of ``outcome`` on the factors: the
    coefficients of a least-squares fit of the outcome's ranks on the factors' ranks, each
    scaled to unit variance (Saltelli et al. 2008, Global Sensitivity Analysis, 1.2.5; apt for
    a Latin hypercube, whose factors are uncorrelated). The sign says which way a factor moves
    the difference; ``r2`` (the same in every row) how much of the ranks' variance the fit
    explains. Sorted by absolute coefficient."""
    d = points[[*factors, outcome]].dropna()
    r = d.rank()
    z = (r - r.mean()) / r.std(ddof=0).replace(0, 1)
    X = np.column_stack([np.ones(len(z)), z[factors].to_numpy()])
    yv = z[outcome].to_numpy()
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ beta
    r2 = 1 - float(resid @ resid) / float(yv @ yv) if float(yv @ yv) else math.nan
    out = pd.DataFrame({"factor": factors, "srrc": beta[1:], "r2": r2})
    return out.reindex(out["srrc"].abs().sort_values(ascending=False).index).reset_index(drop=True)


#: What PRIM looks for, per outcome: the points where micro wins, where celebrity wins, and
#: where the race is close (neither portfolio returns twice what the other does).
CASES: dict[str, str] = {
    "micro": "micro wins",
    "celebrity": "celebrity wins",
    "close": "neither returns twice the other",
}

#: How close "close" is: the smaller return per dollar over the larger at least this.
CLOSE = 0.5


def cases(points: pd.DataFrame, outcome: str, case: str) -> np.ndarray:
    """Which points are cases of ``case`` (a key of :data:`CASES`) for ``outcome`` (a key of
    :data:`OUTCOMES`): the mean difference micro - celebrity above 0 (micro) or below 0
    (celebrity), or the smaller mean return at least :data:`CLOSE` of the larger (close)."""
    micro, celeb = (points[c].to_numpy(dtype=float) for c in OUTCOMES[outcome])
    if case == "micro":
        return micro - celeb > 0
    if case == "celebrity":
        return micro - celeb < 0
    if case == "close":
        low, high = np.minimum(micro, celeb), np.maximum(micro, celeb)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (high > 0) & (low / high >= CLOSE)
    raise ValueError(f"case {case!r}: expected one of {', '.join(CASES)}")


def sentence(case: str, box: Box, x: pd.DataFrame, k: int = 1) -> str:
    """A box as a strategist's sentence: ``micro wins at 97% of the points where overhead is
    at most $120 per relationship per period``, or ``... at 96% of all points`` for a box with no
    restriction."""
    where = describe_box(box, x)
    rest = " outside the boxes above" if k > 1 else ""
    if not box.limits:
        return f"{CASES[case]} at {box.density:.0%} of all points{rest}"
    if box.method == "hull":
        hits = round(box.density * box.n)
        return (
            f"{CASES[case]} at {hits} points only (too few for PRIM), all where {where}; "
            f"at {box.density:.0%} of the points there"
        )
    return f"{CASES[case]} at {box.density:.0%} of the points{rest} where {where}"


def box_rows(boxes: list[Box], x: pd.DataFrame, outcome: str, case: str) -> list[dict]:
    """The boxes as rows: outcome, case, box number, the sentence, coverage, density, mass,
    points, and each restricted input's limits and quasi-p-value."""
    rows = []
    for k, b in enumerate(boxes, 1):
        rows.append(
            {
                "outcome": outcome,
                "case": case,
                "box": k,
                "sentence": sentence(case, b, x, k),
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "points": b.n,
                "method": b.method,
                "limits": {c: list(v) for c, v in b.limits.items()},
                "qp": b.qp,
                "stability": b.stability,
                "least_stable": min(b.stability.values()) if b.stability else math.nan,
            }
        )
    return rows


# -- analysis -----------------------------------------------------------------------------


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Boxes, drivers, the phase diagram and the tables of the finished sweep; returns the
    headline numbers."""
    folder = sweeps["sweep"]
    man = read_manifest(folder)
    factors = list(man["factor_columns"])
    runs = pd.read_parquet(folder / "runs.parquet")
    runs = runs[runs["status"] == "ok"]
    d = run_differences(runs)
    save_table(d.drop(columns=["status", "error"], errors="ignore"), out, "runs")
    money = read_table(folder, "by_strategy")
    save_table(money, out, "spend_by_strategy")
    pts = point_table(runs, factors)
    numbers: dict = {
        "points": len(pts),
        "runs": len(runs),
        "runs_without_return": int(d["d_sales"].isna().sum()),
    }
    boxes_all = []
    for outcome in OUTCOMES:
        col = f"d_{outcome}"
        pts[f"winner_{outcome}"] = np.where(pts[col] > 0, "micro", "celebrity")
        have = pts[pts[col].notna()]
        x = have[factors]
        share = {}
        for case in CASES:
            y = cases(have, outcome, case)
            share[case] = float(y.mean()) if len(y) else math.nan
            found = boxes_for(x, y)
            if found:  # the first box: does it hold up when the points are resampled?
                found[0].stability = stability(x, y, found[0], seed=int(man["root_seed"]))
            boxes_all += box_rows(found, x, outcome, case)
        numbers[f"{outcome}_share"] = share
        numbers[f"{outcome}_points"] = len(have)
        numbers[f"{outcome}_means"] = {
            side: float(have[c].mean()) for side, c in zip(SIDES, OUTCOMES[outcome], strict=True)
        }
        numbers[f"{outcome}_mean_difference"] = float(have[col].mean())
        numbers[f"{outcome}_drivers"] = drivers(have, factors, col).to_dict(orient="records")
    numbers["boxes"] = boxes_all
    numbers["agree"] = float(pts["agree"].mean())
    save_table(pts, out, "points")
    save_table(pd.DataFrame(boxes_all), out, "boxes")
    numbers["money"] = (
        money.groupby("strategy")[["budget_spent", "overhead_share", "deals_per_brand"]]
        .mean()
        .to_dict(orient="index")
    )
    numbers["phase_axes"] = phase_diagram(pts, factors, man, out, boxes_all)
    return numbers


def phase_diagram(
    pts: pd.DataFrame, factors: list[str], man: dict, out: Path, boxes: list[dict]
) -> list[str]:
    """The phase diagram over the two continuous inputs that drive the sales difference most
    (largest |SRRC|): per panel (sales, EMV), the binned mean difference micro - celebrity
    (red where celebrity wins, green where micro does), its zero contour where the bins
    cross zero, the design points coloured by winner, and the boxes that restrict these two
    inputs, projected (dashed). Returns the two axes' columns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm

    from simulation.plots import STRATEGY_COLORS, plain_log_axis

    spec = {column_name(k): v for k, v in man["sweep"]["factors"].items()}
    continuous = [c for c in factors if spec[c]["values"] is None]
    rank = drivers(pts, factors, "d_sales")
    cx, cy = [c for c in rank["factor"] if c in continuous][:2]
    cmap = LinearSegmentedColormap.from_list(
        "celebrity_micro", [STRATEGY_COLORS["celebrity"], "#f7f7f7", STRATEGY_COLORS["micro"]]
    )
    case_color = {**STRATEGY_COLORS, "close": "0.25"}
    nb = 5

    def edges(c: str) -> np.ndarray:
        lo, hi = spec[c]["low"], spec[c]["high"]
        return np.geomspace(lo, hi, nb + 1) if spec[c]["log"] else np.linspace(lo, hi, nb + 1)

    def centres(c: str, e: np.ndarray) -> np.ndarray:
        return np.sqrt(e[:-1] * e[1:]) if spec[c]["log"] else (e[:-1] + e[1:]) / 2

    ex, ey = edges(cx), edges(cy)
    fig, panels = plt.subplots(1, 2, figsize=(12.5, 5.2))
    titles = (
        "sales value per $: micro - celebrity",
        "EMV per $ of influencer spend: micro - celebrity",
    )
    for ax, outcome, title in zip(panels, OUTCOMES, titles, strict=True):
        col = f"d_{outcome}"
        have = pts[pts[col].notna()]
        ix = np.clip(np.searchsorted(ex, have[cx], side="right") - 1, 0, nb - 1)
        iy = np.clip(np.searchsorted(ey, have[cy], side="right") - 1, 0, nb - 1)
        grid = np.full((nb, nb), np.nan)
        for i in range(nb):
            for j in range(nb):
                sel = (ix == i) & (iy == j)
                if sel.any():
                    grid[j, i] = have.loc[sel, col].mean()
        span = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
        mesh = ax.pcolormesh(ex, ey, grid, cmap=cmap, norm=TwoSlopeNorm(0.0, -span, span))
        fig.colorbar(mesh, ax=ax, label=f"mean difference in {nb}x{nb} bins (\\$ per \\$)")
        if np.nanmin(grid) < 0 < np.nanmax(grid):
            filled = np.where(np.isnan(grid), np.nanmean(grid), grid)
            ax.contour(centres(cx, ex), centres(cy, ey), filled, [0.0], colors="0.1")
            title += " (black: zero)"
        else:
            title += f"\n(no zero contour: {'micro' if np.nanmin(grid) > 0 else 'celebrity'}"
            title += " ahead in every bin)"
        for side in SIDES:
            sel = have[f"winner_{outcome}"] == side
            ax.scatter(
                have.loc[sel, cx],
                have.loc[sel, cy],
                s=18,
                color=STRATEGY_COLORS[side],
                edgecolor="0.1",
                linewidth=0.4,
                label=f"{side} wins ({int(sel.sum())})",
            )
        for b in boxes:
            lim = b["limits"]
            if b["outcome"] != outcome or not ({cx, cy} & set(lim)):
                continue
            x0, x1 = lim.get(cx, (ex[0], ex[-1]))
            y0, y1 = lim.get(cy, (ey[0], ey[-1]))
            ax.add_patch(
                matplotlib.patches.Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    ls="--",
                    lw=1.5,
                    edgecolor=case_color[b["case"]],
                    label=f"box: {CASES[b['case']]} (density {b['density']:.2f})",
                )
            )
        if spec[cx]["log"]:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        if spec[cy]["log"]:
            plain_log_axis(ax)
        ax.set_xlim(ex[0], ex[-1])
        ax.set_ylim(ey[0], ey[-1])
        ax.set_xlabel(f"{LABELS[cx][0]} ({cx.replace('__', '.')})")
        ax.set_ylabel(f"{LABELS[cy][0]} ({cy.replace('__', '.')})")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    n = int(pts["replicates"].max()) if len(pts) else 0
    fig.suptitle(
        f"Who wins, over the two inputs that move the sales difference most ({len(pts)} design "
        f"points, mean of {n} replicates each; the other six inputs vary across their ranges)",
        fontsize=10,
    )
    save_figure(fig, out, "phase_diagram")
    return [cx, cy]


def headline(numbers: dict) -> list[str]:
    """The boxes in words, with coverage and density, for the terminal."""
    lines = []
    for outcome, what in (("sales", "sales per $"), ("emv", "EMV per $")):
        share = numbers[f"{outcome}_share"]
        lines.append(
            f"{what}: micro wins at {share['micro']:.0%} of {numbers['points']} design points, "
            f"celebrity at {share['celebrity']:.0%}; neither returns twice the other at "
            f"{share['close']:.0%}"
        )
        for b in numbers["boxes"]:
            if b["outcome"] == outcome:
                held = b.get("least_stable")
                held = "" if held is None or held != held else f", comes back in {held:.0%}"
                lines.append(
                    f"  {b['sentence']} (coverage {b['coverage']:.2f}, density "
                    f"{b['density']:.2f}{held})"
                )
    return lines


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/less_is_more/ -> name in docs/figures.
RESULTS_FIGURES = {"phase_diagram.png": "less_is_more.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import cite, num, table

    n = summary["results"]

    def wins(outcome: str) -> str:
        share, points = n[f"{outcome}_share"], n[f"{outcome}_points"]
        micro = round(share["micro"] * points)
        celeb = round(share["celebrity"] * points)
        means = n[f"{outcome}_means"]
        leader = "micro" if micro > celeb else "celebrity"
        return (
            f"{leader} portfolios return more in {max(micro, celeb)} of {points} markets "
            f"(micro ${num(means['micro'])} against celebrity ${num(means['celebrity'])} per "
            f"dollar on average; the other wins {min(micro, celeb)})"
        )

    box_rows = [
        [
            "sales per $" if b["outcome"] == "sales" else "EMV per $",
            b["sentence"],
            num(b["coverage"]),
            num(b["density"]),
            "-"
            if b.get("least_stable") is None
            else num(b["least_stable"], ".0%").replace("none", "-"),
        ]
        for b in n["boxes"]
    ]
    drivers = sorted(n["sales_drivers"], key=lambda d: -abs(d["srrc"]))
    emv = {d["factor"]: d["srrc"] for d in n["emv_drivers"]}
    driver_rows = [
        [LABELS[d["factor"]][0], f"{d['srrc']:+.2f}", f"{emv.get(d['factor'], math.nan):+.2f}"]
        for d in drivers
    ]
    r2 = drivers[0]["r2"] if drivers else math.nan
    r2_emv = n["emv_drivers"][0]["r2"] if n["emv_drivers"] else math.nan
    prim = cite("friedman-1999", "Friedman & Fisher 1999")
    return f"""## When is less more? The map of micro against celebrity

![who wins over the two inputs that move the answer most](figures/less_is_more.png)

`influencer-sim experiment less_is_more` (`results/less_is_more/phase_diagram.png`). A Latin
hypercube of {n["points"]} markets ({summary["replications"]} replicates each, common seeds,
{scenario["population"]["n_followers"]:,} followers, {summary["steps"]} days) over the price
curve's exponent, trust in small accounts and in celebrities, overhead per relationship, the
platform (off or on), how niche the product is, crowding and the sponsored cap, with brands
made to buy as in `strategy_returns`. PRIM ({prim}) looks for the boxes where each portfolio
wins.

- **On sales**, {wins("sales")}.
- **On attention (EMV)**, {wins("emv")}.
- The replicates agree on the sales winner at {num(n["agree"], ".0%")} of the points.

The boxes (coverage: the share of the outcome's cases inside the box; density: the share of
the points inside the box that are cases; "comes back": how often its restrictions reappear on
resampled points):

{table(["outcome", "box", "coverage", "density", "comes back"], box_rows)}

What sets the difference micro - celebrity (standardized rank regression coefficients;
R² {num(r2)} for sales, {num(r2_emv)} for EMV; the sign says which way an input moves micro's
lead):

{table(["input", "sales", "EMV"], driver_rows)}

Brands made to buy (hurdle 0, fixed split) are not how brands buy at the defaults; ranges
beyond the sources are there to find where the answer turns. Method and caveats:
`experiments/less_is_more/README.md`."""
