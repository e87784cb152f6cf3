"""A recording as plain tables for analysis elsewhere: CSV for spreadsheets, Parquet for pandas and notebooks.

Tables are written a piece at a time (``CHUNK_ROWS``), so memory stays flat whatever a recording holds.
Readings and roll-ups carry their indicator's code, name and unit, and every time column has a
UTC datetime before the epoch seconds, so a table makes sense on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from console.errors import UserError
from console.model.schema import C
from console.replay.recording import ROLLUP_DTYPE, Recording

FORMATS = ("csv", "parquet")
INDICATOR_COLUMNS = ("code", "name", "unit", "district_id")
#: Tables and the epoch-second columns that get a UTC datetime column beside them.
TIMES = {"readings": {"ts": "time"}, "incidents": {"opened_at": "opened_time", "updated_at": "updated_time"},
         "incident_events": {"ts": "time"}, "unit_positions": {"ts": "time"}, "actions": {"ts": "time"},
         "rollups_1m": {"bucket": "time"}, "rollups_1h": {"bucket": "time"}}


#: Rows per piece of the readings and roll-ups: a recording is written a piece at a time, so
#: exporting 50 million readings costs the columns as read, not ten times that in a DataFrame.
CHUNK_ROWS = 1 << 20


def export_recording(recording: Recording, folder: str | Path, fmt: str) -> list[Path]:
    """Write the recording's tables to ``folder`` as ``<table>.csv`` or ``<table>.parquet``; returns the files."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create export folder {folder}: {exc.strerror}") from None
    written = []
    for name, pieces in tables(recording).items():
        path = folder / f"{name}.{fmt}"
        try:
            _write(path, fmt, pieces)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written


def _write(path: Path, fmt: str, pieces: Iterator[pd.DataFrame]) -> None:
    """One table, piece by piece: CSV appended under one header, Parquet as row groups of one file."""
    writer = None
    try:
        for n, frame in enumerate(pieces):
            if fmt == "csv":
                frame.to_csv(path, index=False, mode="w" if n == 0 else "a", header=n == 0,
                             date_format="%Y-%m-%dT%H:%M:%S.%fZ")
                continue
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def tables(recording: Recording) -> dict[str, Iterator[pd.DataFrame]]:
    """The recording's tables, by name, each as DataFrames of at most ``CHUNK_ROWS`` rows (at least one)."""
    indicators = _frame(recording.reference.get("indicators", []), "indicators")
    r = recording.readings
    readings = _pieces(len(r), lambda a, b: _named(pd.DataFrame(
        {"indicator_id": r.indicator_id[a:b], "ts": r.ts[a:b], "value": r.value[a:b], "quality": r.quality[a:b]}),
        indicators)[["indicator_id", *INDICATOR_COLUMNS, "ts", "value", "quality"]])
    found = {
        "readings": readings,
        "indicators": iter([indicators]),
        "incidents": iter([_frame(recording.incidents, "incidents")]),
        "incident_events": iter([_frame(recording.incident_events, "incident_events")]),
        "unit_positions": iter([_frame(recording.unit_positions, "unit_positions")]),
        "actions": iter([_frame(recording.actions, "audit_log").drop(columns="id", errors="ignore")]),
    }
    for resolution in ("1m", "1h"):
        array = recording.rollups.get(resolution, np.empty(0, ROLLUP_DTYPE))
        found[f"rollups_{resolution}"] = _pieces(len(array), lambda a, b, array=array: _rollups(array[a:b], indicators))
    return {name: map(partial(_with_times, times=TIMES.get(name, {})), pieces) for name, pieces in found.items()}


def _pieces(rows: int, make: Callable[[int, int], pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for a in range(0, max(rows, 1), CHUNK_ROWS):
        yield make(a, min(rows, a + CHUNK_ROWS))


def _rollups(array: np.ndarray, indicators: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({name: array[name] for name in ROLLUP_DTYPE.names})
    frame["vmean"] = frame["vsum"] / frame["n"]
    return _named(frame, indicators)[["indicator_id", "code", "bucket", "n", "vmin", "vmax", "vmean", "vsum"]]


def _frame(rows: list[dict], table: str) -> pd.DataFrame:
    """Rows as a DataFrame with the table's columns in order, even when there are none."""
    columns = [c.name for c in C[table].columns]
    if table == "audit_log":
        columns.remove("id")
    return pd.DataFrame(rows, columns=columns)


def _named(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its indicators' code, name, unit and district beside their ids, rows kept in order."""
    names = indicators[["id", *INDICATOR_COLUMNS]].rename(columns={"id": "indicator_id"})
    names = names.astype({"indicator_id": frame["indicator_id"].dtype})
    return frame.merge(names, on="indicator_id", how="left", sort=False)


def _with_times(frame: pd.DataFrame, times: dict[str, str]) -> pd.DataFrame:
    """A UTC datetime column before each epoch-second column, to the microsecond (float seconds
    would show 17:28:17.269999 for .27)."""
    for source, target in times.items():
        micros = np.round(frame[source].to_numpy(np.float64) * 1e6).astype(np.int64)
        frame.insert(frame.columns.get_loc(source), target, pd.to_datetime(micros, unit="us", utc=True))
    return frame
