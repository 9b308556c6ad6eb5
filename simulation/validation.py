"""The validation report: the model against the published figures, the classic models it
reduces to, and its two engines against each other.

``influencer-sim validate`` writes ``results/validation/report.md`` with its figures and
tables, and exits with status 1 if a check fails. Four parts:

1. **Published figures.** :func:`simulation.calibration.calibration_checks` on the baseline
   scenario (Markerly 2016 engagement by follower range, the micro / celebrity ratio, Klear
   prices, Experticity uptake, Tomoson EMV per dollar), on several seeds: each check's mean
   over seeds against its tolerance.
2. **Bass diffusion** (Bass 1969). ``configs/bass.toml`` (complete graph, p = 0.03,
   q = 0.38) at several population sizes: the adopted share against the discrete recursion
   ``F' = F + (p + qF)(1 - F)`` (the exact expectation for a daily step as n grows) and the
   closed form ``F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)``. The error of one run
   should shrink about as ``1/sqrt(n)``.
3. **Independent cascade** (Kempe, Kleinberg & Tardos 2003). Forests of thousands of paths
   or trees (one edge-list file), each seeded at its root, in one run: the mean reach per
   component against ``(1 - p^n) / (1 - p)`` on a path and the sum of ``p^depth`` over the
   nodes of a tree.
4. **Engines.** The vectorized engine against the reference engine (one ``Follower.step`` per
   agent, about a thousand times slower) on a tiny market over many seeds, run by the sweep
   executors (``simulation.sweep.executors``): paired differences of the run totals (the
   same seed builds the same market), tested with ``scipy.stats.ttest_rel``.

Statistical checks are sized, as networkx's, so that a false failure needs about five
standard errors.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .calibration import calibration_checks
from .config import Config, apply_overrides, config_from_dict, load_config
from .resources import configs_dir
from .runner import run
from .sweep.design import RunSpec
from .sweep.evaluate import Evaluation

__all__ = [
    "EngineRun",
    "ValidationCheck",
    "bass_closed_form",
    "bass_recursion",
    "engine_runs",
    "main",
    "paired_test",
    "validate",
]

#: Standard errors a statistical check may deviate before it fails (normal statistics).
Z_MAX = 5.0
#: Two-sided p-value below which a paired t-test of the engines (``scipy.stats.ttest_rel``)
#: fails. The engine checks use few seeds and heavy-tailed totals (word-of-mouth cascades),
#: so Student's t with n - 1 degrees of freedom, not a normal z, decides.
P_MIN = 1e-4


@dataclass(frozen=True)
class ValidationCheck:
    """One check of the report: what, the expected and measured values, pass or fail."""

    part: str
    name: str
    expected: str
    measured: str
    criterion: str
    passed: bool

    def row(self) -> dict:
        return {
            "part": self.part,
            "check": self.name,
            "expected": self.expected,
            "model": self.measured,
            "criterion": self.criterion,
            "pass": "yes" if self.passed else "**NO**",
        }


def bass_recursion(p: float, q: float, steps: int) -> np.ndarray:
    """Discrete Bass recursion ``F' = F + (p + qF)(1 - F)`` from 0, days 1..steps."""
    f, out = 0.0, []
    for _ in range(steps):
        f = f + (p + q * f) * (1 - f)
        out.append(f)
    return np.array(out)


def bass_closed_form(p: float, q: float, t) -> np.ndarray:
    """Continuous Bass curve ``(1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)`` (Bass 1969)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1 - e) / (1 + (q / p) * e)


def _scenario(name: str, overrides: dict | None = None) -> Config:
    return apply_overrides(load_config(configs_dir() / name), dict(overrides or {}))


# --------------------------------------------------------------------------------------
# 1. published figures


def calibration_part(seeds: list[int], quick: bool) -> tuple[pd.DataFrame, list]:
    """Calibration checks of the baseline on each seed; the check is on their mean."""
    over = {"population.n_followers": 20_000, "run.steps": 365} if quick else {}
    cfg = _scenario("baseline.toml", over)
    rows = []
    for s in seeds:
        for c in calibration_checks(run(cfg, seed=s)):
            rows.append({"seed": s, **c.row(), "low": c.low, "high": c.high})
    df = pd.DataFrame(rows)
    checks = []
    for name, g in df.groupby("check", sort=False):
        m = float(g["model"].mean())
        lo, hi = float(g["low"].iloc[0]), float(g["high"].iloc[0])
        sd = float(g["model"].std(ddof=1)) if len(g) > 1 else float("nan")
        checks.append(
            ValidationCheck(
                "published figures",
                name,
                f"{g['published'].iloc[0]} ({g['source'].iloc[0]})",
                f"{_fmt(m)}" + (f" (sd {_fmt(sd)} over {len(g)} seeds)" if len(g) > 1 else ""),
                f"mean in [{_fmt(lo)}, {_fmt(hi)}]; {int(g['pass'].sum())}/{len(g)} seeds pass",
                lo <= m <= hi,
            )
        )
    return df, checks


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3f}"
    return f"{x:.4f}"


# --------------------------------------------------------------------------------------
# 2. Bass


def bass_part(sizes: list[int], reps: int) -> tuple[pd.DataFrame, dict, list]:
    """Adopted share of ``configs/bass.toml`` at each population size, ``reps`` seeds."""
    rows, curves = [], {}
    cfg0 = _scenario("bass.toml")
    p = cfg0.brands.own_reach * cfg0.brands.own_conversion
    q = cfg0.behaviour.wom_q
    steps = cfg0.run.steps
    rec = bass_recursion(p, q, steps)
    closed = bass_closed_form(p, q, np.arange(1, steps + 1))
    for n in sizes:
        cfg = _scenario("bass.toml", {"population.n_followers": n})
        runs = np.array(
            [run(cfg, seed=s).timeseries["adopted_share"].to_numpy() for s in range(reps)]
        )
        mean = runs.mean(axis=0)
        curves[n] = mean
        rows.append(
            {
                "n_followers": n,
                "replications": reps,
                "run_error_vs_recursion": float(np.abs(runs - rec).max(axis=1).mean()),
                "mean_error_vs_recursion": float(np.abs(mean - rec).max()),
                "mean_error_vs_closed_form": float(np.abs(mean - closed).max()),
            }
        )
    df = pd.DataFrame(rows)
    df["recursion_vs_closed_form"] = float(np.abs(rec - closed).max())
    small, big = df.iloc[0], df.iloc[-1]
    expected_ratio = np.sqrt(big["n_followers"] / small["n_followers"])
    ratio = small["run_error_vs_recursion"] / big["run_error_vs_recursion"]
    checks = [
        ValidationCheck(
            "Bass",
            f"error of one run shrinks with n ({small['n_followers']:.0f} -> "
            f"{big['n_followers']:.0f})",
            f"about sqrt({big['n_followers'] / small['n_followers']:.0f}) = "
            f"{expected_ratio:.1f}x smaller",
            f"{ratio:.2f}x smaller ({_fmt(small['run_error_vs_recursion'])} -> "
            f"{_fmt(big['run_error_vs_recursion'])})",
            f"at least {expected_ratio / 2:.1f}x",
            bool(ratio >= expected_ratio / 2),
        ),
        ValidationCheck(
            "Bass",
            f"mean curve = discrete recursion, n = {big['n_followers']:.0f}",
            "F' = F + (p + qF)(1 - F), p = 0.03, q = 0.38",
            f"max |error| {_fmt(big['mean_error_vs_recursion'])}",
            "max |error| < 0.02 (1/n bias plus sampling)",
            bool(big["mean_error_vs_recursion"] < 0.02),
        ),
        ValidationCheck(
            "Bass",
            f"mean curve near the closed form, n = {big['n_followers']:.0f}",
            "(1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)",
            f"max |error| {_fmt(big['mean_error_vs_closed_form'])} (recursion itself: "
            f"{_fmt(big['recursion_vs_closed_form'])})",
            "max |error| < 0.1 (the daily step's error)",
            bool(big["mean_error_vs_closed_form"] < 0.1),
        ),
    ]
    return df, {"recursion": rec, "closed": closed, "curves": curves}, checks


# --------------------------------------------------------------------------------------
# 3. independent cascade


def _forest(folder: Path, copies: int, edges: list[tuple[int, int]], size: int):
    """Edge list of ``copies`` disjoint copies of a graph whose root is node 0; the roots
    are followers 0..copies-1. Returns the file and each follower's component."""
    comp = np.empty(copies * size, dtype=np.int64)
    lines = []
    for c in range(copies):
        node = [c] + [copies + c * (size - 1) + k for k in range(size - 1)]
        comp[node] = c
        lines += [f"{node[a]} {node[b]}" for a, b in edges]
    path = folder / f"forest_{copies}_{size}_{len(edges)}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, comp


def _cascade(folder: Path, kind: str, p: float, copies: int, seed: int) -> dict:
    if kind.startswith("path"):
        n = int(kind.split("-")[1])
        edges = [(k, k + 1) for k in range(n - 1)]
        size = n
        exact = (1 - p**n) / (1 - p)
        formula = "(1 - p^n) / (1 - p)"
    else:  # tree-B-D: B-ary tree of depth D, node k's parent (k - 1) // B
        b, d = (int(x) for x in kind.split("-")[1:])
        size = sum(b**i for i in range(d + 1))
        edges = [((k - 1) // b, k) for k in range(1, size)]
        exact = sum((b * p) ** i for i in range(d + 1))
        formula = "sum over nodes of p^depth"
    path, comp = _forest(folder, copies, edges, size)
    cfg = _scenario(
        "cascade.toml",
        {
            "graph.kind": "edgelist",
            "graph.file": str(path),
            "population.n_followers": copies * size,
            "brands.seed_adopters": copies,
            "behaviour.wom_p": p,
            "run.steps": size + 1,
        },
    )
    res = run(cfg, seed=seed, keep_model=True)
    reach = np.bincount(comp, weights=res.model.state.any_adopted.astype(float), minlength=copies)
    mean, se = float(reach.mean()), float(reach.std(ddof=1) / np.sqrt(copies))
    return {
        "graph": kind,
        "p": p,
        "components": copies,
        "nodes_per_component": size,
        "exact": exact,
        "formula": formula,
        "mean_reach": mean,
        "se": se,
        "z": (mean - exact) / se if se > 0 else 0.0,
    }


def cascade_part(copies: int) -> tuple[pd.DataFrame, list]:
    cases = [
        ("path-10", 0.3),
        ("path-10", 0.7),
        ("path-20", 0.9),
        ("tree-2-4", 0.5),
        ("tree-3-3", 0.3),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [_cascade(Path(tmp), k, p, copies, seed=i + 1) for i, (k, p) in enumerate(cases)]
    df = pd.DataFrame(rows)
    checks = [
        ValidationCheck(
            "independent cascade",
            f"{r['graph']}, p = {r['p']}",
            f"{r['exact']:.4f} = {r['formula']}",
            f"{r['mean_reach']:.4f} ± {r['se']:.4f} (SE, {r['components']} components)",
            f"|z| < {Z_MAX:g} (z = {r['z']:.2f})",
            bool(abs(r["z"]) < Z_MAX),
        )
        for r in rows
    ]
    return df, checks


# --------------------------------------------------------------------------------------
# 4. engines

ENGINE_TOTALS = [
    "seen_edges",
    "engaged_edges",
    "follow_edges",
    "unfollow_edges",
    "adoptions_via_posts",
    "adoptions_own",
    "adoptions_wom",
    "exposures",
]


def engine_config(engine: str, steps: int) -> Config:
    """A tiny market with strong, fast dynamics, so every rule fires within the run."""
    return config_from_dict(
        {
            "run": {"steps": steps, "engine": engine, "period": 10},
            "population": {"n_followers": 400, "people": 40_000},
            "influencers": {
                "n_nano": 2,
                "n_micro": 6,
                "n_mid": 2,
                "n_macro": 1,
                "n_celebrity": 1,
                "micro_min": 300,
                "mid_min": 1_000,
                "macro_min": 3_000,
                "celebrity_min": 10_000,
                "celebrity_max": 30_000,
                "fame_size": 30_000,
                "sponsored_cap": 6,
                "authenticity_mean": 0.2,
            },
            "behaviour": {
                "trust_erosion": 1.0,
                "unfollow_threshold": 0.6,
                "unfollow_rate": 0.3,
                "discovery_rate": 0.3,
                "wom_p": 0.1,
            },
            "brands": {"n_brands": 4, "own_reach": 0.2, "own_conversion": 0.01, "hurdle": 0.0},
        }
    )


class EngineRun:
    """The engine market's run for one sweep spec (``factors["run.engine"]``, its seed):
    the run totals the comparison pairs. A module-level class, so the sweep executors can
    send it to their worker processes."""

    def __init__(self, steps: int):
        self.steps = steps

    def __call__(self, spec: RunSpec) -> Evaluation:
        cfg = engine_config(spec.factors["run.engine"], self.steps)
        res = run(cfg, seed=spec.seed, keep_model=True)
        row = {k: float(res.model.totals[k]) for k in ENGINE_TOTALS}
        row["deals"] = float(res.timeseries["deals"].sum())
        row["mean_trust_end"] = float(res.timeseries["mean_trust"].iloc[-1])
        return Evaluation(row, model_time=res.wall_time)


def engine_runs(seeds: list[int], steps: int, workers: int) -> pd.DataFrame:
    """Every seed with both engines, on the sweep executors (``workers`` local processes, or
    this process with 1): one row per run, its totals and the model's wall time."""
    from .sweep import executors

    engines = ("vectorized", "reference")
    specs = [
        RunSpec(point=e, replicate=i, seed=s, factors={"run.engine": engine})
        for i, s in enumerate(seeds)
        for e, engine in enumerate(engines)
    ]
    evaluate = EngineRun(steps)
    if workers > 1:
        done = executors.processes(evaluate, specs, workers)
    else:
        done = executors.serial(evaluate, specs)
    rows = []
    for spec, rec in done:
        engine = spec.factors["run.engine"]
        if rec.status != "ok":
            raise RuntimeError(f"engine run ({engine}, seed {spec.seed}) failed: {rec.error}")
        rows.append(
            {"engine": engine, "seed": spec.seed, "wall_time": rec.model_time, **rec.outcomes}
        )
    return pd.DataFrame(rows).sort_values(["seed", "engine"], ascending=[True, False])


def paired_test(a: pd.Series, b: pd.Series) -> tuple[float, float, float, float]:
    """Paired t-test of ``a - b`` (``scipy.stats.ttest_rel``): the mean difference, its
    standard error, t and the two-sided p-value. Identical samples give t 0 and p 1."""
    from scipy import stats

    d = (a - b).to_numpy(dtype=float)
    mean, se = float(d.mean()), float(stats.sem(d))
    if not np.any(d):
        return mean, se, 0.0, 1.0
    res = stats.ttest_rel(a.to_numpy(dtype=float), b.to_numpy(dtype=float))
    return mean, se, float(res.statistic), float(res.pvalue)


def engines_part(seeds: list[int], steps: int, workers: int) -> tuple[pd.DataFrame, list]:
    df = engine_runs(seeds, steps, workers).reset_index(drop=True)
    vec = df[df["engine"] == "vectorized"].set_index("seed").sort_index()
    ref = df[df["engine"] == "reference"].set_index("seed").sort_index()
    checks = []
    for o in [*ENGINE_TOTALS, "deals", "mean_trust_end"]:
        mean, se, t, pval = paired_test(vec[o], ref[o])
        fired = vec[o].mean() > 0 and ref[o].mean() > 0
        checks.append(
            ValidationCheck(
                "engines",
                o,
                f"reference {_fmt(ref[o].mean())}",
                f"vectorized {_fmt(vec[o].mean())}; paired difference {_fmt(mean)} ± {_fmt(se)}",
                f"p > {P_MIN:g} (t = {t:.2f}, p = {pval:.2g}) and both > 0",
                bool(pval > P_MIN and fired),
            )
        )
    speed = float(ref["wall_time"].mean() / vec["wall_time"].mean())
    return df.assign(reference_over_vectorized_time=speed), checks


# --------------------------------------------------------------------------------------
# report


@dataclass(frozen=True)
class Size:
    cal_seeds: list
    bass_sizes: list
    bass_reps: int
    cascade_copies: int
    engine_seeds: list
    engine_steps: int
    workers: int


def _size(quick: bool) -> Size:
    if quick:
        return Size([1], [100, 1600], 4, 1500, list(range(6)), 12, 1)
    return Size([1, 2, 3, 4, 5], [100, 400, 1600, 6400], 10, 4000, list(range(12)), 40, 2)


def validate(out: Path, quick: bool = False) -> tuple[list[ValidationCheck], Path]:
    """Run every check, write ``out/report.md`` with figures and tables; return the checks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = _size(quick)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    timings = {}

    t = time.perf_counter()
    cal, cal_checks = calibration_part(size.cal_seeds, quick)
    cal.to_csv(out / "calibration.csv", index=False)
    timings["published figures"] = time.perf_counter() - t

    t = time.perf_counter()
    bass, curves, bass_checks = bass_part(size.bass_sizes, size.bass_reps)
    bass.to_csv(out / "bass.csv", index=False)
    timings["Bass"] = time.perf_counter() - t

    t = time.perf_counter()
    casc, casc_checks = cascade_part(size.cascade_copies)
    casc.to_csv(out / "cascade.csv", index=False)
    timings["cascade"] = time.perf_counter() - t

    t = time.perf_counter()
    eng, eng_checks = engines_part(size.engine_seeds, size.engine_steps, size.workers)
    eng.to_csv(out / "engines.csv", index=False)
    timings["engines"] = time.perf_counter() - t

    checks = cal_checks + bass_checks + casc_checks + eng_checks

    # figure: published figures, model over published (with the tolerance band)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    agg = (
        cal.groupby("check", sort=False)
        .agg(
            model=("model", "mean"),
            sd=("model", "std"),
            low=("low", "first"),
            high=("high", "first"),
        )
        .reset_index()
    )
    centre = (agg["low"] + agg["high"]) / 2
    y = np.arange(len(agg))[::-1]
    ax.barh(
        y,
        (agg["high"] - agg["low"]) / centre,
        left=agg["low"] / centre,
        color="0.85",
        label="tolerance",
    )
    ax.errorbar(
        agg["model"] / centre,
        y,
        xerr=agg["sd"].fillna(0) / centre,
        fmt="o",
        color="C0",
        label=f"model (mean of {len(size.cal_seeds)} seeds, ±sd)",
    )
    ax.axvline(1, color="crimson", lw=1, ls=":")
    ax.set_yticks(y, agg["check"], fontsize=8)
    ax.set_xlabel("value / centre of the tolerance interval")
    ax.legend(fontsize=8)
    ax.set_title("Published figures of the brief against the baseline", fontsize=10)
    fig.savefig(out / "calibration.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)

    # figure: Bass curves and errors
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    days = np.arange(1, len(curves["recursion"]) + 1)
    axes[0].plot(days, curves["closed"], color="k", lw=2, label="closed form (Bass 1969)")
    axes[0].plot(days, curves["recursion"], color="crimson", ls="--", label="discrete recursion")
    for n, c in curves["curves"].items():
        axes[0].plot(days, c, lw=1, alpha=0.8, label=f"model, n = {n} (mean)")
    axes[0].set_xlabel("day")
    axes[0].set_ylabel("adopted share")
    axes[0].legend(fontsize=7)
    axes[1].loglog(
        bass["n_followers"],
        bass["run_error_vs_recursion"],
        "o-",
        label="one run vs recursion (mean of max |error|)",
    )
    axes[1].loglog(
        bass["n_followers"],
        bass["mean_error_vs_recursion"],
        "s-",
        label="mean curve vs recursion (max |error|)",
    )
    ref = bass["run_error_vs_recursion"].iloc[0] * np.sqrt(
        bass["n_followers"].iloc[0] / bass["n_followers"]
    )
    axes[1].loglog(bass["n_followers"], ref, ":", color="0.4", label="1/sqrt(n)")
    axes[1].set_xlabel("population (followers)")
    axes[1].set_ylabel("error in the adopted share")
    axes[1].legend(fontsize=7)
    fig.suptitle("Reduction to Bass diffusion (p = 0.03, q = 0.38, complete graph)", fontsize=10)
    fig.savefig(out / "bass.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)

    # figure: cascade and engines
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    lab = [f"{g}\np={p}" for g, p in zip(casc["graph"], casc["p"], strict=True)]
    x = np.arange(len(casc))
    axes[0].bar(x - 0.2, casc["exact"], 0.4, color="crimson", label="exact")
    axes[0].bar(
        x + 0.2,
        casc["mean_reach"],
        0.4,
        yerr=Z_MAX * casc["se"],
        capsize=3,
        color="0.4",
        label=f"model (mean, ±{Z_MAX:g} SE)",
    )
    axes[0].set_xticks(x, lab, fontsize=7)
    axes[0].set_ylabel("expected reach of one seeded cascade")
    axes[0].legend(fontsize=8)
    axes[0].set_title("Independent cascade", fontsize=10)
    outcomes = [*ENGINE_TOTALS, "deals", "mean_trust_end"]
    vec = eng[eng["engine"] == "vectorized"].set_index("seed").sort_index()
    refe = eng[eng["engine"] == "reference"].set_index("seed").sort_index()
    rel = [(vec[o] - refe[o]).mean() / refe[o].mean() for o in outcomes]
    rse = [(vec[o] - refe[o]).std(ddof=1) / np.sqrt(len(vec)) / refe[o].mean() for o in outcomes]
    y = np.arange(len(outcomes))[::-1]
    axes[1].errorbar(rel, y, xerr=2 * np.array(rse), fmt="o", capsize=3)
    axes[1].axvline(0, color="crimson", lw=1, ls=":")
    axes[1].set_yticks(y, outcomes, fontsize=8)
    axes[1].set_xlabel("(vectorized - reference) / reference, mean ±2 SE (paired)")
    axes[1].set_title(f"Engines, {len(vec)} paired seeds", fontsize=10)
    fig.subplots_adjust(wspace=0.45)
    fig.savefig(
        out / "reductions_engines.png", dpi=110, bbox_inches="tight", metadata={"Software": None}
    )
    plt.close(fig)

    report = _report(checks, cal, bass, casc, eng, size, quick, timings, time.perf_counter() - t0)
    path = out / "report.md"
    path.write_text(report)
    (out / "checks.json").write_text(json.dumps([c.row() for c in checks], indent=2) + "\n")
    return checks, path


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(r[c]).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines)


def _report(checks, cal, bass, casc, eng, size, quick, timings, wall) -> str:
    n_fail = sum(not c.passed for c in checks)
    speed = float(eng["reference_over_vectorized_time"].iloc[0])
    parts = {
        p: [c.row() for c in checks if c.part == p]
        for p in ("published figures", "Bass", "independent cascade", "engines")
    }
    for rows in parts.values():
        for r in rows:
            r.pop("part")
    bass_rows = bass.round(5).to_dict(orient="records")
    took = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    mode = "**Quick mode** (smaller checks, for the tests): " if quick else ""
    flag = " --quick" if quick else ""
    reduced = (
        ", reduced to 5,000 followers and audiences sampled above 500 follow edges" if quick else ""
    )
    return f"""# Validation report

{mode}{len(checks)} checks, {len(checks) - n_fail} pass, {n_fail} fail.

Written by `influencer-sim validate{flag}` in {wall:.0f} s ({took}). A statistical check
fails only beyond {Z_MAX:g} standard errors (engines: a paired t-test with p below {P_MIN:g}).

## 1. Published figures of the brief

The baseline scenario (`configs/baseline.toml`{reduced})
on seeds {", ".join(map(str, size.cal_seeds))}, held against the figures of the brief by
`simulation.calibration.calibration_checks` (tolerances in `docs/CALIBRATION.md`). A check
passes when the mean over the seeds is inside its interval.

{_table(parts["published figures"])}

![published figures](calibration.png)

Per seed: `calibration.csv`.

## 2. Reduction to Bass diffusion

`configs/bass.toml`: one brand, no influencers, one topic, everybody tied to everybody,
external influence p = 0.03 (own posts) and imitation q = 0.38 (Sultan, Farley & Lehmann
1990), {size.bass_reps} seeds per population size. The discrete recursion
F' = F + (p + qF)(1 - F) is the exact expectation for a daily step; the closed form is the
continuous Bass curve, from which the recursion itself differs by the daily step's error.

{_table(bass_rows)}

{_table(parts["Bass"])}

![Bass](bass.png)

## 3. Reduction to the independent cascade

`configs/cascade.toml` on forests read from an edge-list file: {size.cascade_copies} disjoint
copies of a path or a tree, each seeded at its root (`brands.seed_adopters`), run once; the
reach of each copy is one independent cascade. `path-n`: a path of n followers;
`tree-B-D`: a B-ary tree of depth D.

{_table(parts["independent cascade"])}

## 4. Reference engine against vectorized engine

A tiny market (400 followers, 12 influencers, 4 brands, {size.engine_steps} days, strong
dynamics so that every rule fires), seeds {size.engine_seeds[0]}..{size.engine_seeds[-1]},
each run with both engines. The same seed builds the same market, so the paired difference
of each run total removes the market-to-market spread. The reference engine took
{speed:.0f} times as long as the vectorized one on this market.

{_table(parts["engines"])}

![reductions and engines](reductions_engines.png)

Per seed and engine: `engines.csv`. Cascades: `cascade.csv`. Bass: `bass.csv`.
"""


def main(out: Path | None = None, quick: bool = False) -> int:
    """Write the report into ``out`` (default ``results/validation``); 1 if a check fails."""
    out = Path(out) if out is not None else Path("results") / "validation"
    checks, path = validate(out, quick=quick)
    failed = [c for c in checks if not c.passed]
    print(f"{path}: {len(checks) - len(failed)}/{len(checks)} checks pass")
    for c in failed:
        print(f"  FAIL {c.part}: {c.name}: {c.measured} ({c.criterion})", file=sys.stderr)
    return 1 if failed else 0
