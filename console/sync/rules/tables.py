"""One set of rules per platform table, reference data and streams alike.

Every column gets its schema's type (ints and floats sqlite3 can bind, text where text belongs,
NOT NULL kept), then the rule its meaning asks for: identifiers free of invisible characters
and bounded, display text cleaned (console/text.py), numbers finite and in plausible ranges,
coordinates on Earth, geometry valid or repaired (rules/geometry.py). A few rules span a row
(an indicator's thresholds in order). Rows that pass come back normalised, the same dict where
nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache

from sqlalchemy import Float, Integer

from console.cap.model import Invalid, from_json
from console.model.schema import P, REFERENCE_TABLES
from console.sync.rules import geometry
from console.sync.rules.common import (MAX_FUTURE_S, MAX_PAST_S, MAX_TEXT, Bad, Rejected, as_float, as_int,
                                       finite, rejected, show, size, timestamp)
from console.text import MAX_LABEL, clean, unsafe

#: Longest identifier (ids, codes, kinds, statuses): keys are short; more is a broken feed.
MAX_KEY = 256
#: Longest unit of measure: it is painted beside every value on a tile.
MAX_UNIT = 24
#: Most steps in an emergency plan, and the longest step.
MAX_STEPS, MAX_STEP = 100, 2000

_TIMESTAMPS = ("ts", "opened_at", "updated_at")
#: Columns that name things: a key is compared, never cleaned, so a bad one rejects the row.
_KEYS = frozenset({"id", "code", "kind", "layer", "category", "status", "event", "bad", "incident_kind",
                   "district_id", "incident_id", "unit_id", "console_id", "target_id"})
_NON_EMPTY = frozenset({"id", "code", "incident_id", "unit_id"})
#: Single-line display text, cleaned and cut to MAX_LABEL (the unit to MAX_UNIT).
_LABELS = {"name": MAX_LABEL, "name_zh": MAX_LABEL, "title": MAX_LABEL, "callsign": MAX_LABEL, "actor": MAX_LABEL,
           "use": MAX_LABEL, "unit": MAX_UNIT}
#: Numbers with a plausible range, (table or None for any, column) -> (low, high), inclusive.
_RANGES: dict[tuple[str | None, str], tuple[float, float]] = {
    (None, "lon"): (-180, 180), (None, "lat"): (-90, 90), (None, "severity"): (1, 4),
    ("indicators", "interval_s"): (0.01, 30 * 86400), ("indicators", "decimals"): (0, 6),
    ("buildings", "height"): (0, 1000), ("buildings", "levels"): (0, 300), ("buildings", "year"): (-5000, 2200),
}
THRESHOLDS = ("alarm_low", "warn_low", "warn_high", "alarm_high")  # in the order they must be
BAD_SIDES = ("high", "low", "both")


#: GeoJSON columns, checked a whole batch at a time, and the geometry types each holds.
_SHAPES = {("districts", "boundary"): geometry.AREAS, ("buildings", "footprint"): geometry.AREAS,
           ("map_features", "geometry"): geometry.SHAPES}


def _text(table: str, name: str, x: str) -> str:
    """A text column's value by what it means; Bad when it cannot be used."""
    if name == "model" and table == "buildings":
        return geometry.cityjson(name, x)
    if len(x) > MAX_TEXT:
        raise Bad(f"{name} too long", f"{name} is {size(len(x))} (limit {MAX_TEXT // 1024} KB)")
    if name == "steps" and table == "plans":
        return _steps(x)
    if name in _KEYS:
        return _key(name, x)
    if name in _LABELS:
        return clean(x, limit=_LABELS[name])
    if name == "note":
        return clean(x, multiline=True, limit=None)
    if not geometry.storable(x):  # a lone surrogate: no cache (nor PostgreSQL) can store it
        raise Bad(f"{name} is not text", f"{name} holds a character that cannot be stored")
    return x


def _key(name: str, x: str) -> str:
    if len(x) > MAX_KEY:
        raise Bad(f"{name} too long", f"{name} is {len(x):,} characters (limit {MAX_KEY})")
    if not x and name in _NON_EMPTY:
        raise Bad(f"{name} is empty")
    bad = unsafe(x)
    if bad is not None:
        raise Bad(f"{name} holds an invisible character", f"{name} {show(x)} holds {bad}, an invisible character")
    return x


def _steps(x: str) -> str:
    """A plan's steps: a JSON list of at most MAX_STEPS strings, each cleaned and cut to MAX_STEP."""
    try:
        steps = json.loads(x)
    except (ValueError, RecursionError):
        raise Bad("steps is not JSON") from None
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise Bad("steps is not a list of text")
    if len(steps) > MAX_STEPS:
        raise Bad("steps too many", f"steps has {len(steps)} steps (limit {MAX_STEPS})")
    cleaned = [clean(s, limit=MAX_STEP) for s in steps]
    return x if cleaned == steps else json.dumps(cleaned, ensure_ascii=False)


def _indicator(row: dict) -> None:
    """An indicator's thresholds in order, and which way is bad, or Bad: NaN limits never mean "no limit"."""
    if row["bad"] not in BAD_SIDES:
        raise Bad("bad is not high, low or both", f"bad {show(row['bad'])} is not high, low or both")
    given = [(k, row[k]) for k in THRESHOLDS if row.get(k) is not None]
    for (a, x), (b, y) in zip(given, given[1:]):
        if x > y:
            raise Bad("thresholds out of order", f"{a} {x:g} is above {b} {y:g}")


def _warning(row: dict) -> None:
    """A warning's alert readable by the model (console/cap/model.py) and its chain a list of text."""
    try:
        from_json(row["alert"])
    except Invalid as exc:
        raise Bad("alert unreadable", f"alert: {exc}") from None
    try:
        chain = json.loads(row["chain"])
    except (ValueError, RecursionError):
        raise Bad("chain is not JSON") from None
    if not isinstance(chain, list) or not all(isinstance(c, str) for c in chain):
        raise Bad("chain is not a list of text")


#: Rules that span a row, per table, run once every column has passed.
_ROW_RULES: dict[str, Callable[[dict], None]] = {"indicators": _indicator, "warnings": _warning}


def check_rows(stream: str, rows: list, now: float) -> tuple[list[dict], list[Rejected]]:
    """Split rows of any platform table but readings by its rules: the good (normalised) and the rejected."""
    lo, hi = now - MAX_PAST_S, now + MAX_FUTURE_S
    shapes = {name: geometry.geojson_many(name, [r.get(name) if isinstance(r, Mapping) else None for r in rows], kinds)
              for (t, name), kinds in _SHAPES.items() if t == stream}
    good, bad_rows = [], []
    for i, row in enumerate(rows):
        try:
            good.append(_check_row(stream, row, lo, hi, {name: verdicts[i] for name, verdicts in shapes.items()}))
        except Bad as bad:
            bad_rows.append(rejected(stream, row, bad))
    return good, bad_rows


def check_reference(reference: Mapping[str, list], now: float) -> tuple[dict[str, list[dict]], list[Rejected]]:
    """Every reference table's rows by its rules; a second row with an id already seen is rejected too."""
    out: dict[str, list[dict]] = {}
    bad_rows: list[Rejected] = []
    for name in REFERENCE_TABLES:
        good, bad = check_rows(name, list(reference.get(name) or ()), now)
        seen: set = set()
        out[name] = []
        for row in good:
            key = row["id"], (row["code"] if name == "indicators" else None)
            if key[0] in seen or (key[1] is not None and key[1] in seen):
                bad.append(rejected(name, row, Bad("duplicate id", f"a second row with id or code {show(key[0])}")))
                continue
            seen.update(k for k in key if k is not None)
            out[name].append(row)
        bad_rows += bad
    return out, bad_rows


@cache
def _columns(table: str) -> tuple[tuple[str, str, bool, tuple[float, float] | None], ...]:
    """Each column's name, what it holds (int, time, float or text), whether it may be NULL, its range."""
    out = []
    for column in P[table].columns:
        name = column.name
        kind = ("int" if isinstance(column.type, Integer) else "text" if not isinstance(column.type, Float)
                else "time" if name in _TIMESTAMPS else "float")
        limits = None if kind == "text" else _RANGES.get((table, name)) or _RANGES.get((None, name))  # numbers only
        out.append((name, kind, bool(column.nullable), limits))
    return tuple(out)


def _check_row(table: str, row: object, lo: float, hi: float, shapes: dict[str, str | Bad | None]) -> dict:
    """The row with the schema's types and its rules applied (the same dict if nothing changed), or Bad.

    ``shapes`` holds the verdicts on its geometry columns, reached for the whole batch at once."""
    if not isinstance(row, Mapping):
        raise Bad("malformed row", f"malformed row ({type(row).__name__}, expected a mapping)")
    changed = {}
    for name, kind, nullable, limits in _columns(table):
        x = row.get(name)
        if x is None:
            if nullable:
                continue
            raise Bad(f"{name} is missing")
        value: int | float | str
        if kind == "int":
            value = as_int(name, x)
        elif kind != "text":
            value = as_float(name, x)
            value = timestamp(name, value, lo, hi) if kind == "time" else finite(name, value)
        elif not isinstance(x, str):
            raise Bad(f"{name} is not text", f"{name} is not text ({show(x)})")
        elif name in shapes:
            verdict = shapes[name]
            if isinstance(verdict, Bad):
                raise verdict
            value = verdict
        else:
            value = _text(table, name, x)
        if limits is not None and not limits[0] <= value <= limits[1]:
            raise Bad(f"{name} out of range", f"{name} {show(value)} is not between {limits[0]:g} and {limits[1]:g}")
        if value is not x and (type(value) is not type(x) or value != x):
            changed[name] = value
    row = {**row, **changed} if changed else row
    check = _ROW_RULES.get(table)
    if check is not None:
        check(row)
    return row
