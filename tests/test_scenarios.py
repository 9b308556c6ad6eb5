"""Every scenario in configs/ runs end to end at a small size and answers its question."""

from pathlib import Path

import pytest

from simulation.cli import main
from simulation.config import load_config

SCENARIOS = sorted(Path("configs").glob("*.toml"))
SMALL = [
    "population.n_followers=1500",
    "influencers.audience_cap=300",
    "run.steps=40",
]


def _small(path: Path) -> list[str]:
    cfg = load_config(path)
    if cfg.n_influencers == 0:  # bass and cascade are already small
        return []
    sets = list(SMALL)
    if cfg.n_influencers > 200:  # the benchmark market
        sets += [
            "influencers.n_nano=4",
            "influencers.n_micro=20",
            "influencers.n_mid=4",
            "influencers.n_macro=2",
            "influencers.n_celebrity=2",
        ]
    return sets


def test_the_seven_scenarios_of_the_issue_exist():
    names = {p.stem for p in SCENARIOS}
    assert {
        "baseline",
        "saturation",
        "celebrity_vs_micro",
        "platform",
        "algorithm_change",
        "bass",
        "cascade",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_runs_end_to_end(path, tmp_path):
    text = path.read_text()
    assert text.startswith("#"), "each scenario opens with a comment saying its question"
    args = ["run", str(path), "--out", str(tmp_path / path.stem), "--quiet"]
    for s in _small(path):
        args += ["--set", s]
    assert main(args) == 0
    assert (tmp_path / path.stem / "summary.json").is_file()


def test_saturation_raises_sponsored_share_and_fatigue():
    def small(name):
        from simulation.runner import run

        return run(load_config(f"configs/{name}.toml", [*SMALL[:2], "run.steps=90"])).summary

    base, sat = small("baseline"), small("saturation")
    assert sat["sponsored_share"] > 2 * base["sponsored_share"]
    assert sat["mean_fatigue_end"] > base["mean_fatigue_end"]
    assert sat["mean_trust_end"] < base["mean_trust_end"]


def test_algorithm_change_cuts_own_reach():
    from simulation.runner import run

    cfg = load_config("configs/algorithm_change.toml", [*SMALL[:2], "run.steps=200"])
    ts = run(cfg).timeseries
    before = ts.loc[ts["step"] <= 180, "own_impressions"].mean()
    after = ts.loc[ts["step"] > 181, "own_impressions"].mean()
    assert after == pytest.approx(before * (1 - cfg.algorithm.brand_demotion), rel=1e-9)
