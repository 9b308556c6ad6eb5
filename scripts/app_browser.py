"""The classroom page through real browsers: a load test, and the documentation's picture.

    python scripts/app_browser.py load [--tabs 10] [--followers 10000] [--seconds 60]
    python scripts/app_browser.py screenshot docs/app.png

Both serve ``simulation/app/page.py`` with ``solara run`` on 127.0.0.1 and a free port and
drive headless Chromium (``/usr/bin/chromium`` if there is one, else Playwright's). They need
the ``app`` and ``dev`` extras (solara, Playwright).

**load** opens ``--tabs`` tabs, each in a browser context of its own (as different
students' browsers would be), and presses ▶ in all of them. Over ``--seconds`` it measures:
days per second of every tab (each plays its own market); responsiveness, in one more tab
that does not play: the time from a click on *Step* to the day counter showing the next day,
every few seconds, and the time a new tab takes to show its day counter; and the server
process: its resident memory with one tab and with all of them (the difference over the
number of tabs is what a tab costs) and the share of the machine's cores it used. Chromium
runs on the same machine, so its drawing competes with the server for the cores: on a
classroom's machines the server has them to itself. A benchmark: it prints figures and
asserts nothing.

**screenshot** opens the page at 1366x768 (a classroom projector's resolution), runs the
baseline for a year, sets up the unfollow-effect preset and plays it to day 180, so that the
charts show the preset's run over the faded baseline, scrolls the information panel to its
things to try and saves the window.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "simulation" / "app" / "page.py"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # every tab is watched by someone: no throttling of tabs in the background
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc(pid: int) -> tuple[float, float]:
    """(resident memory in MB, CPU seconds used) of process ``pid`` (Linux ``/proc``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _day(tab) -> int:
    return int(tab.locator("[data-day]").get_attribute("data-day"))


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


@contextlib.contextmanager
def serve(followers: int | None = None):
    """``solara run`` on the page; yields (url, server process)."""
    port = _free_port()
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="0")
    if followers is not None:
        env["INFLUENCER_SIM_FOLLOWERS"] = str(followers)
    cmd = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--production", "--no-open"]
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:

            def up() -> bool:
                try:
                    with urllib.request.urlopen(url, timeout=5):
                        return True
                except OSError:
                    return False

            _wait(up, 120, "the server")
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launch = {"args": FLAGS, "headless": True}
        if _chromium():
            launch["executable_path"] = _chromium()
        browser = p.chromium.launch(**launch)
        try:
            yield browser
        finally:
            browser.close()


def load(tabs: int, followers: int, seconds: float) -> dict:
    """Serve the page, play ``tabs`` tabs for ``seconds``; the figures."""
    out: dict = {"tabs": tabs, "followers": followers, "seconds": seconds}
    with serve(followers) as (url, server), chromium() as browser:

        def open_tab():
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            tab = context.new_page()
            tab.set_default_timeout(180_000)
            t0 = time.monotonic()
            tab.goto(url)
            tab.locator("[data-day]").wait_for()
            return tab, time.monotonic() - t0

        probe, _ = open_tab()  # the tab that measures responsiveness
        time.sleep(2)
        rss0, _ = _proc(server.pid)
        players = []
        for _ in range(tabs):
            tab, _ = open_tab()
            stop = tab.locator(".ism-stop-day input")
            stop.fill("100000")
            stop.press("Enter")
            _wait(
                lambda tab=tab: "100000" in tab.locator("[data-day]").inner_text(), 60, "stop day"
            )
            players.append(tab)
        for tab in players:
            tab.get_by_role("button", name="▶ Play", exact=True).click()
        time.sleep(5)  # every loop running
        start = [_day(t) for t in players]
        _, cpu0 = _proc(server.pid)
        t0 = time.monotonic()
        latencies = []
        while time.monotonic() - t0 < seconds:
            before = _day(probe)
            c0 = time.monotonic()
            probe.get_by_role("button", name="Step", exact=True).click()
            _wait(lambda d=before: _day(probe) > d, 120, "Step")
            latencies.append(time.monotonic() - c0)
            time.sleep(3)
        elapsed = time.monotonic() - t0
        end = [_day(t) for t in players]
        rss1, cpu1 = _proc(server.pid)
        _, new_tab = open_tab()
        out |= {
            "days_per_s": [(b - a) / elapsed for a, b in zip(start, end, strict=True)],
            "step_latency_s": latencies,
            "new_tab_s": new_tab,
            "rss_before_mb": rss0,
            "rss_after_mb": rss1,
            "mb_per_tab": (rss1 - rss0) / tabs,
            "server_cores": (cpu1 - cpu0) / elapsed,
            "load": os.getloadavg()[0],
        }
    return out


def screenshot(path: str, width: int = 1366, height: int = 768) -> None:
    """The documentation's picture of the page (see the module's docstring)."""
    with serve() as (url, _), chromium() as browser:
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.set_default_timeout(180_000)
        tab.goto(url)
        tab.locator("[data-day]").wait_for()
        play = tab.get_by_role("button", name="▶ Play", exact=True)
        play.click()
        _wait(lambda: _day(tab) == 365, 600, "the baseline's year")
        tab.locator('[data-preset="unfollow"]').click()
        _wait(lambda: _day(tab) == 0, 120, "the preset")
        stop = tab.locator(".ism-stop-day input")
        stop.fill("180")
        stop.press("Enter")
        _wait(lambda: "stop at 180" in tab.locator("[data-day]").inner_text(), 60, "the stop day")
        play.click()
        _wait(lambda: _day(tab) == 180, 600, "day 180")
        tab.locator(".ism-info h3", has_text="Things to try").scroll_into_view_if_needed()
        time.sleep(3)  # the last frame drawn
        tab.screenshot(path=path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python scripts/app_browser.py",
        description="The classroom page through real browsers: a load test, a screenshot.",
    )
    sub = ap.add_subparsers(dest="what", required=True)
    lp = sub.add_parser("load", help="many tabs playing at once: speed, clicks, memory")
    lp.add_argument("--tabs", type=int, default=10, help="tabs playing at once (default 10)")
    lp.add_argument("--followers", type=int, default=10_000, help="followers per market")
    lp.add_argument("--seconds", type=float, default=60.0, help="measuring window")
    sp = sub.add_parser("screenshot", help="the documentation's picture of the page")
    sp.add_argument("out", help="the PNG file to write")
    sp.add_argument("--width", type=int, default=1366)
    sp.add_argument("--height", type=int, default=768)
    args = ap.parse_args(argv)
    if args.what == "screenshot":
        screenshot(args.out, args.width, args.height)
        print(f"wrote {args.out}")
        return 0
    if args.tabs < 1 or args.followers < 1_000 or args.seconds <= 0:
        ap.error("--tabs must be at least 1, --followers at least 1,000, --seconds positive")
    r = load(args.tabs, args.followers, args.seconds)
    rates, lat = sorted(r["days_per_s"]), sorted(r["step_latency_s"])
    print(
        f"classroom page load test: {r['tabs']} tabs playing, {r['followers']:,} followers "
        f"each, {r['seconds']:.0f} s, {os.cpu_count()} cores (load {r['load']:.1f} at the end)"
    )
    print(
        f"  days/s per tab        min {rates[0]:.1f}, median {statistics.median(rates):.1f}, "
        f"max {rates[-1]:.1f} (all tabs {sum(rates):.1f})"
    )
    print(
        f"  Step -> next day      median {statistics.median(lat):.2f} s, max {lat[-1]:.2f} s "
        f"({len(lat)} clicks in a tab of its own)"
    )
    print(f"  a new tab shows in    {r['new_tab_s']:.1f} s")
    print(
        f"  server memory         {r['rss_before_mb']:.0f} MB with one tab, "
        f"{r['rss_after_mb']:.0f} MB with {r['tabs'] + 1}: {r['mb_per_tab']:.0f} MB a tab"
    )
    print(f"  server CPU            {r['server_cores']:.2f} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
