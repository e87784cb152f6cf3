"""Reading a drill script's TOML document into a DrillScript, checked against the recording it is for.

Every problem is one DrillError naming the file, the key path and what was expected, as for
layouts (console/layout/parse.py); nothing is applied until the whole script has passed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import reprlib
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape

from console.incidents.lifecycle import ORDER
from console.model.vocab import EVENT_TO_STATUS, EVENTS, INCIDENT_KINDS
from console.replay.drill_model import (DRILL_ACTOR, CommsLoss, DrillError, DrillEvent, DrillIncident, DrillScript,
                                        Spike, Step, start_offset)
from console.replay.recording import Recording
from console.values import is_int, is_number

KINDS = ("incident", "spike", "comms_loss")
TOP_KEYS = ("title", "description", "events")
EVENT_KEYS = {
    "incident": ("at", "kind", "incident_kind", "severity", "title", "district", "lon", "lat", "actor", "note",
                 "steps"),
    "spike": ("at", "kind", "indicator", "value", "add", "duration", "ramp"),
    "comms_loss": ("at", "kind", "duration", "district", "category", "indicators"),
}
STEP_KEYS = ("after", "event", "actor", "note")
STEP_EVENTS = tuple(e for e in EVENTS if e != "opened")  # opening is the incident's own ``at``
TIME_FORMS = '"+00:12:00", "+12m", "+90s" or an ISO 8601 time with offset ("2026-05-28T19:30:00+03:00")'
SPAN_FORMS = '"00:05:00", "5m", "90s", "1h30m" or a number of seconds'
_HMS = re.compile(r"(\d{1,6}):([0-5]\d):([0-5]\d(?:\.\d{1,6})?)")
_UNITS = re.compile(r"(?:(\d{1,6}(?:\.\d{1,6})?)h)?(?:(\d{1,6}(?:\.\d{1,6})?)m)?(?:(\d{1,6}(?:\.\d{1,6})?)s)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def parse_drill(doc: dict, path: Path, recording: Recording) -> DrillScript:
    """The script in a parsed TOML document ``doc`` read from ``path``; raises DrillError (file, key, expectation)."""
    return _Parser(path, recording).script(doc)


def one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _key(key: str, name: str) -> str:
    """A key path one level down; odd key names are quoted as TOML quotes them, so a message stays one line."""
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)
    return f"{key}.{part}" if key else part


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


def _span_seconds(text: str) -> float | None:
    """ "+00:05:00", "5m", "1h30m", "90s" -> seconds; None when it is none of those."""
    text = text.removeprefix("+")
    found = _HMS.fullmatch(text)
    if found:
        return int(found[1]) * 3600.0 + int(found[2]) * 60.0 + float(found[3])
    found = _UNITS.fullmatch(text)
    if found and any(found.groups()):
        h, m, s = (float(g) if g else 0.0 for g in found.groups())
        return h * 3600.0 + m * 60.0 + s
    return None


def _close(word: str, choices: list[str], limit: int = 8) -> str:
    """Close matches of a misspelt name, or the first few choices when none is close."""
    near = difflib.get_close_matches(word, choices, n=5, cutoff=0.6)
    if near:
        return "close matches: " + ", ".join(near)
    shown = sorted(choices)[:limit]
    more = f", … ({len(choices)} in all)" if len(choices) > limit else ""
    return "known: " + (", ".join(shown) + more if shown else "none in this recording")


def _matches(code: str, pattern: str) -> bool:
    """As layouts select indicators: "drainage.*" is a prefix, anything else the whole code."""
    return code.startswith(pattern[:-1]) if pattern.endswith("*") else code == pattern


class _Parser:
    def __init__(self, path: Path, recording: Recording):
        self.path = path
        self.meta = recording.meta
        self.readings = recording.readings
        self.indicators = {str(r["code"]): r for r in recording.reference.get("indicators", [])}
        self.districts = {str(r["id"]): r for r in recording.reference.get("districts", [])}

    def fail(self, key: str, expected: str) -> DrillError:
        return DrillError(f"{self.path}: {key}: {expected}")

    def known(self, doc: dict, key: str, allowed: tuple[str, ...]) -> None:
        """Refuse the first key not in ``allowed``: a misspelt key must not be silently ignored."""
        for name in doc:
            if name not in allowed:
                raise self.fail(_key(key, name), f"unknown key (expected {', '.join(allowed)})")

    # -- the script --------------------------------------------------------------------------
    def script(self, doc: dict) -> DrillScript:
        self.known(doc, "", TOP_KEYS)
        title = self.text(doc, "", "title", required=True)
        description = doc.get("description", "")
        if not isinstance(description, str):
            raise self.fail("description", f"expected a string, got {type(description).__name__}")
        events = doc.get("events")
        if not isinstance(events, list) or not events:
            raise self.fail("events", "expected at least one [[events]] table (kind incident, spike or comms_loss)")
        return DrillScript(title, description, tuple(self.event(e, f"events[{i}]") for i, e in enumerate(events)),
                           self.path)

    def event(self, doc: Any, key: str) -> DrillEvent:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        kind = doc.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise self.fail(_key(key, "kind"), f"expected one of {', '.join(KINDS)}, got {reprlib.repr(kind)}")
        self.known(doc, key, EVENT_KEYS[kind])
        at = self.moment(doc.get("at"), _key(key, "at"))
        return {"incident": self.incident, "spike": self.spike, "comms_loss": self.comms_loss}[kind](doc, key, at)

    def incident(self, doc: dict, key: str, at: float) -> DrillIncident:
        kind = doc.get("incident_kind")
        if not isinstance(kind, str) or not _WORD.fullmatch(kind):
            raise self.fail(_key(key, "incident_kind"), f"expected one of {', '.join(INCIDENT_KINDS)} or another "
                                                        f"word (letters, digits, _), got {reprlib.repr(kind)}")
        severity = doc.get("severity")
        if not is_int(severity) or not 1 <= severity <= 4:
            raise self.fail(_key(key, "severity"), f"expected 1 (critical), 2 (major), 3 (moderate) or 4 (minor), "
                                                   f"got {reprlib.repr(severity)}")
        title = self.text(doc, key, "title", required=True)
        district, lon, lat = self.place(doc, key)
        actor = self.text(doc, key, "actor", default=DRILL_ACTOR)
        note = self.text(doc, key, "note", default=title)
        steps = doc.get("steps", [])
        if not isinstance(steps, list):
            raise self.fail(_key(key, "steps"), "expected a list of [[events.steps]] tables")
        parsed = [self.step(s, f"{_key(key, 'steps')}[{i}]", at) for i, s in enumerate(steps)]
        self.forward_only(parsed)
        return DrillIncident(at, kind, severity, title, district, lon, lat, actor, note,
                             tuple(step for step, _ in sorted(parsed, key=lambda p: p[0].ts)))

    def place(self, doc: dict, key: str) -> tuple[str | None, float, float]:
        """(district, lon, lat): a district alone is placed at its centre, a point alone in its district."""
        has_point = "lon" in doc or "lat" in doc
        district = self.district(doc["district"], _key(key, "district")) if "district" in doc else None
        if has_point:
            lon, lat = doc.get("lon"), doc.get("lat")
            if not is_number(lon) or not -180 <= lon <= 180:
                raise self.fail(_key(key, "lon"), f"expected a longitude, -180..180 degrees, got {reprlib.repr(lon)}")
            if not is_number(lat) or not -90 <= lat <= 90:
                raise self.fail(_key(key, "lat"), f"expected a latitude, -90..90 degrees, got {reprlib.repr(lat)}")
            return (district if district is not None else self.district_at(lon, lat)), float(lon), float(lat)
        if district is None:
            raise self.fail(_key(key, "district"), f"missing: expected a district ({_close('', list(self.districts))})"
                                                   " or lon and lat")
        centre = self.centre(district)
        if centre is None:
            raise self.fail(_key(key, "district"), f"district {district!r} has no usable boundary in the "
                                                   "recording: give lon and lat as well")
        return district, centre[0], centre[1]

    def district(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in self.districts:
            shown = value if isinstance(value, str) else ""
            raise self.fail(key, f"unknown district {reprlib.repr(value)} (expected a district id; "
                                 f"{_close(shown, list(self.districts))})")
        return value

    def _boundary(self, district: str):
        raw = self.districts[district].get("boundary")
        try:
            geom = shape(json.loads(raw) if isinstance(raw, str) else raw)
            return geom if geom.is_valid and not geom.is_empty else None
        except Exception:  # noqa: BLE001 (shapely and json raise many kinds; the recording's data, not the script's)
            return None

    def centre(self, district: str) -> tuple[float, float] | None:
        """The boundary's centroid, or a point inside it when the centroid falls outside (a crescent)."""
        geom = self._boundary(district)
        if geom is None:
            return None
        point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def district_at(self, lon: float, lat: float) -> str | None:
        for district in self.districts:
            geom = self._boundary(district)
            if geom is not None and geom.covers(Point(lon, lat)):
                return district
        return None

    def step(self, doc: Any, key: str, opened: float) -> tuple[Step, str]:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        self.known(doc, key, STEP_KEYS)
        if "after" not in doc:
            raise self.fail(_key(key, "after"), f"missing: expected the time after the incident opens ({SPAN_FORMS})")
        after = self.span(doc["after"], _key(key, "after"), allow_zero=True)
        ts = opened + after
        self.inside(ts, _key(key, "after"), reprlib.repr(doc["after"]))
        event = doc.get("event")
        if not isinstance(event, str) or event not in STEP_EVENTS:
            raise self.fail(_key(key, "event"), f"expected one of {', '.join(STEP_EVENTS)}, "
                                                f"got {reprlib.repr(event)}")
        return Step(ts, event, self.text(doc, key, "actor", default=DRILL_ACTOR),
                    self.text(doc, key, "note", default="")), key

    def forward_only(self, steps: list[tuple[Step, str]]) -> None:
        """Statuses only move forward (reported, dispatched, on scene, resolved, closed), each once."""
        reached, by = ORDER["reported"], "the opening"
        for step, step_key in sorted(steps, key=lambda p: p[0].ts):
            status = EVENT_TO_STATUS.get(step.event)
            if status is None:
                if reached == ORDER["closed"]:
                    raise self.fail(_key(step_key, "after"), f"expected a time before the incident closes "
                                                             f"(at {by}), not a {step.event} after it")
                continue
            if ORDER[status] <= reached:
                raise self.fail(_key(step_key, "event"), f"expected a status after the one reached by {by} "
                                                         f"(statuses only move forward, each once), got {step.event!r}")
            reached, by = ORDER[status], f"{step_key} ({step.event})"

    def spike(self, doc: dict, key: str, at: float) -> Spike:
        code, iid = self.indicator(doc.get("indicator"), _key(key, "indicator"))
        end = self.window_end(doc, key, at)
        has_value, has_add = "value" in doc, "add" in doc
        if has_value == has_add:
            raise self.fail(_key(key, "value"), "expected either value (the reading during the spike) or add "
                                                "(added to the readings), exactly one of them")
        name = "value" if has_value else "add"
        amount = doc[name]
        if not is_number(amount) or abs(amount) > 1e12:
            raise self.fail(_key(key, name), f"expected a number, got {reprlib.repr(amount)}")
        if has_add and not len(self.readings.of(iid)[0]):
            raise self.fail(_key(key, "add"), f"expected value instead: {code} has no readings in the recording "
                                              "to add to")
        ramp = self.span(doc["ramp"], _key(key, "ramp"), allow_zero=True) if "ramp" in doc else 0.0
        if 2 * ramp > end - at:
            raise self.fail(_key(key, "ramp"), f"expected at most half the duration ({(end - at) / 2:g} s): "
                                               f"the spike rises over ramp seconds and falls over as many")
        value, add = (float(amount), None) if has_value else (None, float(amount))
        return Spike(at, end, iid, code, value, add, ramp)

    def comms_loss(self, doc: dict, key: str, at: float) -> CommsLoss:
        end = self.window_end(doc, key, at)
        if not any(name in doc for name in ("district", "category", "indicators")):
            raise self.fail(key, "expected district, category and/or indicators: which indicators go silent")
        rows = list(self.indicators.values())
        what = []
        if "district" in doc:
            district = self.district(doc["district"], _key(key, "district"))
            rows = [r for r in rows if r.get("district_id") == district]
            what.append(district)
        if "category" in doc:
            categories = self.categories(doc["category"], _key(key, "category"))
            rows = [r for r in rows if r.get("category") in categories]
            what.append(", ".join(categories))
        if "indicators" in doc:
            patterns = self.patterns(doc["indicators"], _key(key, "indicators"))
            rows = [r for r in rows if any(_matches(str(r["code"]), p) for p in patterns)]
            what.append(", ".join(patterns))
        if not rows:
            raise self.fail(key, f"selects no indicator ({' · '.join(what)}): expected a selection the "
                                 "recording has indicators for")
        return CommsLoss(at, end, tuple(sorted(int(r["id"]) for r in rows)), " · ".join(what))

    def categories(self, value: Any, key: str) -> list[str]:
        known = sorted({str(r.get("category")) for r in self.indicators.values()})
        names = value if isinstance(value, list) else [value]
        if not names:
            raise self.fail(key, f"expected a category or a list of them ({', '.join(known)})")
        for i, name in enumerate(names):
            if not isinstance(name, str) or name not in known:
                where = f"{key}[{i}]" if isinstance(value, list) else key
                raise self.fail(where, f"unknown category {reprlib.repr(name)} (expected one of {', '.join(known)})")
        return names

    def patterns(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, 'expected a list of indicator codes ("drainage.*" prefixes allowed)')
        codes = list(self.indicators)
        for i, pattern in enumerate(value):
            if not isinstance(pattern, str) or not any(_matches(c, pattern) for c in codes):
                shown = pattern.rstrip("*") if isinstance(pattern, str) else ""
                raise self.fail(f"{key}[{i}]", f"unknown indicator {reprlib.repr(pattern)} (expected codes or "
                                               f'"prefix.*" patterns; {_close(shown, codes)})')
        return value

    def indicator(self, code: Any, key: str) -> tuple[str, int]:
        if not isinstance(code, str) or code not in self.indicators:
            shown = code if isinstance(code, str) else ""
            raise self.fail(key, f"unknown indicator {reprlib.repr(code)} (expected an indicator code; "
                                 f"{_close(shown, list(self.indicators))})")
        return code, int(self.indicators[code]["id"])

    # -- times -------------------------------------------------------------------------------
    def moment(self, value: Any, key: str) -> float:
        """``at``: an offset from the recording's start, or an absolute time with its UTC offset."""
        if value is None:
            raise self.fail(key, f"missing: expected {TIME_FORMS}")
        ts = None
        if isinstance(value, str) and value.startswith("+"):
            span = _span_seconds(value)
            ts = None if span is None else self.meta.start + span
        elif isinstance(value, str):
            try:
                value_dt: Any = dt.datetime.fromisoformat(value)
            except ValueError:
                value_dt = None
            ts = self.absolute(value_dt, key)
        elif isinstance(value, (dt.datetime, dt.date, dt.time)):
            ts = self.absolute(value, key)
        if ts is None:
            raise self.fail(key, f"expected {TIME_FORMS}, got {reprlib.repr(value)}")
        self.inside(ts, key, reprlib.repr(value))
        return ts

    def absolute(self, value: Any, key: str) -> float | None:
        if not isinstance(value, dt.datetime):
            return None
        if value.tzinfo is None:
            raise self.fail(key, f"expected a time with its UTC offset (\"{value.isoformat()}+03:00\" or "
                                 f"\"…Z\"), got {value.isoformat()!r} without one")
        try:
            return value.timestamp()
        except (OverflowError, ValueError, OSError):
            return None

    def inside(self, ts: float, key: str, shown: str) -> None:
        start, end = self.meta.start, self.meta.end
        if not start <= ts <= end:
            raise self.fail(key, f"expected a time within the recording, {_iso(start)} to {_iso(end)} "
                                 f"(+0:00:00 to {start_offset(end - start)}), got {shown} "
                                 f"({start_offset(ts - start) if math.isfinite(ts) else 'out of range'})")

    def span(self, value: Any, key: str, allow_zero: bool = False) -> float:
        seconds = float(value) if is_number(value) else _span_seconds(value) if isinstance(value, str) else None
        if seconds is None or not math.isfinite(seconds) or seconds < 0 or seconds == 0 and not allow_zero:
            least = "zero or more" if allow_zero else "more than zero"
            raise self.fail(key, f"expected a length of time, {least} ({SPAN_FORMS}), got {reprlib.repr(value)}")
        return seconds

    def window_end(self, doc: dict, key: str, at: float) -> float:
        if "duration" not in doc:
            raise self.fail(_key(key, "duration"), f"missing: expected how long it lasts ({SPAN_FORMS})")
        end = at + self.span(doc["duration"], _key(key, "duration"))
        if end > self.meta.end:
            raise self.fail(_key(key, "duration"), f"expected the window to end by the recording's end "
                                                   f"({start_offset(self.meta.end - self.meta.start)}), but it ends at "
                                                   f"{start_offset(end - self.meta.start)}")
        return end

    def text(self, doc: dict, key: str, name: str, required: bool = False, default: str = "") -> str:
        if name not in doc:
            if required:
                raise self.fail(_key(key, name), "missing: expected a one-line text")
            return default
        value = doc[name]
        if not isinstance(value, str) or not value.strip() or not value.isprintable() or len(value) > 500:
            raise self.fail(_key(key, name), f"expected a one-line text (at most 500 characters), "
                                             f"got {reprlib.repr(value)}")
        return value.strip()
