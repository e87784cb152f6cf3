"""An incident as of a moment: its events (the platform's, and the console's provisional ones) and
the status they add up to.

The store keeps whatever arrived: platform rows and events, plus the provisional event a
supervisor's action adds at once so the wall shows it without waiting for a round trip. Which of
those to *show* is decided here, when reading: a provisional event that the platform has since
confirmed is dropped (nothing appears twice), and one the platform has moved past without
confirming is shown as unconfirmed and no longer counts. Events after ``now`` are ignored, so a
replay shows each incident as it stood then.
"""

from __future__ import annotations

import re

from console.model.vocab import EVENT_TO_STATUS, STATUSES

#: lifecycle status -> position; statuses only move forward along it.
ORDER: dict[str, int] = {s: n for n, s in enumerate(STATUSES)}
#: status -> the event that reaches it ("reported" is reached by "opened").
STATUS_EVENT: dict[str, str] = {status: event for event, status in EVENT_TO_STATUS.items()}
ACTIVE = frozenset(STATUSES[:3])  # reported, dispatched, on scene: someone still has to act
#: The console's and the platform's clocks may differ by this much when matching events.
CLOCK_SLACK_S = 120.0
#: A provisional event the platform has moved past (sent a newer state without it) for this long
#: is shown as unconfirmed: the platform refused it or lost it, and the supervisor should know.
UNCONFIRMED_AFTER_S = 600.0
CALLSIGN = re.compile(r"\b[A-Z]{2,4}-[A-Z]\d{1,3}\b")  # HEL-P11, ESP-A14


def next_statuses(status: str) -> tuple[str, ...]:
    """Where an incident may go from ``status``: forward only, skipping allowed, nothing after closed."""
    return STATUSES[ORDER[status] + 1:] if status in ORDER else ()


def _confirms(platform: dict, provisional: dict) -> bool:
    """Whether a platform event is the one a provisional event stood in for."""
    if provisional["event"] in STATUS_EVENT.values():
        return platform["event"] == provisional["event"]  # each status is reached once per lifecycle
    if platform["ts"] < provisional["ts"] - CLOCK_SLACK_S:
        return False
    if provisional["event"] == "assigned":
        return (platform["event"] in ("assigned", "dispatched")
                and provisional.get("callsign", "") in f'{platform["actor"]} {platform["note"]}')
    return (platform["event"] == provisional["event"] and platform["actor"] == provisional["actor"]
            and platform["note"].strip() == provisional["note"].strip())


def merged_events(row: dict, events: list[dict], now: float) -> list[dict]:
    """The events to show, oldest first: the platform's (once each) and the provisional ones it has
    not yet confirmed, those marked ``pending`` or, once the platform moved past them, ``unconfirmed``."""
    platform: list[dict] = []
    provisional: list[dict] = []
    seen: set = set()
    for ev in events:
        if ev["ts"] > now:
            continue
        if ev.get("provisional"):
            provisional.append(ev)
        elif ev.get("seq") is None or ev["seq"] not in seen:
            seen.add(ev.get("seq"))
            platform.append(ev)
    shown = list(platform)
    for ev in provisional:
        if any(_confirms(p, ev) for p in platform):
            continue
        moved_on = not row.get("provisional") and row["rev"] > ev.get("base_rev", row["rev"])
        late = moved_on and now - ev["ts"] > UNCONFIRMED_AFTER_S
        shown.append({**ev, "pending": not late, "unconfirmed": late})
    shown.sort(key=lambda e: (e["ts"], ORDER.get(EVENT_TO_STATUS.get(e["event"], ""), 9)))
    return shown


def status_at(row: dict, shown: list[dict], now: float) -> str:
    """The furthest status the shown events reach (the row's own status too, unless it is from
    after ``now``, as in a replay of a day the platform has finished)."""
    found = [EVENT_TO_STATUS[e["event"]] for e in shown
             if e["event"] in EVENT_TO_STATUS and not e.get("unconfirmed")]
    if row["updated_at"] <= now or not found:
        found.append(row["status"])
    return max(found, key=lambda s: ORDER.get(s, 0))


def reached(row: dict, shown: list[dict]) -> dict[str, float]:
    """When each status was first reached; a skipped status counts as reached with the next one."""
    first: dict[str, float] = {}
    for ev in shown:
        status = EVENT_TO_STATUS.get(ev["event"])
        if status is not None and not ev.get("unconfirmed") and ev["ts"] < first.get(status, float("inf")):
            first[status] = ev["ts"]
    first.setdefault("reported", row["opened_at"])
    later: float | None = None
    for status in reversed(STATUSES):
        if status in first:
            later = first[status] if later is None else min(later, first[status])
        elif later is not None:
            first[status] = later
    return first


def first_events(shown: list[dict]) -> dict[str, dict]:
    """status -> the shown event that first reached it (for the timeline's times and actors)."""
    found: dict[str, dict] = {}
    for ev in shown:
        status = EVENT_TO_STATUS.get(ev["event"])
        if status is not None and status not in found and not ev.get("unconfirmed"):
            found[status] = ev
    return found


def as_of(row: dict, events: list[dict], now: float) -> dict:
    """The incident row as it stood at ``now``, with ``events`` (shown ones), ``status`` and
    ``pending`` (True while that status is the console's own, not yet confirmed)."""
    shown = merged_events(row, events, now)
    status = status_at(row, shown, now)
    pending = any(e.get("pending") and EVENT_TO_STATUS.get(e["event"]) == status for e in shown)
    return {**row, "status": status, "events": shown, "pending": pending or bool(row.get("provisional"))}


def assigned_callsigns(shown: list[dict]) -> list[str]:
    """Units named in the incident's events (dispatch notes, on-scene reports, assignments), first named first."""
    found: list[str] = []
    for ev in shown:
        if ev.get("unconfirmed"):
            continue
        for callsign in [ev.get("callsign", ""), *CALLSIGN.findall(f'{ev["actor"]} {ev["note"]}')]:
            if callsign and callsign not in found:
                found.append(callsign)
    return found
