"""The validation report (``influencer-sim validate --quick``): every check passes, the report
and its figures are written, and the known answers behind the checks are right."""

import pytest

from simulation.cli import main
from simulation.validation import bass_closed_form, bass_recursion


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


def test_validate_quick_writes_a_passing_report(tmp_path, capsys):
    out = tmp_path / "validation"
    assert main(["validate", "--quick", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "0 fail" in report
    assert "**NO**" not in report
    for name in ("calibration.png", "bass.png", "reductions_engines.png", "engines.csv"):
        assert (out / name).stat().st_size > 0
    assert "checks pass" in capsys.readouterr().out


def test_validate_exits_1_when_a_check_fails(tmp_path, monkeypatch, capsys):
    from simulation import validation

    bad = validation.ValidationCheck("Bass", "forced failure", "1", "2", "equal", False)
    monkeypatch.setattr(validation, "validate", lambda out, quick: ([bad], out / "report.md"))
    assert main(["validate", "--quick", "--out", str(tmp_path)]) == 1
    assert "FAIL Bass: forced failure" in capsys.readouterr().err
