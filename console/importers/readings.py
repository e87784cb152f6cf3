"""Readings from files (CSV, Parquet) into a platform's ``readings`` stream, as ordinary appends.

Two shapes are read. Long: an indicator column (``indicator``/``code``), a time column and
``value`` (and ``quality``), one reading a row. Wide: a time column and one column per
indicator, named by its code, mapped by the catalogue's ``column`` field, or by ``--map
COLUMN=CODE[:UNIT]``. Times are ISO 8601 or epoch seconds (milliseconds recognised); a time
without an offset is in ``tz`` (else UTC, and the report says so). A unit stated in a header
("temperature (°F)") or in the map is converted into the indicator's own.

Nothing half-written: the whole file is parsed and checked first; then, in one transaction,
the catalogue (if given) is applied and the good rows not already on the platform are
appended. Re-importing a file therefore adds nothing. Bad rows are counted by reason, with the
first row each reason was met at, and never stop the good ones.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from console.databases import reason, shown_url
from console.errors import UserError
from console.importers.districts import open_platform
from console.importers.report import ImportReport
from console.importers.units import convert, converter, split_header
from console.model.schema import P
from console.platform.catalogue import apply_catalogue, read_catalogue
from console.platform.db import bulk_insert

TIME_NAMES = ("time", "ts", "timestamp", "datetime", "date_time", "date", "observed_at")
CODE_NAMES = ("indicator", "code", "indicator_code")
QUALITY_WORDS = {"good": 0, "uncertain": 1, "bad": 2}
MAX_VALUE = 1e12
FUTURE_S = 300.0  # a reading further ahead of now than this is not a reading
READING_COLUMNS = ("indicator_id", "ts", "value", "quality")


@dataclass
class Parsed:
    """The file's readings as arrays, one entry per row that survived the checks."""

    codes: np.ndarray  # object: indicator code
    ts: np.ndarray
    values: np.ndarray
    quality: np.ndarray
    rows: np.ndarray  # the row number in the file (a spreadsheet's: the header is row 1)
    bad: Counter[str] = field(default_factory=Counter)
    first: dict[str, int] = field(default_factory=dict)

    def drop(self, keep: np.ndarray, why: str) -> None:
        """Keep the rows where ``keep``; count the others under ``why``."""
        if keep.all():
            return
        lost = self.rows[~keep]
        self.bad[why] += int(lost.size)
        self.first[why] = min(self.first.get(why, math.inf), int(lost.min()))
        for name in ("codes", "ts", "values", "quality", "rows"):
            setattr(self, name, getattr(self, name)[keep])


def parse_map(items: list[str]) -> dict[str, tuple[str, str | None]]:
    """``--map`` arguments ("wind=weather.wind.speed:km/h") as column -> (code, unit)."""
    out = {}
    for item in items:
        column, eq, target = item.partition("=")
        code, _, unit = target.partition(":")
        if not eq or not column.strip() or not code.strip():
            raise UserError(f"--map {item!r}: expected COLUMN=CODE or COLUMN=CODE:UNIT")
        out[column.strip()] = (code.strip(), unit.strip() or None)
    return out


def import_readings(path: str | Path, url: str, *, catalogue: Path | None = None,
                    mapping: dict[str, tuple[str, str | None]] | None = None, tz: str | None = None,
                    now: float | None = None) -> ImportReport:
    """Append the readings of ``path`` to the platform at ``url``; the report counts what came in and not."""
    path = Path(path)
    zone = _zone(tz)
    frame = read_frame(path)
    entries = read_catalogue(catalogue) if catalogue is not None else []
    report = ImportReport(source=path.name)
    engine = open_platform(url, ("indicators", "readings"))
    try:
        with engine.connect() as conn:
            units = {r.code: r.unit for r in conn.execute(select(P["indicators"].c.code, P["indicators"].c.unit))}
        units.update({e.code: e.unit for e in entries})
        routes = {e.column: (e.code, None) for e in entries if e.column} | (mapping or {})
        parsed = _parse(frame, path, routes, units, zone, report)
        _check(parsed, path, units, time.time() if now is None else now)
        with engine.connect() as conn, conn.begin():
            if entries:
                applied = apply_catalogue(conn, entries, catalogue)
                report.notes.append(f"Catalogue {catalogue.name}: {applied['new']} new indicators, "
                                    f"{applied['changed']} updated")
            ids = {r.code: r.id for r in conn.execute(select(P["indicators"].c.code, P["indicators"].c.id))}
            which, codes = pd.factorize(parsed.codes)
            iid = np.array([ids[c] for c in codes], dtype=np.int64)[which]
            fresh = _not_on_platform(conn, iid, parsed.ts)
            parsed.drop(fresh, "already on the platform")
            iid = iid[fresh]
            order = np.lexsort((parsed.ts, iid))  # per indicator in time order: the index grows at its end
            rows = list(zip(iid[order].tolist(), parsed.ts[order].tolist(), parsed.values[order].tolist(),
                            parsed.quality[order].tolist()))
            report.counts["reading"] = bulk_insert(conn, "readings", READING_COLUMNS, rows)
    except DBAPIError as exc:
        raise UserError(f"cannot import readings into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    for why, n in parsed.bad.items():
        report.skipped[f"{why}, first at row {parsed.first[why]}"] += n
    return report


def _zone(tz: str | None) -> ZoneInfo | None:
    if tz is None:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--tz {tz!r}: not a time zone (e.g. Europe/Vaduz, America/Los_Angeles, UTC)") from None


def read_frame(path: Path) -> pd.DataFrame:
    """The file as a table: Parquet by its magic bytes, else CSV (encoding and parse errors in one line)."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        with path.open("rb") as fh:
            parquet = fh.read(4) == b"PAR1"
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: empty file") from None
    except (pd.errors.ParserError, ValueError, OSError, ImportError) as exc:
        first = (" ".join(str(exc).split()) or type(exc).__name__)[:200]
        raise UserError(f"{path}: not readable as {'Parquet' if parquet else 'CSV'}: {first}") from None
    if frame.empty:
        raise UserError(f"{path}: holds no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        raise UserError(f"{path}: row 1: column names repeat")
    return frame


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _parse(frame: pd.DataFrame, path: Path, routes: dict[str, tuple[str, str | None]], units: dict[str, str],
           zone: ZoneInfo | None, report: ImportReport) -> Parsed:
    """Long or wide into one set of arrays; the columns nobody can place are a one-line error."""
    when = _column(frame, TIME_NAMES)
    if when is None:
        raise UserError(f"{path}: row 1: no time column (name it one of: {', '.join(TIME_NAMES)})")
    ts = _times(frame[when], zone, report)
    rows = np.arange(len(frame), dtype=np.int64) + 2
    code_col, value_col = _column(frame, CODE_NAMES), _column(frame, ("value",))
    if code_col is not None and value_col is not None:
        raw = frame[code_col].astype("string").str.strip().fillna("")
        codes = np.array([routes.get(c, (c, None))[0] for c in raw.tolist()], dtype=object)
        values = np.array(pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float))  # writable
        given = {c: routes[c][1] for c in set(raw.tolist()) if c in routes and routes[c][1]}
        for name, unit in given.items():  # a unit stated for an indicator's name in the map
            scale = _scale(path, name, unit, units.get(routes[name][0]))
            sel = raw.to_numpy() == name
            values[sel] = convert(values[sel], scale)
        quality = _quality(frame, len(frame))
        out = Parsed(codes, ts, values, quality, rows)
    else:
        out = _wide(frame, path, when, ts, rows, routes, units, report)
    return out


def _wide(frame: pd.DataFrame, path: Path, when: str, ts: np.ndarray, rows: np.ndarray,
          routes: dict[str, tuple[str, str | None]], units: dict[str, str], report: ImportReport) -> Parsed:
    parts: list[tuple[str, np.ndarray]] = []
    unplaced = []
    for column in frame.columns:
        if column == when or column.lower() == "quality":
            continue
        name, stated = split_header(column)
        code, unit = routes.get(column) or routes.get(name) or (name if name in units else None, None)
        if code is None:
            unplaced.append(column)
            continue
        unit = unit or stated
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        if unit is not None and code in units:
            values = convert(values, _scale(path, column, unit, units[code]))
        parts.append((code, values))
    if not parts:
        raise UserError(f"{path}: row 1: no column names an indicator ({', '.join(unplaced[:6])}); "
                        "name columns by indicator code, or map them: --map COLUMN=CODE or a catalogue's column")
    if unplaced:
        report.notes.append(f"Columns left out, no indicator: {', '.join(unplaced)}")
    n = len(frame)
    quality = _quality(frame, n)
    return Parsed(np.repeat(np.array([c for c, _ in parts], dtype=object), n),
                  np.tile(ts, len(parts)), np.concatenate([v for _, v in parts]),
                  np.tile(quality, len(parts)), np.tile(rows, len(parts)))


def _scale(path: Path, column: str, unit: str, wanted: str | None) -> tuple[float, float]:
    if wanted is None:
        return 1.0, 0.0
    scale = converter(unit, wanted)
    if scale is None:
        raise UserError(f"{path}: row 1: column {column!r} is in {unit!r}, its indicator in {wanted!r}: "
                        "no conversion between them")
    return scale


def _times(raw: pd.Series, zone: ZoneInfo | None, report: ImportReport) -> np.ndarray:
    """Epoch seconds (NaN where not a time) from epoch numbers or ISO 8601 text."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        secs = raw.to_numpy(dtype=float)
        finite = secs[np.isfinite(secs)]
        if finite.size and np.median(np.abs(finite)) > 1e11:  # epoch milliseconds
            secs = secs / 1000.0
            report.notes.append("Times read as epoch milliseconds")
        return secs
    text = raw.astype("string").str.strip()
    try:
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):  # offsets and none mixed: the naive ones are UTC
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        report.notes.append("Some times carry an offset and some do not: those without one are taken as UTC")
    clock_change = np.zeros(len(stamps), dtype=bool)
    if stamps.dt.tz is None:
        if zone is not None:
            parsed = stamps.notna().to_numpy()
            stamps = stamps.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            clock_change = parsed & stamps.isna().to_numpy()
        else:
            report.notes.append("Times without an offset taken as UTC (give --tz ZONE where they are local)")
            stamps = stamps.dt.tz_localize("UTC")
    elif zone is not None:
        report.notes.append("The times carry their own offsets: --tz was not needed")
    utc = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    secs = np.array(((utc - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan))
    missed = np.flatnonzero(np.isnan(secs))
    if missed.size:  # epoch seconds among ISO times
        numbers = pd.to_numeric(text.iloc[missed], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        secs[missed] = numbers
    secs[clock_change] = -np.inf  # a local time the zone skips or repeats: said apart from unreadable ones
    return secs


def _quality(frame: pd.DataFrame, n: int) -> np.ndarray:
    """0 good, 1 uncertain, 2 bad; -1 where the quality column says something else."""
    column = _column(frame, ("quality",))
    if column is None:
        return np.zeros(n, dtype=np.int64)
    raw = frame[column]
    words = raw.astype("string").str.strip().str.lower().map(QUALITY_WORDS)
    numbers = pd.to_numeric(raw, errors="coerce")
    q = numbers.where(numbers.isin([0, 1, 2]), words).fillna(-1)
    return q.to_numpy(dtype=np.int64)


def _check(parsed: Parsed, path: Path, units: dict[str, str], now: float) -> None:
    """Count and drop rows that cannot be readings: unknown indicator, bad time, value or quality, repeats."""
    which, codes = pd.factorize(parsed.codes)
    known = np.array([c in units for c in codes], dtype=bool)[which] if len(codes) else np.ones(0, dtype=bool)
    if not known.any() and parsed.codes.size:
        sample = ", ".join(sorted(set(parsed.codes.tolist()))[:5])
        raise UserError(f"{path}: row {parsed.rows[0]}: no indicator of the platform or the catalogue is "
                        f"named ({sample}); map them with --map or a catalogue's column")
    parsed.drop(known, "unknown indicator code")
    parsed.drop(~np.isneginf(parsed.ts), "local time skipped or repeated by a clock change (not one instant)")
    parsed.drop(np.isfinite(parsed.ts), "time not ISO 8601 or epoch seconds")
    parsed.drop(parsed.ts > 0, "time before 1970")
    parsed.drop(parsed.ts <= now + FUTURE_S, "time in the future")
    parsed.drop(np.isfinite(parsed.values), "value not a number")
    parsed.drop(np.abs(parsed.values) <= MAX_VALUE, f"value beyond ±{MAX_VALUE:g}")
    parsed.drop(parsed.quality >= 0, "quality not 0, 1, 2 or good, uncertain, bad")
    which = pd.factorize(parsed.codes)[0]
    order = np.lexsort((parsed.ts, which))  # stable: of equal rows the first in the file comes first
    same = (which[order][1:] == which[order][:-1]) & (parsed.ts[order][1:] == parsed.ts[order][:-1])
    repeat = np.zeros(parsed.ts.size, dtype=bool)
    repeat[order[1:][same]] = True
    parsed.drop(~repeat, "repeats an earlier row (same indicator and time)")


def _not_on_platform(conn, iid: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """True where the platform has no reading of that indicator at that time (re-imports add nothing)."""
    fresh = np.ones(iid.size, dtype=bool)
    if not iid.size:
        return fresh
    table = P["readings"]
    for ind in np.unique(iid).tolist():
        sel = iid == ind
        t = ts[sel]
        stmt = select(table.c.ts).where(table.c.indicator_id == ind, table.c.ts >= float(t.min()),
                                        table.c.ts <= float(t.max()))
        have = np.fromiter((r[0] for r in conn.execute(stmt)), dtype=float)
        if have.size:
            fresh[np.flatnonzero(sel)[np.isin(t, have)]] = False
    return fresh

