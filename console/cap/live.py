"""The warnings in force, as every view shows them: parsed once per reference read, asked at each refresh.

The store's reference data holds the platform's ``warnings`` rows (the latest alert of each
chain). ``LiveWarnings`` parses them when the reference data changes and answers, for any
moment (live or replayed), which are in force then: actual (or exercise) alerts, neither
cancelled nor expired, whose onset has come or is near, most severe first. Each comes with
what the banner says (hazard, places, until when) in the wall's language and the rings the
map and the 3D scene outline (circles and named districts resolved).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from console.cap.geometry import area_rings, district_names
from console.cap.model import SEVERITY, Alert, Invalid, from_json

log = logging.getLogger(__name__)
#: A warning whose onset is this near already stands (people prepare before the rain starts).
AHEAD_S = 24 * 3600.0


@dataclass(frozen=True)
class InForce:
    id: str
    severity: str  # CAP's word: Extreme, Severe, Moderate, Minor, Unknown
    event: str  # the hazard, in the wall's language where the alert has it
    headline: str
    places: tuple[str, ...]  # district names, else the areas' descriptions
    onset: float | None
    until: float | None  # None: until cancelled
    rings: tuple[tuple[tuple[float, float], ...], ...]  # (lon, lat) outlines of its areas
    sender: str


class LiveWarnings:
    """The platform's warnings parsed once per reference version; ``at(now)`` those in force."""

    def __init__(self) -> None:
        self._version: object = None
        self._alerts: list[tuple[str, Alert]] = []
        self._shown: dict[tuple[str, str], InForce] = {}
        self._districts: dict[str, str] = {}
        self._names: dict[str, str] = {}

    def load(self, reference: dict[str, list[dict]], version: object) -> None:
        """Parse the warnings of ``reference`` unless ``version`` is the one already parsed."""
        if version == self._version:
            return
        self._version = version
        self._alerts, self._shown = [], {}
        for row in reference.get("warnings", []):
            try:
                self._alerts.append((row["id"], from_json(row["alert"])))
            except (Invalid, KeyError, TypeError) as exc:  # the cache's rules let none through: say so if one did
                log.warning("warning %r unreadable: %s", row.get("id"), exc)
        districts = reference.get("districts", [])
        self._districts = {d["id"]: d["boundary"] for d in districts}
        self._names = {d["id"]: d["name"] for d in districts}

    def at(self, now: float, lang: str = "en") -> list[InForce]:
        """The warnings in force at ``now``, most severe first, then the soonest to end."""
        out = []
        for wid, alert in self._alerts:
            if not alert.in_force(now) or (alert.onset is not None and alert.onset > now + AHEAD_S):
                continue
            if alert.sent > now:  # replaying a moment before it was issued
                continue
            key = (wid, lang)
            if key not in self._shown:
                self._shown[key] = self._make(wid, alert, lang)
            out.append(self._shown[key])
        return sorted(out, key=lambda w: (SEVERITY.index(w.severity), w.until if w.until is not None else 1e18, w.id))

    def _make(self, wid: str, alert: Alert, lang: str) -> InForce:
        info = alert.info(lang)
        rings = tuple(ring for area in alert.areas() for ring in area_rings(area, self._districts))
        return InForce(id=wid, severity=info.severity, event=info.event, headline=info.headline,
                       places=tuple(district_names(alert, self._names, lang)), onset=alert.onset,
                       until=alert.expires, rings=rings, sender=info.sender_name or alert.sender)


def ended_warnings(reference: dict[str, list[dict]], now: float) -> set[str]:
    """The ids of the warnings whose expiry has passed at ``now`` (their incidents have ended)."""
    return {r["id"] for r in reference.get("warnings", [])
            if isinstance(r.get("expires"), (int, float)) and r["expires"] <= now}
