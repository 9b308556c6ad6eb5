"""The validation report (``influencer-sim validate --quick``): the reproductions and known
answers pass, the held-out figures are reported with their sources and sizes, none of them is a
calibration target, and the known answers behind the checks are right."""

import json
import math
import re

import pytest

from simulation.calibration import calibration_targets
from simulation.cli import main
from simulation.validation import HELD_OUT, bass_closed_form, bass_recursion


def test_bass_formulas():
    # the recursion's first step is p, and both curves approach 1
    assert bass_recursion(0.03, 0.38, 1)[0] == pytest.approx(0.03)
    assert bass_recursion(0.03, 0.38, 200)[-1] == pytest.approx(1.0, abs=1e-9)
    assert bass_closed_form(0.03, 0.38, 0.0) == pytest.approx(0.0)
    # as the step shrinks, the recursion tends to the closed form: F(t) for p, q per day
    # equals the recursion with p/k, q/k over k steps per day
    k = 200
    fine = bass_recursion(0.03 / k, 0.38 / k, 10 * k)[-1]
    assert fine == pytest.approx(float(bass_closed_form(0.03, 0.38, 10.0)), abs=2e-3)


def test_no_held_out_figure_is_a_calibration_target():
    targets = calibration_targets()  # those of configs/calibration.toml
    names = {t.name.lower() for t in targets}
    values = [t.value for t in targets]
    sources = {t.source.lower() for t in targets}
    for h in HELD_OUT:
        assert h.source.strip(), f"{h.name}: no source"
        assert h.name.lower() not in names, h.name
        if h.kind == "level":
            assert not any(math.isclose(h.value, v, rel_tol=1e-9) for v in values), h.name
        for s in sources:  # no held-out figure comes from a source a target was fitted to
            assert s.split(",")[0] not in h.source.lower(), (h.name, s)
            assert h.source.lower().split(",")[0] not in s, (h.name, s)


def test_the_held_out_figures_cover_the_published_figures():
    text = " ".join(f"{h.name} {h.source}" for h in HELD_OUT).lower()
    for what in (
        "cost per engagement rises with tier",
        "hypeauditor",  # engagement by tier from a dataset other than Markerly's
        "unfollow",
        "sponsored share",
        "klear",
        "hopper hq",
    ):
        assert what in text, what


def test_validate_quick_writes_a_report(quick_validation):
    out, code, printed = quick_validation
    assert code == 0
    report = (out / "report.md").read_text()
    assert "reproduction and known-answer checks:" in report and " 0 fail." in report
    cal, held = report.split("## 1. Calibrated to")[1].split("## 2. Validated against")
    held, rest = held.split("## 3. Reduction to Bass diffusion")
    assert "**NO**" not in cal + rest  # reproductions and known answers all pass
    for t in calibration_targets():  # each target with the parameters it set
        line = next(x for x in cal.splitlines() if x.startswith(f"| {t.name} |"))
        assert all(f"`{p}`" in line for p in t.parameters) and t.source in line
    rows = [x for x in held.splitlines() if x.startswith("| ") and "---" not in x]
    for h in HELD_OUT:  # each held-out figure with its source and a result
        line = next(x for x in rows if x.startswith(f"| {h.name} |"))
        assert f"| {h.source} |" in line
        assert re.search(r"\| (yes|\*\*NO\*\*|not measurable) \|$", line), line
        if "**NO**" in line:  # a failure is reported with its size
            assert "model / published" in line
    for name in (
        "calibration.png",
        "heldout.png",
        "bass.png",
        "reductions_engines.png",
        "engines.csv",
        "published.csv",
    ):
        assert (out / name).stat().st_size > 0
    assert "checks pass" in printed
    made = json.loads((out / "manifest.json").read_text())
    assert made["kind"] == "influencer-sim validate" and made["quick"] is True
    assert made["wall_time"] > 0 and made["updated"].endswith("Z")


def test_validate_exits_1_when_a_check_fails(tmp_path, monkeypatch, capsys):
    from simulation import validation

    bad = validation.ValidationCheck("Bass", "forced failure", "1", "2", "equal", False)
    monkeypatch.setattr(validation, "validate", lambda out, quick: ([bad], out / "report.md"))
    assert main(["validate", "--quick", "--out", str(tmp_path)]) == 1
    assert "FAIL Bass: forced failure" in capsys.readouterr().err


def test_a_held_out_miss_is_reported_but_does_not_fail_the_command(tmp_path, monkeypatch, capsys):
    from simulation import validation

    miss = validation.ValidationCheck(
        "validated against",
        "a figure",
        "33%",
        "2%; model / published 0.06",
        "in [21%, 45%]",
        False,
        source="a survey",
    )
    monkeypatch.setattr(validation, "validate", lambda out, quick: ([miss], out / "report.md"))
    assert main(["validate", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0/1 reproduced, 1 not" in out
    assert "not reproduced: a figure: 2%; model / published 0.06 (a survey)" in out
