"""The alarm system measured (EEMUA 191 / ISA-18.2 key figures) from a recording's alarm records.

Definitions, so a supervisor can check them by hand:
- rate: alarms raised per operator per 10 minutes, on average and in the busiest 10 minutes;
- flood: from the first alarm of a 10-minute stretch that holds ``FLOOD_N`` or more alarms, to
  the last alarm of the last such stretch overlapping it; its size is the alarms raised within;
- chattering: one alarm raised ``CHATTER_N`` times or more within ``CHATTER_S``;
- fleeting: an alarm back within limits less than ``FLEETING_S`` after it was raised;
- standing: active for longer than ``STANDING_S`` (still active at the end counts to the end);
- priorities: EEMUA's three tiers against 80 / 15 / 5 %: URGENT is high, HIGH is medium, MEDIUM
  and LOW are low (the four levels the console raises with, mapped onto the three);
- early warnings: the share that ended in their alarm (hit rate) and how long before it they stood.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from console.replay.recording import AlarmRecord

WINDOW_S = 600.0
FLOOD_N = 10
CHATTER_N, CHATTER_S = 3, 60.0
FLEETING_S = 60.0
STANDING_S = 86400.0
TIER = {1: "high", 2: "medium", 3: "low", 4: "low"}
TARGET = {"low": 0.80, "medium": 0.15, "high": 0.05}


@dataclass(frozen=True)
class Flood:
    start: float
    end: float
    size: int


@dataclass(frozen=True)
class AlarmFigures:
    operators: int
    alarms: int
    per_operator_per_10min: float
    peak_10min: int  # most alarms raised in any 10 minutes
    floods: tuple[Flood, ...]
    time_in_flood_share: float  # of the period
    chattering: tuple[str, ...]  # alarm ids
    fleeting: int
    standing: tuple[str, ...]  # alarm ids active longer than 24 h
    tiers: dict[str, int]  # "low" / "medium" / "high" -> alarms
    top: tuple[tuple[str, str, int], ...]  # (alarm id, name, times raised), ten most frequent
    early_warnings: int = 0
    early_hits: int = 0
    early_lead_median_s: float | None = None

    @property
    def early_hit_rate(self) -> float | None:
        return self.early_hits / self.early_warnings if self.early_warnings else None


def alarm_figures(alarms: list[AlarmRecord], start: float, end: float, operators: int = 1,
                  early: list[tuple[float, str, str]] = ()) -> AlarmFigures:
    """The figures for alarms raised in [start, end]; ``early``: early-warning events (ts, id, what)."""
    raised = sorted((a for a in alarms if start <= a.raised_at <= end), key=lambda a: (a.raised_at, a.alarm_id))
    times = np.array([a.raised_at for a in raised])
    operators = max(1, operators)
    # alarms in the 10 minutes ending at each alarm (that one included)
    in_window = np.arange(len(times)) - np.searchsorted(times, times - WINDOW_S, "right") + 1
    floods: list[Flood] = []
    for i in np.flatnonzero(in_window >= FLOOD_N):
        first = times[i - in_window[i] + 1]
        if floods and first <= floods[-1].end:
            floods[-1] = Flood(floods[-1].start, float(times[i]), 0)
        else:
            floods.append(Flood(float(first), float(times[i]), 0))
    floods = [Flood(f.start, f.end, int(np.sum((times >= f.start) & (times <= f.end)))) for f in floods]
    by_id: dict[str, list[float]] = {}
    for a in raised:
        by_id.setdefault(a.alarm_id, []).append(a.raised_at)
    chattering = tuple(sorted(aid for aid, ts in by_id.items() if _chatters(np.array(ts))))
    counts = Counter(a.alarm_id for a in raised)
    names = {a.alarm_id: a.name for a in raised}
    tiers = Counter(TIER.get(a.priority, "low") for a in raised)
    span = max(end - start, 1e-9)
    lead, hits, warned = _early(early, raised)
    return AlarmFigures(
        operators=operators, alarms=len(raised),
        per_operator_per_10min=len(raised) / (span / WINDOW_S) / operators,
        peak_10min=int(in_window.max()) if len(times) else 0,
        floods=tuple(floods), time_in_flood_share=sum(f.end - f.start for f in floods) / span,
        chattering=chattering,
        fleeting=sum(a.returned_at is not None and a.returned_at - a.raised_at < FLEETING_S for a in raised),
        standing=tuple(sorted({a.alarm_id for a in raised
                               if (a.returned_at if a.returned_at is not None else end) - a.raised_at > STANDING_S})),
        tiers={tier: tiers.get(tier, 0) for tier in TARGET},
        top=tuple((aid, names[aid], n) for aid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]),
        early_warnings=warned, early_hits=hits, early_lead_median_s=float(np.median(lead)) if lead else None)


def _chatters(ts: np.ndarray) -> bool:
    n = CHATTER_N - 1
    return len(ts) > n and bool((ts[n:] - ts[:-n] <= CHATTER_S).any())


def _early(events: list[tuple[float, str, str]], raised: list[AlarmRecord]) -> tuple[list[float], int, int]:
    """Lead times (warning raised -> its alarm raised) of the warnings that ended in their alarm."""
    opened: dict[str, float] = {}
    lead: list[float] = []
    warned = hits = 0
    for ts, wid, what in sorted(events):
        if what == "raised":
            opened[wid] = ts
            warned += 1
        elif what in ("hit", "missed") and wid in opened:
            start = opened.pop(wid)
            if what == "hit":
                hits += 1
                code, limit = wid.rsplit(":EARLY_", 1)
                alarm = next((a.raised_at for a in raised if a.alarm_id == f"{code}:{limit}" and a.raised_at >= start),
                             ts)
                lead.append(alarm - start)
    return lead, hits, warned
