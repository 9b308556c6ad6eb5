"""Write a run's results to a folder, atomically.

Everything is written into a hidden temporary folder beside the target and renamed into
place at the end, so an interrupted run never leaves a folder that looks complete. A folder
that already holds anything is left alone unless ``--overwrite`` is asked, and even then only
a folder that holds a run (it has ``manifest.json``) is replaced, never some other folder.

Files (``docs/OUTPUTS.md``): the ``timeseries``, ``influencers`` and ``brands`` tables and
the summary of ``outputs.py`` (Parquet, or CSV on request; ``summary.json``),
``config.toml``, ``manifest.json`` and the PNG plots of ``plots.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .config import Config, config_hash, config_to_toml
from .runner import RunResult

__all__ = [
    "OutputExistsError",
    "atomic_write_text",
    "check_output_dir",
    "git_commit",
    "git_dirty",
    "package_versions",
    "replace_dir",
    "write_run",
]


class OutputExistsError(FileExistsError):
    """The output folder already holds a run and overwriting was not asked for."""


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a run depends on."""
    out = {"python": platform.python_version()}
    for name in ("influencer-sim", "mesa", "numpy", "networkx", "pandas", "pyarrow", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(path: Path | None = None) -> str | None:
    """The commit of the source tree, where there is one (None otherwise)."""
    out = _git(path, "rev-parse", "HEAD")
    return out.stdout.strip() or None if out is not None else None


def git_dirty(path: Path | None = None) -> bool | None:
    """Whether the source tree has uncommitted changes to tracked files (None without git):
    with changes, the commit alone does not rebuild what ran."""
    out = _git(path, "status", "--porcelain", "--untracked-files=no")
    return bool(out.stdout.strip()) if out is not None else None


def _git(path: Path | None, *args: str) -> subprocess.CompletedProcess | None:
    """``git -C PATH ARGS`` in the source tree (default: this package's folder); None when
    git is missing, fails or the folder is not a checkout."""
    here = Path(path or Path(__file__).parent)
    try:
        out = subprocess.run(
            ["git", "-C", str(here), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out if out.returncode == 0 else None


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def replace_dir(tmp: Path, out: Path) -> None:
    """Move a finished temporary folder into place (replacing ``out`` if present)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse a file, or a folder that already holds something, unless ``overwrite``; refuse
    to replace a non-empty folder that does not hold a run even then."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return
    if not overwrite:
        raise OutputExistsError(
            f"{out}: already holds results; pass --overwrite to replace them or --out DIR"
        )
    if not (out / "manifest.json").is_file():
        raise OutputExistsError(
            f"{out}: is not a results folder (no manifest.json); --overwrite replaces only "
            "results, choose another --out DIR"
        )


def _portable(cfg: Config) -> Config:
    """The config with a relative ``graph.file`` made absolute, so that the written
    ``config.toml`` runs again from the results folder."""
    if not cfg.graph.file or Path(cfg.graph.file).is_absolute():
        return cfg
    path = (Path(cfg.base_dir) / cfg.graph.file).resolve()
    return cfg.replace(graph=dataclasses.replace(cfg.graph, file=str(path)))


def _graph_file_outputs(cfg: Config, folder: Path) -> dict | None:
    """With a graph file: ``graph_nodes.csv`` (which node label each follower is) in
    ``folder``, and the file's record (path, SHA-256, nodes, ties, ...) for the manifest."""
    if cfg.graph.kind not in ("edgelist", "graphml"):
        return None
    import csv

    from .network import read_graph_file

    gf = read_graph_file(cfg.graph, cfg.base_dir)
    with open(folder / "graph_nodes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["follower", "node"])
        w.writerows(enumerate(gf.labels()))
    return gf.record()


def write_run(
    result: RunResult,
    out: str | Path,
    fmt: str = "parquet",
    overwrite: bool = False,
    plots: bool = True,
    followers=None,
) -> Path:
    """Write a run's tables, config, manifest, summary and plots to ``out``.

    ``followers`` (a ``runner.follower_table``) adds the per-follower table.

    Raises:
        OutputExistsError: ``out`` holds a run and ``overwrite`` is false.
        ValueError: ``fmt`` is not 'parquet' or 'csv'.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format: {fmt!r} is not one of 'parquet', 'csv'")
    out = Path(out)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        tables = [
            ("timeseries", result.timeseries),
            ("influencers", result.influencers),
            ("brands", result.brands),
        ]
        if followers is not None:
            tables.append(("followers", followers))
        for name, df in tables:
            if fmt == "parquet":
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            else:
                df.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "config.toml").write_text(config_to_toml(_portable(result.config)), encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        if plots:
            from .plots import plot_run

            plot_run(result.timeseries, tmp)
        manifest = {
            "seed": result.seed,
            "steps": result.config.run.steps,
            "engine": result.config.run.engine,
            "config_sha256": config_hash(result.config),
            "versions": package_versions(),
            "git_commit": git_commit(),
            "git_dirty": git_dirty(),
            "graph_file": _graph_file_outputs(result.config, tmp),
            "wall_time_seconds": round(result.wall_time, 3),
            "command": sys.argv,
            "files": [*sorted(p.name for p in tmp.iterdir()), "manifest.json"],
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
