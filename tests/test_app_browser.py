"""The classroom page in a real browser.

A solara server serves ``simulation/app/page.py`` on 127.0.0.1 and a free port; headless
Chromium (Debian's, driven by Playwright) opens it. The tests check that tabs have markets
of their own, that sliders show their values and units, that a scenario and a preset move
the sliders, that Step is one day, that the run pauses at the stop day with every control
still usable, and that the charts are drawn as vector graphics. Every wait is on a
condition, with a generous limit, so a loaded machine slows the tests without failing them.
A screenshot at 1366x768 is kept in ``results/app/`` for the record.

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
#: Longest wait for any one thing to happen on the page (seconds); a loaded machine is slow.
WAIT = 90.0
#: Followers in the tests' markets (the page's default is 10,000): lighter on two cores.
FOLLOWERS = 3_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``solara run`` on the page, on 127.0.0.1 and a free port; stopped at the end."""
    port = _free_port()
    env = dict(
        os.environ,
        INFLUENCER_SIM_SCENARIO="baseline",
        INFLUENCER_SIM_FOLLOWERS=str(FOLLOWERS),
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="0",
    )
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    cmd = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--production", "--no-open"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"solara exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"solara did not answer within {WAIT:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        tail = log.read().decode(errors="replace")
        log.close()
        if "Traceback" in tail:
            print(tail[-4000:])


@pytest.fixture
def browser(server):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _open(context, url: str):
    """A new tab on the page, once its day counter shows."""
    tab = context.new_page()
    tab.set_default_timeout(WAIT * 1000)
    tab.goto(url)
    tab.locator("[data-day]").wait_for()
    return tab


def _wait_until(check, timeout: float = WAIT, what: str = "the page") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _day(tab) -> int:
    return int(tab.locator("[data-day]").get_attribute("data-day"))


def _playing(tab) -> bool:
    return tab.locator("[data-day]").get_attribute("data-playing") == "true"


def _button(tab, name: str):
    return tab.get_by_role("button", name=name, exact=True)


def _value(tab, lever: str) -> str:
    """The value and unit a slider shows."""
    return tab.locator(f'[data-lever="{lever}"] .ism-lever-value').inner_text().strip()


def _click_slider(tab, lever: str, where: float) -> str:
    """Click the slider of ``lever`` at ``where`` (0 to 1) along it; the value it then shows."""
    box = tab.locator(f'[data-lever="{lever}"]')
    old = _value(tab, lever)
    rect = box.locator(".v-slider").bounding_box()
    tab.mouse.click(rect["x"] + where * rect["width"], rect["y"] + 0.5 * rect["height"])
    _wait_until(lambda: _value(tab, lever) != old, what=f"the {lever} slider to move")
    return _value(tab, lever)


def _no_error(tab) -> None:
    body = tab.inner_text("body")
    assert "Traceback" not in body
    assert "error on day" not in body
    assert tab.locator(".v-alert.error").count() == 0, body[:2000]


def _chart_paths(tab) -> int:
    """Lines drawn by the charts (SVG paths: vector graphics, not bitmaps)."""
    return tab.eval_on_selector_all(
        "[data-chart] .ism-vega svg path", "els => els.filter(e => e.getAttribute('d')).length"
    )


def test_every_tab_has_a_market_of_its_own(browser, server):
    """Three tabs (two of one browser session, one of another) open at once, each at day
    0; each steps and plays on its own; closing a tab frees its market."""
    one = browser.new_context(viewport={"width": 1366, "height": 768})
    other = browser.new_context(viewport={"width": 1366, "height": 768})
    tabs = [_open(one, server), _open(one, server), _open(other, server)]
    a, b, c = tabs
    for tab in tabs:
        assert _day(tab) == 0
        assert not _button(tab, "Step").is_disabled()

    _button(a, "Step").click()
    _wait_until(lambda: _day(a) == 1, what="Step")
    time.sleep(1.0)
    assert _day(a) == 1, "Step is one day"
    assert _day(b) == 0 and _day(c) == 0
    assert int(a.locator("[data-open]").get_attribute("data-open")) >= 3

    _button(b, "▶ Play").click()
    _wait_until(lambda: _day(b) >= 5, what="tab b to play")
    assert _day(a) == 1 and _day(c) == 0
    _button(b, "❚❚ Pause").click()
    _wait_until(lambda: not _playing(b), what="pause")
    for tab in tabs:  # nothing left disabled, in any tab
        assert not _button(tab, "Step").is_disabled()
        assert not _button(tab, "▶ Play").is_disabled()
    _button(c, "Step").click()
    _wait_until(lambda: _day(c) == 1, what="Step in tab c")
    assert _day(a) == 1

    open_before = int(a.locator("[data-open]").get_attribute("data-open"))
    b.close(run_before_unload=True)

    def freed() -> bool:
        _button(a, "Step").click()  # a frame shows the count again
        time.sleep(0.5)
        return int(a.locator("[data-open]").get_attribute("data-open")) < open_before

    _wait_until(freed, what="the closed tab's market to be freed")
    for tab in (a, c):
        _no_error(tab)
    one.close()
    other.close()


def test_sliders_show_values_units_and_presets_set_them(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = _open(context, server)
    # every slider shows its value with its unit (the parameter table's)
    assert _value(tab, "n_brands") == "20 brands"
    assert _value(tab, "sponsored_cap") == "8 posts/period"
    assert _value(tab, "relationship_cost") == "50 $/relationship/period"
    assert _value(tab, "n_followers") == f"{FOLLOWERS:,} agents"
    assert (
        tab.locator('[data-lever="sponsored_cap"]').inner_text().count("influencers.sponsored_cap")
    )

    # a moved slider shows its new value at once; Reset builds the market with it
    moved = _click_slider(tab, "n_brands", 0.1)
    assert moved != "20 brands" and moved.endswith("brands")
    assert "press Reset" in tab.locator(".ism-status").inner_text()
    _button(tab, "Reset").click()
    _wait_until(lambda: "press Reset" not in tab.locator(".ism-status").inner_text())

    # a scenario moves the sliders to its values
    tab.locator(".ism-controls .v-select").first.click()
    tab.locator(".v-menu__content .v-list-item", has_text="platform").first.click()
    _wait_until(lambda: _value(tab, "platform_share") == "0.5 share of brands")
    assert _value(tab, "n_brands") == "20 brands"

    # a preset of the information panel sets the sliders and builds its market at day 0
    _button(tab, "▶ Play").click()
    _wait_until(lambda: _day(tab) >= 3, what="play")
    tab.locator('[data-preset="unfollow"]').click()
    _wait_until(lambda: _value(tab, "n_brands") == "40 brands", what="the preset")
    assert _value(tab, "sponsored_cap") == "16 posts/period"
    assert _value(tab, "sensitivity") == "2.0 x trust erosion"
    assert _value(tab, "lookahead") == "0 periods"  # the myopic scenario
    _wait_until(lambda: _day(tab) == 0 and not _playing(tab), what="day 0")
    assert "press Reset" not in tab.locator(".ism-status").inner_text()
    # the run before the preset stays on the charts, faded
    _wait_until(
        lambda: "previous run" in tab.locator(".ism-main").inner_text(), what="the previous run"
    )
    _no_error(tab)
    context.close()


def test_the_run_pauses_at_the_stop_day(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = _open(context, server)
    body = tab.inner_text("body")
    for heading in ("WHAT IS IT?", "HOW IT WORKS", "THINGS TO NOTICE", "THINGS TO TRY"):
        assert heading in body.upper()
    assert "runs on Solara" not in body  # no badge over the charts

    stop = tab.locator(".ism-stop-day input")
    stop.fill("12")
    stop.press("Enter")
    _wait_until(lambda: "stop at 12" in tab.locator("[data-day]").inner_text())
    _button(tab, "▶ Play").click()
    _wait_until(lambda: _day(tab) == 12 and not _playing(tab), what="the stop day")
    time.sleep(1.0)
    assert _day(tab) == 12
    assert "stop day" in tab.locator(".ism-status").inner_text()
    assert not _button(tab, "Step").is_disabled()
    assert not _button(tab, "▶ Play").is_disabled()
    _button(tab, "Step").click()
    _wait_until(lambda: _day(tab) == 13, what="Step past the stop day")

    # played again, it runs on past the stop day
    _button(tab, "▶ Play").click()
    _wait_until(lambda: _day(tab) >= 20, what="play past the stop day")
    s0, t0 = _day(tab), time.monotonic()
    time.sleep(4)
    s1, t1 = _day(tab), time.monotonic()
    _button(tab, "❚❚ Pause").click()
    print(f"\nbrowser: {(s1 - s0) / (t1 - t0):.1f} days/s at {FOLLOWERS:,} followers")
    assert s1 > s0
    # the charts are drawn, as SVG, with their monitors under them
    _wait_until(lambda: _chart_paths(tab) >= 9, what="the charts")
    monitors = tab.locator('[data-chart="prices_by_tier"] .ism-monitor').all_inner_texts()
    assert any(re.search(r"micro\s*\$\d", m) for m in monitors), monitors
    _no_error(tab)

    shot = tmp_path / "app.png"
    tab.screenshot(path=str(shot))
    record = ROOT / "results" / "app"
    record.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        shutil.copy(shot, record / "app.png")
    context.close()
