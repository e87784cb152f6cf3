"""A recording as plain tables for analysis elsewhere: CSV for spreadsheets, Parquet for pandas and notebooks.

Readings and roll-ups carry their indicator's code, name and unit, and every time column has a
UTC datetime before the epoch seconds, so a table makes sense on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from console.errors import UserError
from console.model.schema import C
from console.replay.recording import ROLLUP_DTYPE, Recording

FORMATS = ("csv", "parquet")
INDICATOR_COLUMNS = ("code", "name", "unit", "district_id")
#: Tables and the epoch-second columns that get a UTC datetime column beside them.
TIMES = {"readings": {"ts": "time"}, "incidents": {"opened_at": "opened_time", "updated_at": "updated_time"},
         "incident_events": {"ts": "time"}, "unit_positions": {"ts": "time"}, "actions": {"ts": "time"},
         "rollups_1m": {"bucket": "time"}, "rollups_1h": {"bucket": "time"}}


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
    for name, frame in tables(recording).items():
        path = folder / f"{name}.{fmt}"
        try:
            if fmt == "csv":
                frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
            else:
                frame.to_parquet(path, index=False, engine="pyarrow")
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written


def tables(recording: Recording) -> dict[str, pd.DataFrame]:
    """The recording as DataFrames, by table name (what ``export_recording`` writes)."""
    indicators = _frame(recording.reference.get("indicators", []), "indicators")
    readings = pd.DataFrame({"indicator_id": recording.readings.indicator_id, "ts": recording.readings.ts,
                             "value": recording.readings.value, "quality": recording.readings.quality})
    found = {
        "readings": _named(readings, indicators)[["indicator_id", *INDICATOR_COLUMNS, "ts", "value", "quality"]],
        "indicators": indicators,
        "incidents": _frame(recording.incidents, "incidents"),
        "incident_events": _frame(recording.incident_events, "incident_events"),
        "unit_positions": _frame(recording.unit_positions, "unit_positions"),
        "actions": _frame(recording.actions, "audit_log").drop(columns="id", errors="ignore"),
    }
    for resolution in ("1m", "1h"):
        array = recording.rollups.get(resolution, np.empty(0, ROLLUP_DTYPE))
        frame = pd.DataFrame({name: array[name] for name in ROLLUP_DTYPE.names})
        frame["vmean"] = frame["vsum"] / frame["n"]
        found[f"rollups_{resolution}"] = _named(frame, indicators)[
            ["indicator_id", "code", "bucket", "n", "vmin", "vmax", "vmean", "vsum"]]
    return {name: _with_times(frame, TIMES.get(name, {})) for name, frame in found.items()}


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
