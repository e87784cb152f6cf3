"""Playing a checked drill script into a recording: new readings, roll-ups, incidents and events.

Nothing here writes anywhere: the drill exists only in the replaying process's new Recording, so
it can never reach the cache or the platform; the recording it was given is left untouched.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from console.cache.rollups import RESOLUTIONS, fold
from console.incidents.lifecycle import ORDER
from console.model.vocab import EVENT_TO_STATUS, QUALITY_GOOD
from console.replay.drill_model import DRILL_PREFIX, CommsLoss, DrillIncident, DrillScript, Spike, start_offset
from console.replay.recording import ROLLUP_DTYPE, Readings, Recording
from console.values import is_int, is_number


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
                f" for {start_offset(ev.end - ev.at)[1:]}"
        else:
            label = f"comms loss, {ev.what}, for {start_offset(ev.end - ev.at)[1:]}"
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
    step = float(interval) if is_number(interval) and interval > 0 else 60.0
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
    if is_int(decimals) and 0 <= decimals <= 12:
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
            vals = value[hit]
            folded = fold(np.full(len(vals), iid), ts[hit], np.ones(len(vals), np.int64), vals, vals, vals, width)
            rows = np.zeros(len(folded[0]), dtype=ROLLUP_DTYPE)
            for column, part in zip(ROLLUP_DTYPE.names, folded):
                rows[column] = part
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
