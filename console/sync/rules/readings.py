"""Readings, the bulk of the volume: typed, on time, known, plausible and unique, checked in bulk.

A clean batch is decoded and checked as whole columns; only the rows that fail are looked at one
by one, to say why. Plausible means within the indicator's bounds (console/model/plausible.py:
its unit's physics and a wide margin round its thresholds) and not subnormal.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping, Set
from dataclasses import dataclass

import numpy as np

from console.model.plausible import ABS_MAX, TINY
from console.sync.rules.common import Bad, Rejected, as_float, as_int, finite, rejected, timestamp
from console.sync.rules.common import MAX_FUTURE_S, MAX_PAST_S

#: Reading quality codes: 0 good, 1 uncertain, 2 bad.
QUALITIES = (0, 1, 2)
#: Known indicators: their ids, or their ids with each one's plausible (low, high) bounds.
Known = Set[int] | Mapping[int, tuple[float, float]]

_EXACT = (int, int, float, float, int)  # a reading's types, as the connector hands them over
_CHUNK = 512  # readings decoded together when a batch as a whole is not clean


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
class ReadingPage:
    """A page of readings as columns and as rows, in index order (indicator, time; console/sync/columns_pg.py
    makes them where the page is read, off the sync thread): checked as columns, written as rows."""

    indicator_id: np.ndarray
    ts: np.ndarray
    value: np.ndarray
    quality: np.ndarray
    rows: list[tuple]  # (seq, indicator_id, ts, value, quality) of Python ints and floats, as a fetch gives

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of(cls, seq: np.ndarray, indicator_id: np.ndarray, ts: np.ndarray, value: np.ndarray,
           quality: np.ndarray) -> ReadingPage:
        """The page of these columns, put in index order (stable: of equal ones the first stays first)."""
        order = np.lexsort((ts, indicator_id))
        columns = [np.ascontiguousarray(c[order]) for c in (seq, indicator_id, ts, value, quality)]
        return cls(*columns[1:], list(zip(*(c.tolist() for c in columns))))


class _Bounds:
    """Each known indicator's plausible bounds, looked up for a whole column at once."""

    def __init__(self, known: Known):
        self.ids = np.array(sorted(known), dtype=np.int64)
        pairs = [known[i] for i in self.ids.tolist()] if isinstance(known, Mapping) else []
        self.lo = np.array([p[0] for p in pairs] or [-ABS_MAX] * len(self.ids), dtype=np.float64)
        self.hi = np.array([p[1] for p in pairs] or [ABS_MAX] * len(self.ids), dtype=np.float64)

    def ok(self, indicator_id: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Known indicator and a plausible value (NaN is not)."""
        if not len(self.ids):
            return np.zeros(len(value), bool)
        at = np.minimum(np.searchsorted(self.ids, indicator_id), len(self.ids) - 1)
        with np.errstate(invalid="ignore"):
            magnitude = np.abs(value)
            return ((self.ids[at] == indicator_id) & (value >= self.lo[at]) & (value <= self.hi[at])
                    & ((magnitude >= TINY) | (value == 0.0)))

    def known(self, indicator_id: int) -> int:
        """Where ``indicator_id`` is in the arrays; Bad when it is not known."""
        at = int(np.searchsorted(self.ids, indicator_id))
        if at == len(self.ids) or self.ids[at] != indicator_id:
            raise Bad("unknown indicator", f"unknown indicator {indicator_id}")
        return at

    def check(self, indicator_id: int, value: float) -> None:
        """Raise Bad for a value that is not finite, or not plausible: the rules ``ok`` applies."""
        at = self.known(indicator_id)
        finite("value", value)
        if value != 0.0 and abs(value) < TINY:
            raise Bad("value subnormal", f"value {value!r} is subnormal (not a measurement)")
        lo, hi = float(self.lo[at]), float(self.hi[at])
        if not lo <= value <= hi:
            raise Bad("value implausible", f"value {value:.6g} is outside the plausible range "
                                           f"{lo:.6g} to {hi:.6g} of indicator {indicator_id}")


def check_readings(rows: list[tuple], known: Known, now: float) -> tuple[list[tuple], list[Rejected]]:
    """Split readings into good ones (in order, normalised) and rejected ones.

    ``known`` holds the indicators readings may name, with their plausible bounds where it is a
    mapping (else any magnitude up to ABS_MAX passes). A clean batch takes the vectorised path
    (about 2 ms for 20,000 rows); only the rows it flags are looked at one by one, to say why.
    Of two rows for the same indicator and time the first is kept, as the cache holds one.
    """
    good, bad, _ = check_reading_columns(rows, known, now)
    return good, bad


def check_reading_columns(rows: list[tuple] | ReadingPage, known: Known, now: float
                          ) -> tuple[list[tuple], list[Rejected], tuple[np.ndarray, ...]]:
    """``check_readings``, for rows or a page of columns, also giving the good readings' indicator_id,
    ts, value and quality columns (what the roll-ups, the index order and the alarms read)."""
    problems: dict[int, Bad] = {}
    if isinstance(rows, ReadingPage):  # of exactly the schema's types: nothing to coerce
        columns: tuple[np.ndarray, ...] | list[np.ndarray] | None = (
            rows.indicator_id, rows.ts, rows.value, rows.quality)
        rows = out = rows.rows
    else:
        out = list(rows)
        columns = _decode(rows)
        if columns is None:
            columns = _typed_columns(rows, out, problems)
    indicator_id, ts, value, quality = columns
    lo, hi = now - MAX_PAST_S, now + MAX_FUTURE_S
    bounds = _Bounds(known)
    ok = (ts >= lo) & (ts <= hi) & np.isin(quality, QUALITIES) & bounds.ok(indicator_id, value)
    ok[list(problems)] = True  # already explained
    for i in np.flatnonzero(~ok).tolist():
        try:
            _check_reading(out[i], bounds, lo, hi)
        except Bad as bad:
            problems[i] = bad
    _find_duplicates(indicator_id, ts, out, problems)
    if not problems:
        return out, [], tuple(columns)
    keep = np.ones(len(rows), bool)
    keep[list(problems)] = False
    good = [row for row, k in zip(out, keep.tolist()) if k]
    return (good, [rejected("readings", rows[i], problems[i]) for i in sorted(problems)],
            tuple(column[keep] for column in columns))


def reading_columns(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """indicator_id, ts, value and quality of checked readings as arrays, decoded in bulk where the
    rows allow (the roll-ups, the index order and the alarms' groups all read them)."""
    decoded = _decode(rows)
    if decoded is not None:
        return decoded
    return tuple(np.fromiter((row[k] for row in rows), dtype, len(rows))  # type: ignore[return-value]
                 for k, dtype in ((1, np.int64), (2, np.float64), (3, np.float64), (4, np.int64)))


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


def _typed_columns(rows: list, out: list, problems: dict[int, Bad]) -> list[np.ndarray]:
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
            except Bad as bad:
                problems[i] = bad
                continue
            for column, field in zip(columns, out[i][1:]):
                column[i] = field
    return columns


def _coerce_reading(row: object) -> tuple:
    """The row with the schema's types (the same tuple if it has them already), or Bad."""
    if not isinstance(row, (tuple, list)):
        raise Bad("malformed row", f"malformed row ({type(row).__name__}, expected a tuple of 5 fields)")
    if len(row) != 5:
        raise Bad("malformed row", f"malformed row ({len(row)} fields, expected 5)")
    seq, indicator_id, ts, value, quality = row
    typed = (as_int("seq", seq), as_int("indicator_id", indicator_id), as_float("ts", ts),
             as_float("value", value), as_int("quality", quality))
    return row if type(row) is tuple and tuple(map(type, row)) == _EXACT else typed


def _check_reading(row: tuple, bounds: _Bounds, lo: float, hi: float) -> None:
    """Raise Bad for a typed reading's first bad value: the rules the vectorised check applies."""
    _, indicator_id, ts, value, quality = row
    bounds.known(indicator_id)
    timestamp("ts", ts, lo, hi)
    bounds.check(indicator_id, value)
    if quality not in QUALITIES:
        raise Bad("quality out of range", f"quality {quality} is not 0, 1 or 2")


def _find_duplicates(indicator_id: np.ndarray, ts: np.ndarray, rows: list, problems: dict[int, Bad]) -> None:
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
        problems[int(idx[order[pos]])] = Bad(
            "duplicate", f"duplicate of seq {original} (same indicator and time)")
