"""A sweep's folder on disk, written as runs finish.

Layout of ``DIR``:

- ``manifest.json``: the sweep file text and overrides, its fingerprint, the resolved base
  scenario, design, package versions, git commit and the state of the sweep.
- ``design.parquet``: one row per design point (``point`` and the factor values).
- ``parts/run-NNNNNNNN.arrow``: one small Arrow IPC file per finished run (the journal; cheap
  to write and to read back when consolidating; written to a
  temporary name, then renamed, so a part is whole or absent).
- ``series/point=P/run-NNNNNNNN.parquet``: per-step series of each run, when kept (a Hive
  partitioned dataset: ``pyarrow.dataset.dataset(DIR / "series", partitioning="hive")``).
- ``runs.parquet``: the parts consolidated, sorted by ``run_id`` (the same table whatever the
  order the runs finished in), written atomically.

A run's series file is written before its part, so a part on disk means the run is complete;
``--resume`` runs exactly the runs without a part.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import config_to_toml
from ..outputs import OutputExistsError, atomic_write_text, git_commit, package_versions
from .design import RunSpec
from .evaluate import RunRecord
from .spec import Sweep, SweepError

__all__ = ["SweepStore", "read_manifest", "runs_schema"]

_ARROW = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_()}
_BATCH = 1000  # parts per row group when consolidating (bounds the coordinator's memory)


def runs_schema(sweep: Sweep) -> pa.Schema:
    """Columns of ``runs.parquet``, fixed before any run finishes."""
    fields = [
        pa.field("run_id", pa.int64()),
        pa.field("point", pa.int64()),
        pa.field("replicate", pa.int64()),
        pa.field("seed", pa.int64()),
    ]
    fields += [pa.field(f.key, _ARROW[f.dtype]) for f in sweep.factors]
    fields += [pa.field(n, pa.float64()) for n in sweep.outcomes.names]
    fields += [
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("wall_time", pa.float64()),
    ]
    return pa.schema(fields)


def read_manifest(out: Path) -> dict:
    """The manifest of a sweep folder (SweepError if there is none)."""
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise SweepError(f"{out}: not a sweep folder (no manifest.json)")
    return json.loads(path.read_text(encoding="utf-8"))


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
    """Reads and writes one sweep folder."""

    def __init__(self, out: str | Path, sweep: Sweep):
        self.out = Path(out)
        self.sweep = sweep
        self.schema = runs_schema(sweep)
        self.parts = self.out / "parts"
        self.series = self.out / "series"
        self._names = self.schema.names

    # -- opening ---------------------------------------------------------------------------

    def create(self, design, n_runs: int, overwrite: bool = False) -> None:
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
        self.write_manifest(n_runs=n_runs, state="running", counts={})

    def open_resume(self, design) -> list[str]:
        """Reopen a sweep folder to finish it; it must hold the same sweep. Returns warnings."""
        if not self.out.is_dir():
            raise SweepError(f"{self.out}: nothing to resume (no such folder)")
        man = read_manifest(self.out)
        if man.get("fingerprint") != self.sweep.fingerprint():
            raise SweepError(
                f"{self.out}: holds a different sweep ({man.get('sweep_file')}); "
                "resume with the same sweep file and --set values, or use --overwrite"
            )
        old = pq.read_table(self.out / "design.parquet").to_pandas()
        if not old.equals(design):
            raise SweepError(f"{self.out}: its design differs from the one made now; cannot resume")
        self.parts.mkdir(parents=True, exist_ok=True)
        for tmp in self.parts.glob(".*"):  # temporaries of runs that were in flight
            tmp.unlink(missing_ok=True)
        notes = []
        then, now = man.get("git_commit"), git_commit()
        if then and now and then != now:
            notes.append(
                f"{self.out} was started at commit {then[:10]}, the code is now at {now[:10]}; "
                "if the model changed, old and new runs differ"
            )
        return notes

    def forget_failed(self, n_runs: int) -> int:
        """Remove the parts of runs recorded as failed, so they run again; returns how many."""
        ids = np.flatnonzero(self.done_mask(n_runs))
        n = 0
        for rid in ids:
            path = self.parts / f"run-{rid:08d}.arrow"
            if _read_arrow(path)["status"][0].as_py() == "error":
                path.unlink()
                n += 1
        return n

    def done_mask(self, n_runs: int) -> np.ndarray:
        """Boolean array: which runs already have a part on disk."""
        done = np.zeros(n_runs, dtype=bool)
        for name in os.listdir(self.parts):
            if name.startswith("run-") and name.endswith(".arrow"):
                rid = int(name[4:-6])
                if rid < n_runs:
                    done[rid] = True
        return done

    # -- writing runs ----------------------------------------------------------------------

    def write(self, spec: RunSpec, rec: RunRecord) -> None:
        """Save one finished run: its series (if any), then its part (the commit)."""
        if rec.series is not None and rec.status == "ok":
            d = self.series / f"point={spec.point}"
            d.mkdir(parents=True, exist_ok=True)
            s = rec.series.copy()
            s.insert(0, "replicate", np.int64(spec.replicate))
            s.insert(0, "run_id", np.int64(spec.run_id))
            _atomic_parquet(
                pa.Table.from_pandas(s, preserve_index=False), d / f"run-{spec.run_id:08d}.parquet"
            )
        row: dict[str, Any] = {
            "run_id": spec.run_id,
            "point": spec.point,
            "replicate": spec.replicate,
            "seed": spec.seed,
            **spec.factors,
            "status": rec.status,
            "error": rec.error,
            "wall_time": rec.wall_time,
        }
        for n in self.sweep.outcomes.names:
            row[n] = rec.outcomes.get(n, float("nan"))
        table = pa.Table.from_pydict({k: [row[k]] for k in self._names}, schema=self.schema)
        _atomic_arrow(table, self.parts / f"run-{spec.run_id:08d}.arrow")

    def consolidate(self, n_runs: int) -> int:
        """Write ``runs.parquet`` from the parts, sorted by run_id; returns its row count."""
        ids = np.flatnonzero(self.done_mask(n_runs))
        tmp = self.out / f".runs.parquet.tmp-{os.getpid()}"
        rows = 0
        with pq.ParquetWriter(tmp, self.schema) as w:
            if not len(ids):
                w.write_table(self.schema.empty_table())
            for i in range(0, len(ids), _BATCH):
                tables = [
                    _read_arrow(self.parts / f"run-{rid:08d}.arrow") for rid in ids[i : i + _BATCH]
                ]
                t = pa.concat_tables(tables)
                w.write_table(t)
                rows += t.num_rows
        os.replace(tmp, self.out / "runs.parquet")
        return rows

    # -- manifest --------------------------------------------------------------------------

    def write_manifest(self, n_runs: int, state: str, counts: dict, **extra) -> None:
        s = self.sweep
        versions = package_versions()
        for name in ("SALib", "scipy", "dask", "distributed"):
            try:
                from importlib import metadata

                versions[name] = metadata.version(name)
            except Exception:
                versions[name] = "not installed"
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
            "factors": list(s.factor_keys),
            "outcomes": list(s.outcomes.names),
            "series": list(s.outcomes.series),
            "design": s.normalized["design"],
            "n_points": n_runs // s.replications,
            "replications": s.replications,
            "n_runs": n_runs,
            "root_seed": s.root_seed,
            "counts": counts,
            "versions": versions,
            "git_commit": git_commit(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **extra,
        }
        atomic_write_text(self.out / "manifest.json", json.dumps(man, indent=2) + "\n")
