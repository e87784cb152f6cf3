"""The after-action report: its figures from a recording (hand-made and the demo city's rainstorm),
and the PDF a supervisor reads (pages, words, numbers)."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess

import numpy as np
import pytest
from sqlalchemy import create_engine, select

from console.alarms.manager import AlarmManager
from console.errors import UserError
from console.model.indicator import Indicator
from console.model.schema import P
from console.platform.create import create_platform
from console.replay.debrief import make_debrief, nearest_rank
from console.replay.debrief_charts import MAX_POINTS, envelope
from console.replay.recording import AlarmRecord, Readings, Recording, RecordingMeta

T0 = 1_750_000_000.0  # the hand-made recording's start
DEMO_END = 1_750_000_000.0


# -- a hand-made recording: every figure known ---------------------------------------------
def _indicator(iid: int, code: str, name: str, unit: str, **limits) -> dict:
    return {"id": iid, "code": code, "name": name, "category": "weather", "unit": unit, "district_id": None,
            "warn_low": None, "warn_high": None, "alarm_low": None, "alarm_high": None, "bad": "high",
            "interval_s": 60.0, "decimals": 1, **limits}


def _incident(iid: str, title: str, opened: float, status: str, updated: float, severity: int = 2,
              district: str = "kallio") -> dict:
    return {"id": iid, "kind": "waterlogging", "severity": severity, "status": status, "district_id": district,
            "lon": 24.95, "lat": 60.18, "title": title, "opened_at": opened, "updated_at": updated, "rev": 1}


def _event(seq: int, incident: str, ts: float, event: str, actor: str, note: str = "") -> dict:
    return {"seq": seq, "incident_id": incident, "ts": ts, "event": event, "actor": actor, "note": note}


def _action(ts: float, actor: str, action: str, target: str, role: str = "operator") -> dict:
    return {"ts": ts, "actor": actor, "role": role, "action": action, "target_kind": "alarm",
            "target_id": target, "detail": "{}"}


def _alarm(n: int, priority: int, raised: float, ack: float | None = None, by: str | None = None,
           **more) -> AlarmRecord:
    iid, code, name = (1, "weather.rain.intensity", "Rain intensity") if n % 2 else (
        2, "drainage.level.kallio.1", "Drainage well level, Kallio #1")
    return AlarmRecord(f"{code}:HI", iid, code, name, "HI" if priority > 2 else "HIHI", priority, raised,
                       acked_by=by, acked_at=None if ack is None else raised + ack, **more)


def hand_made() -> tuple[Recording, list[AlarmRecord]]:
    """One hour; rain and a drainage well; four incidents; eight alarms; five actions."""
    start, end = T0, T0 + 3600
    t = np.arange(start - 600, end + 1, 60.0)
    rain = 5 + 40 * np.exp(-(((t - start - 1800) / 600) ** 2))
    level = 50 + 35 * np.exp(-(((t - start - 2400) / 900) ** 2))
    readings = Readings.from_unsorted(np.r_[np.full(len(t), 1), np.full(len(t), 2)], np.r_[t, t],
                                      np.r_[rain, level], np.zeros(2 * len(t), np.int8))
    reference = {
        "districts": [{"id": "kallio", "name": "Kallio", "boundary": "{}"}],
        "indicators": [_indicator(1, "weather.rain.intensity", "Rain intensity", "mm/h",
                                  warn_high=10.0, alarm_high=30.0),
                       _indicator(2, "drainage.level.kallio.1", "Drainage well level, Kallio #1", "%",
                                  warn_high=60.0, alarm_high=80.0)],
    }
    incidents = [
        # opened before the window, still on scene at its start: carried over, resolved inside it
        _incident("INC-A", "Underpass flooded — Sörnäinen", start - 1200, "resolved", start + 1500, severity=1),
        # opened inside, the whole lifecycle
        _incident("INC-B", "Street flooded — Kaarlenkatu", start + 600, "closed", start + 3000),
        # opened inside, dispatched, still dispatched at the end
        _incident("INC-C", "Storm drain overflowing — Helsinginkatu", start + 1800, "dispatched", start + 2100,
                  severity=3),
        # closed before the window: not in the report
        _incident("INC-D", "Old case", start - 5000, "closed", start - 3000),
        # opened after the window's end: not in it either
        _incident("INC-E", "Later case", end + 100, "reported", end + 100),
    ]
    events = [
        _event(1, "INC-D", start - 5000, "opened", "112 Emergency Response Centre"),
        _event(2, "INC-D", start - 3000, "closed", "S. Hämäläinen"),
        _event(3, "INC-A", start - 1200, "opened", "112 Emergency Response Centre", "Underpass under water."),
        _event(4, "INC-A", start - 1100, "dispatched", "S. Hämäläinen", "HEL-U42 utility crew dispatched."),
        _event(5, "INC-A", start - 500, "on_scene", "HEL-U42", "On scene."),
        _event(6, "INC-A", start + 1500, "resolved", "HEL-U42", "Pumped dry."),
        _event(7, "INC-B", start + 600, "opened", "12345 hotline", "Street flooded."),
        _event(8, "INC-B", start + 690, "dispatched", "M. Virtanen", "HEL-P13 patrol car dispatched."),
        _event(9, "INC-B", start + 900, "escalated", "M. Virtanen", "Water rising."),
        _event(10, "INC-B", start + 1300, "on_scene", "HEL-P13", "On scene."),
        _event(11, "INC-B", start + 2400, "resolved", "HEL-P13", "Water gone."),
        _event(12, "INC-B", start + 3000, "closed", "M. Virtanen", "Closed: report filed."),
        _event(13, "INC-C", start + 1800, "opened", "12345 hotline", "Drain overflowing."),
        _event(14, "INC-C", start + 2100, "dispatched", "A. Korhonen", "HEL-P14 patrol car dispatched."),
        _event(15, "INC-E", end + 100, "opened", "12345 hotline"),
    ]
    actions = [
        _action(start - 300, "A. Korhonen", "acknowledge", "x:HI"),  # before the window: not counted
        _action(start + 100, "A. Korhonen", "acknowledge", "weather.rain.intensity:HI"),
        _action(start + 200, "M. Virtanen", "acknowledge", "drainage.level.kallio.1:HI"),
        _action(start + 250, "M. Virtanen", "comment", "drainage.level.kallio.1:HI"),
        _action(start + 900, "M. Virtanen", "shelve", "weather.rain.intensity:HI"),
        _action(start + 2100, "L. Nieminen", "status", "INC-C", role="supervisor"),
    ]
    meta = RecordingMeta(start, end, None, "cache /tmp/cache.db", created_at=end + 60, console_version="0.9",
                         title="Rainstorm, Kallio")
    recording = Recording(meta, reference, readings, incidents=incidents, incident_events=events, actions=actions)
    alarms = [
        # priority 2 (HIGH): acknowledged after 30, 60, 90, 120 and 600 s; one never
        _alarm(1, 2, start + 100, 30, "A. Korhonen", returned_at=start + 400),
        _alarm(2, 2, start + 200, 60, "M. Virtanen", returned_at=start + 1000, escalated=True),
        _alarm(3, 2, start + 300, 90, "M. Virtanen"),
        _alarm(4, 2, start + 400, 120, "A. Korhonen"),
        _alarm(5, 2, start + 500, 600, "M. Virtanen"),
        _alarm(6, 2, start + 3000),  # unacknowledged at the end
        # priority 3 (MEDIUM): one acknowledged after 45 s, one shelved
        _alarm(7, 3, start + 800, 45, "A. Korhonen", returned_at=start + 1700),
        _alarm(8, 3, start + 850, shelved_by="M. Virtanen"),
        # raised before the window: not counted
        _alarm(9, 2, start - 100, 10, "A. Korhonen"),
    ]
    return recording, alarms


def test_the_figures_of_a_hand_made_recording():
    recording, alarms = hand_made()
    notes = [{"ts": T0 + 1900, "author": "Trainer T. Lahti", "text": "Pumps should have started here."}]
    marks = [{"ts": T0 + 600, "label": "INC-B opened"}, {"ts": T0 + 1900, "label": "Rain peak"}]
    d = make_debrief(recording, alarms, notes, marks)

    s = d.summary
    assert (s.start, s.end, s.title, s.district_name) == (T0, T0 + 3600, "Rainstorm, Kallio", None)
    assert (s.incidents_opened, s.incidents_carried, s.incidents_open_at_end) == (2, 1, 1)
    assert (s.alarms, s.alarms_acknowledged, s.actions) == (8, 6, 5)
    assert s.ack_median_s == 75.0  # 30 45 60 90 120 600

    assert [i.id for i in d.incidents] == ["INC-A", "INC-B", "INC-C"]
    a, b, c = d.incidents
    assert [(st.status, st.ts - T0, st.actor) for st in b.steps] == [
        ("reported", 600, "12345 hotline"), ("dispatched", 690, "M. Virtanen"), ("on_scene", 1300, "HEL-P13"),
        ("resolved", 2400, "HEL-P13"), ("closed", 3000, "M. Virtanen")]
    assert [(t.name, t.seconds, t.running, t.late) for t in b.times] == [
        ("dispatch", 90.0, False, ""), ("on scene", 610.0, False, "amber"), ("resolve", 1100.0, False, "")]
    # (major: on scene amber after 10 min)
    assert (b.escalations, b.units, b.district, b.status) == (1, ("HEL-P13",), "Kallio", "closed")
    assert (a.status, a.severity, [st.status for st in a.steps]) == (
        "resolved", 1, ["reported", "dispatched", "on_scene", "resolved"])
    assert [(t.name, t.seconds, t.late) for t in a.times] == [  # critical: 1/2 min dispatch, 6/10 on scene
        ("dispatch", 100.0, "amber"), ("on scene", 600.0, "red"), ("resolve", 2000.0, "")]
    assert c.status == "dispatched" and c.steps[-1].actor == "A. Korhonen"
    assert [(t.name, t.seconds, t.running) for t in c.times] == [("dispatch", 300.0, False), ("on scene", 1500.0, True)]
    assert c.times[-1].late == "red"  # moderate: red after 25 min on the way

    high, medium = d.priorities
    assert (high.priority, high.count, high.acknowledged) == (2, 6, 5)
    assert (high.ack_median_s, high.ack_p90_s, high.ack_max_s) == (90.0, 600.0, 600.0)
    assert (high.unacknowledged_at_end, high.escalated, high.shelved) == (1, 1, 0)
    assert (medium.count, medium.acknowledged, medium.ack_median_s, medium.shelved,
            medium.unacknowledged_at_end) == (2, 1, 45.0, 1, 0)
    assert d.acks_by == (("A. Korhonen", 3), ("M. Virtanen", 3))  # equal counts: by name
    assert [(r.actor, r.counts) for r in d.actions_by] == [
        ("M. Virtanen", {"acknowledge": 1, "comment": 1, "shelve": 1}),
        ("A. Korhonen", {"acknowledge": 1}), ("L. Nieminen", {"status": 1})]
    assert d.action_kinds == ("acknowledge", "shelve", "comment", "status")
    assert [(t.code, t.alarms) for t in d.top_indicators] == [
        ("weather.rain.intensity", 4), ("drainage.level.kallio.1", 4)]

    rain, level = d.charts  # rain first; the drainage well has alarm time too
    assert (rain.code, level.code) == ("weather.rain.intensity", "drainage.level.kallio.1")
    assert rain.thresholds == {"warn_high": 10.0, "alarm_high": 30.0}
    assert len(rain.ts) == 61 and rain.ts[0] == T0 and rain.ts[-1] == T0 + 3600  # few readings: all of them
    assert [m.ts - T0 for m in rain.alarms] == [100, 300, 500, 800]
    assert [(n.number, n.kind, n.ts - T0) for n in d.notes] == [
        (1, "bookmark", 600), (2, "annotation", 1900), (3, "bookmark", 1900)]


def test_the_figures_depend_on_the_recording_alone_not_on_the_order_things_came_in():
    recording, alarms = hand_made()
    first = pickle.dumps(make_debrief(recording, alarms))
    recording.incidents.reverse()
    recording.incident_events.reverse()
    assert pickle.dumps(make_debrief(recording, alarms[::-1])) == first


def test_nearest_rank_and_the_envelope_keep_what_was_there():
    assert nearest_rank([10.0 * k for k in range(1, 11)], 0.9) == 90.0
    assert nearest_rank([5.0], 0.9) == 5.0 and nearest_rank([1.0, 2.0], 0.5) == 1.0
    ts = np.arange(0.0, 86400.0, 1.0)
    values = np.sin(ts / 3000.0)
    values[40_000] = 50.0  # a one-second spike in a day
    t, lo, hi = envelope(ts, values, 0.0, 86400.0)
    assert len(t) == MAX_POINTS and hi.max() == 50.0 and lo.min() == values.min()
    assert np.all(np.diff(t) > 0) and np.all(lo <= hi)
    gap = (ts < 20_000) | (ts > 30_000)  # an outage stays a gap: no bucket invented inside it
    t, lo, hi = envelope(ts[gap], values[gap], 0.0, 86400.0)
    assert not np.any((t > 20_200) & (t < 29_800))


def test_bad_annotation_times_are_one_clear_error():
    recording, alarms = hand_made()
    with pytest.raises(UserError, match="annotation 2: 'ts' must be a time"):
        make_debrief(recording, alarms, [{"ts": T0, "text": "ok"}, {"ts": "noon", "text": "bad"}])
    with pytest.raises(UserError, match="bookmark 1: 'ts'"):
        make_debrief(recording, alarms, bookmarks=[{"label": "no time"}])


# -- the demo city's rainstorm --------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Recording, dict]:
    """Three hours of the demo city; the recording covers its first storm and the hour after."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'platform.db'}"
    summary = create_platform(url, hours=3, seed=7, end=DEMO_END)
    return read_recording(url, summary["storm"]["start"] - 900, DEMO_END), summary


def read_recording(url: str, start: float, end: float) -> Recording:
    """A Recording straight from a platform's tables (what a capture of [start, end] would hold)."""
    meta = RecordingMeta(start, end, None, url, title="Demo rainstorm")
    engine = create_engine(url)
    with engine.connect() as conn:
        def rows(table, *where):
            return [dict(r._mapping) for r in conn.execute(select(P[table]).where(*where))]

        reference = {name: rows(name) for name in ("districts", "indicators", "units")}
        r = P["readings"]
        found = conn.execute(select(r.c.indicator_id, r.c.ts, r.c.value, r.c.quality)
                             .where(r.c.ts >= meta.preroll_start, r.c.ts <= end)).all()
        columns = np.array(found, dtype=float).T
        readings = Readings.from_unsorted(columns[0].astype(np.int32), columns[1], columns[2],
                                          columns[3].astype(np.int8))
        events = rows("incident_events", P["incident_events"].c.ts <= end)
        incidents = rows("incidents", P["incidents"].c.opened_at <= end)
    engine.dispose()
    for e in events:
        e.pop("txid", None)
    return Recording(meta, reference, readings, incidents=incidents,
                     incident_events=sorted(events, key=lambda e: e["seq"]))


OPERATORS = ("M. Virtanen", "A. Korhonen", "J. Mäkinen")


def operate(recording: Recording) -> list[AlarmRecord]:
    """The alarm rules over the recording's readings, and three operators acknowledging most alarms
    (every fifth one nobody takes) after 20 s to about 8 min; their acknowledgements become the
    recording's actions. A test stand-in for the replay source's pass: same rules, made-up people."""
    indicators = [Indicator.from_row(r) for r in recording.reference["indicators"]]
    manager = AlarmManager(indicators)
    records: dict[str, AlarmRecord] = {}
    done: list[AlarmRecord] = []

    def heard(t, alarm, what):
        if what == "raised" and (alarm.id not in records or records[alarm.id].returned_at is not None):
            if alarm.id in records:
                done.append(records.pop(alarm.id))
            records[alarm.id] = AlarmRecord(alarm.id, alarm.indicator_id, alarm.code, alarm.name,
                                            alarm.limit.name, int(alarm.priority), t)
        elif what == "returned" and alarm.id in records:
            records[alarm.id].returned_at = t

    manager.listener = heard
    for iid in recording.readings.indicators():
        manager.update(iid, *recording.readings.of(iid))
    alarms = sorted([*done, *records.values()], key=lambda a: (a.raised_at, a.alarm_id))
    for n, a in enumerate(alarms):
        if n % 5 == 4:
            continue
        a.acked_by, a.acked_at = OPERATORS[n % 3], a.raised_at + 20 + (n * 37) % 460
        recording.actions.append({"ts": a.acked_at, "actor": a.acked_by, "role": "operator",
                                  "action": "acknowledge", "target_kind": "alarm", "target_id": a.alarm_id,
                                  "detail": json.dumps({"limit": a.limit})})
    recording.actions.sort(key=lambda r: r["ts"])
    return alarms


def test_the_figures_of_the_demo_rainstorm(demo):
    recording, summary = demo
    alarms = operate(recording)
    d = make_debrief(recording, alarms)
    start, end = recording.meta.start, recording.meta.end
    opened = [r for r in recording.incidents if start <= r["opened_at"] <= end]
    assert d.summary.incidents_opened == len(opened) > 5
    assert {i.id for i in d.incidents} >= {r["id"] for r in opened}
    assert d.summary.alarms == sum(start <= a.raised_at <= end for a in alarms) > 10
    assert sum(p.count for p in d.priorities) == d.summary.alarms
    assert sum(n for _, n in d.acks_by) == sum(p.acknowledged for p in d.priorities)
    assert {a for a, _ in d.acks_by} == set(OPERATORS)

    # every incident's steps are its platform events, in order, with their actors
    events = {}
    for e in recording.incident_events:
        events.setdefault(e["incident_id"], []).append(e)
    for timeline in d.incidents:
        mine = events[timeline.id]
        for step in timeline.steps:
            ev = next(e for e in mine if e["event"] == {"reported": "opened"}.get(step.status, step.status))
            assert (step.ts, step.actor) == (ev["ts"], ev["actor"])
        assert [s.ts for s in timeline.steps] == sorted(s.ts for s in timeline.steps)

    # charts: rain first, then the indicator longest in alarm, then other kinds of measurement;
    # the envelope keeps each one's extremes
    assert d.charts[0].code == "weather.rain.intensity" and len(d.charts) == 4
    assert d.charts[1].alarm_s == max(t.alarm_s for t in d.top_indicators if t.code != "weather.rain.intensity")
    kinds = [".".join(c.code.split(".")[:2]) for c in d.charts]
    assert len(set(kinds)) == len(kinds)
    for chart in d.charts:
        ts, values, _ = recording.readings.of(chart.indicator_id)
        inside = values[(ts >= start) & (ts <= end)]
        assert len(chart.ts) <= MAX_POINTS
        assert (chart.hi.max(), chart.lo.min()) == (inside.max(), inside.min())
    assert d.charts[0].hi.max() > 30  # the storm's peak is on the page


# -- the PDF ------------------------------------------------------------------------------------
def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's words back")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def test_the_pdf_of_a_hand_made_recording_reads_back(qapp, tmp_path):
    from console.shell.report import write_report

    recording, alarms = hand_made()
    d = make_debrief(recording, alarms, [{"ts": T0 + 1900, "author": "Trainer T. Lahti",
                                          "text": "Pumps should have started here."}],
                     [{"ts": T0 + 600, "label": "INC-B opened"}])
    path = write_report(d, tmp_path / "debrief.pdf")
    assert path.read_bytes().startswith(b"%PDF") and pages(path) == 6  # cover, incidents, alarms, alarm system, charts, notes
    text = pdf_text(path)
    for words in ("After-action report", "Rainstorm, Kallio", "Incident timelines", "Alarm statistics",
                  "Key measurements", "Annotations and bookmarks", "page 6 of 6", "Alarm system performance",
                  "Underpass flooded — Sörnäinen", "Street flooded — Kaarlenkatu", "INC-C",
                  "M. Virtanen", "A. Korhonen", "L. Nieminen", "HEL-P13", "Trainer T. Lahti",
                  "Pumps should have started here.", "Rain intensity (mm/h)", "Drainage well level, Kallio #1"):
        assert words in text, words
    assert "Old case" not in text and "Later case" not in text
    assert "a console's local cache" in text and "/tmp/cache.db" not in text  # no path of the recording machine
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Title:\s+After-action report — Rainstorm, Kallio", info)
    assert re.search(r"Creator:\s+CityOps Console 0.9", info) and "(A4)" in info
    # the figures: overall median 1:15; HIGH 6 raised, 5 acknowledged, median 1:30, p90 and longest 10:00
    assert "1:15" in text
    assert re.search(r"HIGH\s+6\s+5\s+1:30\s+10:00\s+10:00\s+1\s+1\s+0", text)
    assert re.search(r"MEDIUM\s+2\s+1\s+0:45\s+0:45\s+0:45\s+0\s+0\s+1", text)
    assert re.search(r"Street flooded — Kaarlenkatu\s+major\s+Kallio\s+\d\d:\d\d\s+closed\s+1:30\s+10:10 !\s+18:20",
                     text)


def test_the_pdf_is_written_whole_or_not_at_all(qapp, tmp_path):
    from console.shell.report import write_report

    recording, alarms = hand_made()
    d = make_debrief(recording, alarms)
    target = tmp_path / "debrief.pdf"
    target.write_bytes(b"the old report")
    write_report(d, target)
    assert target.read_bytes().startswith(b"%PDF") and pages(target) == 6
    assert [p.name for p in tmp_path.iterdir()] == ["debrief.pdf"]  # no temporary file left beside it
    with pytest.raises(UserError, match="cannot write the report to .*missing"):
        write_report(d, tmp_path / "missing" / "debrief.pdf")


def test_the_pdf_of_the_demo_rainstorm(qapp, demo, tmp_path):
    from console.shell.report import write_report

    recording, _ = demo
    alarms = operate(recording)
    d = make_debrief(recording, alarms, [{"ts": recording.meta.start + 2400, "author": "T. Lahti",
                                          "text": "Rain passes 30 mm/h."}])
    path = write_report(d, tmp_path / "rainstorm.pdf")
    count = pages(path)
    assert count >= 6  # 25 incidents: their table and timeline run over more than one page
    text = pdf_text(path)
    assert f"page {count} of {count}" in text and "Incident timelines (continued)" in text
    words = set(text.replace(",", " ").split())
    for timeline in d.incidents:  # titles wrap in the table: look for their words
        assert timeline.id in text and set(timeline.title.replace(",", "").split()) <= words, timeline.title
    for name in (*OPERATORS, "S. Hämäläinen", "J. Nieminen", "T. Lahti"):
        assert name in text, name
    assert f"{d.summary.alarms}" in text and f"{d.summary.incidents_opened}" in text
    for chart in d.charts:
        assert chart.code in text


def test_a_quiet_recording_still_makes_six_pages_that_say_so(qapp, tmp_path):
    from console.shell.report import write_report

    meta = RecordingMeta(T0, T0 + 600, "kallio", "cache /tmp/cache.db")
    quiet = Recording(meta, {"districts": [{"id": "kallio", "name": "Kallio", "boundary": "{}"}]}, Readings.empty())
    endless = " ".join(f"word{n}" for n in range(3000))  # taller than a page: cut short, never over the footer
    d = make_debrief(quiet, [], [{"ts": T0 + 60, "author": "T. Lahti", "text": endless}])
    assert (d.summary.district_name, d.summary.alarms, d.summary.ack_median_s, d.charts) == ("Kallio", 0, None, ())
    path = write_report(d, tmp_path / "quiet.pdf")
    assert pages(path) == 6
    text = pdf_text(path)
    for words in ("No incident was opened or active in this period.", "No alarm was raised in this period.",
                  "nothing to measure",
                  "No operator action was recorded in this period.", "holds no readings to chart",
                  "T. Lahti", "word0 word1", "…", "page 6 of 6", "Kallio"):
        assert words in text, words
    assert "word2999" not in text
    with pytest.raises(UserError, match="ends .* before it starts"):
        make_debrief(Recording(RecordingMeta(T0, T0), {}, Readings.empty()), [])
