"""Published figures the model is calibrated to, the figures a run is compared with, and the
checks that hold a run against them.

A figure here is a **calibration target**: a parameter was tuned so that the baseline
reproduces it, so meeting it shows the tuning worked, nothing more. Each target names the
parameters it set and its source. The targets are written once, in the shipped targets file
``configs/calibration.toml`` (the one ``influencer-sim calibrate calibration`` fits);
:func:`calibration_targets` reads them from there for the checks and the validation report.
Figures that no parameter was fitted to are in :mod:`simulation.validation`.

A target compares a published figure with one **model output**: a key of ``summary.json``
(flattened, e.g. ``paid_to_list_by_tier.micro``) or a **computed figure** of the small set
:data:`FIGURES`, each a function of the per-run tables :func:`figure_tables` makes (so a sweep
keeps them for every run with ``outcomes.tables = "simulation.calibration:figure_tables"``).
``docs/CALIBRATION.md`` explains each target.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .outputs import flatten_summary, steady_state, summary_keys
from .runner import RunResult
from .vocabulary import TIERS

__all__ = [
    "FIGURES",
    "SIZE_EDGES",
    "TARGETS_FILE",
    "Check",
    "Figure",
    "Target",
    "calibration_checks",
    "calibration_targets",
    "check_figure_args",
    "engagement_by_bucket",
    "figure_tables",
    "is_output",
    "markerly",
    "output_value",
    "output_values",
]

#: Audience sizes (people) that bound the follower ranges of the engagement figures: a 1-2-5
#: series, so Markerly's ranges (1k, 10k, 100k, 10M), the tier bounds (500, 5k, 50k, 500k)
#: and HypeAuditor's (1k, 5k, 20k, 100k, 1M) are all unions of whole bins.
SIZE_EDGES: tuple[float, ...] = (
    0.0,
    *(m * 10.0**e for e in range(2, 8) for m in (1, 2, 5)),
    1e8,
    math.inf,
)


# --------------------------------------------------------------------------------------
# computed figures


def _size_bins(inf: pd.DataFrame) -> pd.DataFrame:
    """Engagement by audience size at the start of the run, in the bins of
    :data:`SIZE_EDGES`: accounts, engagements and follower-posts summed (people), and the sum
    and count of the accounts' own rates ``engagements / follower_posts`` (accounts that
    posted)."""
    n = inf["followers_start"].to_numpy(dtype=float)
    eng = inf["engagements"].to_numpy(dtype=float)
    fp = inf["follower_posts"].to_numpy(dtype=float)
    rated = fp > 0
    rate = np.divide(eng, fp, out=np.zeros_like(eng), where=rated)
    rows = []
    for lo, hi in itertools.pairwise(SIZE_EDGES):
        sel = (n >= lo) & (n < hi)
        rows.append(
            {
                "low": lo,
                "high": hi,
                "accounts": int(sel.sum()),
                "engagements": float(eng[sel].sum()),
                "follower_posts": float(fp[sel].sum()),
                "rate_sum": float(rate[sel & rated].sum()),
                "rated_accounts": int((sel & rated).sum()),
            }
        )
    return pd.DataFrame(rows)


def _tier_prices(ts: pd.DataFrame, period: int) -> pd.DataFrame:
    """Each tier's mean price over the steady-state window (the last quarter of the run,
    :func:`simulation.outputs.steady_state`)."""
    span = steady_state(ts, period)["window_days"]
    return pd.DataFrame(
        {
            "tier": list(TIERS),
            "price": [
                float(ts[f"price_{t}"].iloc[-span:].mean()) if span else math.nan for t in TIERS
            ],
        }
    )


def figure_tables(result: RunResult, _snapshots=None) -> dict[str, pd.DataFrame]:
    """The per-run tables every computed figure is read from: ``size_bins`` (engagement by
    audience size) and ``tier_prices`` (tier prices at the steady state). A sweep's
    ``outcomes.tables`` function (``simulation.calibration:figure_tables``)."""
    return {
        "size_bins": _size_bins(result.influencers),
        "tier_prices": _tier_prices(result.timeseries, result.config.run.period),
    }


def _bins_in(bins: pd.DataFrame, followers) -> pd.DataFrame:
    lo, hi = followers
    return bins[(bins["low"] >= lo) & (bins["high"] <= hi)]


def _engagement_pooled(tables: dict, followers) -> float:
    b = _bins_in(tables["size_bins"], followers)
    fp = b["follower_posts"].sum()
    return float(b["engagements"].sum() / fp) if fp > 0 else math.nan


def _engagement_account_mean(tables: dict, followers) -> float:
    b = _bins_in(tables["size_bins"], followers)
    k = b["rated_accounts"].sum()
    return float(b["rate_sum"].sum() / k) if k > 0 else math.nan


def _price_steady_state(tables: dict, tier) -> float:
    t = tables["tier_prices"]
    return float(t.loc[t["tier"] == tier, "price"].iloc[0])


@dataclass(frozen=True)
class Figure:
    """A computed figure: a model output that is not a ``summary.json`` key.

    Attributes:
        name: what a target's ``output`` calls it.
        args: the arguments a target gives it (keys of the target's table).
        unit: its unit.
        meaning: what it measures, and which published figures it is made to match.
        compute: ``compute(tables, **args)`` from the tables of :func:`figure_tables`.
    """

    name: str
    args: tuple[str, ...]
    unit: str
    meaning: str
    compute: Callable[..., float]


#: The computed figures a target may name as its ``output``.
FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure(
            "engagement_pooled",
            ("followers",),
            "engagements per follower-post",
            "all engagements over all follower-posts of the accounts whose audience at the "
            "start is in [low, high) people (`followers = [low, high]`, both in SIZE_EDGES): "
            "one rate for the range, as Markerly 2016 pools its accounts",
            _engagement_pooled,
        ),
        Figure(
            "engagement_account_mean",
            ("followers",),
            "engagements per follower-post",
            "the mean over the accounts in [low, high) of each account's own rate "
            "(engagements over follower-posts): an average of accounts, as HypeAuditor "
            "reports its tiers",
            _engagement_account_mean,
        ),
        Figure(
            "price_steady_state",
            ("tier",),
            "$ per post",
            "the tier's mean price (`price_<tier>`) over the steady-state window, the last "
            "quarter of the run",
            _price_steady_state,
        ),
    )
}


def check_figure_args(figure: str, args: dict, where: str) -> dict:
    """The arguments of a computed figure, checked; ``ValueError`` naming what is wrong."""
    fig = FIGURES[figure]
    missing = [a for a in fig.args if a not in args]
    extra = sorted(set(args) - set(fig.args))
    if missing or extra:
        raise ValueError(
            f"{where}: output {figure!r} takes {', '.join(fig.args)}"
            + (f"; missing {missing[0]}" if missing else f"; unknown {extra[0]}")
        )
    out = {}
    for a in fig.args:
        v = args[a]
        if a == "followers":
            ok = (
                isinstance(v, (list, tuple))
                and len(v) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            )
            if not ok or v[0] not in SIZE_EDGES or v[1] not in SIZE_EDGES or v[0] >= v[1]:
                edges = ", ".join(f"{e:g}" for e in SIZE_EDGES)
                raise ValueError(
                    f"{where}.followers: {v!r} is not a range [low, high] of audience sizes "
                    f"with low < high, both one of {edges}"
                )
            out[a] = (float(v[0]), float(v[1]))
        elif a == "tier":
            if v not in TIERS:
                raise ValueError(f"{where}.tier: {v!r} is not one of {', '.join(TIERS)}")
            out[a] = v
    return out


def is_output(name: str) -> bool:
    """Whether ``name`` is a model output a target may use: a summary key or a figure."""
    return name in FIGURES or name in summary_keys()


def output_value(output: str, args: dict, summary_flat: dict, tables: dict | None) -> float:
    """One model output of a run, from its flattened summary and its :func:`figure_tables`."""
    if output in FIGURES:
        return FIGURES[output].compute(tables, **args)
    v = summary_flat.get(output)
    return math.nan if v is None else float(v)


# --------------------------------------------------------------------------------------
# targets


@dataclass(frozen=True)
class Target:
    """One published figure a model output is held against.

    Attributes:
        name: a label.
        output: a summary key or a computed figure (:data:`FIGURES`).
        value: the published figure.
        low, high: the interval the model's value must fall in (value ± tolerance, or
            value ± 2 standard errors, or an interval given as such).
        source: where the figure comes from.
        args: the computed figure's arguments, as ``((key, value), ...)``.
        parameters: the parameters this target sets (calibration targets).
        tolerance: how the interval was given, in words (for reports).
    """

    name: str
    output: str
    value: float
    low: float
    high: float
    source: str
    args: tuple = ()
    parameters: tuple[str, ...] = ()
    tolerance: str = ""

    @property
    def kwargs(self) -> dict:
        return dict(self.args)

    def deviation(self, model) -> np.ndarray:
        """Standardized deviation of model values from the figure: ``(model - value)`` over
        the interval's half-width on that side, so 0 at the figure and ±1 at the edges of
        the interval (``|d| <= 1``: within tolerance). NaN where the model value is."""
        m = np.asarray(model, dtype=float)
        up = self.high - self.value
        down = self.value - self.low
        return np.where(m >= self.value, (m - self.value) / up, (m - self.value) / down)

    def within(self, model: float) -> bool:
        return bool(np.isfinite(model) and self.low <= model <= self.high)


#: The shipped targets file: ``configs/calibration.toml``, in the package as
#: ``simulation.configs``.
TARGETS_FILE = "calibration.toml"


@functools.cache
def calibration_targets() -> tuple[Target, ...]:
    """The published figures the model is calibrated to, each with the parameters it set:
    the targets of the shipped targets file :data:`TARGETS_FILE`, checked as
    ``influencer-sim calibrate`` checks them (read once per process)."""
    from .calibrate import load_targets
    from .resources import configs_dir

    return load_targets(configs_dir() / TARGETS_FILE).targets


def markerly() -> list[tuple[tuple[float, float], float]]:
    """Markerly 2016's like rate by follower range (about 2M Instagram accounts), as
    ``((low, high), rate)`` in the order of the targets file: its engagement targets."""
    return [
        (t.kwargs["followers"], t.value)
        for t in calibration_targets()
        if t.output == "engagement_pooled" and t.source.startswith("Markerly 2016")
    ]


def output_values(targets, result: RunResult) -> dict[str, float]:
    """Each target's model output in one run, by target name."""
    flat = flatten_summary(result.summary)
    tables = figure_tables(result) if any(t.output in FIGURES for t in targets) else None
    return {t.name: output_value(t.output, t.kwargs, flat, tables) for t in targets}


# --------------------------------------------------------------------------------------
# checks of one run


@dataclass(frozen=True)
class Check:
    """One calibration target against the model's value."""

    name: str
    target: str
    value: float
    low: float
    high: float
    source: str
    parameters: str = ""

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.value) and self.low <= self.value <= self.high)

    def row(self) -> dict:
        return {
            "check": self.name,
            "published": self.target,
            "model": self.value,
            "allowed": f"[{self.low:.4g}, {self.high:.4g}]",
            "pass": self.passed,
            "source": self.source,
            "parameters": self.parameters,
        }


def engagement_by_bucket(influencers: pd.DataFrame) -> dict[str, float]:
    """Pooled engagement rate (all engagements over all follower-posts) by Markerly's
    follower ranges, with accounts placed by their audience at the start of the run."""
    out = {}
    for (lo, hi), _ in markerly():
        sel = (influencers["followers_start"] >= lo) & (influencers["followers_start"] < hi)
        exposed = influencers.loc[sel, "follower_posts"].sum()
        out[f"{lo:g}-{hi:g}"] = (
            float(influencers.loc[sel, "engagements"].sum() / exposed)
            if exposed > 0
            else float("nan")
        )
    return out


def _published(t: Target) -> str:
    if t.output.startswith("engagement"):
        return f"{t.value:.1%}"
    if t.output == "return_per_dollar":
        return f"${t.value:.2f}"
    return f"{t.value:g}"


def calibration_checks(result: RunResult, targets=None) -> list[Check]:
    """The calibration targets (default: :func:`calibration_targets`) against one run of the
    baseline scenario.

    Engagement by follower range within 35% of Markerly's rates
    (``behaviour.engagement_base``, ``engagement_size_exponent``); micro posts selling at
    their rate-card (recognition) price, paid over list in [0.8, 1.25] (``brands.margin``);
    earned media value per dollar of influencer spend within 35% of $6.50
    (``brands.value_per_engagement``).
    """
    targets = calibration_targets() if targets is None else targets
    values = output_values(targets, result)
    return [
        Check(
            t.name,
            _published(t),
            values[t.name],
            t.low,
            t.high,
            t.source,
            ", ".join(t.parameters),
        )
        for t in targets
    ]
