"""Turn a sweep folder into tables, sensitivity indices and plots.

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
- ``plots/``: each outcome against each factor with 95% bands, a heatmap over the first two
  factors (grid designs), and bar charts of the sensitivity indices.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .design import design_seed
from .spec import SweepError
from .store import read_manifest

__all__ = ["analyze", "point_stats", "sensitivity"]


def point_stats(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Long table: one row per (point, outcome) with n, mean, std and the 95% CI."""
    from scipy import stats

    ok = runs[runs["status"] == "ok"]
    frames = []
    firsts = runs.groupby("point", sort=True)[factors].first()
    for name in outcomes:
        g = ok.groupby("point", sort=True)[name]
        df = pd.DataFrame({"n": g.count(), "mean": g.mean(), "std": g.std(ddof=1)})
        df = df.reindex(firsts.index)
        df["n"] = df["n"].fillna(0).astype(np.int64)
        n = df["n"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
            half = t * df["std"].to_numpy() / np.sqrt(n)
        df["ci_low"] = df["mean"] - half
        df["ci_high"] = df["mean"] + half
        df.insert(0, "outcome", name)
        frames.append(firsts.join(df).reset_index())
    out = pd.concat(frames, ignore_index=True)
    cols = ["point", *factors, "outcome", "n", "mean", "std", "ci_low", "ci_high"]
    return out[cols]


def sensitivity(
    man: dict, design: pd.DataFrame, stats_: pd.DataFrame
) -> tuple[pd.DataFrame | None, list[str]]:
    """Sobol or Morris indices per outcome and factor; also notes on outcomes left out."""
    kind = man["design"]["kind"]
    if kind not in ("sobol", "morris"):
        return None, []
    factors = man["factors"]
    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    seed = design_seed(man["root_seed"])
    rows, notes = [], []
    for name in man["outcomes"]:
        y = stats_[stats_["outcome"] == name].sort_values("point")["mean"].to_numpy(dtype=float)
        if len(y) != len(design) or not np.isfinite(y).all():
            notes.append(f"{name}: left out of the sensitivity analysis (missing or NaN values)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{name}: constant over the design; no sensitivity to estimate")
            continue
        if kind == "sobol":
            from SALib.analyze import sobol

            so = bool(man["design"].get("second_order"))
            with np.errstate(all="ignore"):
                res = sobol.analyze(problem, y, calc_second_order=so, seed=seed)
            for j, f in enumerate(factors):
                rows.append(
                    {
                        "outcome": name,
                        "factor": f,
                        "S1": res["S1"][j],
                        "S1_conf": res["S1_conf"][j],
                        "ST": res["ST"][j],
                        "ST_conf": res["ST_conf"][j],
                    }
                )
        else:
            from SALib.analyze import morris

            x = design[[f"unit:{f}" for f in factors]].to_numpy(dtype=float)
            res = morris.analyze(problem, x, y, num_levels=int(man["design"]["levels"]), seed=seed)
            for j, f in enumerate(factors):
                rows.append(
                    {
                        "outcome": name,
                        "factor": f,
                        "mu": float(res["mu"][j]),
                        "mu_star": float(res["mu_star"][j]),
                        "sigma": float(res["sigma"][j]),
                        "mu_star_conf": float(res["mu_star_conf"][j]),
                    }
                )
    return (pd.DataFrame(rows) if rows else None), notes


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def analyze(out: str | Path, plots: bool = True) -> dict:
    """Write the analysis tables and plots into the sweep folder; returns what was written."""
    out = Path(out)
    man = read_manifest(out)
    runs_path = out / "runs.parquet"
    if not runs_path.is_file():
        raise SweepError(f"{out}: no runs.parquet yet; run the sweep (or --resume it) first")
    runs = pd.read_parquet(runs_path)
    design = pd.read_parquet(out / "design.parquet")
    factors, outcomes = man["factors"], man["outcomes"]
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
    st.to_parquet(out / "point_stats.parquet", index=False)
    st.to_csv(out / "point_stats.csv", index=False)
    written += ["point_stats.parquet", "point_stats.csv"]
    sens, more = sensitivity(man, design, st)
    notes += more
    if sens is not None:
        sens.to_parquet(out / "sensitivity.parquet", index=False)
        sens.to_csv(out / "sensitivity.csv", index=False)
        written += ["sensitivity.parquet", "sensitivity.csv"]
    if plots and outcomes:
        written += _plots(out, man, st, sens)
    (out / "analysis.json").write_text(
        json.dumps({"files": written, "notes": notes}, indent=2) + "\n", encoding="utf-8"
    )
    return {"files": written, "notes": notes, "stats": st, "sensitivity": sens}


def _plots(out: Path, man: dict, st: pd.DataFrame, sens: pd.DataFrame | None) -> list[str]:
    # Figure objects without pyplot: no global backend or figure registry is touched.
    from matplotlib.figure import Figure

    def subplots(nrows=1, ncols=1, figsize=(6, 4), squeeze=True):
        fig = Figure(figsize=figsize)
        return fig, fig.subplots(nrows, ncols, squeeze=squeeze)

    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    factors = man["factors"]
    grid = man["design"]["kind"] == "grid"
    files = []
    for name in man["outcomes"]:
        d = st[st["outcome"] == name]
        # outcome against each factor, with 95% bands
        fig, axes = subplots(1, len(factors), figsize=(4.2 * len(factors), 3.4), squeeze=False)
        for ax, f in zip(axes[0], factors, strict=True):
            numeric = pd.api.types.is_numeric_dtype(d[f]) and not pd.api.types.is_bool_dtype(d[f])
            if grid and len(factors) == 2 and numeric:
                other = factors[1] if f == factors[0] else factors[0]
                levels = sorted(d[other].unique())
                if len(levels) <= 8:
                    for lv in levels:
                        s = d[d[other] == lv].sort_values(f)
                        ax.plot(
                            s[f],
                            s["mean"],
                            marker="o",
                            label=f"{other}={lv:g}"
                            if isinstance(lv, (int, float))
                            else f"{other}={lv}",
                        )
                        ax.fill_between(s[f], s["ci_low"], s["ci_high"], alpha=0.2)
                    ax.legend(fontsize=7)
            elif grid and numeric:
                m = d.groupby(f)["mean"].agg(["mean", "std", "count"]).reset_index()
                half = 1.96 * m["std"] / np.sqrt(m["count"])
                ax.plot(m[f], m["mean"], marker="o")
                ax.fill_between(m[f], m["mean"] - half, m["mean"] + half, alpha=0.25)
            elif numeric:
                ax.errorbar(
                    d[f],
                    d["mean"],
                    yerr=[d["mean"] - d["ci_low"], d["ci_high"] - d["mean"]],
                    fmt="o",
                    ms=3,
                    alpha=0.6,
                    elinewidth=0.8,
                )
            else:
                m = d.groupby(f)["mean"].mean()
                ax.bar([str(i) for i in m.index], m.to_numpy())
            ax.set_xlabel(f)
            ax.set_ylabel(name)
        fig.suptitle(f"{name}: mean and 95% CI across replications", fontsize=10)
        fig.tight_layout()
        fn = f"plots/{_safe(name)}_by_factor.png"
        fig.savefig(out / fn, dpi=110)
        files.append(fn)
        # heatmap over the first two factors
        if grid and len(factors) >= 2:
            a, b = factors[0], factors[1]
            h = d.groupby([b, a])["mean"].mean().unstack(a)
            fig, ax = subplots(figsize=(5.5, 4.2))
            im = ax.imshow(h.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(
                range(h.shape[1]),
                [f"{v:g}" if isinstance(v, float) else str(v) for v in h.columns],
                rotation=45,
            )
            ax.set_yticks(
                range(h.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in h.index]
            )
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            fig.colorbar(im, ax=ax, label=f"mean {name}")
            ax.set_title(name, fontsize=10)
            fig.tight_layout()
            fn = f"plots/{_safe(name)}_heatmap.png"
            fig.savefig(out / fn, dpi=110)
            files.append(fn)
    if sens is not None and len(sens):
        names = list(dict.fromkeys(sens["outcome"]))
        fig, axes = subplots(len(names), 1, figsize=(7, 2.8 * len(names)), squeeze=False)
        for ax, name in zip(axes[:, 0], names, strict=True):
            s = sens[sens["outcome"] == name]
            x = np.arange(len(s))
            if "S1" in s:
                ax.bar(x - 0.2, s["S1"], 0.4, yerr=s["S1_conf"], label="first order S1")
                ax.bar(x + 0.2, s["ST"], 0.4, yerr=s["ST_conf"], label="total order ST")
                ax.set_ylabel("Sobol index")
            else:
                ax.bar(x - 0.2, s["mu_star"], 0.4, yerr=s["mu_star_conf"], label="mu*")
                ax.bar(x + 0.2, s["sigma"], 0.4, label="sigma")
                ax.set_ylabel("Morris effect")
            ax.set_xticks(x, s["factor"], rotation=20, fontsize=8)
            ax.set_title(name, fontsize=10)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fn = "plots/sensitivity.png"
        fig.savefig(out / fn, dpi=110)
        files.append(fn)
    return files
