"""Where the shipped files are: the scenarios of ``configs/`` and the experiments of
``experiments/``.

Both folders sit at the top of the repository and ship inside the package as
``simulation.configs`` and ``simulation.experiments`` (``pyproject.toml`` maps them), so the
same lookup works from a clone, an editable install and an installed wheel, from any folder.
No other module finds them through its own file path.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .config import ConfigError

__all__ = [
    "configs_dir",
    "experiment_dir",
    "experiments_dir",
    "scenario_names",
    "scenario_path",
    "scenario_question",
    "sweep_names",
    "sweep_path",
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


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (file names of ``configs/`` without ``.toml``)."""
    return sorted(p.stem for p in configs_dir().glob("*.toml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file: an existing path as given, else a shipped scenario by name.

    ``"baseline"``, ``"baseline.toml"`` and ``"configs/baseline.toml"`` all find the shipped
    baseline when no such file exists where the command runs; a file where the command runs
    comes first (``"baseline"`` finds ``./baseline.toml`` before the shipped one). Anything
    else raises :class:`~simulation.config.ConfigError` naming the shipped scenarios.
    """
    return _find(name_or_path, "configs", scenario_names(), "scenario", lambda n: f"{n}.toml")


def _find(name_or_path, folder: str, shipped: list[str], kind: str, file_of) -> Path:
    """An existing file as given (``NAME`` also finds ``./NAME.toml``), else the shipped file
    ``file_of(NAME)`` of ``folder`` when ``NAME`` (bare or under ``folder/``) is shipped."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix != ".toml" and path.with_name(path.name + ".toml").is_file():
        return path.with_name(path.name + ".toml")  # "baseline" finds ./baseline.toml first
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if path.parent in (Path("."), Path(folder)) and stem in shipped:
        root = configs_dir() if folder == "configs" else experiments_dir()
        return root / file_of(stem)
    raise ConfigError(
        f"{name_or_path}: no such {kind} file or shipped {kind}; shipped: {', '.join(shipped)}"
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
