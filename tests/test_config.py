"""Scenario configuration: defaults, scenario files, TOML round trip, overrides, and one-line
errors naming the key and what is allowed (in Python and through the command line)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.config import (
    SECTIONS,
    Config,
    ConfigError,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    config_to_toml,
    load_config,
    parse_override,
)
from simulation.resources import is_targets_file
from simulation.vocabulary import MACRO, TIERS

ROOT = Path(__file__).resolve().parent.parent
#: The scenario files of configs/ (the calibration targets file beside them is not one).
SCENARIOS = sorted(p for p in (ROOT / "configs").glob("*.toml") if not is_targets_file(p))


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load():
    cfg = config_from_dict({})
    assert cfg == Config()
    assert cfg.run.engine == "vectorized"
    # 3,000 accounts split by the published distribution of account sizes
    assert cfg.n_influencers == 1891 + 842 + 192 + 71 + 4 == 3000
    # one population scale: 4 million people simulated by 100,000 followers
    assert cfg.population.people / cfg.population.n_followers == 40
    assert cfg.graph.kind == "topic_blocks"
    assert set(config_to_dict(cfg)) == set(SECTIONS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.brands.budget = 1.0  # type: ignore[misc]


def test_there_are_scenarios():
    assert any(p.name == "baseline.toml" for p in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_loads_and_round_trips(path):
    cfg = load_config(path)
    assert cfg.base_dir == str(path.parent)
    assert config_from_dict(tomllib.loads(config_to_toml(cfg))) == cfg


def test_round_trip_of_non_default_values(tmp_path):
    cfg = apply_overrides(
        config_from_dict({}),
        {
            "run.engine": "reference",
            "run.seed": 2**63 - 1,
            "graph.kind": "edgelist",
            "graph.file": 'dir\\sub "x" é.txt',
            "brands.budget": 1e12,
            "brands.own_conversion": 1e-5,
            "platform.fee_rate": 0.1 + 0.2,  # not exactly 0.3: repr keeps every digit
            "population.n_followers": 12_345,
        },
    )
    text = config_to_toml(cfg)
    back = config_from_dict(tomllib.loads(text))
    assert back == cfg
    assert back.platform.fee_rate == 0.1 + 0.2
    assert back.graph.file == 'dir\\sub "x" é.txt'
    # and through a file on disk
    assert load_config(write(tmp_path, text)) == cfg


def test_overrides_through_load_config():
    base = ROOT / "configs" / "baseline.toml"
    cfg = load_config(base, ["brands.budget=5000", "graph.kind=watts_strogatz", "run.steps=7"])
    assert cfg.brands.budget == 5000.0
    assert isinstance(cfg.brands.budget, float)
    assert cfg.graph.kind == "watts_strogatz"
    assert cfg.run.steps == 7
    assert cfg.population == load_config(base).population


def test_parse_override():
    assert parse_override("brands.budget=5000") == ("brands", "budget", 5000)
    assert parse_override(" run.engine = reference ") == ("run", "engine", "reference")
    assert parse_override('graph.file="a=b.txt"') == ("graph", "file", "a=b.txt")
    assert parse_override("behaviour.reach=0.5") == ("behaviour", "reach", 0.5)
    for bad in ("brands.budget", "budget=3"):
        with pytest.raises(ConfigError, match=r"expected section\.key=value") as err:
            parse_override(bad)
        assert "\n" not in str(err.value)


def test_apply_overrides_validates():
    cfg = config_from_dict({})
    assert apply_overrides(cfg, {"brands.n_brands": 3}).brands.n_brands == 3
    with pytest.raises(ConfigError, match=r"^brands\.budget: .*out of range"):
        apply_overrides(cfg, {"brands.budget": -1})
    with pytest.raises(ConfigError, match=r"^nope: unknown section"):
        apply_overrides(cfg, {"nope.x": 1})


def test_integer_valued_float_is_accepted_for_an_integer():
    cfg = config_from_dict({"population": {"n_followers": 20000.0}})
    assert cfg.population.n_followers == 20000
    assert isinstance(cfg.population.n_followers, int)


# -- errors: one line naming the key and what is allowed ---------------------------------

BAD_FILES = [
    # (TOML text, pattern the one-line message must match)
    ("[run\nsteps = 3\n", r"scenario\.toml: malformed TOML: .*line 1"),
    ("[run]\nsteps = = 3\n", r"scenario\.toml: malformed TOML"),
    ("[foo]\na = 1\n", r"^foo: unknown section; allowed sections are run, graph, .*algorithm"),
    ("[run]\nstepz = 3\n", r"^run\.stepz: unknown key; allowed keys in \[run\] are steps, seed"),
    ('[population]\nn_followers = "many"\n', r"^population\.n_followers: expected an integer"),
    ("[population]\nn_followers = 2.5\n", r"^population\.n_followers: expected an integer"),
    ("[run]\nsteps = true\n", r"^run\.steps: expected an integer"),
    ('[brands]\nbudget = "lots"\n', r"^brands\.budget: expected a number"),
    ("[brands]\nbudget = nan\n", r"^brands\.budget: expected a finite number"),
    ("[brands]\nbudget = -5\n", r"^brands\.budget: -5\.0 is out of range; allowed \[0, "),
    ("[behaviour]\nreach = 1.5\n", r"^behaviour\.reach: 1\.5 is out of range; allowed \[0, 1\]"),
    ("[behaviour]\nfatigue_scale = 0\n", r"^behaviour\.fatigue_scale: .*allowed \(0, "),
    ('[run]\nengine = "fast"\n', r"^run\.engine: 'fast' is not one of 'vectorized', 'reference'"),
    ("run = 3\n", r"^run: expected a table"),
    (
        "[population]\nn_followers = 100\npeople = 50\n",
        r"^population\.people: 50 is less than population\.n_followers \(100\)",
    ),
    (
        "[influencers]\nmid_min = 400\n",
        r"^influencers\.mid_min: 400 must be greater than influencers\.micro_min \(500\)",
    ),
    (
        "[influencers]\ncelebrity_max = 400000\n",
        r"^influencers\.celebrity_max: .* must be greater than influencers\.celebrity_min",
    ),
    (
        "[brands]\nshare_micro = 0.8\nshare_celebrity = 0.3\n",
        r"^brands\.share_micro \+ brands\.share_celebrity: 1\.1 is more than 1; allowed",
    ),
    ('[graph]\nkind = "watts_strogatz"\nk = 5\n', r"^graph\.k: 5 must be even for watts_strogatz"),
    ('[graph]\nkind = "edgelist"\n', r"^graph\.file: required when graph\.kind is 'edgelist'"),
    ('[graph]\nkind = "karate"\n', r"^population\.n_followers: .*karate.*34"),
    (
        "[population]\npeople = 99999\n",
        r"^population\.people: 99,999 is less than population\.n_followers \(100,000\); allowed",
    ),
    (
        "[population]\npeople = 2000000\n",
        r"^influencers\.celebrity_max: 3,000,000 is more than population\.people \(2,000,000\)",
    ),
    (
        "[influencers]\nfame_size = 500\n",
        r"^influencers\.fame_size: 500 must be greater than influencers\.micro_min \(500\)",
    ),
    ("[influencers]\naudience_cap = 300\n", r"^influencers\.audience_cap: unknown key"),
    ("[brands]\nlearning_rate = -1\n", r"^brands\.learning_rate: -1\.0 is out of range"),
    ("[brands]\nexplore_share = 0.6\n", r"^brands\.explore_share: 0\.6 is out of range"),
    (
        "[brands]\nseed_adopters = 200000\n",
        r"^brands\.seed_adopters: 200,000 is more than population\.n_followers",
    ),
]


@pytest.mark.parametrize(("text", "pattern"), BAD_FILES)
def test_bad_scenario_gives_one_line_error(tmp_path, text, pattern):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert re.search(pattern, msg), msg


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such scenario file") as err:
        load_config(tmp_path / "nope.toml")
    assert "\n" not in str(err.value)
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00\x80")
    with pytest.raises(ConfigError, match="not a UTF-8 text file"):
        load_config(path)


def test_bad_override_gives_one_line_error():
    base = ROOT / "configs" / "baseline.toml"
    for text, pattern in [
        ("brands.budget=-3", r"^brands\.budget: -3\.0 is out of range"),
        ("brands.nokey=1", r"^brands\.nokey: unknown key; allowed keys in \[brands\] are"),
        ("nope.key=1", r"^nope: unknown section"),
        ("behaviour.reach=abc", r"^behaviour\.reach: expected a number, got 'abc'"),
        ("brands.budget", r"expected section\.key=value"),
    ]:
        with pytest.raises(ConfigError, match=pattern) as err:
            load_config(base, [text])
        assert "\n" not in str(err.value)


def test_graph_file_missing_is_a_config_error(tmp_path, tiny):
    from simulation.model import MarketModel

    cfg = dataclasses.replace(
        tiny(graph={"kind": "edgelist", "file": "missing.txt"}), base_dir=str(tmp_path)
    )
    with pytest.raises(ConfigError, match=r"^graph\.file: .*missing\.txt does not exist") as err:
        MarketModel(cfg, seed=1)
    assert "\n" not in str(err.value)


def test_replace_validates_values():
    cfg = config_from_dict({})
    with pytest.raises(ConfigError, match=r"brands\.budget"):
        cfg.replace(brands=dataclasses.replace(cfg.brands, budget=-5.0))


def test_replace_runs_cross_checks():
    cfg = config_from_dict({})
    with pytest.raises(ConfigError, match=r"^brands\.share_micro \+ brands\.share_celebrity"):
        cfg.replace(brands=dataclasses.replace(cfg.brands, share_micro=0.9))


# -- through the command line ----------------------------------------------------------

TINY_TOML = tiny_toml(run={"steps": 5})

CLI_CASES = [
    ("[brands]\nbudget = -5\n", [], "brands.budget"),
    ("[foo]\na = 1\n", [], "foo: unknown section"),
    ("[run\n", [], "malformed TOML"),
    ('[graph]\nkind = "watts_strogatz"\nk = 5\n', [], "graph.k"),
    (TINY_TOML, ["--set", "behaviour.reach=1.5"], "behaviour.reach"),
    (TINY_TOML, ["--set", "brands"], "expected section.key=value"),
    (TINY_TOML, ["--steps", "0"], "run.steps: 0 is out of range"),
    (TINY_TOML + '[graph]\nkind = "edgelist"\nfile = "gone.txt"\n', [], "graph.file"),
]


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "verbose"])
@pytest.mark.parametrize(("text", "extra", "needle"), CLI_CASES)
def test_cli_error_is_one_line_and_writes_nothing(tmp_path, capsys, text, extra, needle, quiet):
    path = write(tmp_path, text)
    out = tmp_path / "out"
    args = ["run", str(path), "--out", str(out), *extra] + (["--quiet"] if quiet else [])
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("influencer-sim: error: ")
    assert needle in lines[0]
    assert captured.out == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.toml"]


def test_cli_missing_scenario_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("influencer-sim: error: ") and "no such scenario file" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_good_scenario_runs(tmp_path, capsys):
    path = write(tmp_path, TINY_TOML)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--format", "csv"]) == 0
    assert capsys.readouterr().err == ""
    assert (out / "config.toml").is_file()
    assert load_config(out / "config.toml") == load_config(path)
    # the folder now holds a run: asking again without --overwrite is a one-line error
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--overwrite" in err


def test_a_market_smaller_than_the_largest_tier_needs_that_tier_empty():
    # the largest non-empty tier's upper bound must fit in the market's people
    small = {"population": {"n_followers": 20_000, "people": 200_000}}
    with pytest.raises(ConfigError, match=r"^influencers\.celebrity_max: "):
        config_from_dict(small)
    no_big = {f"n_{t}": 0 for t in TIERS[MACRO:]}
    cfg = config_from_dict({**small, "influencers": no_big})
    assert cfg.population.people == 200_000
    assert cfg.n_influencers == sum(config_from_dict({}).influencers.tier_counts[:MACRO])
