"""Every source has one entry in docs/REFERENCES.md, and everything that cites one finds it.

- Every link ``REFERENCES.md#KEY`` of the repository's Markdown resolves to an entry, and every
  entry is linked from some other page (the list holds the sources the project uses).
- No file of the repository cites the project's internal notes by their file name: the
  published source goes there instead.
- Every source named in the parameter declarations (``source=`` of ``simulation/config.py``),
  the ``Source:`` lines of the code, the calibration targets (``configs/calibration.toml``) and
  the held-out figures (``HELD_OUT``) names an entry: for each year it gives, the name of an
  entry of that year comes before it in the same citation (``Markerly 2016``, ``Bass 1969;
  Sultan, Farley & Lehmann 1990``, ``Influencer Marketing Hub rate cards 2021-2024``); a source
  without a year names an entry without one (``Klear``, ``the seed article``).
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from simulation import config
from simulation.calibration import calibration_targets
from simulation.validation import HELD_OUT

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "docs" / "REFERENCES.md"
ANCHOR = re.compile(r'<a id="([^"]*)"></a>')
KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
LINK = re.compile(r"REFERENCES\.md#([A-Za-z0-9_-]*)")
#: A year, or a range of years (``2016-2018``), in a citation.
YEARS = re.compile(r"\b((?:19|20)\d\d)(?:\s*[-–]\s*((?:19|20)\d\d))?\b")
#: Parameter sources that cite nothing: the model's own assumptions and measurements, and
#: parameters that share another's source ("as n_nano").
NOT_CITATIONS = ("assumption", "as ", "measured")
SKIP_DIRS = {".git", "results", "build", "dist", "__pycache__", "node_modules"}


def _norm(text: str) -> str:
    """Lower case, accents dropped, every run of other characters one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text).split()) + " "


def entries(text: str | None = None) -> dict[str, tuple[str, str | None]]:
    """Each entry's key -> (its name, normalised; its year, or None for ``-nd`` and keys
    without a year). The name is the key without its year: ``collective-bias-2016`` ->
    ``collective bias``, 2016."""
    text = REFERENCES.read_text(encoding="utf-8") if text is None else text
    out = {}
    for key in ANCHOR.findall(text):
        m = re.fullmatch(r"(.+)-((?:19|20)\d\d|nd)", key)
        name, year = (m.group(1), m.group(2)) if m else (key, None)
        out[key] = (_norm(name.replace("-", " ")), None if year == "nd" else year)
    return out


def unlisted(source: str, known: dict[str, tuple[str, str | None]]) -> list[str]:
    """The citations of ``source`` that name no entry of ``known`` (empty: all listed)."""
    missing, start = [], 0
    years = list(YEARS.finditer(source))
    for m in years:
        window = source[start : m.start()]
        window = _norm(window[window.rfind(";") + 1 :])  # this citation only
        given = {m.group(1), m.group(2)} - {None}
        if not any(y in given and name in window for name, y in known.values()):
            missing.append(source[start : m.end()].strip(" ;,"))
        start = m.end()
    if not years and not any(y is None and name in _norm(source) for name, y in known.values()):
        missing.append(source)
    return missing


def repository_files() -> list[Path]:
    """The files of the repository: those git tracks or would add, else every file outside
    environments, outputs and caches."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        return [ROOT / p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, dirs, names in os.walk(ROOT):
            dirs[:] = [
                d
                for d in dirs
                if d not in SKIP_DIRS and not d.startswith((".venv", ".")) and "egg-info" not in d
            ]
            files += [Path(folder) / n for n in names]
        return files


def markdown_files() -> list[Path]:
    return [p for p in repository_files() if p.suffix == ".md"]


# --------------------------------------------------------------------------------------
# the list and the links to it


def test_every_entry_has_one_well_formed_key():
    keys = ANCHOR.findall(REFERENCES.read_text(encoding="utf-8"))
    assert len(keys) > 40
    bad = [k for k in keys if not KEY.fullmatch(k)]
    assert not bad, f"docs/REFERENCES.md: keys must be lower-case letters, digits, hyphens: {bad}"
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, f"docs/REFERENCES.md: keys given twice: {twice}"


def test_every_link_to_the_references_resolves():
    keys = set(entries())
    broken = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        links = LINK.findall(text)
        if path == REFERENCES:  # links within the page: (#key)
            links += re.findall(r"\]\(#([A-Za-z0-9_-]*)\)", text)
        broken += [f"{path.relative_to(ROOT)}: #{k}" for k in links if k not in keys]
    assert not broken, "links to no entry of docs/REFERENCES.md: " + "; ".join(broken)


def test_every_entry_is_cited_by_another_page():
    linked = set()
    for path in markdown_files():
        if path != REFERENCES:
            linked |= set(LINK.findall(path.read_text(encoding="utf-8")))
    orphans = sorted(set(entries()) - linked)
    assert not orphans, f"docs/REFERENCES.md entries no page links to: {orphans}"


def test_no_file_cites_the_internal_notes():
    needle = ("BRIEF" + ".md").encode()  # spelt in two parts, so this file does not match
    found = [str(p.relative_to(ROOT)) for p in repository_files() if needle in p.read_bytes()]
    assert not found, f"cite a published source (docs/REFERENCES.md) instead of notes: {found}"


# --------------------------------------------------------------------------------------
# sources named in the code


def _parameter_sources() -> list[tuple[str, str]]:
    out = []
    for row in config.parameter_rows():
        src = row["source"].strip()
        if src and not src.lower().startswith(NOT_CITATIONS):
            out.append((f"config {row['key']}", src))
    return out


def _source_lines() -> list[tuple[str, str]]:
    """The ``Source:`` and ``Sources:`` clauses of the code's docstrings and comments, up to
    the end of their paragraph, that cite something (not an assumption or a derivation)."""
    out = []
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\bSources?: (.+?)(?=\n\s*(?:#:?\s*)?\n|\"\"\"|\Z)", text, re.S):
            clause = " ".join(m.group(1).replace("#:", " ").split())
            if not clause.lower().startswith(("assumption", "derived")):
                out.append((f"{path.relative_to(ROOT)}: Source", clause))
    return out


CITED = [
    *_parameter_sources(),
    *_source_lines(),
    *((f"calibration target {t.name}", t.source) for t in calibration_targets()),
    *((f"held-out figure {h.name}", h.source) for h in HELD_OUT),
]


def test_the_code_cites_sources():
    """The check covers every kind of citation (a file that loses its sources fails here)."""
    kinds = {what.split(" ")[0] for what, _ in CITED}
    assert {"config", "calibration", "held-out", "simulation/mechanisms.py:"} <= kinds
    assert len(CITED) > 50


@pytest.mark.parametrize(("what", "source"), CITED, ids=[w for w, _ in CITED])
def test_every_cited_source_has_an_entry(what, source):
    missing = unlisted(source, entries())
    assert not missing, f"{what}: {missing} has no entry in docs/REFERENCES.md"


def test_the_match_needs_the_name_and_the_year():
    """Known answers of the matching: a made-up source, a known name with a wrong year and a
    year without a name all fail."""
    known = entries()
    assert unlisted("Markerly 2016, about 2M Instagram accounts", known) == []
    assert unlisted("Bass 1969; Sultan, Farley & Lehmann 1990 (q about 0.38)", known) == []
    assert unlisted("Influencer Marketing Hub rate cards 2021-2024", known) == []
    assert unlisted("Klear (over 500k)", known) == []
    assert unlisted("Nobody 2031", known) == ["Nobody 2031"]
    assert unlisted("Markerly 2019", known) == ["Markerly 2019"]
    assert unlisted("a survey of 2016", known) == ["a survey of 2016"]
    assert unlisted("Bass 1969; Nobody 1990", known) == ["Nobody 1990"]
    assert unlisted("a blog post", known) == ["a blog post"]
