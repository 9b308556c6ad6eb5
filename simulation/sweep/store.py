"""A sweep's folder on disk, written as runs finish.

Layout of ``DIR``:

- ``manifest.json``: the sweep file text and overrides, its fingerprint, the resolved base
  scenario, design, seeds, the column names, the graph file's hash, package versions, git
  commit (and whether the tree had uncommitted changes) and the state of the sweep.
- ``design.parquet``: one row per design point (``point`` and the factor values).
- ``parts/p<POINT>-r<REPLICATE>.arrow``: one small Arrow IPC file per finished run (the
  journal; cheap to write and to read back when consolidating; written to a temporary name,
  then renamed, so a part is whole or absent). A run is named by its point and replicate,
  never by a counter that depends on the number of replications, so a finished sweep can
  gain replications and keep every run it has.
- ``series/point=P/r<REPLICATE>.parquet``: per-step series of each run, when kept (a Hive
  partitioned dataset: ``pyarrow.dataset.dataset(DIR / "series", partitioning="hive")``).
- ``tables/NAME/point=P/r<REPLICATE>.parquet``: per-run tables of an experiment
  (``outcomes.tables``), one dataset per table name; :func:`read_table` reads one back with
  each run's point, replicate, seed and factor values.
- ``runs.parquet``: the parts consolidated, sorted by point then replicate (the same table
  whatever the order the runs finished in), written atomically.
- ``graph_nodes.csv``: with a graph file, which node label each follower is.

A run's series and table files are written before its part, so a part on disk means the run
is complete; ``--resume`` runs exactly the runs without a part.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import config_to_toml
from ..writer import (
    OutputExistsError,
    atomic_write_text,
    git_commit,
    git_dirty,
    package_versions,
)
from .design import RunSpec
from .evaluate import RunRecord
from .spec import Sweep, SweepError, column_name

__all__ = [
    "SweepStore",
    "part_name",
    "read_manifest",
    "read_table",
    "runs_schema",
    "series_name",
]

_ARROW = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_()}
_BATCH = 1000  # parts per row group when consolidating (bounds the coordinator's memory)


def runs_schema(sweep: Sweep) -> pa.Schema:
    """Columns of ``runs.parquet``, fixed before any run finishes."""
    fields = [
        pa.field("point", pa.int64()),
        pa.field("replicate", pa.int64()),
        pa.field("seed", pa.int64()),
    ]
    fields += [pa.field(f.column, _ARROW[f.dtype]) for f in sweep.factors]
    fields += [pa.field(n, pa.float64()) for n in sweep.outcomes.names]
    fields += [
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("wall_time", pa.float64()),
    ]
    return pa.schema(fields)


def part_name(point: int, replicate: int) -> str:
    """File name of a run's part: ``p00000012-r000003.arrow``."""
    return f"p{point:08d}-r{replicate:06d}.arrow"


def series_name(replicate: int) -> str:
    """File name of a run's series inside ``series/point=P/``: ``r000003.parquet``."""
    return f"r{replicate:06d}.parquet"


def _parse_part(name: str) -> tuple[int, int] | None:
    if len(name) == 23 and name[0] == "p" and name[9:11] == "-r" and name.endswith(".arrow"):
        try:
            return int(name[1:9]), int(name[11:17])
        except ValueError:
            return None
    return None


def read_manifest(out: Path) -> dict:
    """The manifest of a sweep folder (SweepError if there is none)."""
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise SweepError(f"{out}: not a sweep folder (no manifest.json)")
    man = json.loads(path.read_text(encoding="utf-8"))
    if "design" not in man or "fingerprint" not in man:
        raise SweepError(f"{out}: not a sweep folder (its manifest.json is not a sweep's)")
    return man


def _atomic_arrow(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with pa.OSFile(str(tmp), "wb") as f, pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table)
    os.replace(tmp, path)


def _read_arrow(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as f:
        return pa.ipc.open_file(f).read_all()


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class SweepStore:
    """Reads and writes one sweep folder.

    Args:
        out: the folder.
        sweep: the sweep it holds.
        n_points: the number of design points.
    """

    def __init__(self, out: str | Path, sweep: Sweep, n_points: int):
        self.out = Path(out)
        self.sweep = sweep
        self.n_points = n_points
        self.schema = runs_schema(sweep)
        self.parts = self.out / "parts"
        self.series = self.out / "series"
        self._names = self.schema.names

    @property
    def n_runs(self) -> int:
        return self.n_points * self.sweep.replications

    # -- opening ---------------------------------------------------------------------------

    def create(self, design, overwrite: bool = False) -> None:
        """Start a new sweep folder (an existing non-empty one only with ``overwrite``)."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise OutputExistsError(f"{out}: exists and is not a folder")
        if out.is_dir() and any(out.iterdir()):
            if not overwrite:
                raise OutputExistsError(
                    f"{out}: already holds results; pass --resume to finish that sweep, "
                    "--overwrite to replace it, or --out DIR"
                )
            if not (out / "manifest.json").is_file():
                # --overwrite replaces a sweep, never a folder of other things
                raise OutputExistsError(
                    f"{out}: is not empty and holds no sweep (no manifest.json); "
                    "not replacing it, choose another --out DIR"
                )
            shutil.rmtree(out)
        self.parts.mkdir(parents=True, exist_ok=True)
        _atomic_parquet(pa.Table.from_pandas(design, preserve_index=False), out / "design.parquet")
        self._write_graph_nodes()
        self.write_manifest(state="running", counts={})

    def open_resume(self, design) -> list[str]:
        """Reopen a sweep folder to finish it, or to add replications; it must hold the same
        sweep (everything but the replication count). Returns warnings."""
        if not self.out.is_dir():
            raise SweepError(f"{self.out}: nothing to resume (no such folder)")
        man = read_manifest(self.out)
        if man.get("fingerprint") != self.sweep.fingerprint():
            raise SweepError(
                f"{self.out}: holds a different sweep ({man.get('sweep_file')}"
                f"{_difference(man, self.sweep)}); resume with the same sweep file and --set "
                "values (only replications may change), or use --overwrite"
            )
        old = pq.read_table(self.out / "design.parquet").to_pandas()
        if len(design) < len(old):
            raise SweepError(
                f"design.n: {self.sweep.design.n} gives {len(design)} points, fewer than the "
                f"{len(old)} {self.out} holds; allowed at least {man['sweep']['design']['n']}"
            )
        if not _same_design(old, design.iloc[: len(old)].reset_index(drop=True)):
            raise SweepError(f"{self.out}: its design differs from the one made now; cannot resume")
        grown = len(design) > len(old)
        if grown:
            _atomic_parquet(
                pa.Table.from_pandas(design, preserve_index=False), self.out / "design.parquet"
            )
            self.write_manifest(state="running", counts={})  # says the new size at once
        self.parts.mkdir(parents=True, exist_ok=True)
        for tmp in self.parts.glob(".*"):  # temporaries of runs that were in flight
            tmp.unlink(missing_ok=True)
        have = max((k[1] for k in self._part_keys()), default=-1) + 1
        reps = self.sweep.replications
        if have > reps:
            raise SweepError(
                f"replications: {reps} is fewer than the {have} replicates {self.out} already "
                f"holds; allowed at least {have} (runs are never thrown away by a resume)"
            )
        notes = []
        if grown:
            notes.append(
                f"growing the design from {len(old)} to {len(design)} points "
                f"(design.n {man['sweep']['design']['n']} -> {self.sweep.design.n}); "
                "the points it had are the first points of the larger design"
            )
        before = man.get("replications")
        if before is not None and reps > before:
            notes.append(f"adding replicates {before}..{reps - 1} to the {before} in {self.out}")
        then, now = man.get("git_commit"), git_commit()
        if then and now and then != now:
            notes.append(
                f"{self.out} was started at commit {then[:10]}, the code is now at {now[:10]}; "
                "if the model changed, old and new runs differ"
            )
        if git_dirty() and now:
            notes.append(
                "the source tree has uncommitted changes; if they touch the model, these runs "
                "cannot be rebuilt from the commit"
            )
        return notes

    def forget_failed(self) -> int:
        """Remove the parts of runs recorded as failed, so they run again; returns how many."""
        n = 0
        for p, r in self._part_keys():
            path = self.parts / part_name(p, r)
            if _read_arrow(path)["status"][0].as_py() == "error":
                path.unlink()
                n += 1
        return n

    def _part_keys(self) -> list[tuple[int, int]]:
        keys = []
        for name in os.listdir(self.parts):
            k = _parse_part(name)
            if k is not None:
                keys.append(k)
        return keys

    def done_mask(self) -> np.ndarray:
        """Boolean array ``[point, replicate]``: which runs already have a part on disk."""
        done = np.zeros((self.n_points, self.sweep.replications), dtype=bool)
        for p, r in self._part_keys():
            if p < self.n_points and r < self.sweep.replications:
                done[p, r] = True
        return done

    # -- writing runs ----------------------------------------------------------------------

    def write(self, spec: RunSpec, rec: RunRecord) -> None:
        """Save one finished run: its series (if any), then its part (the commit)."""
        if rec.series is not None and rec.status == "ok":
            d = self.series / f"point={spec.point}"
            d.mkdir(parents=True, exist_ok=True)
            s = rec.series.copy()
            s.insert(0, "replicate", np.int64(spec.replicate))
            _atomic_parquet(
                pa.Table.from_pandas(s, preserve_index=False), d / series_name(spec.replicate)
            )
        for name, t in (rec.tables or {}).items() if rec.status == "ok" else ():
            d = self.out / "tables" / name / f"point={spec.point}"
            d.mkdir(parents=True, exist_ok=True)
            t = t.reset_index(drop=True).copy()
            t.insert(0, "replicate", np.int64(spec.replicate))
            _atomic_parquet(
                pa.Table.from_pandas(t, preserve_index=False), d / series_name(spec.replicate)
            )
        row: dict[str, Any] = {
            "point": spec.point,
            "replicate": spec.replicate,
            "seed": spec.seed,
            "status": rec.status,
            "error": rec.error,
            "wall_time": rec.wall_time,
        }
        for f in self.sweep.factors:
            row[f.column] = spec.factors[f.key]
        for n in self.sweep.outcomes.names:
            row[n] = rec.outcomes.get(n, float("nan"))
        table = pa.Table.from_pydict({k: [row[k]] for k in self._names}, schema=self.schema)
        _atomic_arrow(table, self.parts / part_name(spec.point, spec.replicate))

    def consolidate(self) -> int:
        """Write ``runs.parquet`` from the parts, sorted by point then replicate; returns its
        row count."""
        done = self.done_mask()
        keys = np.argwhere(done)  # row-major: point, then replicate
        tmp = self.out / f".runs.parquet.tmp-{os.getpid()}"
        rows = 0
        with pq.ParquetWriter(tmp, self.schema) as w:
            if not len(keys):
                w.write_table(self.schema.empty_table())
            for i in range(0, len(keys), _BATCH):
                tables = [
                    _read_arrow(self.parts / part_name(int(p), int(r)))
                    for p, r in keys[i : i + _BATCH]
                ]
                t = pa.concat_tables(tables)
                w.write_table(t)
                rows += t.num_rows
        os.replace(tmp, self.out / "runs.parquet")
        return rows

    # -- graph file ------------------------------------------------------------------------

    def _write_graph_nodes(self) -> None:
        """With a graph file: which follower each node label is (``graph_nodes.csv``)."""
        if self.sweep.graph_file is None:
            return
        from ..network import graph_file_nodes

        labels = graph_file_nodes(self.sweep.base)
        text = "follower,node\n" + "".join(
            f"{i},{_csv_cell(str(lb))}\n" for i, lb in enumerate(labels)
        )
        atomic_write_text(self.out / "graph_nodes.csv", text)

    # -- manifest --------------------------------------------------------------------------

    def write_manifest(self, state: str, counts: dict, **extra) -> None:
        """Write ``manifest.json``; ``state`` is running, complete, interrupted or
        incomplete, ``counts`` the done, failed and missing runs."""
        s = self.sweep
        versions = package_versions()
        for name in ("SALib", "scipy", "dask", "distributed"):
            try:
                from importlib import metadata

                versions[name] = metadata.version(name)
            except Exception:
                versions[name] = "not installed"
        columns = {f.column: f.key for f in s.factors}
        columns.update({column_name(k): k for k in s.outcomes.summary})
        man = {
            "kind": "influencer-sim sweep",
            "name": s.name,
            "question": s.question,
            "state": state,
            "sweep_file": s.path,
            "sweep_text": s.text,
            "overrides": list(s.overrides),
            "fingerprint": s.fingerprint(),
            "sweep": s.normalized,
            "base_config_file": s.base_path,
            "base_config": config_to_toml(s.base),
            "graph_file": s.graph_file,
            "factors": list(s.factor_keys),
            "factor_columns": list(s.factor_columns),
            "outcomes": list(s.outcomes.names),
            "columns": columns,
            "series": list(s.outcomes.series),
            "design": s.normalized["design"],
            "seeds": s.seeds,
            "n_points": self.n_points,
            "replications": s.replications,
            "n_runs": self.n_runs,
            "root_seed": s.root_seed,
            "counts": counts,
            "versions": versions,
            "git_commit": git_commit(),
            "git_dirty": git_dirty(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **extra,
        }
        atomic_write_text(self.out / "manifest.json", json.dumps(man, indent=2) + "\n")


def _same_design(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """The same points, whatever the dtype a column of text came back with (pandas reads a
    Parquet string column as ``str``; the design is made with ``object``)."""
    if list(old.columns) != list(new.columns) or len(old) != len(new):
        return False
    return old.astype(object).equals(new.astype(object))


def _csv_cell(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _difference(man: dict, sweep: Sweep) -> str:
    """``: steps 90 then, 60 now`` for the first setting that differs, else ``""``."""
    then = dict(man.get("sweep") or {})
    now = sweep.normalized
    for k in now:
        if k == "replications":
            continue
        a, b = then.get(k), json.loads(json.dumps(now[k], default=str))
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                sub = next((kk for kk in {*a, *b} if a.get(kk) != b.get(kk)), None)
                if sub is not None:
                    return f": {k}.{sub} differs"
            return f": {k} differs"
    if man.get("base_config") != config_to_toml(sweep.base):
        return ": the base scenario differs"
    if (man.get("graph_file") or {}).get("sha256") != (sweep.graph_file or {}).get("sha256"):
        return ": the graph file changed"
    return ""


def read_table(out: str | Path, name: str) -> pd.DataFrame:
    """Per-run table ``name`` of the sweep in ``out``, for every finished run, with the
    run's ``point``, ``replicate``, ``seed`` and factor columns in front; sorted by point,
    replicate and the table's own row order."""

    out = Path(out)
    root = out / "tables" / name
    if not root.is_dir():
        raise SweepError(f"{out}: no per-run table {name!r} (outcomes.tables)")
    runs = pd.read_parquet(out / "runs.parquet")
    runs = runs[runs["status"] == "ok"]
    man = read_manifest(out)
    factors = [column_name(k) for k in man["factors"]]
    frames = []
    for p, r in runs[["point", "replicate"]].itertuples(index=False):
        f = root / f"point={p}" / series_name(int(r))
        t = pq.read_table(f).to_pandas()
        t.insert(0, "point", np.int64(p))
        frames.append(t)
    if not frames:
        return pd.DataFrame()
    tab = pd.concat(frames, ignore_index=True)
    keys = runs[["point", "replicate", "seed", *factors]]
    return keys.merge(tab, on=["point", "replicate"], how="inner", sort=False)
