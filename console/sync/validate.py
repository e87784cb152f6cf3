"""Checks on platform rows before they reach the cache: a bad row is set aside, never fatal.

The platform is not ours: an SQLite platform stores any type in any column, PostgreSQL drivers
hand over ``Decimal``, NaN and inf, and a broken feed writes absurd times or megabyte notes.
Rows that pass come back normalised (ints and floats of the schema's types, so sqlite3 can bind
them and the UI can plot them); the others come back as ``Rejected`` with a reason, for the
cache's ``quarantine`` table and one log line (``summary``), so a sync step always completes.
"""

from __future__ import annotations

import json
import marshal
import math
import numbers
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from sqlalchemy import Float, Integer, Table

from console.model.schema import P

#: Longest text field, in characters: notes are typed by people (a few KB); more is a broken
#: feed or an attack, and would bloat the cache and every view that shows the field.
MAX_TEXT = 64 * 1024
#: Oldest timestamp accepted, seconds before now: older is not this city's live data.
MAX_PAST_S = 20 * 365.25 * 86400
#: Newest timestamp accepted, seconds after now: a clock a day ahead is a broken clock.
MAX_FUTURE_S = 86400.0
#: Reading quality codes: 0 good, 1 uncertain, 2 bad.
QUALITIES = (0, 1, 2)

_RANGES = {"lon": (-180, 180), "lat": (-90, 90), "severity": (1, 4)}
_TIMESTAMPS = ("ts", "opened_at", "updated_at")
_INT64 = (-2**63, 2**63)  # what sqlite3 can bind
_EXACT = (int, int, float, float, int)  # a reading's types, as the connector hands them over
_CHUNK = 512  # readings decoded together when a batch as a whole is not clean
_QUOTED_CHARS, _QUOTED_ITEMS = 200, 50  # how much of a long string or list a quarantined row keeps


# marshal (format version 2: fixed-width ints, binary floats, no back-references) writes a
# clean reading as a fixed-width record, each field a type byte then its value; checking the
# type bytes with numpy proves every field's exact type, and the values come out as arrays:
# one C pass instead of a Python call per field. Seq is 'i' + int32 below 2**31, and
# 'l' + three 15-bit digits up to 2**45 (where a PostgreSQL bigserial gets in time).
def _layout(seq_tag: str, seq: list[tuple]) -> tuple[np.dtype, dict[str, int]]:
    """A clean record's fields, and the values its type bytes (and sizes) must have."""
    dtype = np.dtype([("tuple", "u1"), ("size", "<i4"), ("t0", "u1"), *seq,
                      ("t1", "u1"), ("indicator_id", "<i4"), ("t2", "u1"), ("ts", "<f8"),
                      ("t3", "u1"), ("value", "<f8"), ("t4", "u1"), ("quality", "<i4")])
    expected = {"tuple": ord("("), "size": 5, "t0": ord(seq_tag), "t1": ord("i"), "t2": ord("g"),
                "t3": ord("g"), "t4": ord("i")}
    return dtype, expected | ({"digits": 3} if seq_tag == "l" else {})


_LAYOUTS = (_layout("i", [("seq", "<i4")]), _layout("l", [("digits", "<i4"), ("seq", "<u2", (3,))]))


@dataclass(frozen=True)
class Rejected:
    """A platform row set aside, and why; ``kind`` is the reason without its values, for grouping."""

    stream: str
    seq: int | None
    reason: str
    row: object
    kind: str = ""

    def quarantine_row(self, at: float) -> dict:
        """The row for the cache's ``quarantine`` table: short, valid JSON whatever the row holds."""
        try:
            text = json.dumps(_jsonable(self.row, 0))
        except Exception:  # a mapping or str() that raises: keep the reason, lose the row
            text = json.dumps(f"<unreadable {type(self.row).__name__}>")
        return {"at": at, "stream": self.stream, "seq": _int64_or_none(self.seq), "reason": self.reason,
                "row": text}


class _Bad(Exception):
    """A row's first problem: ``kind`` groups it in the log, ``reason`` names the value."""

    def __init__(self, kind: str, reason: str | None = None):
        super().__init__(reason or kind)
        self.kind, self.reason = kind, reason or kind


def check_readings(rows: list[tuple], known_ids: set[int] | frozenset[int],
                   now: float) -> tuple[list[tuple], list[Rejected]]:
    """Split readings into good ones (in order, normalised) and rejected ones.

    A clean batch takes the vectorised path (about 2 ms for 20,000 rows); only the rows it
    flags are looked at one by one, to say why. Of two rows for the same indicator and time
    the first is kept, as the cache holds one.
    """
    problems: dict[int, _Bad] = {}
    out = list(rows)
    columns = _decode(rows)
    if columns is None:
        columns = _typed_columns(rows, out, problems)
    indicator_id, ts, value, quality = columns
    lo, hi = now - MAX_PAST_S, now + MAX_FUTURE_S
    ok = ((ts >= lo) & (ts <= hi) & np.isfinite(value) & np.isin(quality, QUALITIES)
          & np.isin(indicator_id, np.fromiter(known_ids, np.int64, len(known_ids))))
    ok[list(problems)] = True  # already explained
    for i in np.flatnonzero(~ok).tolist():
        try:
            _check_reading(out[i], known_ids, lo, hi)
        except _Bad as bad:
            problems[i] = bad
    _find_duplicates(indicator_id, ts, out, problems)
    if not problems:
        return out, []
    keep = np.ones(len(rows), bool)
    keep[list(problems)] = False
    good = [row for row, k in zip(out, keep.tolist()) if k]
    return good, [_rejected("readings", rows[i], problems[i]) for i in sorted(problems)]


def _decode(rows: list) -> tuple[np.ndarray, ...] | None:
    """Indicator, time, value and quality columns if every row is an exact reading tuple, else None."""
    try:
        data = marshal.dumps(rows, 2)
    except ValueError:  # something marshal cannot write (Decimal, a subclass): not clean
        return None
    for layout, expected in _LAYOUTS:
        if len(data) != 5 + len(rows) * layout.itemsize:
            continue
        rec = np.frombuffer(data, layout, offset=5)
        # The first field that differs from the layout has its type byte where the layout
        # expects one, so when every type byte matches, every row matches.
        if all((rec[name] == value).all() for name, value in expected.items()):
            # contiguous copies: strided views sort slowly
            return tuple(np.ascontiguousarray(rec[name]) for name in ("indicator_id", "ts", "value", "quality"))
    return None


def _typed_columns(rows: list, out: list, problems: dict[int, _Bad]) -> list[np.ndarray]:
    """The columns of a batch that is not clean as a whole, decoded chunk by chunk so that a bad
    row costs its chunk, not the batch; a bad chunk's rows are typed one by one into ``out``."""
    columns = [np.zeros(len(rows), dtype) for dtype in ("i8", "f8", "f8", "i8")]
    for start in range(0, len(rows), _CHUNK):
        stop = min(start + _CHUNK, len(rows))
        decoded = _decode(rows[start:stop])
        if decoded is not None:
            for column, part in zip(columns, decoded):
                column[start:stop] = part
            continue
        for i in range(start, stop):
            try:
                out[i] = _coerce_reading(rows[i])
            except _Bad as bad:
                problems[i] = bad
                continue
            for column, field in zip(columns, out[i][1:]):
                column[i] = field
    return columns


def _coerce_reading(row: object) -> tuple:
    """The row with the schema's types (the same tuple if it has them already), or _Bad."""
    if not isinstance(row, (tuple, list)):
        raise _Bad("malformed row", f"malformed row ({type(row).__name__}, expected a tuple of 5 fields)")
    if len(row) != 5:
        raise _Bad("malformed row", f"malformed row ({len(row)} fields, expected 5)")
    seq, indicator_id, ts, value, quality = row
    typed = (_as_int("seq", seq), _as_int("indicator_id", indicator_id), _as_float("ts", ts),
             _as_float("value", value), _as_int("quality", quality))
    return row if type(row) is tuple and tuple(map(type, row)) == _EXACT else typed


def _check_reading(row: tuple, known_ids: set[int] | frozenset[int], lo: float, hi: float) -> None:
    """Raise _Bad for a typed reading's first bad value: the rules the vectorised check applies."""
    _, indicator_id, ts, value, quality = row
    if indicator_id not in known_ids:
        raise _Bad("unknown indicator", f"unknown indicator {indicator_id}")
    _timestamp("ts", ts, lo, hi)
    _finite("value", value)
    if quality not in QUALITIES:
        raise _Bad("quality out of range", f"quality {quality} is not 0, 1 or 2")


def _find_duplicates(indicator_id: np.ndarray, ts: np.ndarray, rows: list, problems: dict[int, _Bad]) -> None:
    """Mark later rows with the indicator and time of an earlier good row as duplicates of it."""
    idx = np.arange(len(rows))
    if problems:
        idx = np.delete(idx, list(problems))
        indicator_id, ts = indicator_id[idx], ts[idx]
    order = np.lexsort((ts, indicator_id))  # stable: the first of equal rows stays first
    indicator_id, ts = indicator_id[order], ts[order]
    same = (indicator_id[1:] == indicator_id[:-1]) & (ts[1:] == ts[:-1])
    if not same.any():
        return
    first = np.maximum.accumulate(np.where(np.r_[True, ~same], np.arange(len(order)), 0))
    for pos in (np.flatnonzero(same) + 1).tolist():
        original = rows[idx[order[first[pos]]]][0]
        problems[int(idx[order[pos]])] = _Bad(
            "duplicate", f"duplicate of seq {original} (same indicator and time)")


def check_rows(stream: str, rows: list[dict], now: float) -> tuple[list[dict], list[Rejected]]:
    """Split rows of ``stream`` (incident_events, unit_positions, incidents) by its schema's rules."""
    table = P[stream]
    lo, hi = now - MAX_PAST_S, now + MAX_FUTURE_S
    good, rejected = [], []
    for row in rows:
        try:
            good.append(_check_row(table, row, lo, hi))
        except _Bad as bad:
            rejected.append(_rejected(stream, row, bad))
    return good, rejected


def _check_row(table: Table, row: object, lo: float, hi: float) -> dict:
    """The row with the schema's types (the same dict if it has them already), or _Bad."""
    if not isinstance(row, Mapping):
        raise _Bad("malformed row", f"malformed row ({type(row).__name__}, expected a mapping)")
    changed = {}
    for column in table.columns:
        name, x = column.name, row.get(column.name)
        if x is None:
            if column.nullable:
                continue
            raise _Bad(f"{name} is missing")
        value: int | float | str
        if isinstance(column.type, Integer):
            value = _as_int(name, x)
        elif isinstance(column.type, Float):
            value = _as_float(name, x)
            value = _timestamp(name, value, lo, hi) if name in _TIMESTAMPS else _finite(name, value)
        elif not isinstance(x, str):
            raise _Bad(f"{name} is not text", f"{name} is not text ({_show(x)})")
        elif len(x) > MAX_TEXT:
            raise _Bad(f"{name} too long", f"{name} is {_size(len(x))} (limit {MAX_TEXT // 1024} KB)")
        else:
            value = x
        if name in _RANGES and not _RANGES[name][0] <= value <= _RANGES[name][1]:
            low, high = _RANGES[name]
            raise _Bad(f"{name} out of range", f"{name} {value} is not between {low} and {high}")
        if value is not x:
            changed[name] = value
    return {**row, **changed} if changed else row


def _as_int(name: str, x: object) -> int:
    """An int of any integer sqlite3 can bind (numpy's too), or _Bad."""
    if type(x) is int:
        value = x
    elif x is None:
        raise _Bad(f"{name} is missing")
    elif isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise _Bad(f"{name} is not an integer", f"{name} is not an integer ({_show(x)})")
    else:
        value = int(x)
    if not _INT64[0] <= value < _INT64[1]:
        raise _Bad(f"{name} out of range", f"{name} {_show(value)} is out of range")
    return value


def _as_float(name: str, x: object) -> float:
    """A float of any real number (NaN and inf included: the caller decides), or _Bad."""
    if type(x) is float:
        return x
    if x is None:
        raise _Bad(f"{name} is missing")
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Decimal)):
        raise _Bad(f"{name} is not a number", f"{name} is not a number ({_show(x)})")
    try:
        return float(x)
    except OverflowError:  # an int or Fraction beyond float
        return math.inf
    except ValueError:  # Decimal('sNaN')
        return math.nan


def _finite(name: str, x: float) -> float:
    if math.isnan(x):
        raise _Bad(f"{name} is NaN")
    if math.isinf(x):
        raise _Bad(f"{name} is infinite")
    return x


def _timestamp(name: str, ts: float, lo: float, hi: float) -> float:
    label = "timestamp" if name == "ts" else name
    _finite(label, ts)
    if ts > hi:
        raise _Bad(f"{label} in the future", f"{label} {_iso(ts)} is in the future")
    if ts < lo:
        raise _Bad(f"{label} too old", f"{label} {_iso(ts)} is before {_iso(lo)}")
    return ts


def _rejected(stream: str, row: object, bad: _Bad) -> Rejected:
    """``row`` set aside, under its cursor value (seq; rev for incidents) where it has a usable one."""
    seq = None
    try:
        if isinstance(row, Mapping):
            seq = row.get("rev" if stream == "incidents" else "seq")
        elif isinstance(row, (tuple, list)) and row:
            seq = row[0]
    except Exception:  # a mapping that raises
        pass
    return Rejected(stream, _int64_or_none(seq), bad.reason, row, bad.kind)


def _int64_or_none(x: object) -> int | None:
    """``x`` if it is an int the quarantine table's seq column can hold."""
    return int(x) if isinstance(x, int) and not isinstance(x, bool) and _INT64[0] <= x < _INT64[1] else None


def summary(rejected: list[Rejected]) -> str:
    """One log line: counts per stream, then per kind of reason where a stream has several."""
    streams: dict[str, Counter[str]] = {}
    for r in rejected:
        streams.setdefault(r.stream, Counter())[r.kind or r.reason] += 1
    parts = []
    for stream, kinds in streams.items():
        detail = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        parts.append(f"{stream} {kinds.total()} ({detail if len(kinds) > 1 else next(iter(kinds))})")
    noun = "row" if len(rejected) == 1 else "rows"
    return f"quarantined {len(rejected)} {noun}" + (": " + ", ".join(parts) if parts else "")


def _jsonable(x: object, depth: int) -> object:
    """``x`` as JSON-ready data, long strings and containers cut short; raises only if ``x`` does."""
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, int):
        return int(x) if _INT64[0] <= x < _INT64[1] else f"<int of {x.bit_length()} bits>"
    if isinstance(x, float):
        return float(x) if math.isfinite(x) else str(float(x))
    if isinstance(x, str):
        return x if len(x) <= _QUOTED_CHARS else f"{x[:_QUOTED_CHARS]}… ({_size(len(x))})"
    if isinstance(x, (Mapping, list, tuple)) and depth >= 8:
        return "…"
    if isinstance(x, Mapping):
        items = [(_jsonable(str(k), depth), _jsonable(v, depth + 1)) for k, v in list(x.items())[:_QUOTED_ITEMS]]
        return dict(items + ([("…", f"{len(x)} items")] if len(x) > _QUOTED_ITEMS else []))
    if isinstance(x, (list, tuple)):
        cut = [_jsonable(v, depth + 1) for v in x[:_QUOTED_ITEMS]]
        return cut + ([f"… ({len(x)} items)"] if len(x) > _QUOTED_ITEMS else [])
    return _jsonable(str(x), depth)


def _show(x: object) -> str:
    """A short repr of a value for a reason text."""
    try:
        text = repr(x[:41] if isinstance(x, (str, bytes)) else x)
    except Exception:  # a repr that raises, an int too long to print
        text = f"<{type(x).__name__}>"
    return text if len(text) <= 40 else text[:39] + "…"


def _size(chars: int) -> str:
    """A text's size for people (a character counted as a byte, as in the limit)."""
    if chars < 1024:
        return f"{chars} B"
    return f"{chars / 1024:.1f} KB" if chars < 1024 * 1024 else f"{chars / 1024 / 1024:.1f} MB"


def _iso(ts: float) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # beyond the calendar
        return repr(ts)
