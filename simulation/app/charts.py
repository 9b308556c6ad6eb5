"""The page's pictures, drawn with matplotlib from the model's own figures.

A picture is a canvas that lives as long as the page shows one model: the frame (axes,
ticks, labels, legend) is drawn once and kept as a bitmap, and each new day only the data
are drawn over it ("blitting"). That takes a few milliseconds where a full matplotlib draw
takes a hundred, which is what lets the page redraw while the market runs. The frame is
redrawn only when the data leave the axes. Canvases use ``matplotlib.figure.Figure``
directly (no pyplot), so they are safe in the server's threads and leak no global figures.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure
from PIL import Image

from ..plots import CHARTS as ALL_CHARTS
from ..plots import EVENT_COLORS, TIER_COLORS, Chart, chart_lines, plain_log_axis, tex_safe
from ..vocabulary import TIERS

__all__ = [
    "CHARTS",
    "FOLLOWER_COLORS",
    "TIER_COLORS",
    "ChartCanvas",
    "NetworkCanvas",
    "draw_chart",
    "draw_network",
]

#: The page's charts: those of the one chart list (``plots.CHARTS``) marked ``page``, drawn
#: as the run's PNG plots draw them, in the same colours.
CHARTS: dict[str, Chart] = {name: c for name, c in ALL_CHARTS.items() if c.page}

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

#: Pixels per inch of the pictures (the page scales them to its columns).
DPI = 80


def _png(canvas: FigureCanvasAgg) -> bytes:
    rgba = np.asarray(canvas.buffer_rgba())
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class ChartCanvas:
    """One time-series chart of :data:`CHARTS` for one model.

    Args:
        model: the market (its DataCollector's ``model_vars`` are read).
        name: a key of :data:`CHARTS`.
    """

    def __init__(self, model, name: str, width: float = 5.0, height: float = 3.1):
        self.model = model
        self.name = name
        chart = self.chart = CHARTS[name]
        series = chart.series
        log = self.log = chart.log
        self.fig = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_subplot()
        self.fig.subplots_adjust(left=0.15, right=0.97, top=0.80, bottom=0.15)
        self.lines = [
            ax.plot([], [], color=s.color, lw=1.5, label=tex_safe(s.label), animated=True)[0]
            for s in series
        ]
        ax.set_title(tex_safe(chart.full_title), fontsize=10, pad=18)
        ax.set_xlabel("day", fontsize=8)
        ax.set_ylabel(tex_safe(chart.axis_label), fontsize=8)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(alpha=0.3, lw=0.5)
        if log:
            plain_log_axis(ax)
        ax.legend(
            handles=self.lines,
            fontsize=7,
            frameon=False,
            ncol=len(series),
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            handlelength=1.2,
            columnspacing=0.8,
        )
        self.xmax = max(int(getattr(model.cfg.run, "steps", 100)), 10)
        self.ylim = (1e-3, 1.0) if log else (0.0, 1.0)
        self.fitted = False
        self.background = None

    def _limits(self, values: list[np.ndarray]) -> tuple[float, float]:
        """The y range: the current one, widened to whole decades (log) or by half (linear)
        when the data leave it, so that the frame is rarely redrawn. A linear axis starts at
        0 unless the chart fits it to the data (``Chart.zero``), where 0 would flatten a
        change of a few percent."""
        finite = np.concatenate([v[np.isfinite(v)] for v in values])
        if self.log:
            finite = finite[finite > 0]
        if not finite.size:
            return self.ylim
        dmin, dmax = float(finite.min()), float(finite.max())
        lo, hi = self.ylim
        if self.fitted and lo <= dmin and dmax <= hi:
            return self.ylim
        if self.log:
            new_lo = 10.0 ** math.floor(math.log10(dmin))
            new_hi = max(10.0 ** math.ceil(math.log10(dmax * 1.001)), new_lo * 10)
        elif self.chart.zero:
            new_lo = min(0.0, dmin * 1.5)
            new_hi = max(dmax * 1.5, 1e-9)
        else:
            pad = max(dmax - dmin, 1e-3 * abs(dmax), 1e-9) / 2
            new_lo, new_hi = dmin - pad, dmax + pad
        if self.fitted:
            new_lo, new_hi = min(lo, new_lo), max(hi, new_hi)
        self.fitted = True
        return new_lo, new_hi

    def render(self) -> bytes:
        """The chart up to the model's current day, as PNG bytes."""
        data = self.model.datacollector.model_vars
        # with Mesa's "Use Threads" the model may collect a day while this reads: cut all
        # columns to the shortest
        columns = ["step", *self.chart.columns]
        n = min(len(data.get(c, [])) for c in columns)
        data = {c: list(data.get(c, []))[:n] for c in columns}
        days = np.asarray(data["step"], dtype=float)
        values = chart_lines(self.chart, data)
        xmax = self.xmax
        while days.size and days[-1] > xmax:
            xmax *= 2
        ylim = self._limits(values)
        if self.background is None or ylim != self.ylim or xmax != self.xmax:
            self.xmax, self.ylim = xmax, ylim
            self.ax.set_xlim(0, xmax)
            self.ax.set_ylim(*ylim)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self.background)
        for line, y in zip(self.lines, values, strict=True):
            line.set_data(days, y)
            self.ax.draw_artist(line)
        return _png(self.canvas)


class NetworkCanvas:
    """The network view of a model's :class:`~simulation.app.model.NetworkSample`.

    Influencers (on the ring, one sector per topic) are sized by followers and coloured by
    tier; sampled followers are coloured by their mean trust in the accounts they follow,
    or by ad fatigue; follow edges are grey, those unfollowed since the last frame drawn in
    the unfollow colour (magenta), new follows in the follow colour (cyan).
    """

    def __init__(self, model, color_by: str = "trust", width: float = 5.0, height: float = 3.8):
        self.model = model
        self.color_by = color_by
        self.fig = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 0.8, 0.9))
        cax = self.fig.add_axes((0.84, 0.5, 0.03, 0.38))
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        f = model.sample.frame(color_by)
        # Thousands of thin grey edges take Agg a few hundred milliseconds, so they are
        # baked into the background bitmap every BAKE_EVERY frames; each frame draws only
        # the unfollows and follows since the last frame, and the dots.
        self.edges = LineCollection([], colors=[_GREY], linewidths=0.3, zorder=1, animated=True)
        self.added = LineCollection(
            [], colors=EVENT_COLORS["follow"], linewidths=1.2, zorder=2, animated=True
        )
        self.removed = LineCollection(
            [], colors=EVENT_COLORS["unfollow"], linewidths=1.6, zorder=3, animated=True
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
            s=12,
            linewidths=0,
            zorder=4,
            animated=True,
        )
        self.influencers = ax.scatter(
            f["inf_xy"][:, 0],
            f["inf_xy"][:, 1],
            s=20,
            c=[TIER_COLORS[TIERS[t]] for t in f["inf_tier"]],
            edgecolors="black",
            linewidths=0.5,
            zorder=5,
            animated=True,
        )
        handles = [
            ax.scatter([], [], s=40, c=TIER_COLORS[t], edgecolors="black", linewidths=0.5, label=t)
            for t in TIERS
        ]
        self.fig.legend(
            handles=handles,
            fontsize=7,
            loc="lower right",
            frameon=False,
            ncol=1,
            handletextpad=0.2,
            title="tier",
            title_fontsize=7,
            bbox_to_anchor=(1.0, 0.0),
        )
        cb = self.fig.colorbar(self.followers, cax=cax)
        cb.set_label(FOLLOWER_COLORS[color_by][1], fontsize=8)
        cb.ax.tick_params(labelsize=7)
        self.title = self.fig.text(0.02, 0.95, "", fontsize=9, animated=True)
        self.canvas.draw()
        self.base = self.canvas.copy_from_bbox(self.fig.bbox)
        self.background = self.base

    def render(self) -> bytes:
        """The network at the model's current day, as PNG bytes."""
        f = self.model.sample.frame(self.color_by)
        if self.frames_since_bake >= BAKE_EVERY:
            self.canvas.restore_region(self.base)
            self.edges.set_segments(f["edges"])
            self.ax.draw_artist(self.edges)
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.frames_since_bake = 0
        self.frames_since_bake += 1
        self.canvas.restore_region(self.background)
        self.added.set_segments(f["added"])
        self.removed.set_segments(f["removed"])
        self.followers.set_array(np.ma.masked_invalid(f["f_value"]))
        self.influencers.set_sizes(8 + 14 * np.log10(np.maximum(f["inf_followers"], 1.0)))
        for artist in (
            self.added,
            self.removed,
            self.followers,
            self.influencers,
        ):
            self.ax.draw_artist(artist)
        n = len(f["removed"])
        self.title.set_text(
            f"Day {self.model.steps}: {len(f['f_xy'])} sampled followers, "
            f"{n} unfollow{'' if n == 1 else 's'} since the last frame (magenta)"
        )
        self.fig.draw_artist(self.title)
        return _png(self.canvas)


def draw_chart(model, name: str) -> bytes:
    """One chart of :data:`CHARTS` as PNG bytes (a fresh canvas; the page keeps its own)."""
    return ChartCanvas(model, name).render()


def draw_network(model, color_by: str = "trust") -> bytes:
    """The network view as PNG bytes (a fresh canvas; the page keeps its own)."""
    return NetworkCanvas(model, color_by).render()
