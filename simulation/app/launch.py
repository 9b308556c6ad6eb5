"""``influencer-sim app``: serve the classroom page with ``solara run``.

The page is a solara app (``page.py``); this starts solara's server on it in a subprocess,
listening on 127.0.0.1 unless another address is asked for, and opens the browser.

Stopping the command stops the server: Ctrl-C, ``kill PID`` (SIGTERM) or a closed terminal
(SIGHUP) ends the server's whole process group (:func:`stop_server`), and on Linux the
server also gets SIGTERM if the command itself is killed outright (``kill -9``), so no
server is left holding the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

from .model import MIN_FOLLOWERS, page_scenarios, scenario_names

__all__ = ["PAGE", "AppError", "main", "solara_command", "stop_server"]

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
    names = page_scenarios()
    if names and scenario not in names:
        why = (
            f"simulates fewer than {MIN_FOLLOWERS:,} followers, too few for the page"
            if scenario in scenario_names()
            else "no such shipped scenario"
        )
        raise AppError(f"--scenario {scenario!r}: {why}; the page offers: {', '.join(names)}")
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
    server = subprocess.Popen(
        solara_command(host, port, open_browser),
        env=env,
        # a process group of its own, so that stopping it stops whatever it started
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    stops = (signal.SIGINT, signal.SIGTERM, *_optional_signals("SIGHUP"))
    previous = {sig: signal.signal(sig, _raise_stop) for sig in stops}
    try:
        return server.wait()
    except (_Stop, KeyboardInterrupt):
        return 0
    finally:
        stop_server(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stop(Exception):
    """A signal asked the command to stop."""


def _raise_stop(signum, frame):
    raise _Stop(signum)


def _optional_signals(*names: str) -> list[signal.Signals]:
    return [getattr(signal, n) for n in names if hasattr(signal, n)]


def _die_with_parent() -> None:  # pragma: no cover (runs in the child, before exec)
    """In the server's process, before solara starts: ask Linux to send it SIGTERM when
    the command that started it dies, however it dies (``prctl(PR_SET_PDEATHSIG)``)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def stop_server(server: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop the server and every process in its group: SIGTERM, then SIGKILL after
    ``grace`` seconds."""
    if server.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if hasattr(os, "killpg"):
                os.killpg(server.pid, sig)
            else:  # pragma: no cover (Windows)
                server.send_signal(sig)
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
