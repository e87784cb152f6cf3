"""The figures of an after-action report, computed from a recording alone (Qt-free, deterministic).

A debrief answers what a supervisor asks after a shift or a drill: which incidents ran, how each
moved through its lifecycle and who moved it; how many alarms came, how fast each priority was
acknowledged and by whom; what the key measurements did; what the trainer noted. The PDF
(console/shell/report.py) only lays these figures out, so they are tested without a display.

Scope: the window is ``[meta.start, meta.end]``. Incidents count when opened in it or still
active at its start (carried over). Alarm statistics count the alarms *raised* in it, so every
time to acknowledge is measured inside the recording. Statuses are read with the wall's own
rules (console/incidents/lifecycle.py, console/incidents/sla.py), so the report and a replay agree.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from console.errors import UserError
from console.incidents.lifecycle import ACTIVE, as_of, assigned_callsigns, first_events, reached
from console.incidents.sla import sla
from console.model.action import ACTIONS
from console.model.vocab import STATUSES
from console.replay.alarm_figures import AlarmFigures, alarm_figures
from console.replay.debrief_charts import Chart, alarm_time, make_charts
from console.replay.recording import AlarmRecord, Recording

#: Incident steps the report times (console/incidents/sla.py names), in lifecycle order.
TIMED_STEPS = ("dispatch", "on scene", "resolve")
TOP_INDICATORS = 10


@dataclass(frozen=True)
class Summary:
    title: str
    start: float
    end: float
    district_id: str | None  # None: the whole city
    district_name: str | None
    source: str
    created_at: float
    console_version: str
    incidents_opened: int  # opened inside the window
    incidents_carried: int  # opened before it, still active at its start
    incidents_open_at_end: int  # of both, still active at the end
    alarms: int  # raised inside the window
    alarms_acknowledged: int
    ack_median_s: float | None  # over all priorities
    actions: int  # operators' actions inside the window
    drill_title: str | None
    drill_incidents: int
    drill_alarms: int


@dataclass(frozen=True)
class Step:
    """A status reached: when, by whose event. ``skipped``: no event of its own (reached with the next)."""

    status: str
    ts: float
    actor: str
    note: str
    skipped: bool = False


@dataclass(frozen=True)
class StepTime:
    """A timed step (dispatch, on scene, resolve) as the wall's SLA timers measure it."""

    name: str
    seconds: float
    running: bool  # still under way at the end: ``seconds`` runs to the end
    late: str  # "", "amber" or "red": past which threshold (met late, or running over)


@dataclass(frozen=True)
class IncidentTimeline:
    id: str
    title: str
    kind: str
    severity: int
    district: str  # the district's name ("" when none)
    drill: bool
    opened_at: float
    status: str  # at the end of the window
    steps: tuple[Step, ...]
    times: tuple[StepTime, ...]
    escalations: int
    units: tuple[str, ...]  # callsigns named in its events, first named first


@dataclass(frozen=True)
class PriorityStats:
    priority: int  # 1 urgent .. 4 low, as raised
    count: int
    acknowledged: int
    ack_median_s: float | None
    ack_p90_s: float | None  # nearest rank: at least 90 % were acknowledged within it
    ack_max_s: float | None
    unacknowledged_at_end: int  # still listed at the end, nobody acknowledged it (shelved ones apart)
    escalated: int
    shelved: int
    drill: int


@dataclass(frozen=True)
class IndicatorAlarms:
    indicator_id: int
    code: str
    name: str
    alarms: int  # raised in the window
    alarm_s: float  # time in alarm inside the window (any of its limits)


@dataclass(frozen=True)
class ActorActions:
    actor: str
    role: str
    counts: dict[str, int]  # action kind -> how many

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Note:
    """A trainer's annotation or a bookmark, numbered in time order (charts mark them by number)."""

    number: int
    ts: float
    kind: str  # "annotation" or "bookmark"
    author: str
    text: str


@dataclass(frozen=True)
class Debrief:
    summary: Summary
    incidents: tuple[IncidentTimeline, ...]
    priorities: tuple[PriorityStats, ...]  # one per priority that had alarms, most urgent first
    top_indicators: tuple[IndicatorAlarms, ...]
    acks_by: tuple[tuple[str, int], ...]  # (operator, alarms acknowledged), most first
    actions_by: tuple[ActorActions, ...]  # most active first
    action_kinds: tuple[str, ...]  # the kinds in actions_by, in ACTIONS order then others
    charts: tuple[Chart, ...]
    notes: tuple[Note, ...]
    figures: AlarmFigures | None = None  # the alarm system measured (EEMUA 191 / ISA-18.2)


def make_debrief(recording: Recording, alarms: list[AlarmRecord], annotations: Iterable[dict] = (),
                 bookmarks: Iterable[dict] = (), early: list[tuple[float, str, str]] = ()) -> Debrief:
    """Every figure of the report. ``annotations``: {ts, author, text}; ``bookmarks``: {ts, label};
    ``early``: the early warnings' events over the recording (console/forecast/early.py)."""
    meta = recording.meta
    start, end = meta.start, meta.end
    if not end > start:
        raise UserError(f"the recording ends ({end}) before it starts ({start}): nothing to report on")
    districts = {d["id"]: d["name"] for d in recording.reference.get("districts", [])}
    incidents = _incidents(recording, districts)
    raised = sorted((a for a in alarms if start <= a.raised_at <= end), key=lambda a: (a.raised_at, a.alarm_id))
    priorities = _priorities(raised, end)
    actions = [a for a in recording.actions if start <= a["ts"] <= end]
    actions_by, kinds = _actions_by(actions)
    acked = [a.time_to_ack for a in raised if a.time_to_ack is not None]
    summary = Summary(
        title=meta.title, start=start, end=end, district_id=meta.district,
        district_name=districts.get(meta.district) if meta.district else None, source=meta.source,
        created_at=meta.created_at, console_version=meta.console_version,
        incidents_opened=sum(i.opened_at >= start for i in incidents),
        incidents_carried=sum(i.opened_at < start for i in incidents),
        incidents_open_at_end=sum(i.status in ACTIVE for i in incidents),
        alarms=len(raised), alarms_acknowledged=len(acked),
        ack_median_s=statistics.median(acked) if acked else None, actions=len(actions),
        drill_title=recording.drill_title, drill_incidents=sum(i.drill for i in incidents),
        drill_alarms=sum(a.drill for a in raised))
    acks = Counter(a.acked_by for a in raised if a.acked_by)
    return Debrief(
        summary=summary, incidents=incidents, priorities=priorities,
        top_indicators=_top_indicators(alarms, raised, start, end),
        acks_by=tuple(sorted(acks.items(), key=lambda kv: (-kv[1], kv[0]))),
        actions_by=actions_by, action_kinds=kinds, charts=make_charts(recording, alarms),
        notes=_notes(annotations, bookmarks),
        figures=alarm_figures(alarms, start, end, len({a["actor"] for a in actions if a.get("role") == "operator"}),
                              early))


# -- incidents --------------------------------------------------------------------------------
def _incidents(recording: Recording, districts: dict[str, str]) -> tuple[IncidentTimeline, ...]:
    start, end = recording.meta.start, recording.meta.end
    events: dict[str, list[dict]] = defaultdict(list)
    for ev in recording.incident_events:
        events[ev["incident_id"]].append(ev)
    found = []
    for row in recording.incidents:
        mine = events.get(row["id"], [])
        if row["opened_at"] > end:
            continue
        if row["opened_at"] < start and as_of(row, mine, start)["status"] not in ACTIVE:
            continue
        found.append(_timeline(row, mine, end, districts))
    return tuple(sorted(found, key=lambda i: (i.opened_at, i.id)))


def _timeline(row: dict, events: list[dict], end: float, districts: dict[str, str]) -> IncidentTimeline:
    now = as_of(row, events, end)
    shown = now["events"]
    when, first = reached(row, shown), first_events(shown)
    steps = []
    for status in STATUSES:
        if status in when:
            ev = first.get(status, {})
            steps.append(Step(status, when[status], ev.get("actor", ""), ev.get("note", ""),
                              skipped=not ev and status != "reported"))
    times = tuple(StepTime(t.name, t.elapsed, t.running,
                           (t.state if t.state in ("amber", "red") else "") if t.running else t.late)
                  for t in sla(row, events, end) if t.name in TIMED_STEPS)
    return IncidentTimeline(
        id=row["id"], title=row["title"], kind=row["kind"], severity=int(row["severity"]),
        district=districts.get(row.get("district_id") or "", row.get("district_id") or ""),
        drill=bool(row.get("drill")) or any(e.get("drill") for e in events), opened_at=row["opened_at"],
        status=now["status"], steps=tuple(steps), times=times,
        escalations=sum(e["event"] == "escalated" for e in shown), units=tuple(assigned_callsigns(shown)))


# -- alarms -----------------------------------------------------------------------------------
def nearest_rank(values: list[float], share: float) -> float:
    """The smallest value with at least ``share`` of the values at or below it (no interpolation:
    "90 % were acknowledged within this" is then true of the data)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _priorities(raised: list[AlarmRecord], end: float) -> tuple[PriorityStats, ...]:
    by: dict[int, list[AlarmRecord]] = defaultdict(list)
    for a in raised:
        by[int(a.priority)].append(a)
    stats = []
    for priority in sorted(by):
        mine = by[priority]
        tta = [a.time_to_ack for a in mine if a.time_to_ack is not None]
        stats.append(PriorityStats(
            priority=priority, count=len(mine), acknowledged=len(tta),
            ack_median_s=statistics.median(tta) if tta else None,
            ack_p90_s=nearest_rank(tta, 0.9) if tta else None, ack_max_s=max(tta) if tta else None,
            unacknowledged_at_end=sum(a.acked_by is None and a.shelved_by is None
                                      and (a.cleared_at is None or a.cleared_at > end) for a in mine),
            escalated=sum(a.escalated for a in mine), shelved=sum(a.shelved_by is not None for a in mine),
            drill=sum(a.drill for a in mine)))
    return tuple(stats)


def _top_indicators(alarms: list[AlarmRecord], raised: list[AlarmRecord], start: float,
                    end: float) -> tuple[IndicatorAlarms, ...]:
    seconds = alarm_time(alarms, start, end)
    count = Counter(a.indicator_id for a in raised)
    named = {a.indicator_id: (a.code, a.name) for a in raised}
    ranked = sorted(count, key=lambda iid: (-count[iid], -seconds[iid], named[iid][0]))[:TOP_INDICATORS]
    return tuple(IndicatorAlarms(iid, *named[iid], count[iid], seconds[iid]) for iid in ranked)


def _actions_by(actions: list[dict]) -> tuple[tuple[ActorActions, ...], tuple[str, ...]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    roles: dict[str, str] = {}
    for a in actions:
        counts[a["actor"]][a["action"]] += 1
        roles.setdefault(a["actor"], a.get("role", ""))
    found = {k for c in counts.values() for k in c}
    kinds = tuple(k for k in ACTIONS if k in found) + tuple(sorted(found - set(ACTIONS)))
    rows = sorted((ActorActions(actor, roles[actor], dict(c)) for actor, c in counts.items()),
                  key=lambda r: (-r.total, r.actor))
    return tuple(rows), kinds


# -- notes ------------------------------------------------------------------------------------
def _when(item: dict, what: str, n: int) -> float:
    try:
        ts = float(item["ts"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{what} {n}: 'ts' must be a time in epoch seconds, not {item.get('ts')!r}") from None
    if not math.isfinite(ts):
        raise UserError(f"{what} {n}: 'ts' must be a time in epoch seconds, not {ts!r}")
    return ts


def _notes(annotations: Iterable[dict], bookmarks: Iterable[dict]) -> tuple[Note, ...]:
    found = [(_when(a, "annotation", n), "annotation", str(a.get("author", "")), str(a.get("text", "")))
             for n, a in enumerate(annotations, 1)]
    found += [(_when(b, "bookmark", n), "bookmark", "", str(b.get("label", ""))) for n, b in enumerate(bookmarks, 1)]
    found.sort(key=lambda f: (f[0], f[1], f[3]))
    return tuple(Note(n, *f) for n, f in enumerate(found, 1))
