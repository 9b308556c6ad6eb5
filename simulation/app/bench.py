"""Speed of the classroom page: ``influencer-sim bench --app``.

Measures, for the page's own model (:class:`ClassroomModel`, data collection on) at 10,000
followers: the market's steps per second alone; the time to draw one frame of the page
(the charts and the network view, as the page draws them); and from the two, the
days per second the page plays at when it redraws every day and every
``RENDER_INTERVAL`` days (the page's default). The browser's own work is not included;
the browser test prints what it measured through a real browser.
"""

from __future__ import annotations

import argparse
import platform
import time

from .charts import CHARTS, ChartCanvas, NetworkCanvas
from .model import RENDER_INTERVAL, ClassroomModel

__all__ = ["main", "measure"]


def measure(n_followers: int = 10_000, steps: int = 120, seed: int = 1) -> dict[str, float]:
    """Time the page's model and its pictures; figures in seconds and steps per second."""
    t0 = time.perf_counter()
    model = ClassroomModel(seed=seed, n_followers=n_followers)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    step_time = (time.perf_counter() - t0) / steps
    canvases = [ChartCanvas(model, name) for name in CHARTS] + [NetworkCanvas(model)]
    frames, draw = 0, 0.0
    for _ in range(steps // RENDER_INTERVAL):
        for _ in range(RENDER_INTERVAL):
            model.step()
        t0 = time.perf_counter()
        for canvas in canvases:
            canvas.render()
        draw += time.perf_counter() - t0
        frames += 1
    frame_time = draw / max(frames, 1)
    return {
        "n_followers": n_followers,
        "steps": steps,
        "build_s": build,
        "model_steps_per_s": 1.0 / step_time,
        "frame_ms": 1000 * frame_time,
        "page_steps_per_s_every_day": 1.0 / (step_time + frame_time),
        "page_steps_per_s_default": RENDER_INTERVAL / (RENDER_INTERVAL * step_time + frame_time),
    }


def main(args: argparse.Namespace | None = None) -> int:
    """Print the page's speed (``--quick``: 2,000 followers, fewer steps)."""
    quick = bool(getattr(args, "quick", False))
    r = measure(n_followers=2_000 if quick else 10_000, steps=30 if quick else 120)
    print(f"classroom page benchmark ({platform.processor() or platform.machine()}, 1 process)")
    print(f"  followers                      {r['n_followers']:>10,}")
    print(f"  build the model                {r['build_s']:>10.2f} s")
    print(f"  model alone, data collection on{r['model_steps_per_s']:>10.1f} steps/s")
    print(f"  draw one frame (charts + net)   {r['frame_ms']:>10.1f} ms")
    print(f"  page, redraw every day         {r['page_steps_per_s_every_day']:>10.1f} steps/s")
    print(
        f"  page, redraw every {RENDER_INTERVAL} days "
        f"      {r['page_steps_per_s_default']:>10.1f} steps/s"
    )
    return 0
