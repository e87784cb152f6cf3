"""The debrief's charts: the key measurements over a recording as (min, max) envelopes with their
limits and alarms, chosen so a page of four tells the shift's story (rain first, then one chart per
kind of measurement by how long its alarms held). Qt-free; console/shell/report_charts.py draws them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from console.model.vocab import QUALITY_BAD
from console.replay.recording import AlarmRecord, Recording
from console.store.pyramid import equal_buckets

#: A chart's readings are reduced to at most this many (min, max) buckets: enough for a page's
#: width at print resolution, and a spike survives as its bucket's maximum.
MAX_POINTS = 600
MAX_CHARTS = 4
#: Rain explains a storm's alarms, so its chart is shown whenever the recording has it.
RAIN_PREFIX = "weather.rain"
THRESHOLD_KEYS = ("alarm_low", "warn_low", "warn_high", "alarm_high")


@dataclass(frozen=True)
class ChartMark:
    ts: float
    limit: str
    priority: int


@dataclass(frozen=True)
class Chart:
    """One indicator's readings over the window as a (min, max) envelope, with its limits and alarms."""

    indicator_id: int
    code: str
    name: str
    unit: str
    decimals: int
    ts: np.ndarray  # bucket centres (or the readings' own times when few)
    lo: np.ndarray
    hi: np.ndarray
    gap_s: float  # consecutive points further apart than this are an outage: no line across
    thresholds: dict[str, float]  # of THRESHOLD_KEYS, those the indicator has
    alarms: tuple[ChartMark, ...]
    alarm_s: float


def alarm_time(alarms: list[AlarmRecord], start: float, end: float) -> dict[int, float]:
    """Per indicator, how long any of its alarms' conditions held inside the window (overlapping
    HI and HIHI counted once), each until it returned, or the end."""
    spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for a in alarms:
        over = a.returned_at if a.returned_at is not None else (a.cleared_at if a.cleared_at is not None else end)
        a0, a1 = max(a.raised_at, start), min(over, end)
        if a1 > a0:
            spans[a.indicator_id].append((a0, a1))
    total: dict[int, float] = defaultdict(float)
    for iid, mine in spans.items():
        reach = -math.inf
        for a0, a1 in sorted(mine):
            total[iid] += max(0.0, a1 - max(a0, reach))
            reach = max(reach, a1)
    return total


def envelope(ts: np.ndarray, values: np.ndarray, t0: float, t1: float,
             max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, lo, hi): the readings themselves when few, else per equal-time bucket its centre, minimum
    and maximum (empty buckets left out: an outage stays a gap)."""
    if len(ts) <= max_points:
        return ts.copy(), values.copy(), values.copy()
    width = (t1 - t0) / max_points
    bucket, lo, hi = equal_buckets(ts, values, t0, t1, max_points)  # from a min/max pyramid of the readings
    return t0 + (bucket + 0.5) * width, lo, hi


def make_charts(recording: Recording, alarms: list[AlarmRecord]) -> tuple[Chart, ...]:
    start, end = recording.meta.start, recording.meta.end
    indicators = {r["id"]: r for r in recording.reference.get("indicators", [])}
    seconds = alarm_time(alarms, start, end)
    with_data = {iid for iid in recording.readings.indicators() if iid in indicators
                 and _window(recording, iid)[0].size}
    rain = sorted(iid for iid in with_data if indicators[iid]["code"].startswith(RAIN_PREFIX))[:1]
    ranked = sorted((iid for iid in with_data if seconds.get(iid, 0.0) > 0 and iid not in rain),
                    key=lambda iid: (-seconds[iid], indicators[iid]["code"]))
    # one chart per kind of measurement first (three districts' congestion tell less than
    # congestion, a drainage well and a pump), then the rest by alarm time
    seen = {_kind(indicators[iid]["code"]) for iid in rain}
    varied = []
    for iid in ranked:
        if (kind := _kind(indicators[iid]["code"])) not in seen:
            seen.add(kind)
            varied.append(iid)
    chosen = rain + (varied + [iid for iid in ranked if iid not in varied])[:MAX_CHARTS - len(rain)]
    charts = []
    for iid in chosen:
        row = indicators[iid]
        ts, values = _window(recording, iid)
        t, lo, hi = envelope(ts, values, start, end)
        gap = max(3 * float(row["interval_s"]), 2 * (end - start) / MAX_POINTS if len(ts) > MAX_POINTS else 0.0)
        marks = tuple(ChartMark(a.raised_at, a.limit, int(a.priority))
                      for a in sorted(alarms, key=lambda a: (a.raised_at, a.alarm_id))
                      if a.indicator_id == iid and start <= a.raised_at <= end)
        charts.append(Chart(iid, row["code"], row["name"], row["unit"], int(row.get("decimals") or 0), t, lo, hi,
                            gap, {k: float(row[k]) for k in THRESHOLD_KEYS if row.get(k) is not None}, marks,
                            seconds.get(iid, 0.0)))
    return tuple(charts)


def _kind(code: str) -> str:
    """"traffic.congestion.kamppi" -> "traffic.congestion": what is measured, wherever."""
    return ".".join(code.split(".")[:2])


def _window(recording: Recording, iid: int) -> tuple[np.ndarray, np.ndarray]:
    """An indicator's usable readings inside the window (bad-quality ones drive nothing, show nothing)."""
    ts, values, quality = recording.readings.of(iid)
    lo = np.searchsorted(ts, recording.meta.start, side="left")
    hi = np.searchsorted(ts, recording.meta.end, side="right")
    keep = (quality[lo:hi] != QUALITY_BAD) & np.isfinite(values[lo:hi])
    return ts[lo:hi][keep], values[lo:hi][keep]
