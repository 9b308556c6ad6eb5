"""Experiments: a question, its conditions as sweep files, and its analysis, in one folder.

Each experiment lives in ``experiments/<name>/`` (shipped in the package as
``simulation.experiments.<name>``):

- ``README.md``: the question, the method, what the results say;
- ``sweep.toml`` (and any other ``*.toml``): its conditions as sweep files (docs/SWEEPS.md),
  with common random numbers across conditions and a ``[quick]`` table for a small version;
- ``analysis.py`` (optional): ``tables(result, snapshots)``, named by the sweep file's
  ``outcomes.tables``, turns one run into tables; ``analyze(sweeps, out)`` turns the finished
  sweeps into figures, CSV tables and headline numbers. Without it the sweep machinery's own
  analysis (:func:`simulation.sweep.analysis.analyze`) is the analysis.

``influencer-sim experiment NAME`` runs every sweep file of the folder through the sweep
machinery (one seed scheme, the same executors, manifests) into ``OUT/sweeps/<file>/`` and
then the analysis into ``OUT``; ``summary.json``, written last, ties the figures to the
sweeps' fingerprints. A folder that holds something else is never written into without
``--overwrite``, and ``--overwrite`` replaces only an experiment's folder.
"""

from __future__ import annotations

import importlib
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .resources import experiment_dir, sweep_names
from .writer import OutputExistsError, atomic_write_text

__all__ = [
    "ExperimentError",
    "experiment_names",
    "experiment_question",
    "run_experiment",
    "save_figure",
    "save_table",
]


class ExperimentError(ValueError):
    """A mistake in the experiment's name or its options; one line."""


def experiment_names() -> list[str]:
    """The shipped experiments: folders of ``experiments/`` that hold a ``sweep.toml``."""
    return sweep_names()


def sweep_files(name: str) -> list[Path]:
    """The sweep files of experiment ``name``: ``sweep.toml`` first, then the others."""
    folder = experiment_dir(name)
    rest = sorted(p for p in folder.glob("*.toml") if p.name != "sweep.toml")
    return [folder / "sweep.toml", *rest]


def experiment_question(name: str) -> str:
    """The question of experiment ``name`` (its ``sweep.toml``'s ``question``)."""
    import tomllib

    data = tomllib.loads((experiment_dir(name) / "sweep.toml").read_text(encoding="utf-8"))
    return " ".join(str(data.get("question", "")).split())


def _analysis_module(name: str):
    try:
        return importlib.import_module(f"simulation.experiments.{name}.analysis")
    except ModuleNotFoundError as err:
        if err.name == f"simulation.experiments.{name}.analysis":
            return None
        raise


def _prepare(out: Path, name: str, overwrite: bool, resume: bool) -> None:
    """Refuse a folder that holds anything but this experiment; clear it for --overwrite."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    summary = out / "summary.json"
    held = None
    if summary.is_file():
        try:
            held = json.loads(summary.read_text()).get("experiment")
        except (json.JSONDecodeError, AttributeError):
            held = None
    is_experiment = held is not None or (out / "sweeps").is_dir()
    if overwrite:
        if not is_experiment:
            raise OutputExistsError(
                f"{out}: is not empty and holds no experiment (no summary.json or sweeps/); "
                "not replacing it, choose another --out DIR"
            )
        shutil.rmtree(out)
        return
    if resume and is_experiment and held in (None, name):
        return
    what = f"experiment {held!r}" if held else "other files"
    raise OutputExistsError(
        f"{out}: already holds {what}; pass --resume to finish or extend it, --overwrite to "
        "replace it, or --out DIR"
    )


def run_experiment(
    name: str,
    out: Path | str | None = None,
    *,
    quick: bool = False,
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Run experiment ``name`` into ``out`` and return its headline numbers.

    ``out`` defaults to ``results/<name>`` (``results/quick/<name>`` with ``quick``, so a
    quick look never replaces a full result). ``quick`` applies each sweep file's ``[quick]``
    table; ``replications`` overrides the files' count.
    """
    from .sweep.coordinator import run_sweep
    from .sweep.spec import load_sweep

    if name not in experiment_names():
        raise ExperimentError(
            f"experiment {name!r}: unknown; known: {', '.join(experiment_names())}, all"
        )
    if replications is not None and replications < 1:
        raise ExperimentError(f"--replications: {replications} must be at least 1")
    out = Path(out) if out is not None else Path("results") / ("quick" if quick else "") / name
    overrides = [f"replications={replications}"] if replications else []
    if workers is None and quick:
        workers = 1  # a tiny market: starting worker processes would cost more than it saves
    sweeps = [load_sweep(f, overrides, quick=quick) for f in sweep_files(name)]
    _prepare(out, name, overwrite, resume)
    folders: dict[str, Path] = {}
    fingerprints: dict[str, str] = {}
    for f, sweep in zip(sweep_files(name), sweeps, strict=True):
        folder = out / "sweeps" / f.stem
        report = run_sweep(
            sweep,
            folder,
            workers=workers,
            scheduler=scheduler,
            resume=resume and (folder / "manifest.json").is_file(),
            progress=progress,
        )
        if not report.complete:
            raise ExperimentError(
                f"{name}: sweep {f.name} stopped with {report.n_done} of {report.n_runs} runs; "
                f"finish with: influencer-sim experiment {name} --resume"
                + (" --quick" if quick else "")
                + (f" --out {out}" if out != Path("results") / name else "")
            )
        folders[f.stem] = folder
        fingerprints[f.stem] = sweep.fingerprint()
    module = _analysis_module(name)
    if module is not None and hasattr(module, "analyze"):
        numbers = module.analyze(folders, out)
    else:
        from .sweep.analysis import analyze

        numbers = {}
        for stem, folder in folders.items():
            res = analyze(folder)
            numbers[stem] = {"warnings": res["warnings"], "files": [str(f) for f in res["files"]]}
    main = sweeps[0]
    data = {
        "experiment": name,
        "question": experiment_question(name),
        "quick": quick,
        "replications": main.replications,
        "steps": main.steps,
        "root_seed": main.root_seed,
        "seeds": [main.seed(0, r) for r in range(main.replications)]
        if main.seeds == "common"
        else "independent (see each sweep's runs.parquet)",
        "sweeps": {
            stem: {"folder": f"sweeps/{stem}", "fingerprint": fingerprints[stem]}
            for stem in folders
        },
        "results": numbers,
    }
    atomic_write_text(out / "summary.json", json.dumps(data, indent=2, default=_jsonable) + "\n")
    return numbers


def _jsonable(x: Any):
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(type(x))


def save_table(df: pd.DataFrame, out: Path, name: str) -> Path:
    """Write ``df`` as ``out/name.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    df.to_csv(path, index=False)
    return path


def save_figure(fig, out: Path, name: str) -> Path:
    """Write ``fig`` as ``out/name.png`` (no software stamp, so reruns give equal bytes)."""
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    with warnings.catch_warnings():  # labels that do not fit stay where they are
        warnings.simplefilter("ignore")
        fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path
