"""``influencer-sim calibrate``: the targets file, the ABC-rejection fit on known answers, the
computed figures, and the command end to end on the shipped targets' quick version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, tiny_dict

from simulation import calibrate as cal
from simulation.calibration import (
    FIGURES,
    Target,
    calibration_targets,
    engagement_by_bucket,
    figure_tables,
    markerly,
)
from simulation.cli import main
from simulation.config import config_from_dict
from simulation.runner import run

SHIPPED = ROOT / "configs" / "calibration.toml"


# --------------------------------------------------------------------------------------
# the fit on known answers


def _lhs(n: int, k: int, seed: int) -> np.ndarray:
    from SALib.sample import latin

    problem = {"num_vars": k, "names": list("abcd")[:k], "bounds": [[0, 1]] * k}
    return latin.sample(problem, n, seed=seed)


def _targets(a: float, b: float, half: float) -> tuple[Target, ...]:
    """Targets of the linear model y1 = 2 x1, y2 = x1 + x2 at the point (a, b)."""
    y1, y2 = 2 * a, a + b
    return (
        Target("y1", "return_per_dollar", y1, y1 - half, y1 + half, "test"),
        Target("y2", "return_per_dollar", y2, y2 - half, y2 + half, "test"),
    )


def _model(theta: np.ndarray) -> np.ndarray:
    return np.column_stack([2 * theta[:, 0], theta[:, 0] + theta[:, 1]])


def test_abc_rejection_recovers_known_parameters():
    theta = _lhs(4000, 2, seed=3)
    fit = cal.abc_rejection(theta, _model(theta), _targets(0.5, 0.3, 0.05), accept=0.01)
    assert len(fit["accepted"]) == 40
    assert fit["median"] == pytest.approx([0.5, 0.3], abs=0.02)
    assert np.all(fit["q05"] <= [0.5, 0.3]) and np.all(fit["q95"] >= [0.5, 0.3])
    # every accepted point is nearer the figures than every rejected one
    rejected = np.setdiff1d(np.arange(len(theta)), fit["accepted"])
    assert fit["distance"][fit["accepted"]].max() <= fit["distance"][rejected].min()
    assert fit["epsilon"] == pytest.approx(fit["distance"][fit["accepted"]].max())
    assert fit["best"] == int(np.argmin(fit["distance"]))


def test_a_parameter_no_target_identifies_keeps_its_prior_width():
    # y depends on x1 only: x2's accepted interval spans most of its range, x1's is narrow
    theta = _lhs(4000, 2, seed=5)
    y = np.column_stack([2 * theta[:, 0]])
    t = (Target("y", "return_per_dollar", 1.0, 0.95, 1.05, "test"),)
    fit = cal.abc_rejection(theta, y, t, accept=0.05)
    width = fit["q95"] - fit["q05"]
    assert width[0] < 0.05
    assert width[1] > 0.8


def test_deviation_is_one_at_the_edges_of_an_asymmetric_interval():
    t = Target("paid / list", "return_per_dollar", 1.0, 0.8, 1.25, "test")
    assert t.deviation([0.8, 1.0, 1.25, 1.5]).tolist() == pytest.approx([-1, 0, 1, 2])
    assert t.within(1.25) and not t.within(1.26) and not t.within(float("nan"))


def test_distances_leave_out_unmeasurable_targets_and_reject_unmeasured_points():
    t = _targets(0.5, 0.3, 0.1)
    values = np.array([[1.0, np.nan], [1.1, np.nan], [0.9, np.nan]])
    _, dist = cal.distances(values, t)  # y2 NaN everywhere: left out
    assert dist == pytest.approx([0.0, 1.0, 1.0])
    values = np.array([[1.0, 0.8], [1.0, np.nan], [1.1, 0.8]])
    _, dist = cal.distances(values, t)  # y2 measured at two points: the third is out
    assert dist[1] == np.inf and np.isfinite(dist[[0, 2]]).all()


def test_a_fit_without_two_measured_points_is_an_error():
    t = _targets(0.5, 0.3, 0.1)
    with pytest.raises(cal.CalibrationError, match="at least two design points"):
        cal.abc_rejection(np.zeros((2, 2)), np.array([[1.0, 0.8], [np.nan, 0.8]]), t, 0.5)


# --------------------------------------------------------------------------------------
# computed figures


@pytest.fixture(scope="module")
def tiny_run():
    return run(config_from_dict(tiny_dict(run={"steps": 30})), seed=2)


def test_pooled_engagement_figure_is_markerlys_measure(tiny_run):
    tables = figure_tables(tiny_run)
    buckets = engagement_by_bucket(tiny_run.influencers)
    for ((lo, hi), _), label in zip(markerly(), buckets, strict=True):
        v = FIGURES["engagement_pooled"].compute(tables, followers=(lo, hi))
        assert v == pytest.approx(buckets[label], nan_ok=True)


def test_account_mean_figure_averages_accounts(tiny_run):
    inf = tiny_run.influencers
    sel = (inf["followers_start"] >= 1000) & (inf["followers_start"] < 5000)
    sel &= inf["follower_posts"] > 0
    expected = (inf.loc[sel, "engagements"] / inf.loc[sel, "follower_posts"]).mean()
    tables = figure_tables(tiny_run)
    got = FIGURES["engagement_account_mean"].compute(tables, followers=(1000, 5000))
    assert sel.sum() > 1 and got == pytest.approx(expected)
    pooled = FIGURES["engagement_pooled"].compute(tables, followers=(1000, 5000))
    assert got != pytest.approx(pooled)  # a mean of accounts, not one pooled rate


def test_steady_state_price_figure(tiny_run):
    ts = tiny_run.timeseries
    span = tiny_run.summary["steady_state"]["window_days"]
    got = FIGURES["price_steady_state"].compute(figure_tables(tiny_run), tier="micro")
    assert got == pytest.approx(ts["price_micro"].iloc[-span:].mean())


# --------------------------------------------------------------------------------------
# the targets file


def test_the_calibration_targets_are_the_shipped_file():
    """One list of targets: the checks and the validation report read the file that
    ``influencer-sim calibrate calibration`` fits, found through the package."""
    t = cal.load_targets(SHIPPED)
    assert calibration_targets() == t.targets
    # every target names its source and the parameters it sets, all of them free
    assert all(x.source and x.parameters for x in t.targets)
    assert {p for x in t.targets for p in x.parameters} == set(t.keys)
    # Markerly's table is the file's engagement targets: four contiguous ranges, rates falling
    table = markerly()
    assert [r for r, _ in table] == [(0, 1e3), (1e3, 1e4), (1e4, 1e5), (1e5, 1e7)]
    assert [v for _, v in table] == sorted((v for _, v in table), reverse=True)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "base.toml").write_text(
        "\n".join(
            f"[{s}]\n" + "\n".join(f"{k} = {v!r}" for k, v in vals.items())
            for s, vals in tiny_dict(run={"steps": 20}).items()
        )
        + "\n"
    )
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return path


GOOD = """
name = "mine"
replications = 2
root_seed = 4
steps = 20
[base]
config = "base.toml"
[design]
kind = "lhs"
n = 6
[fit]
accept = 0.34
check_replications = 2
[parameters]
"brands.value_per_engagement" = { low = 1.0, high = 5.0 }
[[targets]]
name = "EMV"
output = "return_per_dollar"
value = 6.5
rel_tolerance = 0.35
source = "Tomoson 2015"
sets = ["brands.value_per_engagement"]
[[targets]]
name = "engagement 1k-10k"
output = "engagement_pooled"
followers = [1000, 10000]
value = 0.04
sd = 0.005
source = "Markerly 2016"
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('output = "return_per_dollar"', 'output = "roi"', "targets[0] (EMV).output: 'roi' is not"),
        ('source = "Tomoson 2015"', "", "targets[0] (EMV).source: required"),
        ("rel_tolerance = 0.35", "rel_tolerance = 0.35\nsd = 1", "give exactly one of"),
        ("rel_tolerance = 0.35", "interval = [7.0, 8.0]", "targets[0] (EMV).interval"),
        ("followers = [1000, 10000]", "followers = [1000, 3000]", ".followers: [1000, 3000]"),
        ("followers = [1000, 10000]", 'tier = "micro"', "takes followers"),
        ('sets = ["brands.value_per_engagement"]', 'sets = ["brands.margin"]', "not a free"),
        ("high = 5.0 }", "high = 5.0, num = 3 }", "parameters.brands.value_per_engagement.num"),
        ("low = 1.0", "low = -1.0", "parameters.brands.value_per_engagement.low: -1.0 is out"),
        ('kind = "lhs"', 'kind = "grid"', "design.kind: 'grid' is not one of lhs, sobol"),
        ("accept = 0.34", "accept = 1.5", "fit.accept: 1.5 must be a share"),
        ("check_replications = 2", "check_replications = 1", "must be an integer >= 2"),
        ('name = "mine"', 'name = "mine"\ncolour = 3', "colour: unknown key"),
    ],
)
def test_a_bad_targets_file_is_one_line(tmp_path, capsys, old, new, message):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("influencer-sim: error: ") and "\n" not in err
    assert message in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_missing_targets_file_and_quick_without_table(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "none.toml")]) == 2
    assert "no such targets file" in capsys.readouterr().err
    path = _write(tmp_path, GOOD)
    assert main(["calibrate", str(path), "--quick", "--out", str(tmp_path / "o")]) == 2
    assert "no [quick] table" in capsys.readouterr().err


def test_a_users_targets_file_runs_on_one_worker(tmp_path):
    path = _write(tmp_path, GOOD)
    res = cal.calibrate(path, tmp_path / "out", workers=1, progress=False)
    assert res["method"]["design_points"] == 6 and res["method"]["accepted"] == 3
    (p,) = res["parameters"]
    assert p["parameter"] == "brands.value_per_engagement"
    assert 1.0 <= p["q05"] <= p["fitted"] <= p["q95"] <= 5.0
    sd_target = res["targets"][1]
    assert (sd_target["low"], sd_target["high"]) == pytest.approx((0.03, 0.05))  # ±2 sd


# --------------------------------------------------------------------------------------
# the shipped targets, quick, end to end


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibrate") / "quick"
    code = main(["calibrate", str(SHIPPED), "--quick", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_quick_calibration_writes_a_whole_fit(quick):
    fit = quick / "fit"
    for name in ("fit.json", "parameters.csv", "targets.csv", "samples.csv", "report.md"):
        assert (fit / name).stat().st_size > 0
    assert (fit / "calibration.png").stat().st_size > 10_000
    assert "**Quick version (`--quick`)" in (fit / "report.md").read_text()  # not a result
    data = json.loads((fit / "fit.json").read_text())
    keys = [p["parameter"] for p in data["parameters"]]
    assert keys == list(cal.load_targets(SHIPPED).keys)
    for p in data["parameters"]:
        assert p["range_low"] <= p["q05"] <= p["fitted"] <= p["q95"] <= p["range_high"]
        assert p["default_inside"] == (p["q05"] <= p["default"] <= p["q95"])
    assert [t["target"] for t in data["targets"]] == [t.name for t in calibration_targets()]
    samples = pd.read_csv(fit / "samples.csv")
    assert len(samples) == 8 and samples["accepted"].sum() == data["method"]["accepted"] == 2
    # the accepted points are the nearest
    assert (
        samples.loc[samples["accepted"], "distance"].max()
        <= samples.loc[~samples["accepted"], "distance"].min()
    )
    # runs went through the sweep machinery: a design sweep and a check sweep
    for sweep in ("design", "check"):
        man = json.loads((quick / "sweeps" / sweep / "manifest.json").read_text())
        assert man["state"] == "complete"
    check = pd.read_csv(fit / "check_runs.csv")
    assert sorted(check["condition"].unique()) == ["defaults", "fitted"]


def test_a_second_run_needs_resume_or_overwrite(quick, capsys):
    assert main(["calibrate", str(SHIPPED), "--quick", "--out", str(quick)]) == 2
    err = capsys.readouterr().err
    assert "already holds a calibration" in err and "--resume" in err


def test_resume_refits_from_the_stored_runs_to_the_same_bytes(quick):
    before = (quick / "fit" / "samples.csv").read_bytes()
    parts = sorted((quick / "sweeps" / "design" / "parts").iterdir())
    cal.calibrate(SHIPPED, quick, quick=True, resume=True, progress=False)
    assert (quick / "fit" / "samples.csv").read_bytes() == before
    assert sorted((quick / "sweeps" / "design" / "parts").iterdir()) == parts


def test_a_failed_write_leaves_no_fit_that_looks_complete(quick, tmp_path, monkeypatch):
    out = tmp_path / "copy"
    shutil.copytree(quick, out)
    old = (out / "fit" / "fit.json").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cal, "_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cal.calibrate(SHIPPED, out, quick=True, resume=True, progress=False)
    assert (out / "fit" / "fit.json").read_bytes() == old  # the earlier fit, whole
    assert not list(out.glob(".fit.tmp-*"))
    shutil.rmtree(out / "fit")
    with pytest.raises(RuntimeError, match="disk full"):
        cal.calibrate(SHIPPED, out, quick=True, resume=True, progress=False)
    assert not (out / "fit").exists()


def test_the_documented_example_is_a_valid_targets_file(tmp_path):
    text = (ROOT / "docs" / "CALIBRATION.md").read_text(encoding="utf-8")
    start = text.index('```toml\nname = "my_market"') + len("```toml\n")
    example = text[start : text.index("```", start)]
    shutil.copy(ROOT / "configs" / "baseline.toml", tmp_path / "my_market.toml")
    (tmp_path / "targets.toml").write_text(example)
    for quick in (False, True):
        t = cal.load_targets(tmp_path / "targets.toml", quick=quick)
        assert len(t.targets) == 3 and len(t.parameters) == 3
    assert (t.design["n"], t.accept, t.check_replications) == (8, 0.25, 2)
