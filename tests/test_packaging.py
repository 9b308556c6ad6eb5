"""The package installs like a library.

Checked without building: every Python package of the tree is in pyproject.toml's explicit
package list, every imported third-party library is declared, the version is held in one
place (pyproject.toml) and the citation file agrees with it, every shipped scenario opens
with its question.

Then a wheel is built from a copy of the repository (``pip wheel --no-build-isolation``,
with the setuptools of the dev extra, so nothing is downloaded), installed into a new
virtual environment that borrows the dependencies of the one running the tests (a ``.pth``
file pointing at its site-packages, and its ``etc/`` and ``share/`` for the page's web
assets), and the installed ``influencer-sim`` runs from an empty temporary folder: the
commands of the README, two at a time.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
#: Folders whose packages ship, and the package each one is inside the wheel.
PACKAGE_ROOTS = {
    "simulation": "simulation",
    "configs": "simulation.configs",
    "experiments": "simulation.experiments",
}
#: Seconds any one installed command may take on a busy two-core machine.
TIMEOUT = 300


# --------------------------------------------------------------------------------------
# the tree and pyproject.toml


def tree_packages() -> set[str]:
    """Every folder with an ``__init__.py`` under the package roots, as a dotted name."""
    found = set()
    for folder, package in PACKAGE_ROOTS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    return found


def test_every_package_of_the_tree_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    missing = sorted(tree_packages() - listed)
    assert not missing, (
        f"pyproject.toml [tool.setuptools] packages: add {missing} (the wheel would leave them out)"
    )
    stale = sorted(listed - tree_packages())
    assert not stale, f"pyproject.toml lists packages that have no __init__.py: {stale}"


def test_package_dirs_map_the_shipped_folders():
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {
        package: folder for folder, package in PACKAGE_ROOTS.items() if folder != "simulation"
    }


def test_code_folders_are_packages():
    """A folder of modules without ``__init__.py`` would be a namespace package, not listed
    and so not shipped."""
    loose = [
        str(d.relative_to(ROOT))
        for d in (ROOT / "simulation").rglob("*")
        if d.is_dir()
        and d.name != "__pycache__"
        and any(d.glob("*.py"))
        and not (d / "__init__.py").is_file()
    ]
    assert not loose, f"folders of modules without __init__.py: {loose}"


def _requirement_name(req: str) -> str:
    name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


#: Import names whose distribution is reached through a declared meta-package.
META = {"solara-ui": "solara"}


def _imports(folder: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                out.setdefault(n.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return out


@pytest.mark.parametrize(
    ("folders", "groups"),
    [
        (["simulation", "configs", "experiments"], ["core", "app", "cluster", "map"]),
        (["tests"], ["core", "app", "cluster", "map", "dev"]),
    ],
    ids=["package", "tests"],
)
def test_every_imported_library_is_declared(folders, groups):
    project = PYPROJECT["project"]
    declared = {"core": {_requirement_name(r) for r in project["dependencies"]}}
    for group, reqs in project["optional-dependencies"].items():
        declared[group] = {_requirement_name(r) for r in reqs}
    allowed = set().union(*(declared[g] for g in groups))
    local = {p.stem for p in (ROOT / "tests").glob("*.py")} | {"simulation"}
    dists = metadata.packages_distributions()
    problems = []
    for folder in folders:
        for module, files in sorted(_imports(ROOT / folder).items()):
            if module in sys.stdlib_module_names or module in local:
                continue
            names = [_requirement_name(d) for d in dists.get(module, [])]
            if not names:
                problems.append(f"{module} (in {sorted(files)[0]}) is not installed")
            elif not any(META.get(n, n) in allowed for n in names):
                problems.append(f"{module} (in {sorted(files)[0]}): declare {names[0]}")
    assert not problems, "pyproject.toml does not declare: " + "; ".join(problems)


def test_version_is_held_in_one_place():
    import simulation

    assert simulation.__version__ == metadata.version("influencer-sim") == VERSION, (
        "the installed metadata is stale: pip install -e . again"
    )
    literal = re.compile(r"""^\s*(__version__|version)\s*=\s*["']\d+\.\d+""", flags=re.M)
    written = [str(p) for p in (ROOT / "simulation").rglob("*.py") if literal.search(p.read_text())]
    assert not written, f"a version written outside pyproject.toml: {written}"
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf'^version: "?{re.escape(VERSION)}"?$', cff, flags=re.M), (
        f"CITATION.cff: version must be {VERSION}, as in pyproject.toml"
    )
    assert re.search(r"^cff-version: 1\.2\.0$", cff, flags=re.M)
    for key in ("message", "title", "authors", "type", "license"):
        assert re.search(rf"^{key}:", cff, flags=re.M), f"CITATION.cff: no {key}"


def test_license_and_changelog():
    lic = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert lic.startswith("MIT License") and "The influencer-sim developers" in lic
    assert PYPROJECT["project"]["license"] == "MIT"
    log = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in log and "keepachangelog.com" in log


def _scenario_files() -> list[Path]:
    """The scenario files of configs/: every file but the calibration targets file."""
    from simulation.resources import is_targets_file

    return sorted(p for p in (ROOT / "configs").glob("*.toml") if not is_targets_file(p))


def test_every_shipped_scenario_opens_with_its_question():
    from simulation.resources import scenario_names, scenario_question

    names = scenario_names()
    assert names == [p.stem for p in _scenario_files()]
    for name in names:
        q = scenario_question(name)
        assert q.endswith("?") and len(q) > 20, f"configs/{name}.toml: no question first: {q!r}"


def test_shipped_files_are_found_by_name(tmp_path, monkeypatch):
    from simulation import resources as r
    from simulation.config import ConfigError

    monkeypatch.chdir(tmp_path)
    for arg in ("baseline", "baseline.toml", "configs/baseline.toml"):
        assert r.scenario_path(arg) == r.configs_dir() / "baseline.toml"
    (tmp_path / "baseline.toml").write_text("")  # a file where the command runs comes first
    assert r.scenario_path("baseline.toml") == Path("baseline.toml")
    assert r.scenario_path("baseline") == Path("baseline.toml")  # by name, the local file too
    for arg in ("saturation", "experiments/saturation"):
        assert r.sweep_path(arg) == r.experiments_dir() / "saturation" / "sweep.toml"
    (tmp_path / "saturation.toml").write_text("")
    assert r.sweep_path("saturation") == Path("saturation.toml")
    with pytest.raises(ConfigError, match=r"^nope: no such scenario file .*shipped: .*baseline"):
        r.scenario_path("nope")
    with pytest.raises(ConfigError, match=r"^nope: no such sweep file .*shipped: .*saturation"):
        r.sweep_path("nope")


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_unknown_name_is_one_line(command, capsys, tmp_path, monkeypatch):
    from simulation.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([command, "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("influencer-sim: error: nope: no such"), err
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------------------
# the wheel, installed


def _copy_ignore(src: str, names: list[str]) -> set[str]:
    skip = {"__pycache__", ".pytest_cache", ".ruff_cache"}
    if Path(src) == ROOT:  # what is not the source: environments, outputs, builds, git
        skip |= {".git", "results", "build", "dist", "node_modules"}
        skip |= {n for n in names if n.startswith(".venv") or n.endswith(".egg-info")}
    return skip & set(names)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the repository (so no build/ lands in it)."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed (pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_copy_ignore)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-index", "--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(src)]
    r = _run(cmd, timeout=TIMEOUT)
    assert r.returncode == 0, f"pip wheel failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    (found,) = (tmp / "dist").glob("influencer_sim-*.whl")
    return found


def test_wheel_ships_every_data_file(wheel):
    """Every scenario, sweep and experiment file of the tree is in the wheel, and nothing of
    the tests or the documentation."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, package in PACKAGE_ROOTS.items():
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                rel = f.relative_to(ROOT / folder).as_posix()
                expected.add(f"{package.replace('.', '/')}/{rel}")
    missing = sorted(expected - names)
    assert not missing, f"the wheel leaves out {missing[:10]}"
    assert f"influencer_sim-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "docs/"))]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A new virtual environment with the wheel installed and the test environment's
    dependencies on its path; the environment to run its commands in, from an empty folder."""
    tmp = tmp_path_factory.mktemp("installed")
    venv = tmp / "venv"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    python = venv / "bin" / "python"
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    cmd += ["--no-index", "--disable-pip-version-check", "-q", str(wheel)]
    r = _run(cmd, timeout=TIMEOUT)
    assert r.returncode == 0, f"pip install failed:\n{r.stderr[-3000:]}"
    site = Path(
        _run([str(python), "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip()
    )
    # the dependencies of this environment, after the wheel on the path (a plain path line:
    # this environment's own .pth files, e.g. an editable install of the source, stay out)
    paths = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz_test_environment.pth").write_text("\n".join(paths) + "\n")
    for data in ("etc", "share"):  # files of the dependencies outside site-packages
        if (Path(sys.prefix) / data).is_dir():
            (venv / data).symlink_to(Path(sys.prefix) / data, target_is_directory=True)
    work = tmp / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="0",
    )
    return {"venv": venv, "python": python, "site": site, "work": work, "env": env}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_app(inst: dict) -> subprocess.CompletedProcess:
    """Start ``influencer-sim app`` on a free port, wait for the page's HTTP 200, stop it
    (its whole process group: the command and the solara server it starts)."""
    port = _free_port()
    log = inst["work"] / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["influencer-sim", "app", "--port", str(port), "--no-browser"],
            cwd=inst["work"],
            env=inst["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    status, deadline = None, time.monotonic() + TIMEOUT
    try:
        while status != 200 and proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    text = log.read_text(errors="replace")
    return subprocess.CompletedProcess(proc.args, 0 if status == 200 else 1, text, "")


#: The commands, each from the empty folder: name -> arguments after ``influencer-sim``.
COMMANDS = {
    "experiment": ["experiment", "all", "--quick", "--out", "experiments_out"],
    "validate": ["validate", "--quick", "--out", "validation"],
    "bench": ["bench", "--quick"],
    "app": None,  # started and stopped by _serve_app
    "run": [
        "run",
        "baseline",
        "--steps",
        "5",
        "--set",
        "population.n_followers=2000",
        "--out",
        "run",
        "--quiet",
    ],
    "sweep": [
        *("sweep", "saturation", "--workers", "1", "--quiet", "--out", "sweep"),
        *("--set", "replications=1", "--set", "steps=5"),
        *("--set", "factors.brands.share_micro=[0.0,1.0]"),
        *("--set", "factors.influencers.sponsored_cap=[3]"),
        *("--set", "base.set.population.n_followers=2000"),
    ],
    "compare": ["compare", "baseline", "saturation", "--quick", "--quiet", "--out", "compare"],
    "bad_name": ["run", "no_such_scenario"],
    "calibrate": ["calibrate", "calibration", "--quick", "--quiet", "--out", "calibration"],
    "targets_as_scenario": ["run", "calibration"],
    "version": ["--version"],
    "scenarios": ["scenarios"],
    "where": None,  # which simulation the environment imports
}


@pytest.fixture(scope="module")
def outcomes(installed) -> dict:
    """Every command run once, two at a time (longest first); name -> (result, seconds)."""

    def one(name):
        t0 = time.perf_counter()
        if name == "app":
            res = _serve_app(installed)
        elif name == "where":
            code = "import simulation, simulation.resources as r; "
            code += "print(simulation.__file__); print(r.configs_dir()); print(r.experiments_dir())"
            res = _run(
                [str(installed["python"]), "-c", code], cwd=installed["work"], env=installed["env"]
            )
        else:
            res = _run(
                ["influencer-sim", *COMMANDS[name]],
                cwd=installed["work"],
                env=installed["env"],
                timeout=TIMEOUT,
            )
        return res, time.perf_counter() - t0

    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(one, name) for name in COMMANDS}
        done = {name: f.result() for name, f in futures.items()}
    print("\ninstalled commands:", ", ".join(f"{n} {s:.1f} s" for n, (_, s) in done.items()))
    return done


def _ok(outcomes, name) -> subprocess.CompletedProcess:
    res, seconds = outcomes[name]
    assert res.returncode == 0, (
        f"influencer-sim {name} failed ({seconds:.0f} s):\n"
        f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    )
    assert "Traceback" not in res.stderr
    return res


def test_installed_package_is_the_wheel(outcomes, installed):
    lines = _ok(outcomes, "where").stdout.split()
    assert all(Path(x).is_relative_to(installed["site"]) for x in lines), lines


def test_version(outcomes):
    assert _ok(outcomes, "version").stdout.strip() == f"influencer-sim {VERSION}"


def test_scenarios_lists_names_and_questions(outcomes, installed):
    out = _ok(outcomes, "scenarios").stdout
    for path in _scenario_files():
        assert re.search(rf"^{path.stem} +\S.*\?$", out, flags=re.M), f"{path.stem} in:\n{out}"
    assert not re.search(r"^calibration ", out, flags=re.M)  # the targets file is not one
    assert str(installed["site"]) in out  # where to copy a scenario from


def test_run_a_shipped_scenario_by_name(outcomes, installed):
    _ok(outcomes, "run")
    run = installed["work"] / "run"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["versions"]["influencer-sim"] == VERSION
    assert json.loads((run / "summary.json").read_text())


def test_a_bad_scenario_name_is_one_line(outcomes):
    res, _ = outcomes["bad_name"]
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "shipped: " in lines[0] and "baseline" in lines[0], res.stderr


def test_calibrate_the_shipped_targets_by_name(outcomes, installed):
    """The published targets ship with the package: ``calibrate calibration`` finds them and
    their base scenario from an empty folder; ``run`` refuses them with one line."""
    assert "design points accepted" in _ok(outcomes, "calibrate").stdout
    assert (installed["work"] / "calibration" / "fit" / "fit.json").is_file()
    res, _ = outcomes["targets_as_scenario"]
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "influencer-sim calibrate calibration" in lines[0], res.stderr


def test_validate_quick(outcomes, installed):
    assert "checks pass" in _ok(outcomes, "validate").stdout
    assert (installed["work"] / "validation" / "report.md").is_file()


def test_bench_quick(outcomes):
    assert "peak memory" in _ok(outcomes, "bench").stdout


def test_sweep_of_a_shipped_sweep(outcomes, installed):
    assert "2 of 2 runs" in _ok(outcomes, "sweep").stdout
    assert (installed["work"] / "sweep" / "runs.parquet").is_file()


def test_compare_shipped_scenarios(outcomes, installed):
    assert "saturation vs baseline" in _ok(outcomes, "compare").stdout
    assert (installed["work"] / "compare" / "report.md").is_file()


def test_experiment_all_quick(outcomes, installed):
    _ok(outcomes, "experiment")
    assert any((installed["work"] / "experiments_out").iterdir())


def test_app_serves_the_page(outcomes):
    res = _ok(outcomes, "app")
    assert "Traceback" not in res.stdout, res.stdout[-3000:]
