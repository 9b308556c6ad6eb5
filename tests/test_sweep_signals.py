"""Clean stops: SIGTERM (a cluster scheduler), SIGHUP (a closed terminal) and Ctrl-C stop a
sweep the same way: workers ended, finished runs kept, the manifest says interrupted with the
counts, one line says how to resume, and no process is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_toml

ROOT = Path(__file__).resolve().parents[1]

SWEEP = """
name = "long"
replications = 200
root_seed = 9
steps = 20

[base]
config = "base.toml"

[factors]
behaviour.trust_erosion = [0.5, 2.0]

[outcomes]
final = ["mean_trust"]
"""


def _session(sid: int) -> list[tuple[int, str]]:
    """Live processes of session ``sid`` (pid, command), zombies left out."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append((int(entry), cmd.strip()))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "SIGHUP", "ctrl-c"],
)
def test_a_stop_signal_keeps_finished_runs_and_leaves_no_process(tmp_path, signum, group):
    (tmp_path / "base.toml").write_text(tiny_toml())
    (tmp_path / "long.toml").write_text(SWEEP)
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "simulation.cli", "sweep", str(tmp_path / "long.toml")]
    cmd += ["--out", str(out), "--workers", "2", "--quiet"]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as fh:
        # its own session: every process it starts (forkserver, workers, resource tracker)
        # carries the session id, even after it is orphaned
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True
        )
    parts = out / "parts"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("p*.arrow"))) >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, log.read_text()
    family = _session(proc.pid)
    assert len(family) >= 4, family  # coordinator, forkserver, two workers (and a tracker)
    if group:  # a terminal's Ctrl-C reaches every process of the foreground group
        os.killpg(proc.pid, signum)
    else:  # a scheduler or a closed session signals the job's main process
        os.kill(proc.pid, signum)
    code = proc.wait(timeout=60)
    err = log.read_text()
    assert code == 128 + signum, err
    name = signal.Signals(signum).name
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"stopped by {name}: "), err
    assert "finish with: influencer-sim sweep" in lines[0] and "--resume" in lines[0]
    assert "Traceback" not in err
    man = json.loads((out / "manifest.json").read_text())
    n_parts = len(list(parts.glob("p*.arrow")))
    assert man["state"] == "interrupted" and man["stopped_by"] == name
    assert man["counts"] == {"done": n_parts, "failed": 0, "missing": 400 - n_parts}
    assert len(pd.read_parquet(out / "runs.parquet")) == n_parts
    assert f"{n_parts} of 400 runs done" in lines[0]
    # every process the sweep started is gone
    deadline = time.monotonic() + 15
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session(proc.pid) == []
