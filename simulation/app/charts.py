"""The page's pictures: the charts as Vega-Lite specifications, the network as an image.

Charts are those of the one chart list (``plots.CHARTS``) marked ``page``, with the same
titles, units, smoothing and colours as the run's PNG plots. Each is a Vega-Lite
specification (a plain dict; the browser draws it as SVG, so it stays sharp on a projector
and when zoomed): the current run in full colour and, when there is one, the previous run of
the same tab faded and dashed on the same axes, so two runs compare at a glance. The x axis
is fixed from day 0 to the stop day (or the longest run shown), so a line grows across a
frame that does not move. Text is 14 px or more.

The network view (:class:`NetworkCanvas`) is drawn with matplotlib into a PNG larger than
the page shows it, without text (its legend is the page's); what changes slowly is redrawn
now and then into a kept background, and each frame draws only the rest over it. Canvases
use ``matplotlib.figure.Figure`` directly (no pyplot), so they are safe in the server's
threads.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure
from PIL import Image

from ..plots import CHARTS as ALL_CHARTS
from ..plots import EVENT_COLORS, TIER_COLORS, Chart, chart_lines
from ..vocabulary import TIERS

__all__ = [
    "CHARTS",
    "FOLLOWER_COLORS",
    "FONT_PX",
    "MAX_POINTS",
    "RUNS",
    "TIER_COLORS",
    "NetworkCanvas",
    "chart_spec",
    "draw_network",
]

#: The page's charts: those of the one chart list (``plots.CHARTS``) marked ``page``.
CHARTS: dict[str, Chart] = {name: c for name, c in ALL_CHARTS.items() if c.page}

#: Smallest text on the charts, in CSS pixels (ticks, legends, axis titles).
FONT_PX = 14

#: Most points drawn per line and run: a longer run is thinned to this many evenly spaced
#: days (the last day always kept). The lines are already smoothed, so nothing visible is
#: lost, and a frame stays a few kilobytes per chart whatever the run's length.
MAX_POINTS = 150

#: The two runs a chart shows: this run (full colour) and the previous one (faded, dashed).
RUNS: tuple[str, str] = ("this run", "previous run")

#: What can colour the followers of the network view: colour map and label.
FOLLOWER_COLORS: dict[str, tuple[Colormap, str]] = {
    # no red or green: those are the celebrity and micro tiers of the ring
    "trust": (colormaps["cividis"], "trust in the accounts followed"),
    "fatigue": (colormaps["magma_r"], "ad fatigue"),
    "adopted": (
        ListedColormap(["#bdbdbd", EVENT_COLORS["adoption"]]),
        "bought a product (1 = yes)",
    ),
}

_GREY = (0.59, 0.59, 0.59, 0.3)

#: Frames between two redraws of the network's grey follow edges.
BAKE_EVERY = 10

#: Pixels per inch of the network image: 550 pixels square, more than the page shows it
#: at, so it stays sharp on a projector.
DPI = 110


def _days_to_draw(n: int, most: int = MAX_POINTS) -> np.ndarray:
    """Indices of the days drawn out of ``n``: all of them up to ``most``, else ``most``
    evenly spaced ones with the first and the last."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def _significant(y: np.ndarray, digits: int = 4) -> list[float | None]:
    """``y`` rounded to ``digits`` significant digits (a smaller frame to send), with
    ``None`` (JSON's null) for undefined values."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y) & (y != 0)
    exp = np.zeros_like(y)
    exp[ok] = np.floor(np.log10(np.abs(y[ok])))
    scale = 10.0 ** (digits - 1 - exp)
    rounded = np.where(ok, np.round(y * scale) / scale, y)
    return [v if math.isfinite(v) else None for v in rounded.tolist()]


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most about ``width`` characters (Vega draws a list of
    strings as lines; a title wider than the chart would squeeze the plot)."""
    return textwrap.wrap(text, width) or [""]


def _legend_columns(labels: list[str], room_px: float = 290.0) -> int:
    """Most legend columns whose entries fit ``room_px`` pixels side by side at 14 px
    (about 7.5 px a character, 26 px for the symbol and the gap)."""
    for columns in range(len(labels), 0, -1):
        widths = [
            max(len(label) for label in labels[j::columns]) * 7.5 + 26 for j in range(columns)
        ]
        if sum(widths) <= room_px:
            return columns
    return 1


def chart_rows(
    chart: Chart, data: Mapping[str, Sequence[float]], run: str = RUNS[0]
) -> list[dict[str, Any]]:
    """The points of ``chart`` for one run, one row per day drawn: ``{"day", "run", and
    one value per line, keyed by its label}``. The lines are those of
    :func:`simulation.plots.chart_lines` (smoothed, relative, positive on a log scale),
    thinned to :data:`MAX_POINTS` days; an undefined value is ``None`` (not drawn)."""
    columns = ["step", *chart.columns]
    n = min((len(data.get(c, ())) for c in columns), default=0)
    if n == 0:
        return []
    cut = {c: list(data[c])[:n] for c in columns}
    keep = _days_to_draw(n)
    days = np.asarray(cut["step"], dtype=float)[keep].astype(int).tolist()
    lines = [_significant(y[keep]) for y in chart_lines(chart, cut)]
    labels = [s.label for s in chart.series]
    return [
        {"day": d, "run": run, **dict(zip(labels, values, strict=True))}
        for d, *values in zip(days, *lines, strict=True)
    ]


def chart_spec(
    name: str,
    now: Mapping[str, Sequence[float]],
    previous: Mapping[str, Sequence[float]] | list[dict[str, Any]] | None = None,
    last_day: int = 365,
    height: int = 150,
) -> dict[str, Any]:
    """The Vega-Lite specification of chart ``name`` of :data:`CHARTS`.

    Args:
        name: a key of :data:`CHARTS`.
        now: the current run's time-series columns (``step`` and the chart's columns).
        previous: the previous run's columns (or its rows, :func:`chart_rows` with
            ``RUNS[1]``), drawn faded and dashed; ``None`` for none.
        last_day: the x axis runs from 0 to this day (or the longest run shown).
        height: the plot's height in pixels (its width follows the page's column).
    """
    chart = CHARTS[name]
    if isinstance(previous, list):
        rows = list(previous)
    else:
        rows = chart_rows(chart, previous, RUNS[1]) if previous else []
    rows += chart_rows(chart, now, RUNS[0])
    x_end = max([int(last_day), 10, *(r["day"] for r in rows)])
    # an optional line (our brand's) is in the legend only when it has a value to draw
    shown = [
        s for s in chart.series if not s.optional or any(r.get(s.label) is not None for r in rows)
    ]
    labels = [s.label for s in shown]
    colours = [s.color for s in shown]
    y_scale: dict[str, Any] = {"type": "log"} if chart.log else {"zero": chart.zero}
    subtitle = chart.axis_label
    if chart.smooth > 1:
        subtitle += f"; {chart.smooth}-day mean"
    if previous:
        subtitle += "; dashed: previous run"
    legend = (
        {
            "orient": "top",
            "title": None,
            "direction": "horizontal",
            # as many columns as fit a 330-pixel chart (five tiers take two rows)
            "columns": _legend_columns(labels),
            "columnPadding": 6,
            "symbolSize": 120,
            "symbolType": "stroke",
            "symbolStrokeWidth": 4,
            "labelLimit": 140,
            "offset": 4,
            "padding": 0,
        }
        if len(labels) > 1
        else None
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": height,
        # resize: lay the chart out again when new data need wider axis labels
        "autosize": {"type": "fit-x", "contains": "padding", "resize": True},
        "padding": {"left": 2, "right": 10, "top": 2, "bottom": 2},
        "title": {
            "text": _wrap(chart.title, 38),
            "subtitle": _wrap(subtitle, 44),
            "anchor": "start",
            "fontSize": FONT_PX + 2,
            "subtitleFontSize": FONT_PX,
            "subtitleColor": "#444444",
            "offset": 6,
        },
        "data": {"values": rows},
        # one row per day with a column per line: folded into (line, value) pairs here,
        # which makes the frame sent a third of the size
        "transform": [
            {"fold": labels, "as": ["line", "value"]},
            {"filter": "isValid(datum.value) && isFinite(datum.value)"},
        ],
        "mark": {"type": "line", "clip": True, "strokeWidth": 2.5},
        "encoding": {
            "x": {
                "field": "day",
                "type": "quantitative",
                "title": "day",
                "scale": {"domain": [0, x_end], "nice": False},
                "axis": {"tickCount": 6},
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": None,
                "scale": y_scale,
                # log ticks as plain numbers (1, 10, 1,000); linear ones as Vega sets them
                "axis": {"tickCount": 4, **({"format": ",~r"} if chart.log else {})},
            },
            "color": {
                "field": "line",
                "type": "nominal",
                "scale": {"domain": labels, "range": colours},
                "legend": legend,
            },
            "opacity": {
                "field": "run",
                "type": "nominal",
                "scale": {"domain": list(RUNS), "range": [1.0, 0.35]},
                "legend": None,
            },
            "strokeDash": {
                "field": "run",
                "type": "nominal",
                "scale": {"domain": list(RUNS), "range": [[1, 0], [6, 4]]},
                "legend": None,
            },
        },
        "config": {
            "font": "Roboto, Helvetica, Arial, sans-serif",
            "axis": {
                "labelFontSize": FONT_PX,
                "titleFontSize": FONT_PX,
                "titleFontWeight": "normal",
                "gridOpacity": 0.5,
            },
            "legend": {"labelFontSize": FONT_PX},
            "view": {"stroke": None},
        },
    }


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as a 256-colour PNG: a quarter of the bytes of a full-colour one and
    three times faster to make; a drawing of dots and lines loses nothing visible."""
    w, h = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


class NetworkCanvas:
    """The network view of a model's :class:`~simulation.app.model.NetworkSample`.

    Influencers (on the ring, one sector per topic) are sized by followers and coloured by
    tier; sampled followers are coloured by their mean trust in the accounts they follow,
    by ad fatigue or by whether they bought a product; follow edges are grey, those
    unfollowed since the last frame drawn in the unfollow colour (magenta), new follows in
    the follow colour (cyan). The image holds no text: its legend and caption
    (:meth:`caption`) are the page's own, sharp at any size.

    The grey edges and the influencers (thousands of markers, a few hundred
    milliseconds) are redrawn every :data:`BAKE_EVERY` frames into a kept background;
    each frame draws only the followers and the edges that changed.
    """

    def __init__(self, model, color_by: str = "trust", size: float = 5.0):
        self.model = model
        self.color_by = color_by
        self.fig = Figure(figsize=(size, size), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(-1.06, 1.06)
        ax.set_ylim(-1.06, 1.06)
        ax.set_aspect("equal")
        ax.set_axis_off()
        f = model.sample.frame(color_by)
        self.edges = LineCollection([], colors=[_GREY], linewidths=0.3, zorder=1, animated=True)
        self.added = LineCollection(
            [], colors=EVENT_COLORS["follow"], linewidths=1.4, zorder=2, animated=True
        )
        self.removed = LineCollection(
            [], colors=EVENT_COLORS["unfollow"], linewidths=1.8, zorder=3, animated=True
        )
        for coll in (self.edges, self.added, self.removed):
            ax.add_collection(coll)
        self.frames_since_bake = BAKE_EVERY
        self.followers = ax.scatter(
            f["f_xy"][:, 0],
            f["f_xy"][:, 1],
            c=np.zeros(len(f["f_xy"])),
            # grey: a follower who follows nobody in view has no trust to show
            cmap=FOLLOWER_COLORS[color_by][0].with_extremes(bad="#d9d9d9"),
            vmin=0.0,
            vmax=1.0,
            s=14,
            linewidths=0,
            zorder=4,
            animated=True,
        )
        self.influencers = ax.scatter(
            f["inf_xy"][:, 0],
            f["inf_xy"][:, 1],
            s=12,
            c=[TIER_COLORS[TIERS[t]] for t in f["inf_tier"]],
            linewidths=0,
            zorder=5,
            animated=True,
        )
        self.canvas.draw()
        self.base = self.canvas.copy_from_bbox(self.fig.bbox)
        self.background = self.base
        self.last_removed = 0

    def render(self) -> bytes:
        """The network at the model's current day, as PNG bytes."""
        f = self.model.sample.frame(self.color_by)
        if self.frames_since_bake >= BAKE_EVERY:
            self.canvas.restore_region(self.base)
            self.edges.set_segments(f["edges"])
            self.ax.draw_artist(self.edges)
            self.influencers.set_sizes(4 + 9 * np.log10(np.maximum(f["inf_followers"], 1.0)))
            self.ax.draw_artist(self.influencers)
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.frames_since_bake = 0
        self.frames_since_bake += 1
        self.canvas.restore_region(self.background)
        self.added.set_segments(f["added"])
        self.removed.set_segments(f["removed"])
        self.followers.set_array(np.ma.masked_invalid(f["f_value"]))
        for artist in (self.added, self.removed, self.followers):
            self.ax.draw_artist(artist)
        self.last_removed = len(f["removed"])
        return _png(self.canvas)

    def caption(self) -> str:
        """What the last frame shows, in words."""
        n = self.last_removed
        return (
            f"Day {self.model.steps}: {self.model.sample.followers.size} sampled followers "
            f"and every influencer; {n} unfollow{'' if n == 1 else 's'} since the last "
            "frame (magenta), new follows cyan"
        )


def draw_network(model, color_by: str = "trust") -> bytes:
    """The network view as PNG bytes (a fresh canvas; the page keeps its own)."""
    return NetworkCanvas(model, color_by).render()
