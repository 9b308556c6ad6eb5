"""``influencer-sim app`` and ``influencer-sim bench --app``, without starting a server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulation.app import launch
from simulation.app.bench import measure
from simulation.cli import build_parser, main


def test_app_listens_on_localhost_by_default():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port, args.scenario) == ("127.0.0.1", 8765, "baseline")
    cmd = launch.solara_command(args.host, args.port, open_browser=False)
    assert cmd[1:4] == ["-m", "solara", "run"]
    assert cmd[4] == str(launch.PAGE)
    assert launch.PAGE.is_file()
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert "--no-open" in cmd


def test_unknown_scenario_is_one_line_error(capsys):
    assert main(["app", "--scenario", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("influencer-sim: error: --scenario 'no_such_scenario'")
    assert "baseline" in err


def test_page_benchmark_measures():
    r = measure(n_followers=1_500, steps=6)
    assert r["model_days_per_s"] > 0
    assert r["frame_ms"] > 0 and r["frame_kb"] > 1
    assert 0 < r["page_days_per_s"] < r["model_days_per_s"]
    assert r["memory_mb_per_session"] > 0.1


def test_a_scenario_too_small_for_the_page_is_one_line_error(capsys):
    assert main(["app", "--scenario", "cascade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("influencer-sim: error: --scenario 'cascade': simulates fewer than")
    assert "\n" not in err.strip()


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _serving(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_command_stops_its_server(how):
    """``kill PID`` (and even ``kill -9 PID``) of ``influencer-sim app`` leaves no server
    process and no open port behind."""
    pytest.importorskip("solara", reason="the app extra is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "from simulation.cli import main; raise SystemExit(main())"
    cmd = [sys.executable, "-c", code, "app", "--port", str(port), "--no-browser"]
    launcher = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _serving(port):
            assert launcher.poll() is None, "the command exited before serving"
            assert time.monotonic() < deadline, "the page was not served within 120 s"
            time.sleep(0.5)
        below = _descendants(launcher.pid)
        assert below, "the server runs in a process of its own"
        launcher.send_signal(how)
        launcher.wait(timeout=60)
        deadline = time.monotonic() + 60
        while _serving(port) or any(_alive(p) for p in below):
            assert time.monotonic() < deadline, (
                f"after {how.name}: port {port} still served, or processes "
                f"{[p for p in below if _alive(p)]} still alive"
            )
            time.sleep(0.5)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for p in _descendants(launcher.pid):
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
