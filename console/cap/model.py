"""One model of a public warning (an OASIS CAP 1.2 alert), for the warnings that come in and go out.

A warning arrives from outside (``cityops import warnings``, a polled CAP feed) or is issued
here (a supervisor drafts it, a second approves it); either way it is an ``Alert``: the CAP
header (identifier, sender, sent, status, msgType, references) and one ``Info`` block per
language (event, severity, urgency, certainty, headline, description, instruction, onset,
expires, and the ``Area``\\ s it covers: polygons, circles, a description; an area issued here
names a city district by id instead of copying its outline).

On the platform a warning is a row of the ``warnings`` table (the latest alert of its chain as
JSON, ``to_json``) and an information-class incident of kind ``warning`` (no SLA, no dispatch),
both with the same id; updates and cancellations, found by their ``references``, change that
row and that incident. The console reads the rows back as reference data (``from_json``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

from console.cap.times import cap_time

#: CAP's words, in the order of the schema's enumerations (most to least).
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel")  # Ack and Error answer other messages: nothing to show
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
              "CBRNE", "Other")
#: CAP severity -> the incident model's severity (1 critical .. 4 minor).
INCIDENT_SEVERITY = {"Extreme": 1, "Severe": 2, "Moderate": 3, "Minor": 4, "Unknown": 4}
#: The incident kind of every warning: outside the city's own incident kinds, so information (no SLA).
INCIDENT_KIND = "warning"
#: A geocode naming one of the platform's districts (an area issued here).
DISTRICT_CODE = "cityops:district"
MAX_AREAS, MAX_POINTS, MAX_INFOS = 100, 20_000, 10


class Invalid(ValueError):
    """An alert the model cannot hold: the message names the first problem, in one line."""


@dataclass(frozen=True)
class Area:
    desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()  # rings of (lon, lat), closed
    circles: tuple[tuple[float, float, float], ...] = ()  # (lon, lat, radius km)
    district: str | None = None  # a platform district whose boundary is the area (issued here)


@dataclass(frozen=True)
class Info:
    language: str
    event: str
    severity: str
    urgency: str
    certainty: str
    categories: tuple[str, ...] = ("Met",)
    headline: str = ""
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    onset: float | None = None  # UTC epoch seconds
    expires: float | None = None
    areas: tuple[Area, ...] = ()


@dataclass(frozen=True)
class Alert:
    identifier: str
    sender: str
    sent: float  # UTC epoch seconds
    status: str
    msg_type: str
    infos: tuple[Info, ...]
    references: tuple[str, ...] = ()  # "sender,identifier,sent" of earlier messages, as CAP writes them
    scope: str = "Public"
    note: str = ""
    sent_text: str = ""  # sent as the sender wrote it (a reference names it so); "" for ours

    @property
    def ref(self) -> str:
        """How a later message's ``references`` names this one."""
        return f"{self.sender},{self.identifier},{self.sent_text or cap_time(self.sent)}"

    def info(self, lang: str = "en") -> Info:
        """The info block in ``lang`` (``zh`` matches ``zh-CN``), else the first."""
        for i in self.infos:
            if i.language.lower().split("-")[0] == lang:
                return i
        return self.infos[0]

    @property
    def expires(self) -> float | None:
        """The latest expiry of its info blocks (None: no block says when it ends)."""
        times = [i.expires for i in self.infos]
        return None if any(t is None for t in times) else max(times)  # type: ignore[type-var]

    @property
    def onset(self) -> float | None:
        times = [i.onset for i in self.infos if i.onset is not None]
        return min(times) if times else None

    def areas(self) -> tuple[Area, ...]:
        """Every area of its blocks once (blocks in several languages usually repeat them)."""
        seen: dict[tuple, Area] = {}
        for i in self.infos:
            for a in i.areas:
                seen.setdefault((a.polygons, a.circles, a.district), a)
        return tuple(seen.values())

    def in_force(self, now: float) -> bool:
        """An actual or exercise alert not cancelled and not expired at ``now``."""
        expires = self.expires
        return self.msg_type != "Cancel" and self.status in ("Actual", "Exercise") and (
            expires is None or expires > now)


def incident_severity(alert: Alert) -> int:
    return min(INCIDENT_SEVERITY[i.severity] for i in alert.infos)


def incident_id(alert: Alert) -> str:
    """The id of the incident a chain's first alert opens: stable, bounded, free of odd characters."""
    digest = hashlib.sha256(f"{alert.sender}\n{alert.identifier}".encode()).hexdigest()[:16]
    readable = "".join(c if c.isalnum() or c in "-._" else "-" for c in alert.identifier)[:60]
    return f"cap:{readable}:{digest}"


# -- JSON, as the platform's warnings.alert column holds it --------------------------------------
def to_json(alert: Alert) -> str:
    return json.dumps(asdict(alert), ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> Alert:
    """The alert a warnings row holds, checked as strictly as a CAP file (Invalid when it is not)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid("alert is not JSON") from None
    if not isinstance(doc, dict):
        raise Invalid("alert is not a JSON object")
    try:
        infos = tuple(_info(i) for i in _list(doc, "infos", dict))
        alert = Alert(identifier=_str(doc, "identifier"), sender=_str(doc, "sender"), sent=_time(doc["sent"]),
                      status=_str(doc, "status"), msg_type=_str(doc, "msgType" if "msgType" in doc else "msg_type"),
                      infos=infos, references=tuple(_list(doc, "references", str)),
                      scope=_str(doc, "scope", "Public"), note=_str(doc, "note", ""),
                      sent_text=_str(doc, "sent_text", ""))
    except (KeyError, TypeError) as exc:
        raise Invalid(f"alert lacks {exc}") from None
    return check(alert)


def _str(doc: dict, key: str, default: str | None = None) -> str:
    x = doc.get(key, default)
    if not isinstance(x, str):
        raise Invalid(f"{key} is not text")
    return x


def _list(doc: dict, key: str, kind: type) -> list:
    x = doc.get(key, [])
    if not isinstance(x, list) or not all(isinstance(v, kind) for v in x):
        raise Invalid(f"{key} is not a list")
    return x


def _time(x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise Invalid(f"time {str(x)[:40]!r} is not a finite number")
    return float(x)


def _opt_time(x: object) -> float | None:
    return None if x is None else _time(x)


def _point(p: object) -> tuple[float, float]:
    if not isinstance(p, list) or len(p) != 2:
        raise Invalid("a point is not [lon, lat]")
    return _time(p[0]), _time(p[1])


def _area(doc: dict) -> Area:
    polygons = tuple(tuple(_point(p) for p in ring) for ring in _list(doc, "polygons", list))
    circles = []
    for c in _list(doc, "circles", list):
        if len(c) != 3:
            raise Invalid("a circle is not [lon, lat, radius]")
        circles.append((_time(c[0]), _time(c[1]), _time(c[2])))
    district = doc.get("district")
    if district is not None and not isinstance(district, str):
        raise Invalid("district is not text")
    return Area(desc=_str(doc, "desc"), polygons=polygons, circles=tuple(circles), district=district)


def _info(doc: dict) -> Info:
    return Info(language=_str(doc, "language"), event=_str(doc, "event"), severity=_str(doc, "severity"),
                urgency=_str(doc, "urgency"), certainty=_str(doc, "certainty"),
                categories=tuple(_list(doc, "categories", str)) or ("Other",), headline=_str(doc, "headline", ""),
                description=_str(doc, "description", ""), instruction=_str(doc, "instruction", ""),
                sender_name=_str(doc, "sender_name", ""), onset=_opt_time(doc.get("onset")),
                expires=_opt_time(doc.get("expires")),
                areas=tuple(_area(a) for a in _list(doc, "areas", dict)))


# -- the model's own rules (the schema's, and what the console needs to draw it) -----------------
def _ident(name: str, x: str) -> None:
    if not x or len(x) > 200 or any(c in x for c in " \t\r\n,<&"):
        raise Invalid(f"{name} {x[:40]!r} is empty, too long or holds a space, comma, < or &")


def check(alert: Alert) -> Alert:
    """The alert if the model can hold it (CAP's enumerations, coordinates on Earth), else Invalid."""
    _ident("identifier", alert.identifier)
    _ident("sender", alert.sender)
    if alert.status not in STATUS:
        raise Invalid(f"status {alert.status!r} is not one of {', '.join(STATUS)}")
    if alert.msg_type not in MSG_TYPES:
        raise Invalid(f"msgType {alert.msg_type!r} is not one of {', '.join(MSG_TYPES)}")
    if alert.msg_type != "Alert" and not alert.references:
        raise Invalid(f"an {alert.msg_type} names no earlier alert in references")
    if not alert.infos:
        raise Invalid("no info block (nothing to tell: event, severity, area)")
    if len(alert.infos) > MAX_INFOS:
        raise Invalid(f"{len(alert.infos)} info blocks (limit {MAX_INFOS})")
    points = 0
    for info in alert.infos:
        for name, value, allowed in (("severity", info.severity, SEVERITY), ("urgency", info.urgency, URGENCY),
                                     ("certainty", info.certainty, CERTAINTY)):
            if value not in allowed:
                raise Invalid(f"{name} {value!r} is not one of {', '.join(allowed)}")
        if not info.event.strip():
            raise Invalid("an info block names no event")
        if len(info.areas) > MAX_AREAS:
            raise Invalid(f"{len(info.areas)} areas (limit {MAX_AREAS})")
        for area in info.areas:
            for ring in area.polygons:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    raise Invalid(f"a polygon of {area.desc[:40]!r} is not closed or has under 4 points")
                points += len(ring)
            for lon, lat in (p for ring in area.polygons for p in ring):
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise Invalid(f"a point of {area.desc[:40]!r} ({lat:g},{lon:g}) is not on Earth")
            for lon, lat, radius in area.circles:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90 and 0 <= radius <= 5000):
                    raise Invalid(f"a circle of {area.desc[:40]!r} is not on Earth or its radius not 0-5000 km")
    if points > MAX_POINTS:
        raise Invalid(f"its polygons have {points:,} points (limit {MAX_POINTS:,})")
    return alert


def empty_info(**fields: object) -> Info:
    """An info block with CAP's "Unknown" where nothing is said (tests, drafts)."""
    base = {"language": "en-US", "event": "", "severity": "Unknown", "urgency": "Unknown", "certainty": "Unknown"}
    return Info(**{**base, **fields})  # type: ignore[arg-type]

