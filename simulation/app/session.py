"""One browser tab's market: its model, the previous run, and the loop that plays it.

Every tab of the page gets a :class:`Session` of its own, made when the tab opens (the
market at day 0) and closed when the tab's connection is closed, which stops its loop and
drops its model. Nothing is shared between tabs, so students on one server each have their
own market.

The loop runs in a thread of the session. It steps the market one day at a time (at most
one market per core at once, the others wait their turn) and calls ``on_frame`` (the page
redraws) at most every :data:`FRAME_SECONDS`, or less often when drawing takes long or many
tabs play: all drawing together takes at most about a quarter of the machine, so many tabs
on two cores all keep moving and the server still answers clicks. It pauses at the stop
day (``stop_day``); play again and it runs on past it. Nothing here imports solara: the
loop is tested without a browser.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from .model import LEVERS, ClassroomModel, settings_for

__all__ = [
    "DEFAULT_STOP_DAY",
    "FRAME_SECONDS",
    "Session",
    "describe_changes",
    "frame_spacing",
    "open_sessions",
    "playing_sessions",
]

log = logging.getLogger(__name__)

#: The day the page pauses at unless told otherwise: a year of the market.
DEFAULT_STOP_DAY = 365

#: Shortest time between two frames while playing (seconds).
FRAME_SECONDS = 0.4

#: Frames are spaced so that drawing takes at most 1 / FRAME_LOAD of the machine's cores,
#: whatever the number of tabs playing (:func:`frame_spacing`).
FRAME_LOAD = 4.0

#: Markets stepping at the same moment, at most: one per core. The others wait their turn
#: (a day each) instead of all contending for the interpreter, which would leave the
#: server's event loop, and so every click, waiting behind them.
CORES = max(1, os.cpu_count() or 1)
_STEPPING = threading.BoundedSemaphore(CORES)

#: The loop pauses when no browser has shown the tab for this long (seconds): a tab whose
#: connection is gone (a laptop closed, a network lost) stops using the server's cores
#: long before the server closes it.
UNWATCHED_SECONDS = 5.0

_SESSIONS: weakref.WeakSet[Session] = weakref.WeakSet()


def open_sessions() -> int:
    """Sessions (tabs) this server process holds open now."""
    return sum(1 for s in list(_SESSIONS) if not s.closed)


def playing_sessions() -> int:
    """Sessions whose loop runs now."""
    return sum(1 for s in list(_SESSIONS) if s.playing and not s.closed)


def frame_spacing(frame_seconds: float, playing: int) -> float:
    """Seconds between two frames of a playing tab: at least :data:`FRAME_SECONDS`, and
    long enough that the frames of all ``playing`` tabs, each taking ``frame_seconds`` to
    draw, take at most ``1 / FRAME_LOAD`` of the machine's :data:`CORES`."""
    return max(FRAME_SECONDS, FRAME_LOAD * frame_seconds * max(playing, 1) / CORES)


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The settings in which ``new`` differs from ``old``, as ``label: old -> new``."""
    parts = []
    for name in ("scenario", "seed"):
        if old.get(name) != new.get(name):
            parts.append(f"{name}: {old.get(name)} -> {new.get(name)}")
    if old.get("n_followers") != new.get("n_followers"):
        parts.append(
            f"simulated followers: {old.get('n_followers', 0):,} -> {new.get('n_followers', 0):,}"
        )
    for lever in LEVERS:
        a, b = old.get(lever.name), new.get(lever.name)
        if a is not None and b is not None and lever.clean(a) != lever.clean(b):
            parts.append(f"{lever.label}: {lever.text(a)} -> {lever.text(b)}")
    return "; ".join(parts)


class Session:
    """A market of its own for one tab.

    Args:
        settings: scenario, seed, ``n_followers`` and lever values (the page's controls);
            default: the baseline scenario's (:func:`~simulation.app.model.settings_for`).
        stop_day: the loop pauses when the market reaches this day; ``None`` never.
        sample_size: followers in the network view.

    Attributes:
        model: the market (:class:`ClassroomModel`); ``None`` once closed.
        settings: the settings the model was built with.
        previous: the previous run of this tab (``series``: its time series by column;
            ``settings``; ``days``), drawn faded on the charts; ``None`` before the first
            Reset.
        playing: whether the loop runs.
        note: a line for the page (why the loop paused), or ``None``.
        error: the error that stopped the loop, or ``None``.
        on_frame: called from the loop's thread when the page should redraw.
        watched: returns whether a browser shows the tab now (``None``: always).
    """

    def __init__(
        self,
        settings: dict[str, Any] | None = None,
        stop_day: int | None = DEFAULT_STOP_DAY,
        sample_size: int | None = None,
    ):
        self.settings = dict(settings or settings_for("baseline"))
        self.stop_day = stop_day
        self.delay = 0.0
        self.playing = False
        self.note: str | None = None
        self.error: str | None = None
        self.previous: dict[str, Any] | None = None
        self.on_frame: Callable[[], None] | None = None
        self.watched: Callable[[], bool] | None = None
        self.closed = False
        self.frames = 0
        self._sample = sample_size
        self._lock = threading.RLock()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self.model: ClassroomModel | None = self._build(self.settings)
        _SESSIONS.add(self)

    # -- the market ---------------------------------------------------------------------

    def _build(self, settings: dict[str, Any]) -> ClassroomModel | None:
        kw = dict(settings)
        if self._sample is not None:
            kw["sample_size"] = self._sample
        try:
            return ClassroomModel(**kw)
        except Exception as err:  # a combination the model refuses: say so, keep the page
            log.exception("building the market failed")
            self.error = f"could not build the market: {err}"
            return None

    @property
    def generation(self) -> int:
        """Changes whenever the market is replaced (Reset, a preset, closing)."""
        return self._generation

    @property
    def day(self) -> int:
        """Days the market has run."""
        return self.model.steps if self.model is not None else 0

    def step(self) -> int:
        """One day (whatever else is going on); the day reached."""
        with self._lock:
            if self.model is not None and self.error is None:
                try:
                    self.model.step()
                except Exception as err:
                    log.exception("step failed")
                    self.error = f"error on day {self.model.steps + 1}: {err}"
                    self.playing = False
            return self.day

    def reset(self, settings: dict[str, Any] | None = None) -> None:
        """A new market at day 0 (with ``settings``, else the same); the run so far becomes
        the previous run."""
        self.pause()
        with self._lock:
            self._generation += 1
            old = self.model
            if old is not None and old.steps > 0:
                self.previous = {
                    "series": {k: list(v) for k, v in old.datacollector.model_vars.items()},
                    "settings": dict(self.settings),
                    "days": old.steps,
                }
            if settings is not None:
                self.settings = dict(settings)
            self.error = None
            self.note = None
            self.model = None  # free the old market before building the new one
            self.model = self._build(self.settings)

    # -- the loop -----------------------------------------------------------------------

    def play(self) -> None:
        """Start the loop (a no-op while it runs). At or past the stop day it runs on."""
        with self._lock:
            if self.playing or self.closed or self.model is None or self.error:
                return
            self.playing = True
            self.note = None
            stop = self.stop_day
            stop_at = stop if stop is not None and self.day < stop else None
            generation = self._generation
            self._thread = threading.Thread(
                target=self._loop, args=(generation, stop_at), daemon=True, name="market-loop"
            )
            self._thread.start()

    def pause(self) -> None:
        """Stop the loop after the day it is in."""
        self.playing = False

    def _current(self, generation: int) -> bool:
        return self.playing and not self.closed and generation == self._generation

    def _loop(self, generation: int, stop_at: int | None) -> None:
        last_frame = last_check = seen = time.monotonic()
        spacing = FRAME_SECONDS
        while self._current(generation):
            with _STEPPING, self._lock:
                if not self._current(generation):
                    break
                day = self.step()
                if stop_at is not None and day >= stop_at:
                    self.playing = False
                    self.note = f"Paused at the stop day ({day}): ▶ runs on, Reset starts anew."
            if self.error or not self.playing:
                break
            now = time.monotonic()
            if self.watched is not None and now - last_check >= 1.0:
                last_check = now
                if self.watched():
                    seen = now
                elif now - seen >= UNWATCHED_SECONDS:
                    self.playing = False
                    self.note = "Paused: the tab lost its connection to the server."
                    break
            if now - last_frame >= spacing:
                spacing = frame_spacing(self._frame(), playing_sessions())
                last_frame = time.monotonic()
            # let the other tabs' loops and the server's event loop have the interpreter
            time.sleep(self.delay if self.delay > 0 else 0.0005)
        if generation == self._generation and not self.closed:
            self._frame()

    def _frame(self) -> float:
        """Ask the page to redraw; the seconds it took."""
        t0 = time.perf_counter()
        self.frames += 1
        if self.on_frame is not None:
            try:
                self.on_frame()
            except Exception:  # a page that went away mid-frame must not kill the loop
                log.exception("redraw failed")
        return time.perf_counter() - t0

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for the loop to end (tests); True if it has."""
        t = self._thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    def close(self) -> None:
        """The tab is gone: stop the loop and drop the market."""
        self.closed = True
        self.playing = False
        self.on_frame = None
        with self._lock:
            self._generation += 1
            self.model = None
            self.previous = None

    # -- what the page reads ------------------------------------------------------------

    def read(self, fn: Callable[[ClassroomModel], Any]) -> Any:
        """``fn(model)`` with the loop held still (``None`` without a model)."""
        with self._lock:
            return fn(self.model) if self.model is not None else None

    def series(self) -> dict[str, list]:
        """A copy of the current run's time series, by column."""
        return (
            self.read(lambda m: {k: list(v) for k, v in m.datacollector.model_vars.items()}) or {}
        )
