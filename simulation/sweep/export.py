"""Export a sweep's tables for R, spreadsheets and other tools: ``influencer-sim export DIR``.

Writes ``runs.csv``, ``design.csv`` and, when the sweep kept series, ``series.csv`` (one long
table: ``point``, ``replicate``, ``step`` and the series columns) into ``DIR/export`` (or
``--out``). Columns keep the plain names of the Parquet tables (``behaviour__trust_erosion``);
numbers are written in the shortest form that reads back to the same float; a missing value
(a failed run, NaN) is an empty cell, which R reads as ``NA``. The series are streamed one
design point at a time, so memory does not grow with the sweep.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .spec import SweepError
from .store import read_manifest

__all__ = ["FORMATS", "export"]

#: Formats ``export`` writes.
FORMATS: tuple[str, ...] = ("csv", "parquet")


def _na(table: pa.Table) -> pa.Table:
    """NaN becomes null (an empty CSV cell, R's NA)."""
    cols = []
    for col in table.columns:
        if pa.types.is_floating(col.type):
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _write(table: pa.Table, path: Path, fmt: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if fmt == "csv":
        pacsv.write_csv(_na(table), tmp)
    else:
        pq.write_table(table, tmp)
    os.replace(tmp, path)


def export(out: str | Path, dest: str | Path | None = None, fmt: str = "csv") -> list[Path]:
    """Write the runs, design and series tables of the sweep in ``out`` as ``fmt`` files in
    ``dest`` (default ``out/export``); returns the files written."""
    out = Path(out)
    if fmt not in FORMATS:
        raise SweepError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    man = read_manifest(out)
    if not (out / "runs.parquet").is_file():
        raise SweepError(f"{out}: no runs.parquet yet; run the sweep (or --resume it) first")
    dest = Path(dest) if dest else out / "export"
    if dest.exists() and not dest.is_dir():
        raise SweepError(f"--out: {dest} exists and is not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    ext = "csv" if fmt == "csv" else "parquet"
    written = []
    for name in ("runs", "design"):
        path = dest / f"{name}.{ext}"
        _write(pq.read_table(out / f"{name}.parquet"), path, fmt)
        written.append(path)
    series_dir = out / "series"
    if man.get("series") and series_dir.is_dir():
        path = dest / f"series.{ext}"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        dataset = ds.dataset(series_dir, format="parquet", partitioning="hive")
        points = sorted(
            int(p.name.split("=", 1)[1])
            for p in series_dir.iterdir()
            if p.name.startswith("point=")
        )
        names = ["point", "replicate", "step", *man["series"]]
        schema = None
        writer = None
        try:
            for point in points:
                t = dataset.to_table(filter=ds.field("point") == point)
                t = t.set_column(
                    t.schema.get_field_index("point"),
                    "point",
                    pa.array([point] * t.num_rows, pa.int64()),
                )
                t = t.select(names).sort_by([("replicate", "ascending"), ("step", "ascending")])
                if writer is None:
                    schema = t.schema
                    writer = (
                        pacsv.CSVWriter(tmp, schema)
                        if fmt == "csv"
                        else pq.ParquetWriter(tmp, schema)
                    )
                t = t.cast(schema)
                writer.write_table(_na(t) if fmt == "csv" else t)
        finally:
            if writer is not None:
                writer.close()
        if writer is not None:
            os.replace(tmp, path)
            written.append(path)
    return written
