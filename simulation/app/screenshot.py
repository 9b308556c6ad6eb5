"""The documentation's picture of the page: ``python -m simulation.app.screenshot OUT.png``.

Serves the page, opens it in headless Chromium at 1366x768 (a classroom projector's
resolution), runs the baseline for a year, sets up the unfollow-effect preset and plays it
to day 180, so that the charts show the preset's run over the faded baseline, then scrolls
the information panel to its things to try and saves the window. Needs what
``loadtest.py`` needs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from .loadtest import FLAGS, PAGE, _chromium, _day, _free_port, _wait

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Take the screenshot."""
    ap = argparse.ArgumentParser(prog="python -m simulation.app.screenshot")
    ap.add_argument("out", help="the PNG file to write")
    ap.add_argument("--width", type=int, default=1366)
    ap.add_argument("--height", type=int, default=768)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="0")
    cmd = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--production", "--no-open"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:

            def up() -> bool:
                try:
                    with urllib.request.urlopen(url, timeout=5):
                        return True
                except OSError:
                    return False

            _wait(up, 120, "the server")
            with sync_playwright() as p:
                launch = {"args": FLAGS, "headless": True}
                if _chromium():
                    launch["executable_path"] = _chromium()
                browser = p.chromium.launch(**launch)
                tab = browser.new_page(viewport={"width": args.width, "height": args.height})
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
                _wait(lambda: "stop at 180" in tab.locator("[data-day]").inner_text(), 60, "stop")
                play.click()
                _wait(lambda: _day(tab) == 180, 600, "day 180")
                tab.locator(".ism-info h3", has_text="Things to try").scroll_into_view_if_needed()
                time.sleep(3)  # the last frame drawn
                tab.screenshot(path=args.out)
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
