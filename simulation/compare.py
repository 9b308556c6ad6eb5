"""Scenario comparison: ``influencer-sim compare A B [...]``, one report a strategist reads.

Method. The scenarios run through the sweep machinery as one sweep (``OUT/compare.toml``, run
into ``OUT/sweep/``): its one factor is a bundle, ``scenario``, with a level per scenario, and
a level sets the scenario keys in which that scenario differs from the first one (the
reference, which is the sweep's base scenario). Seeds are common: replicate ``k`` runs on the
same seed in every scenario (``SeedSequence(root_seed, spawn_key=(2, k))``, docs/SWEEPS.md,
with ``root_seed`` the reference's ``run.seed``). Each outcome of scenario ``j`` is therefore
compared with the reference replicate by replicate, ``d_k = y_jk - y_0k``, and the report gives
the mean of ``d`` and its Student's t 95% interval (:func:`~simulation.sweep.analysis.mean_ci`);
a scenario compared with itself gives exactly 0. Values are means over the replicates with the
same interval. The outcomes are declared summary keys (``simulation.outputs.SUMMARY``) and
time-series columns (``TIMESERIES``), shown with their declared units in plain words.

``--quick`` runs a tiny version, a check of the machinery and not a result: every scenario's
own keys (those in which it differs from the defaults, that is from the baseline) applied on
``configs/tiny.toml``, whose size keys (``population.n_followers``, ``population.people``,
``run.steps``) are kept; two replications unless ``--replications`` says otherwise. Every
shipped scenario runs this way.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Config, apply_overrides, config_to_dict, load_config
from .outputs import unit_of
from .plots import SCENARIO_COLORS, STRATEGY_COLORS, TIER_COLORS, tex_safe
from .resources import configs_dir, scenario_path, scenario_question
from .vocabulary import STRATEGIES, TIERS
from .writer import OutputExistsError, atomic_write_text

__all__ = [
    "DEFAULT_REPLICATIONS",
    "HEADLINE",
    "OVERLAYS",
    "QUICK_REPLICATIONS",
    "CompareError",
    "Overlay",
    "Plan",
    "Scenario",
    "default_out",
    "paired_differences",
    "plan_comparison",
    "run_compare",
    "scenario_keys",
    "write_report",
]

#: Keys a scenario never carries into the comparison: the sweep sets the seeds and the days.
_SWEEP_KEYS = ("run.seed", "run.steps")
#: Keys that ``--quick`` keeps from ``configs/tiny.toml`` whatever a scenario sets.
_QUICK_KEYS = ("population.n_followers", "population.people")
#: Replications when ``--replications`` is not given.
DEFAULT_REPLICATIONS = 10
QUICK_REPLICATIONS = 2


class CompareError(ValueError):
    """A mistake in what the comparison was asked to do; one line."""


# -- what the report compares -----------------------------------------------------------------

#: The headline outcomes: summary key, what the report calls it, its unit in plain words.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    *(
        (
            f"sales_per_dollar_by_strategy.{s}",
            f"sales per $ spent, {s}-strategy brands",
            "$ of sales per $ of all their spending",
        )
        for s in STRATEGIES
    ),
    *(
        (
            f"return_per_dollar_by_strategy.{s}",
            f"earned media value per $ on influencers, {s}-strategy brands",
            "$ of attention, priced as paid media, per $",
        )
        for s in STRATEGIES
    ),
    *(
        (
            f"price_by_tier_end.{t}",
            f"price of a sponsored post at the end, {t} accounts",
            "$ per post",
        )
        for t in TIERS
    ),
    *(
        (
            f"engagement_rate_by_tier.{t}",
            f"engagement rate, {t} accounts",
            "engagements per 100 followers per post",
        )
        for t in TIERS
    ),
    ("sponsored_share", "sponsored share of all posts", "% of posts"),
    ("mean_trust_end", "followers' trust in the accounts they follow, at the end", "1 = untouched"),
    ("follower_retention", "follower retention", "followers at the end over the start"),
    ("unfollowed_share", "people who unfollowed at least one account", "% of followers"),
    ("customers", "customers won, all brands", "people"),
)

#: Our brand's outcomes, reported when a scenario has one (``[our_brand]``), after the market's.
OUR_BRAND_HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("our_brand.sales_per_dollar", "our brand: sales per $ spent", "$ of sales per $ it spent"),
    (
        "our_brand.peers_sales_per_dollar",
        "its peers (the market's brands of its strategy): sales per $ spent",
        "$ of sales per $ they spent",
    ),
    (
        "our_brand.return_per_dollar",
        "our brand: earned media value per $ on influencers",
        "$ of attention, priced as paid media, per $",
    ),
    ("our_brand.customers", "our brand: customers won", "people"),
    ("our_brand.budget_used_share", "our brand: share of its budget used", "% of its budget"),
    ("our_brand.deals", "our brand: sponsored posts bought", "posts"),
)

#: How a declared unit is written: money, a plain number, a percentage (differences in
#: percentage points), per 100 (engagement rates), or a count of people.
_KIND = {
    "$/$": "number",
    "$ per post": "money",
    "engagements per follower per post": "per100",
    "share": "percent",
    "[0, 1]": "number",
    "ratio": "number",
    "people": "people",
    "posts": "people",
}
#: Most decimals shown, and the decimals when no interval sets them, by kind.
_MAX_DECIMALS = {"money": 2, "number": 4, "percent": 2, "per100": 3, "people": 0}
_DEFAULT_DECIMALS = {"money": 2, "number": 3, "percent": 1, "per100": 2, "people": 0}


@dataclass(frozen=True)
class Overlay:
    """One figure of time series, each scenario's mean over replicates with its 95% band.

    Attributes:
        file: the PNG's name.
        title: what it shows.
        ylabel: the y axis.
        panels: ``(column, panel title, title colour)``, one panel each.
        smooth: each run's trailing mean over this many days before averaging (1: as
            recorded).
    """

    file: str
    title: str
    ylabel: str
    panels: tuple[tuple[str, str, str | None], ...]
    smooth: int = 1


#: The overlaid time series of the report.
OVERLAYS: tuple[Overlay, ...] = (
    Overlay(
        "prices.png",
        "Mean price of a sponsored post, by tier",
        "$ per post",
        tuple((f"price_{t}", f"{t} accounts", TIER_COLORS[t]) for t in TIERS),
    ),
    Overlay(
        "sponsored_share.png",
        "Sponsored share of posts (7-day mean)",
        "share of posts",
        (("sponsored_share", "", None),),
        smooth=7,
    ),
    Overlay(
        "mean_trust.png",
        "Mean trust on follow edges (1 = as at the start)",
        "relative trust",
        (("mean_trust", "", None),),
    ),
    Overlay(
        "sales_per_dollar.png",
        "Sales value per $ spent, by brand strategy (cumulative from day 1)",
        "$ of sales per $",
        tuple(
            (f"sales_per_dollar_{s}", f"{s}-strategy brands", STRATEGY_COLORS[s])
            for s in STRATEGIES
        ),
    ),
)

#: Our brand over time, drawn when a scenario has one.
OUR_BRAND_OVERLAY = Overlay(
    "our_brand.png",
    "Our brand: sales value per $ spent (cumulative from day 1)",
    "$ of sales per $",
    (("our_brand_sales_per_dollar", "", None),),
)


def has_our_brand(configs: list[Config]) -> bool:
    """Whether any of the scenarios has our brand (``[our_brand]``)."""
    return any(c.our_brand.strategy != "none" for c in configs)


def overlays_for(configs: list[Config]) -> tuple[Overlay, ...]:
    """:data:`OVERLAYS`, then :data:`OUR_BRAND_OVERLAY` if any scenario has our brand."""
    return OVERLAYS + ((OUR_BRAND_OVERLAY,) if has_our_brand(configs) else ())


#: Dot charts of end-of-run outcomes by tier: file, summary key family, title.
_DOTS: tuple[tuple[str, str, str], ...] = (
    ("prices_end.png", "price_by_tier_end", "Price of a sponsored post at the end, by tier"),
    ("engagement_by_tier.png", "engagement_rate_by_tier", "Engagement rate by tier over the run"),
)


def _column(key: str) -> str:
    return key.replace(".", "__")


# -- the scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One scenario of a comparison.

    Attributes:
        label: its name in the report (the file name without ``.toml``; ``name (2)`` for a
            repeat).
        arg: as the user gave it.
        path: the scenario file.
        question: the first sentence of its header comment.
        keys: the scenario keys its level of the sweep sets.
        config: the scenario as it runs (base, ``--followers`` and its keys, days; seed aside).
        own_steps: the days its file sets (``run.steps``); the comparison runs its own.
    """

    label: str
    arg: str
    path: Path
    question: str
    keys: dict
    config: Config = dataclasses.field(repr=False)
    own_steps: int = 0


def _absolute_graph_file(cfg: Config) -> Config:
    """``cfg`` with a relative ``graph.file`` made absolute (it is relative to its own file)."""
    f = cfg.graph.file
    if not f or Path(f).is_absolute():
        return cfg
    return apply_overrides(cfg, {"graph.file": str((Path(cfg.base_dir) / f).resolve())})


def scenario_keys(cfg: Config, ref: Config, drop: tuple[str, ...] = _SWEEP_KEYS) -> dict:
    """The ``{"section.key": value}`` in which ``cfg`` differs from ``ref``, leaving out
    ``drop``: applied to ``ref``, they give ``cfg`` (graph files compared by absolute path)."""
    a = config_to_dict(_absolute_graph_file(cfg))
    b = config_to_dict(_absolute_graph_file(ref))
    return {
        f"{s}.{k}": v
        for s, values in a.items()
        for k, v in values.items()
        if v != b[s][k] and f"{s}.{k}" not in drop
    }


def _labels(paths: list[Path]) -> list[str]:
    """Report names: the file names without ``.toml``, made unique (``baseline (2)``)."""
    out: list[str] = []
    for p in paths:
        stem = p.stem
        label, n = stem, 1
        while label in out:
            n += 1
            label = f"{stem} ({n})"
        out.append(label)
    return out


def _toml(v: Any) -> str:
    """A scalar as TOML (strings as JSON strings, which TOML reads as basic strings)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _inline(keys: dict) -> str:
    if not keys:
        return "{}"
    return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in keys.items()) + " }"


@dataclass(frozen=True)
class Plan:
    """A comparison ready to run: its scenarios and its sweep (validated)."""

    scenarios: tuple[Scenario, ...]
    sweep: Any  # simulation.sweep.spec.Sweep
    text: str
    quick: bool

    @property
    def outcomes(self) -> tuple[tuple[str, str, str], ...]:
        """The report's outcomes: :data:`HEADLINE`, and our brand's when a scenario has one."""
        return outcomes_for([s.config for s in self.scenarios])


def outcomes_for(configs: list[Config]) -> tuple[tuple[str, str, str], ...]:
    """:data:`HEADLINE`, then :data:`OUR_BRAND_HEADLINE` if any scenario has our brand."""
    return HEADLINE + (OUR_BRAND_HEADLINE if has_our_brand(configs) else ())


def plan_comparison(
    args: list[str],
    *,
    replications: int | None = None,
    steps: int | None = None,
    followers: int | None = None,
    quick: bool = False,
    where: Path = Path("compare.toml"),
) -> Plan:
    """Check the request and build the comparison's sweep (nothing is written).

    ``args`` are scenario files or shipped scenario names; the first is the reference. Raises
    :class:`CompareError` or :class:`~simulation.config.ConfigError` with one line.
    """
    from .sweep.spec import sweep_from_dict

    if len(args) < 2:
        raise CompareError(
            f"compare: {len(args)} scenario given; allowed two or more, the first being the "
            "reference (e.g. influencer-sim compare baseline saturation)"
        )
    reps = replications
    if reps is None:
        reps = QUICK_REPLICATIONS if quick else DEFAULT_REPLICATIONS
    if reps < 2:
        raise CompareError(
            f"--replications: {reps} is too few; allowed 2 or more (an interval needs two runs)"
        )
    if steps is not None and steps < 1:
        raise CompareError(f"--steps: {steps} is out of range; allowed 1 or more days")
    if followers is not None and followers < 1:
        raise CompareError(f"--followers: {followers} is out of range; allowed 1 or more")
    paths = [scenario_path(a) for a in args]  # ConfigError naming the shipped ones
    configs = [load_config(p) for p in paths]
    labels = _labels(paths)
    if quick:
        base_path = configs_dir() / "tiny.toml"
        ref = Config()  # a scenario's own keys: where it differs from the defaults
        drop = (*_SWEEP_KEYS, *_QUICK_KEYS)
    else:
        base_path = paths[0]
        ref = configs[0]
        drop = _SWEEP_KEYS + (("population.n_followers",) if followers else ())
    for label, cfg in zip(labels, configs, strict=True):
        if (quick or followers) and cfg.graph.kind in ("edgelist", "graphml"):
            what = "--quick" if quick else "--followers"
            raise CompareError(
                f"{label}: its followers are the nodes of a graph file; {what} cannot resize "
                "them (compare it at its own size)"
            )
    levels = [scenario_keys(cfg, ref, drop) for cfg in configs]
    base_cfg = load_config(base_path)
    base_set = {"population.n_followers": followers} if followers else {}
    n_steps = steps if steps is not None else base_cfg.run.steps
    lines = [
        "# The sweep `influencer-sim compare` ran: one factor, the scenario, whose levels set",
        "# the keys in which each scenario differs from "
        + ("the defaults, on the tiny market (--quick)" if quick else "the first"),
        f"# ({', '.join(args)}). Rerun it with: influencer-sim sweep compare.toml",
        'name = "compare"',
        f"question = {_toml('How do ' + ', '.join(labels) + ' differ?')}",
        f"replications = {reps}",
        f"root_seed = {base_cfg.run.seed}",
        'seeds = "common"',
        f"steps = {n_steps}",
        "",
        "[base]",
        f"config = {_toml(str(base_path.resolve()))}",
    ]
    if base_set:
        lines.append(f"set = {_inline(base_set)}")
    lines += ["", "[bundles.scenario]"]
    lines += [f"{_toml(lb)} = {_inline(k)}" for lb, k in zip(labels, levels, strict=True)]
    summary = ", ".join(_toml(k) for k, _, _ in outcomes_for(configs))
    series = ", ".join(_toml(c) for c in _series_columns(configs))
    lines += ["", "[design]", 'kind = "grid"', "", "[outcomes]"]
    lines += [f"summary = [{summary}]", f"series = [{series}]", ""]
    text = "\n".join(lines)
    sweep = sweep_from_dict(tomllib.loads(text), path=where, text=text)
    scenarios = []
    for a, p, lb, k, own in zip(args, paths, labels, levels, configs, strict=True):
        cfg = apply_overrides(sweep.base, k)
        scenarios.append(Scenario(lb, a, p, scenario_question(p), k, cfg, own.run.steps))
    return Plan(tuple(scenarios), sweep, text, quick)


def _series_columns(configs: list[Config]) -> list[str]:
    return [c for o in overlays_for(configs) for c, _, _ in o.panels]


# -- running ----------------------------------------------------------------------------------


def default_out(labels: list[str], quick: bool) -> Path:
    """``results/compare/<a>-vs-<b>`` (under ``results/quick/`` with ``--quick``)."""
    name = "-vs-".join(lb.replace(" ", "").replace("(", "").replace(")", "") for lb in labels)
    return Path("results") / ("quick" if quick else "") / "compare" / name


def _prepare(out: Path, overwrite: bool, resume: bool) -> None:
    """Refuse a folder that holds anything but a comparison; clear one for ``--overwrite``."""
    if resume and overwrite:
        raise CompareError("--resume and --overwrite: give one or the other")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    ours = (out / "compare.toml").is_file()
    if not ours:
        raise OutputExistsError(
            f"{out}: is not empty and holds no comparison (no compare.toml); not writing into "
            "it, choose another --out DIR"
        )
    if overwrite:
        shutil.rmtree(out)
    elif not resume:
        raise OutputExistsError(
            f"{out}: already holds a comparison; pass --overwrite to replace it, --resume to "
            "finish it, or --out DIR"
        )


def run_compare(
    args: list[str],
    out: Path | str | None = None,
    *,
    replications: int | None = None,
    steps: int | None = None,
    followers: int | None = None,
    quick: bool = False,
    workers: int | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Run the comparison of ``args`` (files or shipped names; the first is the reference)
    and write its report into ``out``; return the report's numbers (``compare.json``)."""
    from .sweep.coordinator import run_sweep

    if workers is not None and workers < 1:
        raise CompareError(f"--workers: {workers} is out of range; allowed 1 or more")
    plan = plan_comparison(
        args, replications=replications, steps=steps, followers=followers, quick=quick
    )
    labels = [s.label for s in plan.scenarios]
    out = Path(out) if out is not None else default_out(labels, quick)
    plan = dataclasses.replace(
        plan, sweep=dataclasses.replace(plan.sweep, path=str(out / "compare.toml"))
    )
    _prepare(out, overwrite, resume)
    folder = out / "sweep"
    resuming = resume and (folder / "manifest.json").is_file()
    held = out / "compare.toml"
    if resume and held.is_file() and held.read_text(encoding="utf-8") != plan.text:
        raise CompareError(
            f"{out}: holds a different comparison (its compare.toml differs); resume with "
            "the same scenarios and options, or use --overwrite"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "compare.toml", plan.text)
    if workers is None and quick:
        workers = 1  # a tiny market: starting worker processes would cost more than it saves
    report = run_sweep(plan.sweep, folder, workers=workers, resume=resuming, progress=progress)
    if not report.complete:
        raise CompareError(
            f"stopped with {report.n_done} of {report.n_runs} runs; finish with the same "
            f"command and --resume (--out {out})"
        )
    runs = pd.read_parquet(folder / "runs.parquet")
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        r = failed.iloc[0]
        raise CompareError(
            f"{len(failed)} of {len(runs)} runs failed; the first ({r['scenario']}, replicate "
            f"{r['replicate']}): {r['error']}"
        )
    numbers = write_report(plan, out)
    return {**numbers, "out": str(out), "headline": headline(plan, numbers)}


def headline(plan: Plan, numbers: dict) -> list[str]:
    """Short lines for the terminal: per scenario, how many outcomes differ from the
    reference, and the first few that do."""
    ref = numbers["reference"]
    lines = []
    for s in plan.scenarios[1:]:
        d = numbers["differences"][s.label]
        yes = [k for k, v in d.items() if v["distinguishable"]]
        # our brand's own outcomes first: the plan a strategist compares
        yes.sort(key=lambda k: not (k.startswith("our_brand.") and "peers" not in k))
        lines.append(
            f"{s.label} vs {ref}: {len(yes)} of {len(d)} outcomes differ "
            f"(95% intervals, {numbers['replications']} replications)"
        )
        for k in yes[:4]:
            kind = _kind(k)
            v = d[k]
            dd = _decimals(kind, [v["ci_high"] - v["difference"]])
            label = next(lb for key, lb, _ in plan.outcomes if key == k)
            lines.append(
                f"  {label}: {_fmt(v['difference'], kind, dd, True, True)} "
                f"[{_fmt(v['ci_low'], kind, dd, True, True)}, "
                f"{_fmt(v['ci_high'], kind, dd, True, True)}]"
            )
    return lines


# -- statistics -------------------------------------------------------------------------------


def paired_differences(y: np.ndarray) -> list[tuple[float, float, float, int]]:
    """Mean and 95% interval of ``y[j] - y[0]`` over replicates, for each scenario ``j`` of the
    matrix ``y[scenario, replicate]`` (replicates where either value is missing are left
    out); with the count of pairs. Row 0 against itself is exactly 0."""
    from .sweep.analysis import mean_ci

    out = []
    for j in range(len(y)):
        d = y[j] - y[0]
        d = d[np.isfinite(d)]
        m, lo, hi = mean_ci(d)
        out.append((m, lo, hi, int(d.size)))
    return out


def _stats(plan: Plan, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per scenario and outcome: mean, 95% interval, runs with a value; and the paired
    differences against the reference."""
    from .sweep.analysis import mean_ci, outcome_matrix

    n, reps = len(plan.scenarios), plan.sweep.replications
    labels = [s.label for s in plan.scenarios]
    vals, diffs = [], []
    for key, label, words in plan.outcomes:
        y = outcome_matrix(runs, _column(key), n, reps)
        for j, sc in enumerate(labels):
            m, lo, hi = mean_ci(y[j])
            vals.append((sc, key, label, words, m, lo, hi, int(np.isfinite(y[j]).sum())))
        ref_mean = mean_ci(y[0])[0]
        for j, (m, lo, hi, k) in enumerate(paired_differences(y)):
            if j and key.startswith("our_brand.peers_") and not _same_peers(plan, j):
                # the peers are the brands of our brand's strategy: another strategy, another
                # group, so the difference says nothing about the plan
                m = lo = hi = math.nan
                k = 0
            if j:  # the relative change: the mean difference over the reference's mean
                rel = m / abs(ref_mean) if np.isfinite(ref_mean) and ref_mean else math.nan
                diffs.append((labels[j], labels[0], key, label, words, m, lo, hi, k, rel))
    cols = ["scenario", "outcome", "label", "unit", "mean", "ci_low", "ci_high", "n"]
    values = pd.DataFrame(vals, columns=cols)
    values.loc[values["n"] < 2, ["ci_low", "ci_high"]] = math.nan  # one run: no interval
    dcols = ["scenario", "reference", "outcome", "label", "unit", "difference", "ci_low"]
    dcols += ["ci_high", "n", "relative"]
    d = pd.DataFrame(diffs, columns=dcols)
    d.loc[d["n"] < 2, ["ci_low", "ci_high"]] = math.nan
    d["distinguishable"] = (d["ci_low"] > 0) | (d["ci_high"] < 0)  # False without an interval
    return values, d


def _same_peers(plan: Plan, j: int) -> bool:
    """Whether scenario ``j``'s our brand has the reference's strategy (so the same peers)."""
    return (
        plan.scenarios[j].config.our_brand.strategy == plan.scenarios[0].config.our_brand.strategy
    )


# -- numbers in words -------------------------------------------------------------------------


def _kind(key: str) -> str:
    return _KIND[unit_of(key, "summary")]


def _decimals(kind: str, halves) -> int:
    """Decimals that show an interval's half-width to two significant digits (the smallest
    of ``halves``), capped by the kind; the kind's default when no interval is positive."""
    scale = 100.0 if kind in ("percent", "per100") else 1.0
    h = [abs(x) * scale for x in halves if np.isfinite(x) and x != 0]
    if not h:
        return _DEFAULT_DECIMALS[kind]
    d = min(2 - math.ceil(math.log10(min(h))), _MAX_DECIMALS[kind])
    return 2 if kind == "money" and d == 1 else d  # dollars and cents, or whole dollars


def _fmt(x: float, kind: str, d: int, signed: bool = False, diff: bool = False) -> str:
    """``x`` as the report writes it: ``$13.04``, ``2.004``, ``3.3%`` (``+0.42 pp`` as a
    difference), ``1,059,000``; ``none`` for a missing value."""
    if not np.isfinite(x):
        return "none"
    if kind in ("percent", "per100"):
        x = x * 100
    x = round(x, d) + 0.0  # -0.0 -> 0.0
    body = f"{abs(x):,.{max(d, 0)}f}"
    sign = "-" if x < 0 else ("+" if signed else "")
    if kind == "money":
        return f"{sign}${body}"
    if kind == "percent":
        return f"{sign}{body}{' pp' if diff else '%'}"
    return f"{sign}{body}"


def _interval(m, lo, hi, kind, d, diff=False, n=2) -> str:
    """``mean [low, high]`` (the mean alone from one run)."""
    if not np.isfinite(m):
        return "none"
    text = _fmt(m, kind, d, signed=diff, diff=diff)
    if n >= 2 and np.isfinite(lo) and np.isfinite(hi):
        a = _fmt(lo, kind, d, signed=diff, diff=diff)
        b = _fmt(hi, kind, d, signed=diff, diff=diff)
        text += f" [{a}, {b}]"
    return text


# -- the report -------------------------------------------------------------------------------


def _number(x: int) -> str:
    return f"{x:,}"


def write_report(plan: Plan, out: Path) -> dict:
    """Write ``report.md``, its figures, ``outcomes.csv``, ``differences.csv`` and
    ``compare.json`` into ``out`` from the finished sweep in ``out/sweep``; return the
    numbers. The report and tables hold no timing or path outside ``out``, so the same
    command gives the same bytes."""
    folder = out / "sweep"
    runs = pd.read_parquet(folder / "runs.parquet")
    values, diffs = _stats(plan, runs)
    series = _read_series(folder)
    figures = _figures(plan, values, series, out)
    values.to_csv(out / "outcomes.csv", index=False)
    diffs.to_csv(out / "differences.csv", index=False)
    numbers = _numbers(plan, values, diffs, figures)
    atomic_write_text(out / "report.md", _markdown(plan, values, diffs, figures))
    atomic_write_text(out / "compare.json", json.dumps(numbers, indent=2, default=_json) + "\n")
    return numbers


def _json(x):
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(type(x))


def _clean(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _numbers(plan: Plan, values: pd.DataFrame, diffs: pd.DataFrame, figures: list[str]) -> dict:
    sw = plan.sweep
    ref = plan.scenarios[0].label
    return {
        "kind": "influencer-sim compare",
        "quick": plan.quick,
        "reference": ref,
        "replications": sw.replications,
        "steps": sw.steps,
        "seeds": [sw.seed(0, r) for r in range(sw.replications)],
        "scenarios": [
            {
                "label": s.label,
                "given": s.arg,
                "question": s.question,
                "sets": s.keys,
                "followers": s.config.population.n_followers,
                "people": s.config.population.people,
            }
            for s in plan.scenarios
        ],
        "outcomes": {
            sc: {
                r.outcome: {
                    "mean": _clean(r.mean),
                    "ci_low": _clean(r.ci_low),
                    "ci_high": _clean(r.ci_high),
                    "n": int(r.n),
                }
                for r in g.itertuples()
            }
            for sc, g in values.groupby("scenario", sort=False)
        },
        "differences": {
            sc: {
                r.outcome: {
                    "difference": _clean(r.difference),
                    "ci_low": _clean(r.ci_low),
                    "ci_high": _clean(r.ci_high),
                    "n": int(r.n),
                    "distinguishable": bool(r.distinguishable),
                }
                for r in g.itertuples()
            }
            for sc, g in diffs.groupby("scenario", sort=False)
        },
        "files": ["report.md", *figures, "outcomes.csv", "differences.csv", "compare.toml"],
    }


def _keys_text(keys: dict) -> str:
    if not keys:
        return "nothing"
    return ", ".join(f"`{k} = {_toml(v)}`" for k, v in keys.items())


def _markdown(plan: Plan, values: pd.DataFrame, diffs: pd.DataFrame, figures: list[str]) -> str:
    sw = plan.sweep
    sc = plan.scenarios
    ref = sc[0].label
    labels = [s.label for s in sc]
    reps, days = sw.replications, sw.steps
    first = sc[0].config.population
    w = first.people / first.n_followers
    L: list[str] = [f"# Scenario comparison: {', '.join(labels)}", ""]
    if plan.quick:
        L += [
            "**Quick version (`--quick`): a check of the machinery on a tiny market, not a "
            "result.** Each scenario's own keys (where it differs from the defaults) ran on "
            f"`configs/tiny.toml`'s market of {_number(first.people)} people simulated by "
            f"{_number(first.n_followers)} followers.",
            "",
        ]
    sizes = {(s.config.population.n_followers, s.config.population.people) for s in sc}
    size_text = (
        f"in a market of {_number(first.people)} people simulated by "
        f"{_number(first.n_followers)} followers ({w:,.4g} people each)"
        if len(sizes) == 1
        else "at the sizes in the table below (the scenarios set different sizes)"
    )
    L += [
        f"Each scenario ran **{reps} times** (replications) for **{_number(days)} days** "
        f"{size_text}. Replicate k ran on the same seed in every scenario (common random "
        "numbers), so the runs of each replicate start from the same draws and share much of "
        f"their luck; each difference from **{ref}** (the first scenario, the reference) is "
        "measured replicate by replicate and averaged. Values are means over the runs with "
        "their 95% confidence interval in brackets: the range that holds the long-run mean "
        "(over many more runs of the model) in 95 of 100 such studies.",
        "",
        *_steps_note(plan),
        "| scenario | its question | what it sets"
        + (" (on the tiny market)" if plan.quick else f" differently from {ref}")
        + " | simulated followers | people |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in sc:
        sets = "(the reference)" if s is sc[0] and not plan.quick else _keys_text(s.keys)
        L.append(
            f"| {s.label} | {s.question} | {sets} | {_number(s.config.population.n_followers)} "
            f"| {_number(s.config.population.people)} |"
        )
    L += ["", f"## What differs from {ref}", ""]
    L += _sentences(plan, values, diffs)
    L += ["", "## Headline outcomes", ""]
    L += [
        "Mean over the runs, 95% interval in brackets. Returns per dollar are cumulative over "
        f"the {_number(days)} days.",
        "",
        "| outcome | unit | " + " | ".join(labels) + " |",
        "| --- | --- | " + " | ".join("---" for _ in labels) + " |",
    ]
    for key, label, words in plan.outcomes:
        rows = values[values["outcome"] == key].set_index("scenario").loc[labels]
        kind = _kind(key)
        d = _decimals(kind, (rows["ci_high"] - rows["mean"]).to_numpy())
        cells = []
        for r in rows.itertuples():
            c = _interval(r.mean, r.ci_low, r.ci_high, kind, d, n=r.n)
            if 0 < r.n < reps:
                c += f" ({r.n} run{'s' if r.n > 1 else ''} of {reps})"
            cells.append(c)
        L.append(f"| {label} | {words} | " + " | ".join(cells) + " |")
    L += ["", f"## Differences from {ref}", ""]
    L += [
        f"Each scenario minus {ref}, replicate by replicate: the mean difference and its 95% "
        "interval; shares differ in percentage points (pp). **A difference whose interval "
        f"includes 0 is not distinguishable from no difference at {reps} replications** "
        "(more replications narrow the intervals).",
        "",
        "| outcome | unit | " + " | ".join(f"{lb} - {ref}" for lb in labels[1:]) + " |",
        "| --- | --- | " + " | ".join("---" for _ in labels[1:]) + " |",
    ]
    for key, label, words in plan.outcomes:
        rows = diffs[diffs["outcome"] == key].set_index("scenario").loc[labels[1:]]
        kind = _kind(key)
        d = _decimals(kind, (rows["ci_high"] - rows["difference"]).to_numpy())
        cells = []
        for j, r in enumerate(rows.itertuples(), start=1):
            c = _interval(r.difference, r.ci_low, r.ci_high, kind, d, diff=True, n=r.n)
            if key.startswith("our_brand.peers_") and not _same_peers(plan, j):
                c = "not compared: our brand's strategy differs, so its peers do"
            elif r.difference == 0 and r.ci_low == 0 and r.ci_high == 0:
                c = "0 (the same in every run)"
            elif np.isfinite(r.difference):
                c += "" if r.distinguishable else " (not distinguishable)"
            cells.append(c)
        unit = words.replace("% of", "pp of") if kind == "percent" else words
        L.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    L += [
        "",
        "*none*: no value in that scenario: no brand of that strategy, no influencer post bought "
        "(earned media value per $ needs influencer spend), or no account in that tier.",
        "",
        "## Over time",
        "",
        "Each line is a scenario's mean over its runs, the shaded band its 95% interval, day by "
        f"day. {ref} is black; panel titles by tier or strategy wear its colour.",
        "",
    ]
    for f in figures:
        L += [f"![{_caption(f)}]({f})", ""]
    L += [
        "## How to read this",
        "",
        "- **Strategies.** Micro-strategy brands buy posts from micro accounts only, "
        "celebrity-strategy brands from celebrities only, mixed brands from every tier; all "
        "can also promote their own posts.",
        "- **Sales per $** is the sales value of every customer a brand won (sponsored posts, its "
        "own posts, word of mouth) over everything it spent; **earned media value per $** prices "
        "the attention its sponsored posts got as paid media would, over its influencer spend. "
        "The second is not sales.",
        "- **Intervals.** A difference is distinguishable when its interval lies wholly above "
        "or below 0. An interval that includes 0 says this many replications cannot tell the "
        "scenarios apart on that outcome, not that they are the same.",
        *(
            [
                "- **Our brand** is the focal brand a scenario sets (`[our_brand]`); its peers "
                "are the market's brands of its strategy, and the outcomes by strategy above "
                "leave it out. A scenario without our brand shows *none* for its rows.",
            ]
            if has_our_brand([s.config for s in sc])
            else []
        ),
        "- **Model, not forecast.** These are outcomes of the simulated market at its calibrated "
        "defaults (docs/CALIBRATION.md); they show the direction and rough size of an effect, "
        "not the figures of a real campaign.",
        "",
        "Files: `outcomes.csv` and `differences.csv` (these tables, unrounded), `compare.json` "
        "(the same with the seeds), `compare.toml` (the sweep that ran; "
        "`influencer-sim sweep compare.toml` reruns it), `sweep/` (every run: "
        "`runs.parquet`, per-day `series/`, `manifest.json`).",
        "",
    ]
    return "\n".join(L)


def _relative(x: float) -> str:
    """``, +55%``; one decimal below 1% (``, -0.4%``), so a real difference never reads
    ``-0%``; empty without a value."""
    if not np.isfinite(x):
        return ""
    return f", {x:+.1%}" if abs(x) < 0.01 else f", {x:+.0%}"


def _steps_note(plan: Plan) -> list[str]:
    """A line naming the scenarios whose own ``run.steps`` the comparison did not run."""
    days = plan.sweep.steps
    other = [f"{s.label} ({_number(s.own_steps)})" for s in plan.scenarios if s.own_steps != days]
    if not other or plan.quick:
        return []
    return [
        f"Every scenario ran {_number(days)} days, so all are on the same horizon; run alone, "
        f"{', '.join(other)} would run the days in brackets (its `run.steps`, or the default).",
        "",
    ]


def _caption(file: str) -> str:
    for o in (*OVERLAYS, OUR_BRAND_OVERLAY):
        if o.file == file:
            return o.title
    for f, _, title in _DOTS:
        if f == file:
            return title
    return file


def _sentences(plan: Plan, values: pd.DataFrame, diffs: pd.DataFrame) -> list[str]:
    """The distinguishable differences in words, scenario by scenario, then what is not."""
    ref = plan.scenarios[0].label
    reps = plan.sweep.replications
    lines: list[str] = []
    for s in plan.scenarios[1:]:
        d = diffs[diffs["scenario"] == s.label]
        yes = d[d["distinguishable"]]
        no = d[~d["distinguishable"] & np.isfinite(d["difference"])]
        lines.append(
            f"**{s.label}** against {ref}, {len(yes)} of {len(d)} outcomes distinguishable at "
            f"{reps} replications:"
        )
        lines.append("")
        for r in yes.itertuples():
            kind = _kind(r.outcome)
            vd = _decimals(kind, [r.ci_high - r.difference])
            a = values[(values["scenario"] == s.label) & (values["outcome"] == r.outcome)]
            b = values[(values["scenario"] == ref) & (values["outcome"] == r.outcome)]
            va, vb = float(a["mean"].iloc[0]), float(b["mean"].iloc[0])
            # the values with the difference's decimals, so that they show it
            pd_ = max(vd, _decimals(kind, [a["ci_high"].iloc[0] - va, b["ci_high"].iloc[0] - vb]))
            rel = _relative(r.relative)
            lines.append(
                f"- {r.label}: {_fmt(va, kind, pd_)} against {_fmt(vb, kind, pd_)}, "
                f"{_fmt(r.difference, kind, vd, True, True)} (95% interval "
                f"{_fmt(r.ci_low, kind, vd, True, True)} to "
                f"{_fmt(r.ci_high, kind, vd, True, True)}){rel}"
            )
        if len(no):
            lines += [
                "",
                f"Not distinguishable from {ref} at {reps} replications: "
                + "; ".join(no["label"])
                + ".",
            ]
        lines.append("")
    return lines[:-1]


# -- figures ----------------------------------------------------------------------------------


def _read_series(folder: Path) -> pd.DataFrame:
    import pyarrow.dataset as ds

    t = ds.dataset(folder / "series", format="parquet", partitioning="hive").to_table()
    df = t.to_pandas()
    df["point"] = df["point"].astype(np.int64)
    return df.sort_values(["point", "replicate", "step"]).reset_index(drop=True)


def _band(s: pd.DataFrame, column: str, smooth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, mean over replicates and 95% half-width of ``column`` (each run smoothed first)."""
    from .sweep.analysis import t_half_width

    wide = s.pivot(index="step", columns="replicate", values=column).sort_index()
    if smooth > 1:
        wide = wide.rolling(smooth, min_periods=1).mean()
    y = wide.to_numpy(dtype=float)
    n = np.isfinite(y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(np.isfinite(y), y, 0.0).sum(axis=1)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(np.isfinite(y), y - mean[:, None], 0.0)
        std = np.sqrt((dev**2).sum(axis=1) / np.maximum(n - 1, 1))
    half = np.where(n > 1, t_half_width(std, n), np.nan)
    return wide.index.to_numpy(), mean, half


def _color(j: int) -> str:
    return SCENARIO_COLORS[j % len(SCENARIO_COLORS)]


def _style(j: int) -> str:
    return ("-", "--", ":")[(j // len(SCENARIO_COLORS)) % 3]


def _save(fig, out: Path, name: str) -> str:
    fig.savefig(out / name, dpi=110, metadata={"Software": None})
    return name


def _figures(plan: Plan, values: pd.DataFrame, series: pd.DataFrame, out: Path) -> list[str]:
    from matplotlib.figure import Figure

    labels = [s.label for s in plan.scenarios]
    files = []
    for o in overlays_for([s.config for s in plan.scenarios]):
        k = len(o.panels)
        cols = min(k, 3)
        rows = math.ceil(k / cols)
        fig = Figure(figsize=(4.2 * cols + 1.6, 3.1 * rows + 0.6))
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat[k:]:
            ax.set_visible(False)
        for ax, (column, title, color) in zip(axes.flat, o.panels, strict=False):
            empty = []
            for j, lb in enumerate(labels):
                day, mean, half = _band(series[series["point"] == j], column, o.smooth)
                if not np.isfinite(mean).any():
                    empty.append(lb)
                    continue
                ax.plot(day, mean, color=_color(j), ls=_style(j), lw=1.4, label=tex_safe(lb))
                ax.fill_between(day, mean - half, mean + half, color=_color(j), alpha=0.2, lw=0)
            if empty:
                ax.text(
                    0.02,
                    0.02,
                    tex_safe("no values: " + ", ".join(empty)),
                    transform=ax.transAxes,
                    fontsize=7,
                    color="#636363",
                )
            if title:
                ax.set_title(tex_safe(title), fontsize=10, color=color or "black")
            ax.set_xlabel("day")
            ax.set_ylabel(tex_safe(o.ylabel))
            ax.grid(alpha=0.3)
        handles, names = [], []
        for ax in axes.flat:
            for h, n in zip(*ax.get_legend_handles_labels(), strict=True):
                if n not in names:
                    handles.append(h)
                    names.append(n)
        if handles:
            fig.legend(handles, names, loc="center right", fontsize=8, frameon=False)
        fig.suptitle(tex_safe(o.title), fontsize=11)
        fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth(), 1))
        files.append(_save(fig, out, o.file))
    for name, family, title in _DOTS:
        files.append(_dots(plan, values, family, title, name, out))
    return files


def _dots(plan: Plan, values: pd.DataFrame, family: str, title: str, name: str, out: Path) -> str:
    """Each scenario's mean and 95% interval for every tier, side by side (log scale)."""
    from matplotlib.figure import Figure

    from .plots import plain_log_axis

    labels = [s.label for s in plan.scenarios]
    key0 = f"{family}.{TIERS[0]}"
    unit = next(w for k, _, w in HEADLINE if k == key0)
    scale = 100.0 if _kind(key0) in ("percent", "per100") else 1.0
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.add_subplot()
    width = 0.8 / len(labels)
    drawn = False
    for j, lb in enumerate(labels):
        xs, ms, los, his = [], [], [], []
        for i, t in enumerate(TIERS):
            r = values[(values["scenario"] == lb) & (values["outcome"] == f"{family}.{t}")]
            m, lo, hi = (float(r[c].iloc[0]) * scale for c in ("mean", "ci_low", "ci_high"))
            if np.isfinite(m) and m > 0:
                xs.append(i - 0.4 + width * (j + 0.5))
                ms.append(m)
                los.append(m - lo if np.isfinite(lo) else 0.0)
                his.append(hi - m if np.isfinite(hi) else 0.0)
        if xs:
            drawn = True
            ax.errorbar(
                xs,
                ms,
                yerr=[los, his],
                fmt="o",
                ms=4,
                capsize=2,
                color=_color(j),
                label=tex_safe(lb),
            )
    if drawn:
        plain_log_axis(ax)
        # fitted to the means: a whisker that reaches 0 or below runs off the axis
        means = values[values["outcome"].str.startswith(family + ".")]["mean"] * scale
        means = means[np.isfinite(means) & (means > 0)]
        ax.set_ylim(float(means.min()) / 4, float(means.max()) * 4)
    ax.set_xticks(range(len(TIERS)), TIERS)
    for tick, t in zip(ax.get_xticklabels(), TIERS, strict=True):
        tick.set_color(TIER_COLORS[t])
    ax.set_ylabel(tex_safe(unit))
    ax.set_title(tex_safe(f"{title}: mean and 95% interval"), fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return _save(fig, out, name)
