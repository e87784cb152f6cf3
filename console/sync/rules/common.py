"""What every rule shares: the rejection record, type coercion with reasons, and the quarantine's JSON."""

from __future__ import annotations

import json
import math
import numbers
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

#: Longest text field, in characters: notes are typed by people (a few KB); more is a broken
#: feed or an attack, and would bloat the cache and every view that shows the field.
MAX_TEXT = 64 * 1024
#: Oldest timestamp accepted, seconds before now: older is not this city's live data.
MAX_PAST_S = 20 * 365.25 * 86400
#: Newest timestamp accepted, seconds after now: a clock a day ahead is a broken clock.
MAX_FUTURE_S = 86400.0

INT64 = (-2**63, 2**63)  # what sqlite3 can bind
_QUOTED_CHARS, _QUOTED_ITEMS = 200, 50  # how much of a long string or list a quarantined row keeps


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
            text = json.dumps(jsonable(self.row, 0))
        except Exception:  # a mapping or str() that raises: keep the reason, lose the row
            text = json.dumps(f"<unreadable {type(self.row).__name__}>")
        return {"at": at, "stream": self.stream, "seq": int64_or_none(self.seq), "reason": self.reason,
                "row": text}


class Bad(Exception):
    """A row's first problem: ``kind`` groups it in the log, ``reason`` names the value."""

    def __init__(self, kind: str, reason: str | None = None):
        super().__init__(reason or kind)
        self.kind, self.reason = kind, reason or kind


def as_int(name: str, x: object) -> int:
    """An int of any integer sqlite3 can bind (numpy's too), or Bad."""
    if type(x) is int:
        value = x
    elif x is None:
        raise Bad(f"{name} is missing")
    elif isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise Bad(f"{name} is not an integer", f"{name} is not an integer ({show(x)})")
    else:
        value = int(x)
    if not INT64[0] <= value < INT64[1]:
        raise Bad(f"{name} out of range", f"{name} {show(value)} is out of range")
    return value


def as_float(name: str, x: object) -> float:
    """A float of any real number (NaN and inf included: the caller decides), or Bad."""
    if type(x) is float:
        return x
    if x is None:
        raise Bad(f"{name} is missing")
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Decimal)):
        raise Bad(f"{name} is not a number", f"{name} is not a number ({show(x)})")
    try:
        return float(x)
    except OverflowError:  # an int or Fraction beyond float
        return math.inf
    except ValueError:  # Decimal('sNaN')
        return math.nan


def finite(name: str, x: float) -> float:
    if math.isnan(x):
        raise Bad(f"{name} is NaN")
    if math.isinf(x):
        raise Bad(f"{name} is infinite")
    return x


def timestamp(name: str, ts: float, lo: float, hi: float) -> float:
    label = "timestamp" if name == "ts" else name
    finite(label, ts)
    if ts > hi:
        raise Bad(f"{label} in the future", f"{label} {iso(ts)} is in the future")
    if ts < lo:
        raise Bad(f"{label} too old", f"{label} {iso(ts)} is before {iso(lo)}")
    return ts


def rejected(stream: str, row: object, bad: Bad) -> Rejected:
    """``row`` set aside, under its cursor value (seq; rev for incidents) where it has a usable one."""
    seq = None
    try:
        if isinstance(row, Mapping):
            seq = row.get("rev" if stream == "incidents" else "seq")
        elif isinstance(row, (tuple, list)) and row:
            seq = row[0]
    except Exception:  # a mapping that raises
        pass
    return Rejected(stream, int64_or_none(seq), bad.reason, row, bad.kind)


def int64_or_none(x: object) -> int | None:
    """``x`` if it is an int the quarantine table's seq column can hold."""
    return int(x) if isinstance(x, int) and not isinstance(x, bool) and INT64[0] <= x < INT64[1] else None


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


def jsonable(x: object, depth: int) -> object:
    """``x`` as JSON-ready data, long strings and containers cut short; raises only if ``x`` does."""
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, int):
        return int(x) if INT64[0] <= x < INT64[1] else f"<int of {x.bit_length()} bits>"
    if isinstance(x, float):
        return float(x) if math.isfinite(x) else str(float(x))
    if isinstance(x, str):
        return x if len(x) <= _QUOTED_CHARS else f"{x[:_QUOTED_CHARS]}… ({size(len(x))})"
    if isinstance(x, (Mapping, list, tuple)) and depth >= 8:
        return "…"
    if isinstance(x, Mapping):
        items = [(jsonable(str(k), depth), jsonable(v, depth + 1)) for k, v in list(x.items())[:_QUOTED_ITEMS]]
        return dict(items + ([("…", f"{len(x)} items")] if len(x) > _QUOTED_ITEMS else []))
    if isinstance(x, (list, tuple)):
        cut = [jsonable(v, depth + 1) for v in x[:_QUOTED_ITEMS]]
        return cut + ([f"… ({len(x)} items)"] if len(x) > _QUOTED_ITEMS else [])
    return jsonable(str(x), depth)


def show(x: object) -> str:
    """A short repr of a value for a reason text."""
    try:
        text = repr(x[:41] if isinstance(x, (str, bytes)) else x)
    except Exception:  # a repr that raises, an int too long to print
        text = f"<{type(x).__name__}>"
    return text if len(text) <= 40 else text[:39] + "…"


def size(chars: int) -> str:
    """A text's size for people (a character counted as a byte, as in the limit)."""
    if chars < 1024:
        return f"{chars} B"
    return f"{chars / 1024:.1f} KB" if chars < 1024 * 1024 else f"{chars / 1024 / 1024:.1f} MB"


def iso(ts: float) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # beyond the calendar
        return repr(ts)
