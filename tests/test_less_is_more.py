"""The less_is_more experiment: its box finding (PRIM) recovers a known region, its quick
version finds boxes whose coverage and density are what its points say, and without PRIM it
says how to install it and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from simulation.experiments.less_is_more.analysis import (
    Box,
    cases,
    describe_box,
    drivers,
    find_boxes,
    headline,
    hull_box,
    stability,
)

from simulation.experiment import run_experiment


def synthetic(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.random((n, 4)), columns=["x1", "x2", "x3", "x4"])


def test_find_boxes_recovers_a_known_region():
    x = synthetic()
    y = ((x["x1"] < 0.3) & (x["x2"] > 0.6)).to_numpy()
    boxes = find_boxes(x, y)
    assert boxes, "no box found"
    b = boxes[0]
    assert set(b.limits) == {"x1", "x2"}, b.limits
    lo1, hi1 = b.limits["x1"]
    lo2, hi2 = b.limits["x2"]
    assert hi1 == pytest.approx(0.3, abs=0.05) and lo1 == x["x1"].min()
    assert lo2 == pytest.approx(0.6, abs=0.05) and hi2 == x["x2"].max()
    assert b.coverage >= 0.9 and b.density >= 0.9
    words = describe_box(b, x)
    assert "x1 is at most 0.2" in words or "x1 is at most 0.3" in words, words
    assert "x2 is at least 0.5" in words or "x2 is at least 0.6" in words, words
    # it comes back on resamples of the points
    held = stability(x, y, b, resamples=20, seed=1)
    assert held == {"x1": pytest.approx(1.0, abs=0.1), "x2": pytest.approx(1.0, abs=0.1)}
    # the same region seen from the other side: its complement is where x1 >= 0.3 or x2 <= 0.6
    other = find_boxes(x, ~y)
    assert other and all(set(o.limits) <= {"x1", "x2"} for o in other)
    assert sum(o.coverage for o in other) > 0.8


def test_find_boxes_recomputes_its_statistics_and_finds_nothing_in_noise():
    x = synthetic(seed=11)
    y = ((x["x3"] > 0.5) & (x["x4"] > 0.5)).to_numpy()
    b = find_boxes(x, y)[0]
    inside = b.contains(x)
    assert b.coverage == (inside & y).sum() / y.sum()
    assert b.density == (inside & y).sum() / inside.sum()
    assert b.mass == inside.mean()
    assert find_boxes(x, np.zeros(len(x), dtype=bool)) == []
    # labels that do not depend on the inputs: no restriction survives the quasi-p test
    noise = np.random.default_rng(5).random(len(x)) < 0.3
    assert find_boxes(x, noise) == []
    with pytest.raises(ValueError, match="shape"):
        find_boxes(x, y[:-1])


def test_a_rare_outcome_is_placed_by_the_hull_of_its_cases():
    x = synthetic(seed=4)
    y = (x["x3"] > 0.96).to_numpy()  # about 12 of 300: fewer than PRIM's smallest box (15)
    (b,) = hull_box(x, y)
    assert b.method == "hull" and b.coverage == 1
    assert list(b.limits) == ["x3"] and b.limits["x3"][1] == x["x3"].max()
    assert b.limits["x3"][0] == x.loc[y, "x3"].min() and b.density == 1
    assert describe_box(b, x).startswith("x3 is at least 0.96")
    two = (x["x3"] >= x["x3"].nlargest(2).min()).to_numpy()
    assert two.sum() == 2 and hull_box(x, two) == []  # two points are no region


def test_describe_box_and_drivers():
    x = synthetic(seed=2)
    box = Box(
        limits={"x1": (0.1, x["x1"].max()), "x2": (0.2, 0.7)}, coverage=1, density=1, mass=1, n=1
    )
    assert describe_box(box, x) == "x1 is at least 0.1 and x2 is between 0.2 and 0.7"
    pts = x.assign(d=3 * x["x2"] - x["x3"] + 0.01 * x["x1"])
    ranked = drivers(pts, ["x1", "x2", "x3", "x4"], "d")
    assert list(ranked["factor"][:2]) == ["x2", "x3"]
    assert ranked["srrc"].iloc[0] > 0 > ranked["srrc"].iloc[1]
    assert 0.8 < ranked["r2"].iloc[0] <= 1


def test_quick_version_finds_boxes(tmp_path):
    out = tmp_path / "lim"
    numbers = run_experiment("less_is_more", out, quick=True, progress=False)
    boxes = numbers["boxes"]
    assert boxes, "the quick version found no box"
    pts = pd.read_csv(out / "points.csv")
    factors = list(numbers["phase_axes"])
    assert len(factors) == 2 and all(f in pts.columns for f in factors)
    for b in boxes:
        assert 0 <= b["coverage"] <= 1 and 0 <= b["density"] <= 1 and 0 < b["mass"] <= 1
        if b["box"] != 1:
            continue
        # the first box's coverage and density are what the points in it say
        have = pts[pts[f"d_{b['outcome']}"].notna()]
        inside = Box({c: tuple(v) for c, v in b["limits"].items()}, 0, 0, 0, 0).contains(have)
        y = cases(have, b["outcome"], b["case"])
        assert b["coverage"] == pytest.approx((inside & y).sum() / y.sum())
        assert b["density"] == pytest.approx((inside & y).sum() / inside.sum())
    runs = pd.read_csv(out / "runs.csv")
    assert np.allclose(
        runs["d_sales"],
        runs["sales_per_dollar_by_strategy__micro"]
        - runs["sales_per_dollar_by_strategy__celebrity"],
        equal_nan=True,
    )
    share = numbers["sales_share"]
    have = pts[pts["d_sales"].notna()]
    ties = (have["d_sales"] == 0).mean()  # the tiny market: both portfolios sell nothing
    assert share["micro"] + share["celebrity"] + ties == pytest.approx(1)
    micro, celeb = (
        have["sales_per_dollar_by_strategy__micro"],
        have["sales_per_dollar_by_strategy__celebrity"],
    )
    assert share["close"] == pytest.approx(
        ((np.minimum(micro, celeb) / np.maximum(micro, celeb)) >= 0.5).mean()
    )
    lines = headline(numbers)
    assert any("coverage" in line and "density" in line for line in lines)
    assert (out / "phase_diagram.png").stat().st_size > 1000
    assert json.loads((out / "summary.json").read_text())["experiment"] == "less_is_more"


def test_without_prim_it_says_how_to_install_it(tmp_path):
    out = tmp_path / "none"
    code = (
        "import sys; sys.modules['prim'] = None\n"
        "from simulation.cli import main\n"
        f"sys.exit(main(['experiment', 'less_is_more', '--quick', '--out', {str(out)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "pip install 'PRIM>=1.0'" in err[0], proc.stderr
    assert not out.exists()
