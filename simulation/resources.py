"""Where the shipped files are: the scenarios of ``configs/`` (with the calibration targets
file beside them) and the experiments of ``experiments/``.

Both folders sit at the top of the repository and ship inside the package as
``simulation.configs`` and ``simulation.experiments`` (``pyproject.toml`` maps them), so the
same lookup works from a clone, an editable install and an installed wheel, from any folder.
No other module finds them through its own file path.

A file of ``configs/`` with ``[[targets]]`` tables is a calibration targets file
(``configs/calibration.toml``, for ``influencer-sim calibrate``), not a scenario: it is told
apart by its content, so :func:`scenario_names` leaves it out and :func:`scenario_path`
refuses it with one line.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from .config import ConfigError

__all__ = [
    "configs_dir",
    "experiment_dir",
    "experiments_dir",
    "is_targets_file",
    "scenario_names",
    "scenario_path",
    "scenario_question",
    "sweep_names",
    "sweep_path",
    "targets_names",
    "targets_path",
]


def configs_dir() -> Path:
    """The folder of the shipped scenario files."""
    return Path(str(resources.files("simulation.configs")))


def experiments_dir() -> Path:
    """The folder of the shipped experiments (one subfolder each, and sweep files)."""
    return Path(str(resources.files("simulation.experiments")))


def experiment_dir(name: str) -> Path:
    """The folder of experiment ``name``."""
    return experiments_dir() / name


def is_targets_file(path: str | Path) -> bool:
    """Whether ``path`` is a calibration targets file: TOML with ``[[targets]]`` tables. A file
    that cannot be read or parsed is not (loading it as a scenario says what is wrong)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("targets"), list)


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (file names of ``configs/`` without ``.toml``), the
    calibration targets file left out."""
    return sorted(p.stem for p in configs_dir().glob("*.toml") if not is_targets_file(p))


def targets_names() -> list[str]:
    """Names of the shipped calibration targets files (``calibration``)."""
    return sorted(p.stem for p in configs_dir().glob("*.toml") if is_targets_file(p))


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file: an existing path as given, else a shipped scenario by name.

    ``"baseline"``, ``"baseline.toml"`` and ``"configs/baseline.toml"`` all find the shipped
    baseline when no such file exists where the command runs; a file where the command runs
    comes first (``"baseline"`` finds ``./baseline.toml`` before the shipped one). Anything
    else raises :class:`~simulation.config.ConfigError` naming the shipped scenarios, and so
    does a calibration targets file, found by name or by path (one line: use
    ``influencer-sim calibrate``).
    """
    names = scenario_names()
    path = _find(
        name_or_path, "configs", [*names, *targets_names()], "scenario", _toml, listed=names
    )
    if is_targets_file(path):
        raise ConfigError(
            f"{name_or_path}: a calibration targets file, not a scenario; "
            f"run it with influencer-sim calibrate {name_or_path}"
        )
    return path


def targets_path(name_or_path: str | Path) -> Path:
    """A calibration targets file: an existing path as given, else a shipped one by name
    (``"calibration"``, ``"configs/calibration.toml"``), as :func:`scenario_path` finds
    scenarios."""
    return _find(name_or_path, "configs", targets_names(), "targets", _toml)


def _toml(name: str) -> str:
    return f"{name}.toml"


def _find(name_or_path, folder: str, shipped: list[str], kind: str, file_of, listed=None) -> Path:
    """An existing file as given (``NAME`` also finds ``./NAME.toml``), else the shipped file
    ``file_of(NAME)`` of ``folder`` when ``NAME`` (bare or under ``folder/``) is shipped. The
    error names the ``listed`` files (default: ``shipped``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix != ".toml" and path.with_name(path.name + ".toml").is_file():
        return path.with_name(path.name + ".toml")  # "baseline" finds ./baseline.toml first
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if path.parent in (Path("."), Path(folder)) and stem in shipped:
        root = configs_dir() if folder == "configs" else experiments_dir()
        return root / file_of(stem)
    listed = shipped if listed is None else listed
    raise ConfigError(
        f"{name_or_path}: no such {kind} file or shipped {kind}; shipped: {', '.join(listed)}"
    )


def scenario_question(name_or_path: str | Path) -> str:
    """The question a scenario answers: the first sentence of the comment that opens its file
    (up to the first ``?``, or the first full stop where there is no question)."""
    lines = []
    for line in scenario_path(name_or_path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(x for x in lines if x)
    m = re.match(r"(.+?[?.])(?=\s|$)", text)
    return m.group(1) if m else text


def sweep_names() -> list[str]:
    """Names of the shipped sweeps: the experiments (``experiments/<name>/sweep.toml``)."""
    return sorted(p.parent.name for p in experiments_dir().glob("*/sweep.toml"))


def sweep_path(name_or_path: str | Path) -> Path:
    """A sweep file: an existing path as given, else a shipped experiment's sweep by name.

    ``"saturation"`` and ``"experiments/saturation"`` find ``experiments/saturation/sweep.toml``
    when no such file exists where the command runs. Anything else raises
    :class:`~simulation.config.ConfigError` naming the shipped sweeps.
    """
    return _find(name_or_path, "experiments", sweep_names(), "sweep", lambda n: f"{n}/sweep.toml")
