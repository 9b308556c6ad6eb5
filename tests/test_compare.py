"""``influencer-sim compare``: scenarios on common seeds through the sweep machinery, one report.

A quick comparison writes its report, figures and tables; a scenario compared with itself
differs by exactly 0 (common seeds); more brands competing for the same micro accounts raise
the micro price, and the paired interval says so; bad input is one line and exit status 2;
the same command gives the same bytes.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.compare import HEADLINE, paired_differences, plan_comparison, run_compare
from simulation.config import load_config
from simulation.outputs import summary_keys, unit_of
from simulation.resources import configs_dir, scenario_names

PNGS = (
    "prices.png",
    "sponsored_share.png",
    "mean_trust.png",
    "sales_per_dollar.png",
    "prices_end.png",
    "engagement_by_tier.png",
)
NUMBERS = ("report.md", "outcomes.csv", "differences.csv", "compare.json")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """``influencer-sim compare baseline saturation --quick``, run once for the module."""
    out = tmp_path_factory.mktemp("compare") / "quick"
    assert main(["compare", "baseline", "saturation", "--quick", "--quiet", "--out", str(out)]) == 0
    return out


def test_quick_compare_writes_the_report_and_its_figures(quick):
    report = (quick / "report.md").read_text()
    for png in PNGS:
        assert (quick / png).stat().st_size > 5000, png
        assert f"]({png})" in report, f"report.md does not show {png}"
    assert "**2 times** (replications) for **60 days**" in report
    assert "800 followers" in report and "Quick version" in report
    assert "interval includes 0 is not distinguishable" in report
    assert "`brands.share_micro = 1.0`, `brands.share_celebrity = 0.0`" in report
    numbers = json.loads((quick / "compare.json").read_text())
    assert numbers["reference"] == "baseline" and numbers["replications"] == 2
    # the report's numbers are the runs': the micro price of saturation, from runs.parquet
    runs = pd.read_parquet(quick / "sweep" / "runs.parquet")
    assert (runs["status"] == "ok").all() and len(runs) == 4
    sat = runs[runs["scenario"] == "saturation"]["price_by_tier_end__micro"]
    got = numbers["outcomes"]["saturation"]["price_by_tier_end.micro"]["mean"]
    assert got == pytest.approx(sat.mean(), rel=1e-12)
    # replicate k has the same seed in both scenarios
    seeds = runs.pivot(index="replicate", columns="scenario", values="seed")
    assert (seeds["baseline"] == seeds["saturation"]).all()
    assert numbers["seeds"] == seeds["baseline"].tolist()
    # saturation has no celebrity or mixed brands: no value, said in words, not a number
    assert numbers["outcomes"]["saturation"]["sales_per_dollar_by_strategy.mixed"]["mean"] is None
    man = json.loads((quick / "sweep" / "manifest.json").read_text())
    assert man["state"] == "complete" and man["factors"] == ["scenario"]


def test_same_command_gives_the_same_bytes(quick, tmp_path, capsys):
    out = tmp_path / "again"
    args = ["compare", "baseline", "saturation", "--quick", "--quiet", "--out", str(out)]
    assert main(args) == 0
    for name in NUMBERS:
        assert (out / name).read_bytes() == (quick / name).read_bytes(), name
    assert main(args) == 2  # a finished comparison is not replaced without asking
    assert "already holds a comparison" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0  # nothing left to run: the same report again
    for name in NUMBERS:
        assert (out / name).read_bytes() == (quick / name).read_bytes(), name
    other = ["compare", "baseline", "myopic", "--quick", "--out", str(out), "--resume"]
    assert main(other) == 2
    assert "holds a different comparison" in capsys.readouterr().err


def test_itself_differs_by_exactly_zero_and_more_brands_raise_the_micro_price(tmp_path):
    tiny = (configs_dir() / "tiny.toml").read_text()
    a, crowded = tmp_path / "few.toml", tmp_path / "crowded.toml"
    a.write_text(tiny)
    # three times the brands, buying from the same twelve micro accounts
    crowded.write_text(tiny.replace("n_brands = 4", "n_brands = 12"))
    assert "n_brands = 12" in crowded.read_text()
    out = tmp_path / "out"
    numbers = run_compare(
        [str(a), str(crowded), str(a)], out, replications=3, workers=1, progress=False
    )
    assert [s["label"] for s in numbers["scenarios"]] == ["few", "crowded", "few (2)"]
    assert numbers["scenarios"][1]["sets"] == {"brands.n_brands": 12}
    same = numbers["differences"]["few (2)"]
    for key, d in same.items():
        if d["difference"] is not None:
            assert d["difference"] == 0 and d["ci_low"] == 0 and d["ci_high"] == 0, key
            assert not d["distinguishable"]
    assert "0 (the same in every run)" in (out / "report.md").read_text()
    price = numbers["differences"]["crowded"]["price_by_tier_end.micro"]
    assert price["ci_low"] > 0 and price["distinguishable"], price
    line = next(x for x in numbers["headline"] if "micro accounts" in x)
    assert "price of a sponsored post at the end, micro accounts: +$" in line


def test_paired_differences_are_per_replicate():
    y = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, np.nan, 3.0]])
    d = paired_differences(y)
    assert d[0] == (0.0, 0.0, 0.0, 3)
    m, lo, hi, n = d[1]
    assert (m, n) == (2.0, 3) and lo < 2.0 < hi
    assert d[2] == (0.0, 0.0, 0.0, 2)  # the missing replicate is left out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope.toml", "baseline"], "nope.toml: no such scenario file or shipped scenario"),
        (["baseline"], "1 scenario given; allowed two or more"),
        (["baseline", "saturation", "--replications", "1"], "--replications: 1 is too few"),
        (["baseline", "saturation", "--steps", "0"], "--steps: 0 is out of range"),
        (["baseline", "saturation", "--workers", "0"], "--workers: 0 is out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, says):
    out = tmp_path / "out"
    assert main(["compare", *args, "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err
    assert not out.exists(), "nothing is written"


def test_refuses_a_folder_of_other_things(tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    args = ["compare", "baseline", "saturation", "--quick", "--out", str(other), "--overwrite"]
    assert main(args) == 2
    assert "holds no comparison" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_every_shipped_scenario_has_a_quick_version():
    """--quick applies each scenario's own keys on the tiny market: valid for every one."""
    names = scenario_names()
    plan = plan_comparison(names, quick=True)
    tiny = load_config(configs_dir() / "tiny.toml")
    for s in plan.scenarios:
        assert s.config.population.n_followers == tiny.population.n_followers, s.label
        assert s.config.run.steps == tiny.run.steps
    assert plan.sweep.factors[0].values == tuple(names)


def test_headline_outcomes_are_declared_summary_keys():
    keys = summary_keys()
    for key, _, _ in HEADLINE:
        assert key in keys and unit_of(key, "summary"), key
