"""Turn a sweep folder into tables, sensitivity indices, diagnostics and plots.

``analyze(DIR)`` reads ``runs.parquet``, ``design.parquet`` and ``manifest.json`` (not the
sweep file, which may have moved) and writes into ``DIR``:

- ``point_stats.parquet`` / ``.csv``: per design point and outcome, the number of successful
  replicates, mean, standard deviation and 95% confidence interval of the mean
  (``mean ± t(0.975, n-1) · sd / sqrt(n)``, Student's t; NaN with fewer than two).
- ``sensitivity.parquet`` / ``.csv`` when the design was made for it: Sobol first and total
  order indices (Saltelli 2002; Jansen 1999; SALib ``sobol.analyze``) or Morris ``mu``,
  ``mu*`` and ``sigma`` (Morris 1991; Campolongo et al. 2007; SALib ``morris.analyze``),
  computed on the replicate means of each point; Morris effects are per unit of each
  factor's normalized range.
- ``diagnostics.parquet`` / ``.csv``: per outcome, the share of variance that is seed noise
  (:func:`~.diagnostics.seed_noise`) and whether the means and indices have settled, by the
  rules of :mod:`.diagnostics`, with the reason.
- ``convergence.parquet`` / ``.csv``: how each outcome's grand mean and interval move as
  replications grow, and each index as N (the base sample) and replications grow.
- ``plots/``: each outcome against each factor with 95% bands, a heatmap over the first two
  factors with its values written in the cells (grid designs), bar charts of the sensitivity
  indices, and one convergence figure per outcome. Factors are labelled by their meaning and
  unit from the parameter table (:func:`parameter_label`), outcomes by their name and
  declared unit (``simulation.outputs``); an outcome of one tier or brand strategy is drawn
  in its colour (``simulation.plots``).
- ``analysis.json``: the files, warnings (in words) and notes.

``days`` adds, for each kept series column, its value at each of those steps as an outcome
(``<column>_day<step>``), so the sensitivity of a time series at chosen days comes out of the
same tables.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import parameter_rows
from ..outputs import unit_of
from ..plots import STRATEGY_COLORS, TIER_COLORS, tex_safe
from ..vocabulary import STRATEGIES, TIERS
from . import diagnostics as dg
from .design import design_seed, unit_column
from .spec import SweepError
from .store import read_manifest

__all__ = [
    "analyze",
    "mean_ci",
    "outcome_label",
    "outcome_matrix",
    "parameter_label",
    "point_stats",
    "sensitivity",
    "summarise",
    "summarise_wide",
    "t_half_width",
]


def t_half_width(std, n, level: float = 0.95):
    """Half-width of the ``level`` confidence interval of a mean from ``n`` values with
    standard deviation ``std`` (Student's t: ``t((1 + level) / 2, n - 1) · std / sqrt(n)``);
    NaN with fewer than two values. The one interval of every table and experiment."""
    from scipy import stats

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        return t * np.asarray(std, dtype=float) / np.sqrt(n)


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (NaN ignored) and its ``level`` interval (:func:`t_half_width`);
    with one value the interval is the value itself."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan,) * 3
    m = float(x.mean())
    if x.size == 1:
        return m, m, m
    half = float(t_half_width(x.std(ddof=1), x.size, level))
    return m, m - half, m + half


def summarise(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, 95% interval and count of ``value`` over replications, per group of ``by``:
    columns ``*by, mean, ci_low, ci_high, n``."""
    rows = []
    for key, g in df.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        m, lo, hi = mean_ci(g[value])
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(g[value].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


def summarise_wide(df: pd.DataFrame, by: list[str], values, keep_n: bool = False) -> pd.DataFrame:
    """:func:`summarise` of several ``values`` side by side: per group of ``by``, columns
    ``<value>``, ``<value>_lo`` and ``<value>_hi`` for each (and ``n``, of the first, with
    ``keep_n``)."""
    table = None
    for i, v in enumerate(values):
        s = summarise(df, by, v).rename(
            columns={"mean": v, "ci_low": f"{v}_lo", "ci_high": f"{v}_hi"}
        )
        if not (keep_n and i == 0):
            s = s.drop(columns="n")
        table = s if table is None else table.merge(s, on=by)
    return table


def point_stats(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Long table: one row per (point, outcome) with n, mean, std and the 95% CI.

    ``factors`` are the factor columns of ``runs``."""
    ok = runs[runs["status"] == "ok"]
    frames = []
    firsts = runs.groupby("point", sort=True)[factors].first()
    for name in outcomes:
        g = ok.groupby("point", sort=True)[name]
        df = pd.DataFrame({"n": g.count(), "mean": g.mean(), "std": g.std(ddof=1)})
        df = df.reindex(firsts.index)
        df["n"] = df["n"].fillna(0).astype(np.int64)
        half = t_half_width(df["std"].to_numpy(), df["n"].to_numpy())
        df["ci_low"] = df["mean"] - half
        df["ci_high"] = df["mean"] + half
        df.insert(0, "outcome", name)
        frames.append(firsts.join(df).reset_index())
    out = pd.concat(frames, ignore_index=True)
    cols = ["point", *factors, "outcome", "n", "mean", "std", "ci_low", "ci_high"]
    return out[cols]


def outcome_matrix(runs: pd.DataFrame, name: str, n_points: int, reps: int) -> np.ndarray:
    """``[point, replicate]`` values of one outcome; NaN for failed or missing runs."""
    y = np.full((n_points, reps), np.nan)
    ok = runs[(runs["status"] == "ok") & (runs["replicate"] < reps)]
    y[ok["point"].to_numpy(), ok["replicate"].to_numpy()] = ok[name].to_numpy(dtype=float)
    return y


def _indices(man: dict, design: pd.DataFrame, y: np.ndarray, n: int | None = None):
    """Indices of one outcome from its point means ``y`` (on the first n base samples or
    trajectories, or all)."""
    kind = man["design"]["kind"]
    factors = man["factors"]
    seed = design_seed(man["root_seed"])
    if kind == "sobol":
        so = bool(man["design"].get("second_order"))
        return dg.sobol_indices(y, factors, so, seed, n)
    x = design[[unit_column(f) for f in factors]].to_numpy(dtype=float)
    return dg.morris_indices(x, y, factors, int(man["design"]["levels"]), seed, n)


def sensitivity(
    man: dict, design: pd.DataFrame, stats_: pd.DataFrame
) -> tuple[pd.DataFrame | None, list[str]]:
    """Sobol or Morris indices per outcome and factor; also notes on outcomes left out."""
    kind = man["design"]["kind"]
    if kind not in ("sobol", "morris"):
        return None, []
    frames, notes = [], []
    for name in man["outcomes"]:
        y = stats_[stats_["outcome"] == name].sort_values("point")["mean"].to_numpy(dtype=float)
        why = _unusable(name, y, len(design))
        if why:
            notes.append(why)
            continue
        idx = _indices(man, design, y)
        idx.insert(0, "outcome", name)
        frames.append(idx)
    return (pd.concat(frames, ignore_index=True) if frames else None), notes


def _unusable(name: str, y: np.ndarray, n_points: int) -> str | None:
    if len(y) != n_points or not np.isfinite(y).all():
        return f"{name}: left out of the sensitivity analysis (missing or NaN values)"
    if np.ptp(y) == 0:
        return f"{name}: constant over the design; no sensitivity to estimate"
    return None


def _base_size(man: dict, n_points: int) -> int:
    """N: Sobol base samples, or Morris trajectories, of the whole design."""
    d = len(man["factors"])
    if man["design"]["kind"] == "sobol":
        block = 2 * d + 2 if man["design"].get("second_order") else d + 2
        return n_points // block
    return n_points // (d + 1)


def _long(idx: pd.DataFrame, kind: str) -> list[tuple[str, str, float, float]]:
    """(quantity, factor, value, conf) rows of an index table."""
    if kind == "sobol":
        cols = [("S1", "S1_conf"), ("ST", "ST_conf")]
    else:
        cols = [("mu_star", "mu_star_conf")]
    rows = []
    for r in idx.itertuples():
        for c, conf in cols:
            rows.append((c, r.factor, float(getattr(r, c)), float(getattr(r, conf))))
    return rows


def _row_means(y: np.ndarray) -> np.ndarray:
    """Mean of each row over its finite values (NaN for a row with none)."""
    n = np.isfinite(y).sum(axis=1)
    total = np.where(np.isfinite(y), y, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(len(y), np.nan), where=n > 0)


def _diagnose(man: dict, design: pd.DataFrame, runs: pd.DataFrame, outcomes: list[str]):
    """Seed noise, convergence and settledness of every outcome; plus warnings."""
    n_points = len(design)
    reps = int(man["replications"])
    common = man.get("seeds") == "common"
    kind = man["design"]["kind"]
    sens_design = kind in ("sobol", "morris")
    n_base = _base_size(man, n_points) if sens_design else None
    rep_sched = dg.replication_schedule(reps)
    diag_rows, conv_rows, warns = [], [], []
    if reps < 2:
        warns.append(
            "one replication per point: the share of seed noise cannot be estimated and "
            "neither can the means' intervals; use replications >= 2"
        )
    for name in outcomes:
        y = outcome_matrix(runs, name, n_points, reps)
        row: dict = {"outcome": name}
        noise = dg.seed_noise(y, common)
        row["seed_share_of_runs"] = noise["run_share"] if noise else math.nan
        row["seed_share_of_means"] = noise["mean_share"] if noise else math.nan
        row["replications_for_5pct_noise"] = noise["replications_for_5pct"] if noise else math.nan
        if noise and noise["mean_share"] > dg.NOISE_TOL:
            need = noise["replications_for_5pct"]
            more = (
                f"about {int(need)} replications would bring it to 5%"
                if math.isfinite(need)
                else "the point means vary no more than the noise does"
            )
            warns.append(
                f"{name}: seed noise is {noise['mean_share']:.0%} of the variance of the point "
                f"means (over {dg.NOISE_TOL:.0%}; {noise['run_share']:.0%} of a single run's "
                "variance); the indices decompose that variance and count the noise as factor "
                f"effects; {more}"
            )
        mc = dg.mean_convergence(y, rep_sched)
        for r in mc.itertuples():
            conv_rows.append((name, "replications", r.r, "mean", "", r.mean, r.ci_half))
        diff, level, why = dg.settled_means(mc, noise, n_points)
        row["differences_settled"], row["level_settled"] = diff, level
        row["means_settled"] = bool(level and diff is not False)
        row["means_reason"] = why
        row["indices_settled"], row["indices_reason"] = None, ""
        row["screening_settled"], row["screening_reason"], row["factors_that_matter"] = (
            None,
            "",
            "",
        )
        if sens_design:
            means = _row_means(y)
            if _unusable(name, means, n_points):
                diag_rows.append(row)
                continue
            full = _indices(man, design, means)
            warns += dg.index_warnings(name, full, kind, n_base)
            by_n = {}
            for n in dg.sample_schedule(n_base):
                by_n[n] = full if n == n_base else _indices(man, design, means, n)
                for q, f, v, c in _long(by_n[n], kind):
                    conv_rows.append((name, "N", n, q, f, v, c))
            half_n = by_n.get(n_base // 2)
            ok_n, why_n = dg.settled_indices(full, half_n, kind, "N", n=n_base)
            ok_r, why_r = False, "one replication: seed noise unknown"
            half_r = None
            if reps > 1:
                by_r = {}
                for r in rep_sched:
                    m = _row_means(y[:, :r])
                    if _unusable(name, m, n_points):
                        continue
                    by_r[r] = full if r == reps else _indices(man, design, m)
                    for q, f, v, c in _long(by_r[r], kind):
                        conv_rows.append((name, "replications", r, q, f, v, c))
                half_r = by_r.get(math.ceil(reps / 2))
                ok_r, why_r = dg.settled_indices(full, half_r, kind, "replications", width=False)
            # noise in the point means inflates every total-order index: neither verdict
            # stands while it is large
            noisy = noise is not None and noise["mean_share"] > dg.NOISE_TOL
            why_noise = ""
            if noisy:
                why_noise = f"seed noise {noise['mean_share']:.0%} > {dg.NOISE_TOL:.0%}"
            row["indices_settled"] = bool(ok_n and ok_r and not noisy)
            row["indices_reason"] = "; ".join(x for x in (why_n, why_r, why_noise) if x)
            halves = [h for h in (half_n, half_r) if h is not None]
            ok_s, why_s, matter = dg.settled_screening(full, halves, kind)
            if reps < 2:
                ok_s, why_s = False, f"{why_s}; one replication: seed noise unknown"
            elif noisy:
                ok_s, why_s = False, f"{why_s}; {why_noise}"
            row["screening_settled"], row["screening_reason"] = bool(ok_s), why_s
            row["factors_that_matter"] = ", ".join(matter)
        diag_rows.append(row)
    diag = pd.DataFrame(diag_rows)
    conv = pd.DataFrame(
        conv_rows, columns=["outcome", "axis", "size", "quantity", "factor", "value", "conf"]
    )
    return diag, conv, warns


def _day_outcomes(out: Path, man: dict, runs: pd.DataFrame, days: list[int]) -> list[str]:
    """Add ``<column>_day<step>`` outcomes to ``runs`` from the kept series."""
    import pyarrow.dataset as ds

    cols = list(man.get("series") or [])
    if not cols or not (out / "series").is_dir():
        raise SweepError(
            "--days: the sweep kept no series; set outcomes.series in the sweep file "
            "(or use outcomes.at for values at chosen steps)"
        )
    steps = int(man["sweep"]["steps"])
    bad = [d for d in days if not 1 <= d <= steps]
    if bad:
        raise SweepError(f"--days: {bad[0]} is out of range; allowed [1, {steps}]")
    t = ds.dataset(out / "series", format="parquet", partitioning="hive").to_table(
        columns=["point", "replicate", "step", *cols], filter=ds.field("step").isin(days)
    )
    s = t.to_pandas()
    s["point"] = s["point"].astype(np.int64)
    wide = s.pivot_table(index=["point", "replicate"], columns="step", values=cols)
    names = []
    for c in cols:
        for d in days:
            name = f"{c}_day{d}"
            v = wide[(c, d)] if (c, d) in wide.columns else pd.Series(dtype=float)
            runs[name] = pd.MultiIndex.from_frame(runs[["point", "replicate"]]).map(v.to_dict())
            runs[name] = runs[name].astype(float)
            names.append(name)
    return names


def analyze(out: str | Path, plots: bool = True, days: list[int] | None = None) -> dict:
    """Write the analysis tables and plots into the sweep folder; returns what was written:
    ``files``, ``notes``, ``warnings``, ``stats``, ``sensitivity``, ``diagnostics``,
    ``convergence``."""
    out = Path(out)
    man = read_manifest(out)
    runs_path = out / "runs.parquet"
    if not runs_path.is_file():
        raise SweepError(f"{out}: no runs.parquet yet; run the sweep (or --resume it) first")
    runs = pd.read_parquet(runs_path)
    design = pd.read_parquet(out / "design.parquet")
    factors = man["factor_columns"]
    outcomes = list(man["outcomes"])
    if days:
        outcomes += _day_outcomes(out, man, runs, sorted(set(days)))
    man = {**man, "outcomes": outcomes}
    notes = []
    if len(runs) < man["n_runs"]:
        notes.append(
            f"incomplete sweep: {len(runs)} of {man['n_runs']} runs; finish it with --resume"
        )
    failed = int((runs["status"] == "error").sum())
    if failed:
        notes.append(f"{failed} runs failed and are left out")
    written = []
    st = point_stats(runs, factors, outcomes)
    _write(st, out, "point_stats", written)
    sens, more = sensitivity(man, design, st)
    notes += more
    if sens is not None:
        _write(sens, out, "sensitivity", written)
    diag, conv, warns = _diagnose(man, design, runs, outcomes)
    _write(diag, out, "diagnostics", written)
    _write(conv, out, "convergence", written)
    if plots and outcomes:
        written += _plots(out, man, st, sens)
        written += _convergence_plots(out, man, conv)
        if days and sens is not None:
            written += _days_plot(out, man, sens, sorted(set(days)))
    (out / "analysis.json").write_text(
        json.dumps({"files": written, "warnings": warns, "notes": notes}, indent=2) + "\n",
        encoding="utf-8",
    )
    return {
        "files": written,
        "notes": notes,
        "warnings": warns,
        "stats": st,
        "sensitivity": sens,
        "diagnostics": diag,
        "convergence": conv,
    }


# -- labels and colours -------------------------------------------------------------------

#: Lines of factors (convergence, indices by day): colours no tier, strategy or event wears.
_FACTOR_COLORS = ("#252525", "#8c6d31", "#969696", "#01665e", "#08306b", "#bcbd22")
_NEUTRAL, _LIGHT = "#252525", "#bdbdbd"


def _factor_colors(man: dict) -> dict[str, str]:
    """One colour per factor key, the same in every plot of the sweep."""
    keys = list(man["factors"])
    return {f: _FACTOR_COLORS[i % len(_FACTOR_COLORS)] for i, f in enumerate(keys)}


def _annotate(ax, im, values: np.ndarray) -> None:
    """Write each cell's value in it, dark on light cells and light on dark ones."""
    norm, cmap = im.norm, im.cmap
    for (i, j), v in np.ndenumerate(values):
        if not np.isfinite(v):
            continue
        r, g, b, _ = cmap(norm(v))
        ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color=ink)


def _drop_asides(text: str) -> str:
    """``text`` without its parenthetical asides (`` (...)``, nested ones included); a
    bracket that follows no space, as in a formula, stays."""
    out, depth = [], 0
    for i, ch in enumerate(text):
        if depth:
            depth += (ch == "(") - (ch == ")")
        elif ch == "(" and i and text[i - 1] == " ":
            depth = 1
        else:
            out.append(ch)
    return re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s{2,}", " ", "".join(out))).strip()


@cache
def _parameters() -> dict[str, dict[str, str]]:
    return {r["key"]: r for r in parameter_rows()}


def parameter_label(key: str, width: int | None = 40) -> str:
    """A factor's axis label from the parameter table: the first clause of its meaning and
    its unit (``Overhead per active influencer relationship per period
    ($/relationship/period)``), wrapped at ``width``; the key itself for an unknown one."""
    row = _parameters().get(key)
    if row is None:
        return key
    text = re.split(r"(?<=[a-z0-9)'])\.\s", row["meaning"], maxsplit=1)[0].rstrip(".")
    head, sep, tail = text.partition(": ")
    if sep and any(c in tail for c in "=*^"):  # a formula follows: keep what it is called
        text = head
    text = _drop_asides(text)
    if len(text) > 60:
        cuts = [i for i in (text.find(x, 20) for x in (": ", ", ", "; ")) if i > 0]
        text = text[: min(cuts)] if cuts else text
    text = f"{text} ({row['unit']})" if row["unit"] else text
    return textwrap.fill(text, width) if width else text


def _outcome_source(name: str, man: dict) -> tuple[str, str] | None:
    """The declared output an outcome column comes from: (column or summary key, table)."""
    if name in man.get("columns", {}) and name not in man.get("factor_columns", []):
        return man["columns"][name], "summary"
    spec = man.get("sweep", {}).get("outcomes", {})
    for c in spec.get("final", []):
        if name == f"{c}_final":
            return c, "timeseries"
    for w in spec.get("window_mean", []):
        if name == w["name"]:
            return w["column"], "timeseries"
    for a in spec.get("at", []):
        if name in (f"{a['name']}_{t}" for t in a["steps"]):
            return a["column"], "timeseries"
    for c in man.get("series", []):
        if re.fullmatch(re.escape(c) + r"_day\d+", name):
            return c, "timeseries"
    return None


def outcome_label(name: str, man: dict) -> str:
    """An outcome's axis label: its name and its declared unit (``days`` for a first step)."""
    first = {e["name"] for e in man.get("sweep", {}).get("outcomes", {}).get("first_step", [])}
    src = _outcome_source(name, man)
    unit = "day" if name in first else unit_of(*src) if src else None
    return f"{name} ({unit})" if unit else name


def _outcome_color(name: str, man: dict) -> str:
    """The colour of the tier or brand strategy an outcome is about, else a neutral one."""
    src = _outcome_source(name, man)
    base = src[0] if src else name
    for group, colors in ((TIERS, TIER_COLORS), (STRATEGIES, STRATEGY_COLORS)):
        for k in group:
            if re.search(rf"(_|\.){k}$", base):
                return colors[k]
    return _NEUTRAL


def _flabel(man: dict, column: str, width: int | None = 40) -> str:
    """Axis label of a factor column (matplotlib-safe)."""
    return tex_safe(parameter_label(man.get("columns", {}).get(column, column), width))


def _olabel(man: dict, name: str) -> str:
    """Axis label of an outcome (matplotlib-safe)."""
    return tex_safe(outcome_label(name, man))


def _value_text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _write(df: pd.DataFrame, out: Path, name: str, written: list[str]) -> None:
    df.to_parquet(out / f"{name}.parquet", index=False)
    df.to_csv(out / f"{name}.csv", index=False)
    written += [f"{name}.parquet", f"{name}.csv"]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _subplots(nrows=1, ncols=1, figsize=(6, 4), squeeze=True):
    # Figure objects without pyplot: no global backend or figure registry is touched.
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)


def _convergence_plots(out: Path, man: dict, conv: pd.DataFrame) -> list[str]:
    """Per outcome: the grand mean and its interval against replications; the indices against
    N and against replications, with their intervals."""
    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    files = []
    for name in man["outcomes"]:
        c = conv[(conv["outcome"] == name) & np.isfinite(conv["value"])]
        if c.empty:  # e.g. a first_step outcome that never happened
            continue
        panels = [("replications", "mean")] if (c["quantity"] == "mean").any() else []
        if (c["axis"] == "N").any():
            panels.append(("N", "index"))
        if ((c["axis"] == "replications") & (c["quantity"] != "mean")).any():
            panels.append(("replications", "index"))
        if not panels:
            continue
        # the factors' legend goes under the panels, where it hides no line
        rows = math.ceil(len(man["factors"]) / 3) if len(panels) > 1 else 0
        height = 3.6 + 0.55 * rows
        fig, axes = _subplots(1, len(panels), figsize=(4.6 * len(panels), height), squeeze=False)
        handles = []
        for ax, (axis, what) in zip(axes[0], panels, strict=True):
            d = c[c["axis"] == axis]
            if what == "mean":
                m = d[d["quantity"] == "mean"].sort_values("size")
                half = np.nan_to_num(m["conf"].to_numpy(dtype=float))  # none with one
                ax.errorbar(
                    m["size"],
                    m["value"],
                    yerr=half,
                    marker="o",
                    color=_outcome_color(name, man),
                    capsize=3,
                )
                ax.set_ylabel(f"mean {_olabel(man, name)}")
                ax.set_title("grand mean and its 95% interval", fontsize=8)
            else:
                d = d[d["quantity"] != "mean"]
                colors, labelled = _factor_colors(man), set()
                for (q, f), g in d.groupby(["quantity", "factor"], sort=False):
                    g = g.sort_values("size")
                    kw = {} if f in labelled else {"label": tex_safe(parameter_label(f, 30))}
                    labelled.add(f)
                    ax.plot(
                        g["size"],
                        g["value"],
                        "--" if q == "S1" else "-",
                        marker=".",
                        color=colors[f],
                        **kw,
                    )
                    ax.fill_between(
                        g["size"],
                        g["value"] - g["conf"],
                        g["value"] + g["conf"],
                        alpha=0.10,
                        color=colors[f],
                    )
                if "ST" in set(d["quantity"]):
                    ax.axhline(0, color="grey", lw=0.6, ls=":")
                    ax.axhline(1, color="grey", lw=0.6, ls=":")
                    ax.set_ylim(-0.3, 1.3)
                    ax.set_ylabel("Sobol index (ST solid, S1 dashed)")
                else:
                    ax.set_ylabel("Morris mu*")
                handles = handles or ax.get_legend_handles_labels()[0]
            ax.set_xscale("log", base=2)
            sizes = sorted(set(d["size"]))
            ax.set_xticks(sizes, [str(int(x)) for x in sizes])
            ax.minorticks_off()
            ax.set_xlabel("base sample N" if axis == "N" else "replications")
        fig.suptitle(f"{tex_safe(name)}: does it settle as the sweep grows?", fontsize=10)
        if handles:
            fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, (0.55 * rows + 0.1) / height if handles else 0, 1, 1))
        fn = f"plots/{_safe(name)}_convergence.png"
        fig.savefig(out / fn, dpi=110)
        files.append(fn)
    return files


def _days_plot(out: Path, man: dict, sens: pd.DataFrame, days: list[int]) -> list[str]:
    """Total-order index (Sobol) or mu* (Morris) of each series column against the day."""
    cols = list(man.get("series") or [])
    q = "ST" if "ST" in sens else "mu_star"
    fig, axes = _subplots(len(cols), 1, figsize=(7, 2.8 * len(cols)), squeeze=False)
    colors = _factor_colors(man)
    for ax, c in zip(axes[:, 0], cols, strict=True):
        for f in man["factors"]:
            vals = []
            for d in days:
                s = sens[(sens["outcome"] == f"{c}_day{d}") & (sens["factor"] == f)]
                vals.append(float(s[q].iloc[0]) if len(s) else math.nan)
            ax.plot(days, vals, marker="o", color=colors[f], label=tex_safe(parameter_label(f, 40)))
        unit = unit_of(c)
        ax.set_title(tex_safe(f"{c} ({unit})" if unit else c), fontsize=10)
        ax.set_xlabel("day")
        ax.set_ylabel(q)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fn = "plots/sensitivity_by_day.png"
    fig.savefig(out / fn, dpi=110)
    return [fn]


def _plots(out: Path, man: dict, st: pd.DataFrame, sens: pd.DataFrame | None) -> list[str]:
    subplots = _subplots
    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    factors = man["factor_columns"]
    grid = man["design"]["kind"] == "grid"
    files = []
    for name in man["outcomes"]:
        d = st[st["outcome"] == name]
        color = _outcome_color(name, man)
        # outcome against each factor, with 95% bands
        fig, axes = subplots(1, len(factors), figsize=(4.2 * len(factors), 3.4), squeeze=False)
        for ax, f in zip(axes[0], factors, strict=True):
            numeric = pd.api.types.is_numeric_dtype(d[f]) and not pd.api.types.is_bool_dtype(d[f])
            if grid and len(factors) == 2 and numeric:
                other = factors[1] if f == factors[0] else factors[0]
                levels = sorted(d[other].unique())
                if len(levels) <= 8:
                    # the other factor's levels in order, light to dark
                    from matplotlib import colormaps

                    shades = colormaps["cividis"](np.linspace(0.9, 0.0, len(levels)))
                    for lv, shade in zip(levels, shades, strict=True):
                        s = d[d[other] == lv].sort_values(f)
                        ax.plot(s[f], s["mean"], marker="o", color=shade, label=_value_text(lv))
                        ax.fill_between(s[f], s["ci_low"], s["ci_high"], color=shade, alpha=0.2)
                    ax.legend(fontsize=7, title=_flabel(man, other, 30), title_fontsize=7)
            elif grid and numeric:
                m = d.groupby(f)["mean"].agg(["mean", "std", "count"]).reset_index()
                half = 1.96 * m["std"] / np.sqrt(m["count"])
                ax.plot(m[f], m["mean"], marker="o", color=color)
                ax.fill_between(m[f], m["mean"] - half, m["mean"] + half, color=color, alpha=0.25)
            elif numeric:
                ax.errorbar(
                    d[f],
                    d["mean"],
                    yerr=[d["mean"] - d["ci_low"], d["ci_high"] - d["mean"]],
                    fmt="o",
                    ms=3,
                    alpha=0.6,
                    elinewidth=0.8,
                    color=color,
                )
            else:
                m = d.groupby(f)["mean"].mean()
                ax.bar([str(i) for i in m.index], m.to_numpy(), color=color)
            ax.set_xlabel(_flabel(man, f))
            ax.set_ylabel(_olabel(man, name))
        fig.suptitle(f"{tex_safe(name)}: mean and 95% CI across replications", fontsize=10)
        fig.tight_layout()
        fn = f"plots/{_safe(name)}_by_factor.png"
        fig.savefig(out / fn, dpi=110)
        files.append(fn)
        # heatmap over the first two factors
        if grid and len(factors) >= 2:
            a, b = factors[0], factors[1]
            h = d.groupby([b, a])["mean"].mean().unstack(a)
            values = h.to_numpy(dtype=float)
            fig, ax = subplots(figsize=(6.2, 4.6))
            im = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
            _annotate(ax, im, values)
            ax.set_xticks(range(h.shape[1]), [_value_text(v) for v in h.columns], rotation=45)
            ax.set_yticks(range(h.shape[0]), [_value_text(v) for v in h.index])
            ax.set_xlabel(_flabel(man, a))
            ax.set_ylabel(_flabel(man, b))
            fig.colorbar(im, ax=ax, label=f"mean {_olabel(man, name)}")
            ax.set_title(f"{tex_safe(name)}: mean over replications", fontsize=10)
            fig.tight_layout()
            fn = f"plots/{_safe(name)}_heatmap.png"
            fig.savefig(out / fn, dpi=110)
            files.append(fn)
    if sens is not None and len(sens):
        names = list(dict.fromkeys(sens["outcome"]))
        width = max(7.0, 1.7 * sens["factor"].nunique())
        fig, axes = subplots(len(names), 1, figsize=(width, 3.4 * len(names)), squeeze=False)
        for ax, name in zip(axes[:, 0], names, strict=True):
            s = sens[sens["outcome"] == name]
            x = np.arange(len(s))
            if "S1" in s:
                ax.bar(
                    x - 0.2, s["S1"], 0.4, yerr=s["S1_conf"], color=_LIGHT, label="first order S1"
                )
                ax.bar(
                    x + 0.2, s["ST"], 0.4, yerr=s["ST_conf"], color=_NEUTRAL, label="total order ST"
                )
                ax.set_ylabel("Sobol index")
            else:
                ax.bar(
                    x - 0.2, s["mu_star"], 0.4, yerr=s["mu_star_conf"], color=_NEUTRAL, label="mu*"
                )
                ax.bar(x + 0.2, s["sigma"], 0.4, color=_LIGHT, label="sigma")
                ax.set_ylabel("Morris effect")
            labels = [tex_safe(parameter_label(f, 24)) for f in s["factor"]]
            ax.set_xticks(x, labels, fontsize=7)
            ax.set_title(_olabel(man, name), fontsize=10)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fn = "plots/sensitivity.png"
        fig.savefig(out / fn, dpi=110)
        files.append(fn)
    return files
