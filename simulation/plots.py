"""How a run's time series is drawn: one colour per tier, strategy and event, and one chart
list (:data:`CHARTS`) that both the run's PNG plots (:func:`plot_run`) and the classroom
page's charts (``simulation/app/charts.py``) draw from.

Read-only: plots never touch the model. No pyplot either: figures are
``matplotlib.figure.Figure`` objects, so drawing is safe in a server's threads and leaves no
global state behind.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .outputs import TIMESERIES, unit_of
from .vocabulary import CHANNELS, STRATEGIES, TIERS

__all__ = [
    "CHANNEL_COLORS",
    "CHARTS",
    "EVENT_COLORS",
    "OUR_BRAND_COLOR",
    "SCENARIO_COLORS",
    "STRATEGY_COLORS",
    "TIER_COLORS",
    "Chart",
    "Series",
    "chart_lines",
    "charts_markdown",
    "plain_log_axis",
    "plot_run",
    "tex_safe",
]

#: One colour per tier, smallest to largest, in every plot, page and figure.
TIER_COLORS: dict[str, str] = {
    "nano": "#8c96c6",
    "micro": "#2ca25f",
    "mid": "#fdae6b",
    "macro": "#8856a7",
    "celebrity": "#de2d26",
}
#: One colour per brand strategy: the micro and celebrity strategies buy (only) their tier,
#: so they wear its colour; mixed is blue, a colour no tier uses.
STRATEGY_COLORS: dict[str, str] = {
    "micro": TIER_COLORS["micro"],
    "celebrity": TIER_COLORS["celebrity"],
    "mixed": "#3182bd",
}
#: Our brand (``[our_brand]``), drawn beside the strategies: black, a colour no tier, strategy
#: or event uses.
OUR_BRAND_COLOR = "#000000"
#: A brand's channels: its own posts (grey), then the tiers.
CHANNEL_COLORS: dict[str, str] = {"own": "#636363", **TIER_COLORS}
#: What happens to followers, in colours no tier or strategy uses (unfollows are not red:
#: red is the celebrity tier).
EVENT_COLORS: dict[str, str] = {
    "unfollow": "#e7298a",
    "follow": "#17becf",
    "trust": "#8c510a",
    "fatigue": "#b8860b",
    "adoption": "#252525",
}
#: One colour per scenario where several scenarios are overlaid (``influencer-sim compare``), in
#: the order given: the Okabe-Ito palette, which readers with the common colour-vision
#: deficiencies tell apart (Okabe & Ito 2008), its black first for the reference scenario.
#: Tiers and strategies keep their own colours in the panel titles of such figures.
SCENARIO_COLORS: tuple[str, ...] = (
    "#000000",
    "#e69f00",
    "#56b4e9",
    "#cc79a7",
    "#009e73",
    "#0072b2",
    "#d55e00",
    "#f0e442",
)
#: Neutral colours for shares of content.
_DARK, _LIGHT = "#252525", "#969696"


@dataclass(frozen=True)
class Series:
    """One line of a chart: a time-series column, its legend label and its colour.
    ``optional`` lines (our brand's) are in the page's legend only when they have values."""

    column: str
    label: str
    color: str
    optional: bool = False


@dataclass(frozen=True)
class Chart:
    """One chart of the time series.

    Attributes:
        title: what it shows.
        ylabel: the y axis; ``{unit}`` in it stands for the declared unit of the columns
            (``outputs.TIMESERIES``; they then share one).
        series: the lines.
        log: log scale (for values spread over decades).
        smooth: each line is its trailing mean over this many days (1: as recorded).
        relative: each line is divided by its first value, so a change of a few percent
            shows on a linear scale.
        zero: the linear y axis starts at 0 (else it fits the data, so a small change is not
            flattened against a distant zero).
        page: also drawn on the classroom page.
    """

    title: str
    ylabel: str
    series: tuple[Series, ...]
    log: bool = False
    smooth: int = 1
    relative: bool = False
    zero: bool = True
    page: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.column for s in self.series)

    @property
    def unit(self) -> str:
        """The declared unit of the columns (the units of all, joined, if they differ)."""
        return ", ".join(dict.fromkeys(unit_of(c) or "" for c in self.columns))

    @property
    def axis_label(self) -> str:
        return self.ylabel.replace("{unit}", self.unit)

    @property
    def full_title(self) -> str:
        return f"{self.title} ({self.smooth}-day mean)" if self.smooth > 1 else self.title


def tex_safe(text: str) -> str:
    """``text`` with its dollar signs escaped, so that matplotlib never reads ``$...$`` in a
    label as mathematics."""
    return text.replace("$", r"\$")


def plain_log_axis(ax) -> None:
    """A log y axis whose ticks read 0.02, 0.05, 100 rather than 2x10^-2: narrower, so a
    long axis label still fits, and plainer to read."""
    from matplotlib import ticker

    class Plain(ticker.LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return f"{x:g}"

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(Plain())
    ax.yaxis.set_minor_formatter(Plain(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _tiers(pattern: str) -> tuple[Series, ...]:
    return tuple(Series(pattern.format(t), t, TIER_COLORS[t]) for t in TIERS)


def _strategies(pattern: str) -> tuple[Series, ...]:
    return tuple(Series(pattern.format(s), s, STRATEGY_COLORS[s]) for s in STRATEGIES)


#: The charts, by name: the run writes ``<name>.png`` for each; the page shows those marked
#: ``page``. Y labels carry the declared unit of their columns (``outputs.TIMESERIES``).
CHARTS: dict[str, Chart] = {
    "engagement_by_tier": Chart(
        "Engagement rate by tier",
        "{unit}; log scale, 0.01 = 1%",
        _tiers("engagement_rate_{}"),
        log=True,
        smooth=7,
        page=True,
    ),
    "prices_by_tier": Chart(
        "Mean price of a sponsored post by tier",
        "{unit}; log scale",
        _tiers("price_{}"),
        log=True,
        page=True,
    ),
    "followers_by_tier": Chart(
        "Followers by tier, relative to day 1",
        "followers over followers on day 1",
        _tiers("followers_{}"),
        relative=True,
        zero=False,
        page=True,
    ),
    "unfollows": Chart(
        "Unfollows and new follows per day",
        "{unit} per day",
        (
            Series("unfollows", "unfollows", EVENT_COLORS["unfollow"]),
            Series("follows", "new follows", EVENT_COLORS["follow"]),
        ),
        smooth=7,
        page=True,
    ),
    "sponsored_share": Chart(
        "Commercial content and ad fatigue",
        "share (0.05 = 5%); fatigue level in [0, 1]",
        (
            Series("sponsored_share", "sponsored posts", _DARK),
            Series("commercial_share", "accounts' recent sponsored share", _LIGHT),
            Series("mean_fatigue", "ad fatigue", EVENT_COLORS["fatigue"]),
        ),
        smooth=7,
        page=True,
    ),
    "trust": Chart(
        "Mean trust on follow edges, relative to each follower's baseline",
        "relative trust r, {unit}",
        (Series("mean_trust", "mean trust", EVENT_COLORS["trust"]),),
        zero=False,
        page=True,
    ),
    "sales_by_strategy": Chart(
        "Sales value per dollar by brand strategy, and our brand's (cumulative)",
        "sales value per $ spent ({unit})",
        (
            *_strategies("sales_per_dollar_{}"),
            Series("our_brand_sales_per_dollar", "our brand", OUR_BRAND_COLOR, optional=True),
        ),
        page=True,
    ),
    "return_by_strategy": Chart(
        "Earned media value per $ on influencers, by strategy and our brand's (cumulative)",
        "EMV per $ spent on influencers ({unit})",
        (
            *_strategies("return_per_dollar_{}"),
            Series("our_brand_return_per_dollar", "our brand", OUR_BRAND_COLOR, optional=True),
        ),
    ),
    "budget_shares": Chart(
        "Where brands plan their budget (mean over brands)",
        "{unit} of the budget",
        tuple(
            Series(f"budget_share_{c}", "own posts" if c == "own" else c, CHANNEL_COLORS[c])
            for c in CHANNELS
        ),
        page=True,
    ),
    "adoption": Chart(
        "Followers who bought a brand's product",
        "{unit} of all followers",
        (Series("adopted_share", "adopted", EVENT_COLORS["adoption"]),),
        page=True,
    ),
}


def chart_lines(chart: Chart, data: Mapping[str, object]) -> list[np.ndarray]:
    """The values each line of ``chart`` draws, from the time-series columns in ``data`` (a
    DataFrame, or the page's DataCollector lists): smoothed, made relative to the first
    value, and with values a log scale cannot show set to NaN."""
    out = []
    for s in chart.series:
        y = pd.Series(np.asarray(data.get(s.column, []), dtype=float))
        if chart.smooth > 1:
            y = y.rolling(chart.smooth, min_periods=1).mean()
        y = y.to_numpy()
        if chart.relative:
            ok = np.flatnonzero(np.isfinite(y) & (y > 0))
            y = y / y[ok[0]] if ok.size else np.full_like(y, np.nan)
        if chart.log:
            y = np.where(y > 0, y, np.nan)
        out.append(y)
    return out


def plot_run(ts: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write the run's plots into folder ``out`` (``<name>.png`` for each of
    :data:`CHARTS`); return their paths."""
    from matplotlib.figure import Figure

    out = Path(out)
    paths = []
    for name, chart in CHARTS.items():
        fig = Figure(figsize=(8, 4), dpi=100)
        ax = fig.add_subplot()
        drawn = 0
        lines = chart_lines(chart, ts)
        for s, y in zip(chart.series, lines, strict=True):
            if np.isfinite(y).any():
                ax.plot(ts["step"], y, label=tex_safe(s.label), color=s.color)
                drawn += 1
        if chart.log and drawn:
            plain_log_axis(ax)
        elif chart.zero and drawn:
            low = min(float(np.nanmin(y)) for y in lines if np.isfinite(y).any())
            top = ax.get_ylim()[1]
            ax.set_ylim(min(0.0, ax.get_ylim()[0]) if low < 0 else 0.0, top if top > 0 else 1.0)
        ax.set_title(tex_safe(chart.full_title), fontsize=11)
        ax.set_xlabel("day")
        # long labels wrap, so they fit the axis height
        ax.set_ylabel("\n".join(textwrap.wrap(tex_safe(chart.axis_label), 44)))
        if drawn and len(chart.series) > 1:  # one line: the title names it
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if not drawn:
            ax.text(
                0.5, 0.5, "nothing to show in this scenario", ha="center", transform=ax.transAxes
            )
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path, metadata={"Software": None})
        paths.append(path)
    return paths


def _columns_text(columns: tuple[str, ...]) -> str:
    """``engagement_rate_<tier>`` for a whole family of declared columns, else the names."""
    parts, left = [], list(columns)
    for o in TIMESERIES:
        if len(o.names) < 2 or not set(o.names) <= set(left):
            continue
        for kind, over in (("tier", TIERS), ("strategy", STRATEGIES), ("channel", CHANNELS)):
            stem = o.names[0][: -len(over[0])]
            if o.names == tuple(stem + x for x in over):
                parts.append(f"`{stem}<{kind}>`")
                left = [c for c in left if c not in o.names]
                break
    return ", ".join([*parts, *(f"`{c}`" for c in left)])


def charts_markdown() -> str:
    """The docs table of the plots (docs/OUTPUTS.md)."""
    lines = [
        "| file | title | columns | y axis | scale | on the page |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, c in CHARTS.items():
        scale = "log" if c.log else "linear" if c.zero else "linear, fitted to the data"
        if c.relative:
            scale += "; each line over its day-1 value"
        lines.append(
            f"| `{name}.png` | {c.full_title} | {_columns_text(c.columns)} | {c.axis_label} "
            f"| {scale} | {'yes' if c.page else 'no'} |"
        )
    return "\n".join(lines)
