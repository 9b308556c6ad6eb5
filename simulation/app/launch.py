"""``influencer-sim app``: serve the classroom page with ``solara run``.

The page is a solara app (``page.py``); this starts solara's server on it in a subprocess,
listening on 127.0.0.1 unless another address is asked for, and opens the browser.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from .model import scenario_names

__all__ = ["PAGE", "AppError", "main", "solara_command"]

#: The page's source file (what ``solara run`` is given).
PAGE = Path(__file__).with_name("page.py")


class AppError(Exception):
    """A mistake in what was asked for (printed as one line by the command line)."""


def solara_command(
    host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True
) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    cmd = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", host, "--port", str(port)]
    cmd += ["--production", "--open" if open_browser else "--no-open"]
    return cmd


def main(host: str, port: int, scenario: str, open_browser: bool = True) -> int:
    """Check the request, then serve the page until interrupted; the server's exit code."""
    names = scenario_names()
    if names and scenario not in names:
        raise AppError(
            f"--scenario {scenario!r}: no such shipped scenario; shipped: {', '.join(names)}"
        )
    if importlib.util.find_spec("solara") is None:
        raise AppError("the page needs the app extra: pip install 'influencer-sim[app]'")
    env = dict(
        os.environ,
        INFLUENCER_SIM_SCENARIO=scenario,
        # no usage telemetry from a classroom (solara sends it by default)
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="0",
    )
    # a page whose connection has been gone this long is closed, which stops its play loop
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "2m")
    print(f"serving the classroom page on http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        return subprocess.call(solara_command(host, port, open_browser), env=env)
    except KeyboardInterrupt:
        return 0
