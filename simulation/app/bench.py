"""Speed and memory of the classroom page's server side: ``influencer-sim bench --app``.

Measures, for one tab's market (a :class:`~simulation.app.session.Session` at 10,000
followers, data collection on): how fast the market steps; what one frame costs (the
charts' Vega-Lite specifications, the monitors and the network image, as the page makes
them) and how many bytes it sends; the days per second a playing tab reaches, from the two
and the loop's frame spacing; and the memory one tab's market holds (Python's allocations,
numpy's included). The browser's own work and solara's share are not included:
``python scripts/app_browser.py load`` measures many tabs through real browsers.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
import tracemalloc

from .charts import CHARTS, NetworkCanvas, chart_spec
from .monitors import monitors
from .session import FRAME_LOAD, FRAME_SECONDS, Session

__all__ = ["main", "measure"]


def measure(n_followers: int = 10_000, steps: int = 120, seed: int = 1) -> dict[str, float]:
    """Time one tab's market and its frames; the memory it holds after ``steps`` days.
    Figures in seconds, bytes and days per second."""
    settings = {"scenario": "baseline", "seed": seed, "n_followers": n_followers}
    t0 = time.perf_counter()
    session = Session(settings)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        session.step()
    step_time = (time.perf_counter() - t0) / steps
    model = session.model
    net = NetworkCanvas(model)
    frames, spent, sent = 10, 0.0, 0
    for _ in range(frames):
        session.step()
        t0 = time.perf_counter()
        series = session.series()
        specs = [chart_spec(name, series, None, last_day=365) for name in CHARTS]
        figures = monitors(model)
        png = net.render()
        spent += time.perf_counter() - t0
        # what a frame sends: the rows of this run (the specification and the previous
        # run's rows change only on Reset), the image (base64), the monitors
        rows = [spec["data"]["values"] for spec in specs]
        sent += len(json.dumps(rows)) + len(png) * 4 // 3 + len(repr(figures))
    frame_time = spent / frames
    spacing = max(FRAME_SECONDS, FRAME_LOAD * frame_time)
    session.close()
    del session, model, net
    gc.collect()
    # what one tab's market holds after `steps` days (numpy's arrays included)
    tracemalloc.start()
    kept = Session(settings)
    for _ in range(steps):
        kept.step()
    per_session, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept.close()
    return {
        "n_followers": n_followers,
        "steps": steps,
        "build_s": build,
        "model_days_per_s": 1.0 / step_time,
        "frame_ms": 1000 * frame_time,
        "frame_kb": sent / frames / 1000,
        "page_days_per_s": (1.0 - frame_time / spacing) / step_time,
        "memory_mb_per_session": per_session / 1e6,
    }


def main(args: argparse.Namespace | None = None) -> int:
    """Print the page's speed (``--quick``: 2,000 followers, fewer steps)."""
    quick = bool(getattr(args, "quick", False))
    r = measure(n_followers=2_000 if quick else 10_000, steps=30 if quick else 120)
    print(f"classroom page benchmark ({platform.processor() or platform.machine()}, 1 process)")
    print(f"  followers                          {r['n_followers']:>10,}")
    print(f"  build one tab's market             {r['build_s']:>10.2f} s")
    print(f"  market alone, data collection on   {r['model_days_per_s']:>10.1f} days/s")
    print(f"  one frame (charts, monitors, net)  {r['frame_ms']:>10.1f} ms")
    print(f"  one frame sent                     {r['frame_kb']:>10.0f} kB")
    print(f"  a playing tab, frames included     {r['page_days_per_s']:>10.1f} days/s")
    print(f"  one tab's market after {r['steps']} days   {r['memory_mb_per_session']:>10.0f} MB")
    return 0
