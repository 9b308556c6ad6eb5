"""The classroom page in a real browser.

A solara server serves ``simulation/app/page.py`` on 127.0.0.1 and a free port; headless
Chromium (Debian's, driven by Playwright) opens it, moves a slider, resets, steps and plays,
and checks that the step counter and the charts change and that no error appears. A
screenshot is kept in ``results/app/`` (and pytest's tmp path) for the record.

Skipped only when solara, Playwright or Chromium is missing; ``scripts/test.sh`` installs
all three, so the test runs in CI.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the app extra is not installed (pip install .[app])")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install .[dev])"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and Path("/usr/bin/chromium").exists():
    CHROMIUM = "/usr/bin/chromium"
if CHROMIUM is None:
    pytest.skip(
        "no chromium on PATH (apt-get install chromium; scripts/test.sh does it)",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "simulation" / "app" / "page.py"
#: The machine may have no network: without these flags Chromium waits on refused calls home.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``solara run`` on the page, on 127.0.0.1 and a free port; stopped at the end."""
    port = _free_port()
    env = dict(os.environ, INFLUENCER_SIM_SCENARIO="baseline", SOLARA_TELEMETRY_MIXPANEL_ENABLE="0")
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    cmd = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--production", "--no-open"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"solara exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("solara did not answer within 90 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        tail = log.read().decode(errors="replace")
        log.close()
        if "Traceback" in tail:
            print(tail[-4000:])


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 1900},
        )
        try:
            tab = browser.new_page()
            tab.set_default_timeout(60_000)
            tab.goto(server)
            yield tab
        finally:
            browser.close()


def _step(tab) -> int:
    text = tab.get_by_text(re.compile(r"^Step: \d+$")).first.inner_text()
    return int(text.split(":")[1])


def _charts(tab) -> list[str]:
    """The sources of the page's pictures (PNG data URLs): they change when redrawn."""
    return tab.eval_on_selector_all("img", "els => els.map(e => e.src)")


def _no_error(tab) -> None:
    body = tab.inner_text("body")
    assert "Traceback" not in body
    assert "error in step" not in body.lower()
    assert tab.locator(".v-alert.error").count() == 0, body[:2000]


def _click_slider(tab, label: str, where: float) -> float:
    """Click the slider labelled ``label`` at ``where`` (0 to 1) along it; its new value."""
    box = tab.locator(".v-input", has=tab.get_by_text(label, exact=True))
    thumb = box.get_by_role("slider")
    old = thumb.get_attribute("aria-valuenow")
    rect = box.locator(".v-slider").bounding_box()
    tab.mouse.click(rect["x"] + where * rect["width"], rect["y"] + 0.5 * rect["height"])
    _wait_until(lambda: thumb.get_attribute("aria-valuenow") != old)
    return float(thumb.get_attribute("aria-valuenow"))


def _wait_until(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.2)


def test_page_runs_in_the_browser(page, tmp_path):
    tab = page
    tab.get_by_text("What you see.").wait_for()
    tab.get_by_text(re.compile(r"^Step: \d+$")).first.wait_for()
    _wait_until(lambda: len(_charts(tab)) >= 6)
    assert _step(tab) == 0
    assert "20 brands" in tab.inner_text("body")
    _no_error(tab)

    # move the "Brands" slider (click a quarter of the way along it), then reset with it
    n_brands = _click_slider(tab, "Brands", 0.25)
    assert n_brands != 20
    tab.get_by_role("button", name="Reset").click()
    _wait_until(lambda: f"{n_brands:.0f} brands" in tab.inner_text("body"))
    assert _step(tab) == 0

    before = _charts(tab)
    tab.get_by_role("button", name="Step").click()
    _wait_until(lambda: _step(tab) > 0)
    _wait_until(lambda: _charts(tab) != before)
    after_step = _charts(tab)
    changed = sum(a != b for a, b in zip(before, after_step, strict=False))
    assert changed >= 6, f"only {changed} pictures changed after Step"

    # a control changed without Reset re-creates SolaraViz's components: playing must still work
    _click_slider(tab, "Ad sensitivity", 0.8)

    tab.get_by_role("button", name="▶").click()
    _wait_until(lambda: _step(tab) >= 15)
    s0, t0 = _step(tab), time.monotonic()
    time.sleep(4)
    s1, t1 = _step(tab), time.monotonic()
    tab.get_by_role("button", name="❚❚").click()
    print(f"\nbrowser: {(s1 - s0) / (t1 - t0):.1f} days/s while playing at 10,000 followers")
    assert s1 > s0, "the step counter did not move while playing"
    assert _charts(tab) != after_step
    _no_error(tab)

    shot = tmp_path / "app.png"
    tab.screenshot(path=str(shot), full_page=True)
    record = ROOT / "results" / "app"
    record.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        shutil.copy(shot, record / "app.png")
