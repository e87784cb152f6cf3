"""Drills: a trainer's script of events (an incident, a sensor spike, a comms loss) played into a replay.

A drill script is a TOML file (examples in resources/drills/):

    title = "Kamppi underpass flooding"
    description = "What the trainees should notice."   # optional
    [[events]]
    at = "+00:10:00"            # from the recording's start ("+12m", "+90s", "+1h30m"), or an
                                # ISO 8601 time with offset ("2026-05-28T19:30:00+03:00")
    kind = "incident"           # incident | spike | comms_loss
    ...

The script is checked whole against the recording it is played into (times inside it, indicator
codes and districts it knows) before anything is applied; every problem is one line naming the
file, the key path and what was expected, as for layouts (console/layout/parse.py).
``apply_drill`` then returns a new Recording with the drill in it and leaves the one it was given
untouched. Nothing here writes anywhere: drill data exists only in the replaying process, so it
can never reach the cache or the platform.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import math
import re
import reprlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np
from shapely.geometry import Point, shape

from console.cache.rollups import RESOLUTIONS
from console.errors import UserError
from console.incidents.lifecycle import ORDER
from console.model.vocab import EVENT_TO_STATUS, EVENTS, INCIDENT_KINDS, QUALITY_GOOD
from console.replay.recording import ROLLUP_DTYPE, Readings, Recording
from resources import resource_path

DRILL_DIR = resource_path("drills")
#: What marks drill data wherever a title is shown (incident rows, timeline marks).
DRILL_PREFIX = "DRILL: "
DRILL_ACTOR = "drill"  # who drill events come from when the script names nobody
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


class DrillError(UserError):
    """A drill script that cannot be played; the message says where and why."""


@dataclass(frozen=True)
class Step:
    """A later event of a drill incident: dispatched, on scene, escalated, a comment..."""

    ts: float
    event: str
    actor: str
    note: str


@dataclass(frozen=True)
class DrillIncident:
    at: float
    incident_kind: str
    severity: int  # 1 critical .. 4 minor
    title: str  # as the script gives it, without DRILL_PREFIX
    district_id: str | None
    lon: float
    lat: float
    actor: str  # who reported it (the "opened" event's actor)
    note: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Spike:
    """An indicator's readings set to ``value`` (or offset by ``add``) over [at, end), ramping up
    and down over ``ramp`` seconds at either end."""

    at: float
    end: float
    indicator_id: int
    code: str
    value: float | None
    add: float | None
    ramp: float


@dataclass(frozen=True)
class CommsLoss:
    """Indicators that report nothing over [at, end): a cut link, a dead field cabinet."""

    at: float
    end: float
    indicator_ids: tuple[int, ...]
    what: str  # which ones, in words, for the timeline's mark


DrillEvent = Union[DrillIncident, Spike, CommsLoss]


@dataclass(frozen=True)
class DrillScript:
    title: str
    description: str
    events: tuple[DrillEvent, ...]  # in the script's order
    source: Path


def resolve_drill(name_or_path: str | Path) -> Path:
    """A shipped drill by name ("kamppi-flood") or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        return candidate
    return DRILL_DIR / f"{name_or_path}.toml"


def shipped_drills() -> list[str]:
    return sorted(p.stem for p in DRILL_DIR.glob("*.toml"))


def load_drill(path: str | Path, recording: Recording) -> DrillScript:
    """Read a drill script and check it against ``recording``; raises DrillError (file, key, expectation)."""
    path = resolve_drill(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DrillError(f"drill script {path} does not exist "
                         f"(shipped drills: {', '.join(shipped_drills()) or 'none'})") from None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the path
        raise DrillError(f"{path}: cannot be read as UTF-8 text: {_one_line(exc)}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DrillError(f"{path}: not valid TOML: {_one_line(exc)}") from None
    except RecursionError:
        raise DrillError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    return _Parser(path, recording).script(doc)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _key(key: str, name: str) -> str:
    """A key path one level down; odd key names are quoted as TOML quotes them, so a message stays one line."""
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)
    return f"{key}.{part}" if key else part


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _offset(seconds: float) -> str:
    """Seconds from the recording's start as "+1:05:00"."""
    whole = int(round(seconds))
    return f"{'-' if whole < 0 else '+'}{abs(whole) // 3600}:{abs(whole) % 3600 // 60:02d}:{abs(whole) % 60:02d}"


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
        if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 4:
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
            if not _is_number(lon) or not -180 <= lon <= 180:
                raise self.fail(_key(key, "lon"), f"expected a longitude, -180..180 degrees, got {reprlib.repr(lon)}")
            if not _is_number(lat) or not -90 <= lat <= 90:
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
        if not _is_number(amount) or abs(amount) > 1e12:
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
                                 f"(+0:00:00 to {_offset(end - start)}), got {shown} "
                                 f"({_offset(ts - start) if math.isfinite(ts) else 'out of range'})")

    def span(self, value: Any, key: str, allow_zero: bool = False) -> float:
        seconds = float(value) if _is_number(value) else _span_seconds(value) if isinstance(value, str) else None
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
                                                   f"({_offset(self.meta.end - self.meta.start)}), but it ends at "
                                                   f"{_offset(end - self.meta.start)}")
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


# -- applying a drill ------------------------------------------------------------------------
def apply_drill(recording: Recording, script: DrillScript) -> Recording:
    """A new Recording with the drill's incidents, spikes and comms losses in it.

    ``recording`` and its arrays are left as they were; only what changes is copied. Spikes are
    applied first, then comms losses: a silent link carries no reading, spike or not.
    """
    if recording.drill_title is not None:
        raise ValueError(f"a drill ({recording.drill_title!r}) is already applied to this recording")
    readings, changed = _readings(recording, script)
    windows = {iid: list(spans) for iid, spans in recording.drill_windows.items()}
    for iid, spans in changed.items():
        windows.setdefault(iid, []).extend(spans)
    incidents, events = _incidents(recording, script)
    return dataclasses.replace(
        recording, readings=readings,
        rollups=_rollups(recording.rollups, readings, changed) if changed else recording.rollups,
        incidents=recording.incidents + incidents if incidents else recording.incidents,
        incident_events=recording.incident_events + events if events else recording.incident_events,
        drill_windows=windows, drill_title=script.title)


def drill_marks(script: DrillScript, recording: Recording) -> list[tuple[float, str]]:
    """(time, label) for each drill event, oldest first: what the timeline marks."""
    units = {int(r["id"]): str(r.get("unit", "")) for r in recording.reference.get("indicators", [])}
    marks = []
    for ev in script.events:
        if isinstance(ev, DrillIncident):
            label = ev.title
        elif isinstance(ev, Spike):
            amount = f"→ {ev.value:g}" if ev.value is not None else f"{ev.add:+g}"
            label = f"spike {ev.code} {amount} {units.get(ev.indicator_id, '')}".rstrip() + \
                f" for {_offset(ev.end - ev.at)[1:]}"
        else:
            label = f"comms loss, {ev.what}, for {_offset(ev.end - ev.at)[1:]}"
        marks.append((ev.at, DRILL_PREFIX + label))
    return sorted(marks, key=lambda m: m[0])


def _readings(recording: Recording, script: DrillScript) -> tuple[Readings, dict[int, list[tuple[float, float]]]]:
    """The readings with spikes and comms losses applied, and the windows changed per indicator."""
    rows = {int(r["id"]): r for r in recording.reference.get("indicators", [])}
    new: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    changed: dict[int, list[tuple[float, float]]] = {}

    def current(iid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return new[iid] if iid in new else recording.readings.of(iid)

    for ev in script.events:
        if isinstance(ev, Spike):
            row = rows.get(ev.indicator_id, {})
            new[ev.indicator_id] = _spike(*current(ev.indicator_id), ev, row.get("interval_s"), row.get("decimals"))
            changed.setdefault(ev.indicator_id, []).append((ev.at, ev.end))
    for ev in script.events:
        if isinstance(ev, CommsLoss):
            for iid in ev.indicator_ids:
                ts, value, quality = current(iid)
                keep = (ts < ev.at) | (ts >= ev.end)
                new[iid] = (ts[keep], value[keep], quality[keep])
                changed.setdefault(iid, []).append((ev.at, ev.end))
    if not new:
        return recording.readings, changed
    return _replaced(recording.readings, new), changed


def _spike(ts: np.ndarray, value: np.ndarray, quality: np.ndarray, spike: Spike, interval: Any,
           decimals: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One indicator's readings with the spike: existing readings in the window changed, and readings
    added on the indicator's interval where it has none (a gap, or no readings at all)."""
    step = float(interval) if _is_number(interval) and interval > 0 else 60.0
    grid = np.arange(spike.at, spike.end, step)
    inside = ts[(ts >= spike.at) & (ts < spike.end)]
    if len(inside):
        at = np.searchsorted(inside, grid)
        nearest = np.minimum(np.abs(grid - inside[np.clip(at - 1, 0, len(inside) - 1)]),
                             np.abs(inside[np.clip(at, 0, len(inside) - 1)] - grid))
        grid = grid[nearest >= step]  # only real gaps: never crowd the sensor's own readings
    base = np.interp(grid, ts, value) if len(ts) else np.full(len(grid), spike.value or 0.0)
    order = np.argsort(np.concatenate([ts, grid]), kind="stable")
    ts2 = np.concatenate([ts, grid])[order]
    value2 = np.concatenate([value, base])[order]
    quality2 = np.concatenate([quality, np.full(len(grid), QUALITY_GOOD, np.int8)])[order]
    mask = (ts2 >= spike.at) & (ts2 < spike.end)
    t = ts2[mask]
    shape_ = (np.clip(np.minimum(t - spike.at, spike.end - t) / spike.ramp, 0.0, 1.0) if spike.ramp > 0
              else np.ones(len(t)))
    was = value2[mask]
    spiked = was + shape_ * (spike.value - was) if spike.value is not None else was + shape_ * spike.add
    if isinstance(decimals, int) and not isinstance(decimals, bool) and 0 <= decimals <= 12:
        spiked = np.round(spiked, decimals)
    value2[mask] = spiked
    quality2[mask] = QUALITY_GOOD  # the drill's sensor reads fine: the alarm rules must see it
    return ts2, value2, quality2


def _replaced(readings: Readings, new: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Readings:
    """New columns: the unchanged indicators' stretches copied as they are, the changed ones replaced."""
    parts: list[tuple[np.ndarray, ...]] = []
    pos = 0
    for iid in sorted(new):
        key = np.int32(iid)  # a Python int would make NumPy cast the whole column to int64 for each search
        lo = int(np.searchsorted(readings.indicator_id, key, "left"))
        hi = int(np.searchsorted(readings.indicator_id, key, "right"))
        parts.append((readings.indicator_id[pos:lo], readings.ts[pos:lo], readings.value[pos:lo],
                      readings.quality[pos:lo]))
        ts, value, quality = new[iid]
        parts.append((np.full(len(ts), iid, np.int32), ts, value, quality))
        pos = hi
    parts.append((readings.indicator_id[pos:], readings.ts[pos:], readings.value[pos:], readings.quality[pos:]))
    return Readings(*(np.concatenate([p[c] for p in parts]) for c in range(4)))


def _rollups(rollups: dict[str, np.ndarray], readings: Readings,
             changed: dict[int, list[tuple[float, float]]]) -> dict[str, np.ndarray]:
    """Roll-ups with the buckets the drill touched recomputed from the new readings (charts of
    minutes and hours show the spike and the gap too); other buckets stay as recorded."""
    out = dict(rollups)
    for name, table in rollups.items():
        width = RESOLUTIONS.get(name)
        if width is None or not len(table):
            continue
        drop = np.zeros(len(table), dtype=bool)
        fresh = []
        for iid, spans in changed.items():
            buckets = np.unique(np.concatenate([np.arange(math.floor(t0 / width) * width, t1, width)
                                                for t0, t1 in spans]))
            drop |= (table["indicator_id"] == iid) & np.isin(table["bucket"], buckets)
            ts, value, _ = readings.of(iid)
            of = np.floor(ts / width) * width
            hit = np.isin(of, buckets)
            if not hit.any():
                continue
            keys, first = np.unique(of[hit], return_index=True)
            vals = value[hit]
            rows = np.zeros(len(keys), dtype=ROLLUP_DTYPE)
            rows["indicator_id"], rows["bucket"] = iid, keys
            rows["n"] = np.diff(np.append(first, len(vals)))
            rows["vmin"] = np.minimum.reduceat(vals, first)
            rows["vmax"] = np.maximum.reduceat(vals, first)
            rows["vsum"] = np.add.reduceat(vals, first)
            fresh.append(rows)
        merged = np.concatenate([table[~drop], *fresh]).astype(ROLLUP_DTYPE)
        out[name] = merged[np.lexsort((merged["bucket"], merged["indicator_id"]))]
    return out


def _incidents(recording: Recording, script: DrillScript) -> tuple[list[dict], list[dict]]:
    """Rows ("drill-1", …) as at the recording's end, and their events; sequence numbers go above the
    recording's, in time order, so they never collide and each incident's rev grows with time."""
    found = [ev for ev in script.events if isinstance(ev, DrillIncident)]
    if not found:
        return [], []
    timed = []
    for n, inc in enumerate(found, 1):
        timed.append((inc.at, n, 0, f"drill-{n}", "opened", inc.actor, inc.note))
        timed += [(s.ts, n, k, f"drill-{n}", s.event, s.actor, s.note) for k, s in enumerate(inc.steps, 1)]
    top = max((int(e["seq"]) for e in recording.incident_events if e.get("seq") is not None), default=0)
    events = [{"seq": top + k, "incident_id": iid, "ts": ts, "event": event, "actor": actor, "note": note,
               "drill": True}
              for k, (ts, _, _, iid, event, actor, note) in enumerate(sorted(timed), 1)]
    rows = []
    for n, inc in enumerate(found, 1):
        own = [e for e in events if e["incident_id"] == f"drill-{n}"]
        statuses = [EVENT_TO_STATUS[e["event"]] for e in own if e["event"] in EVENT_TO_STATUS]
        rows.append({"id": f"drill-{n}", "kind": inc.incident_kind, "severity": inc.severity,
                     "status": max(statuses, key=ORDER.__getitem__), "district_id": inc.district_id,
                     "lon": inc.lon, "lat": inc.lat, "title": DRILL_PREFIX + inc.title, "opened_at": inc.at,
                     "updated_at": own[-1]["ts"], "rev": own[-1]["seq"], "drill": True})
    return rows, events
