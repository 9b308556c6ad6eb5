"""``influencer-sim app`` and ``influencer-sim bench --app``, without starting a server."""

from __future__ import annotations

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
    assert r["model_steps_per_s"] > 0
    assert r["frame_ms"] > 0
    assert r["page_steps_per_s_default"] > r["page_steps_per_s_every_day"]
