"""docs/RESULTS.md is generated from the experiments' outputs, never edited by hand.

``scripts/update_results_doc.py`` writes the document from each experiment's ``summary.json``
and the validation report (``simulation.results_doc``). Here it runs on the quick outputs the
other tests make (the ``quick_experiment`` and ``quick_validation`` fixtures): every section is
there, the numbers it prints are the ones in ``summary.json``, the figures are copied; without
the outputs it says which and writes nothing; and the committed document is the script's, byte
for byte of the text its first line hashes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from simulation import results_doc
from simulation.results_doc import EXPERIMENTS, body_hash, est, est_d, sign_word

SCRIPT = ROOT / "scripts" / "update_results_doc.py"


def _sections(text: str) -> dict[str, str]:
    """The document's ``## `` sections by the experiment whose command opens them."""
    out = {}
    for part in text.split("\n## ")[1:]:
        found = re.search(r"`influencer-sim experiment (\w+)`", part)
        if found:
            out[found.group(1)] = part
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def generated(quick_experiment, quick_validation, tmp_path_factory):
    """The document written from the quick outputs, with its folder and the summaries."""
    folder = None
    for name in EXPERIMENTS:
        path, _ = quick_experiment(name)
        folder = path.parent
    validation, code, _ = quick_validation
    assert code == 0
    out = tmp_path_factory.mktemp("doc")
    doc = out / "RESULTS.md"
    args = ["--results", str(folder), "--validation", str(validation), "--doc", str(doc)]
    assert results_doc.main(args) == 0
    summaries = {
        n: json.loads((folder / n / "summary.json").read_text(encoding="utf-8"))
        for n in EXPERIMENTS
    }
    return doc, folder, validation, summaries


def test_every_section_is_there_with_its_figures(generated):
    doc, folder, validation, _ = generated
    text = doc.read_text(encoding="utf-8")
    assert list(_sections(text)) == list(EXPERIMENTS)
    for heading in (
        "## Calibration, validation, and the classic models the model contains",
        "## Published figures the model does not reproduce",
        "## What the model does not show, and what looks wrong in the outputs",
    ):
        assert f"\n{heading}\n" in text, heading
    assert "These are quick outputs" in text
    shown = set(re.findall(r"\]\(figures/([\w.]+\.png)\)", text))
    copies = results_doc.figures(results_doc.read_outputs(folder, validation))
    assert shown == set(copies.values())
    for source, target in copies.items():
        assert (doc.parent / "figures" / target).read_bytes() == source.read_bytes()
    assert "BRIEF" not in text


def test_the_numbers_are_the_summaries(generated):
    doc, _, validation, summaries = generated
    sections = {k: _flat(v) for k, v in _sections(doc.read_text(encoding="utf-8")).items()}
    r = {n: s["results"] for n, s in summaries.items()}
    for name, s in summaries.items():
        assert f"{s['steps']} days" in sections[name] or f"{s['steps']:,} days" in sections[name]
    assert est_d(r["engagement_vs_size"]["micro_to_celebrity"]) in sections["engagement_vs_size"]
    for d in r["strategy_returns"]["micro_minus_celebrity"]:
        assert est(d["mean"], d["ci_low"], d["ci_high"], "+.2f") in sections["strategy_returns"]
    for row in r["price_escalation"]["end_over_start"]:
        text = est(row["end_over_start"], row["ci_low"], row["ci_high"])
        assert text in sections["price_escalation"], (row, text)
    for row in r["commercial_collapse"]["grid"]:
        assert f"({row['sponsored_share']:.1%})" in sections["commercial_collapse"]
    for row in r["tune_out"]["by_market"]:
        assert f"{row['sponsored_share']:.1%}" in sections["tune_out"]
    e = r["algorithm_change"]["effects"]["budget_share_own"]
    assert est(e["demotion_over_control_after"], *e["ci"]) in sections["algorithm_change"]
    for row in r["influencer_balance"]["income_by_load"]:
        assert f"{row['retention']:.2f}" in sections["influencer_balance"]
    points = r["less_is_more"]["sales_points"]
    assert f"of {points} markets" in sections["less_is_more"]
    runs = r["baseline_market"]["steady_state"]
    settled = sum(x["settled"] for x in runs)
    assert (f"in {settled} of the {len(runs)} runs" in sections["baseline_market"]) or (
        settled == len(runs) and f"in all {len(runs)} runs" in sections["baseline_market"]
    )
    checks = json.loads((validation / "checks.json").read_text())
    text = _flat(doc.read_text(encoding="utf-8"))
    for c in checks:
        assert c["model"] in text, c


def test_words_follow_the_interval():
    assert sign_word(0.1, 0.3, "up", "down") == "up"
    assert sign_word(-0.3, -0.1, "up", "down") == "down"
    assert sign_word(-0.1, 0.3, "up", "down") == "not distinguishable"
    assert sign_word(0.9, 1.2, "up", "down", level=1.0) == "not distinguishable"
    assert sign_word(float("nan"), 1.0, "up", "down") == "not measured"
    assert est(1.234, 1.0, 1.5) == "1.23 [1.00, 1.50]"
    assert est(-0.4, -0.6, 0.2, ".2f", "$") == "-$0.40 [-$0.60, $0.20]"
    assert est(float("nan"), 0, 1) == "none"


def test_without_the_outputs_it_names_them_and_writes_nothing(tmp_path):
    doc = tmp_path / "RESULTS.md"
    doc.write_text("mine\n")
    results = tmp_path / "results"
    results.mkdir()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--results", str(results), "--doc", str(doc)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    first = results / EXPERIMENTS[0]
    assert len(err) == 1 and str(first) in err[0], proc.stderr
    assert f"influencer-sim experiment {EXPERIMENTS[0]}" in err[0]
    assert doc.read_text() == "mine\n" and not (tmp_path / "figures").exists()


def test_the_committed_document_is_the_scripts():
    """docs/RESULTS.md holds, on its first line, the hash of the rest as the script wrote it:
    an edit by hand changes the rest and not the hash. Regenerate it with
    ``python scripts/update_results_doc.py`` after ``influencer-sim experiment all`` and
    ``influencer-sim validate``."""
    text = (ROOT / "docs" / "RESULTS.md").read_text(encoding="utf-8")
    first, body = text.split("\n", 1)
    found = re.fullmatch(re.escape(results_doc.HASH_LINE).replace(r"\{\}", "([0-9a-f]{64})"), first)
    assert found, "docs/RESULTS.md: the first line is not the generator's; regenerate it"
    assert found.group(1) == body_hash(body), (
        "docs/RESULTS.md was edited by hand; change the experiments' results_section or "
        "simulation/results_doc.py and run python scripts/update_results_doc.py"
    )
    for name in re.findall(r"\]\(figures/([\w.]+\.png)\)", body):
        assert (ROOT / "docs" / "figures" / name).is_file(), name
    assert "BRIEF" not in body and "/work/" not in body and "/tmp/" not in body
    assert not Path(ROOT / "docs" / "RESULTS.md").read_text().count("These are quick outputs")
