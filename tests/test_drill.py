"""Drill scripts: parsed and checked against a real demo recording, every bad input one clear line,
applied as a pure function (the recording given stays bit for bit the same), and drill data marked
DRILL on the incident table, the incident detail and the alarm list (offscreen, PNGs saved)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomlkit
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape
from sqlalchemy import create_engine, text

from console.alarms import AlarmManager
from console.cache.rollups import RESOLUTIONS
from console.errors import UserError
from console.incidents.lifecycle import as_of
from console.model.action import Operator
from console.model.indicator import Indicator
from console.model.schema import REFERENCE_TABLES
from console.platform.create import create_platform
from console.replay.drill import (DRILL_DIR, DRILL_PREFIX, CommsLoss, DrillIncident, Spike, apply_drill, drill_marks,
                                  load_drill)
from console.replay.recording import ROLLUP_DTYPE, Readings, Recording, RecordingMeta

END = 1_780_000_000.0
START = END - 2 * 3600.0  # a two-hour replay of the three-hour demo platform
MIN = 60.0


# -- a real recording ----------------------------------------------------------------------------
def rollups_of(readings: Readings) -> dict[str, np.ndarray]:
    """Roll-ups as the cache keeps them (count, min, max, sum per indicator and bucket)."""
    out = {}
    for name, width in RESOLUTIONS.items():
        frame = pd.DataFrame({"indicator_id": readings.indicator_id, "bucket": np.floor(readings.ts / width) * width,
                              "value": readings.value})
        agg = frame.groupby(["indicator_id", "bucket"], sort=True)["value"].agg(["count", "min", "max", "sum"])
        table = np.zeros(len(agg), dtype=ROLLUP_DTYPE)
        table["indicator_id"] = agg.index.get_level_values(0)
        table["bucket"] = agg.index.get_level_values(1)
        table["n"], table["vmin"], table["vmax"], table["vsum"] = (agg[c].to_numpy() for c in ("count", "min", "max",
                                                                                            "sum"))
        out[name] = table
    return out


def recording_from(url: str, start: float = START, end: float = END) -> Recording:
    """The platform's tables as a Recording (what capture makes), readings from the preroll on."""
    meta = RecordingMeta(start, end, source=url, title="demo")
    engine = create_engine(url)
    with engine.connect() as conn:
        reference = {t: [dict(r) for r in conn.execute(text(f"SELECT * FROM {t}")).mappings()]
                     for t in REFERENCE_TABLES}
        rows = np.array(conn.execute(text("SELECT indicator_id, ts, value, quality FROM readings "
                                          "WHERE ts >= :a AND ts <= :b"), {"a": meta.preroll_start, "b": end}).all())
        incidents = [dict(r) for r in conn.execute(text("SELECT * FROM incidents ORDER BY id")).mappings()]
        events = [dict(r) for r in conn.execute(text("SELECT seq, incident_id, ts, event, actor, note "
                                                     "FROM incident_events ORDER BY seq")).mappings()]
    engine.dispose()
    readings = Readings.from_unsorted(rows[:, 0].astype(np.int32), rows[:, 1], rows[:, 2], rows[:, 3].astype(np.int8))
    return Recording(meta, reference, readings, rollups_of(readings), incidents, events)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Recording, Path]:
    path = tmp_path_factory.mktemp("drill") / "platform.db"
    create_platform(f"sqlite:///{path}", hours=3, seed=7, end=END)
    return recording_from(f"sqlite:///{path}"), path


def digest(rec: Recording) -> str:
    """Everything a recording holds, hashed: arrays by their bytes, rows by their JSON."""
    h = hashlib.sha256()
    for column in (rec.readings.indicator_id, rec.readings.ts, rec.readings.value, rec.readings.quality):
        h.update(column.tobytes())
    for name in sorted(rec.rollups):
        h.update(name.encode() + rec.rollups[name].tobytes())
    h.update(json.dumps([rec.meta.to_json(), rec.reference, rec.incidents, rec.incident_events, rec.unit_positions,
                         rec.actions, sorted(rec.drill_windows.items()), rec.drill_title],
                        sort_keys=True, default=str).encode())
    return h.hexdigest()


def code_id(rec: Recording, code: str) -> int:
    return next(int(r["id"]) for r in rec.reference["indicators"] if r["code"] == code)


def write(tmp_path: Path, body: str, name: str = "drill.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


HEAD = 'title = "t"\n[[events]]\n'


# -- parsing good scripts ------------------------------------------------------------------------
def test_both_shipped_examples_load_against_a_demo_recording(demo):
    rec, _ = demo
    assert sorted(p.stem for p in DRILL_DIR.glob("*.toml")) == ["comms-loss", "kamppi-flood"]
    flood = load_drill("kamppi-flood", rec)
    assert flood.title == "Kamppi underpass flooding" and "cloudburst" in flood.description
    level, pump, incident, loss = flood.events
    assert isinstance(level, Spike) and level.code == "drainage.level.kamppi.1" and level.value == 92.0
    assert (level.at, level.end, level.ramp) == (START + 5 * MIN, START + 35 * MIN, 300.0)
    assert isinstance(pump, Spike) and pump.add == 180.0 and pump.ramp == 120.0
    assert isinstance(incident, DrillIncident) and incident.incident_kind == "waterlogging"
    assert incident.district_id == "kamppi" and incident.severity == 2
    assert [(s.ts - incident.at, s.event) for s in incident.steps] == [
        (4 * MIN, "dispatched"), (15 * MIN, "on_scene"), (20 * MIN, "escalated")]
    assert isinstance(loss, CommsLoss) and (loss.at, loss.end) == (START + 32 * MIN, START + 44 * MIN)
    kamppi_drainage = {int(r["id"]) for r in rec.reference["indicators"]
                       if r["district_id"] == "kamppi" and r["category"] == "drainage"}
    assert set(loss.indicator_ids) == kamppi_drainage and len(kamppi_drainage) == 3

    short = load_drill(DRILL_DIR / "comms-loss.toml", rec)
    (kallio,) = short.events
    assert isinstance(kallio, CommsLoss) and kallio.end - kallio.at == 15 * MIN
    codes = {int(r["id"]): r["code"] for r in rec.reference["indicators"]}
    chosen = sorted(codes[i] for i in kallio.indicator_ids)
    assert chosen and all(c.split(".")[0] in ("traffic", "power", "water", "drainage") and ".kallio" in c
                          for c in chosen)


def test_times_in_every_form_and_places_from_district_or_point(demo, tmp_path):
    rec, _ = demo
    at = START + 12 * MIN
    helsinki = dt.datetime.fromtimestamp(at, dt.timezone(dt.timedelta(hours=3)))
    forms = ['"+00:12:00"', '"+12m"', '"+720s"', '"+0h12m"', '"+12m0s"', f'"{helsinki.isoformat()}"',
             helsinki.isoformat(), dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat().replace("+00:00", "Z")]
    for form in forms:
        script = load_drill(write(tmp_path, HEAD + f'at = {form}\nkind = "comms_loss"\ndistrict = "kamppi"\n'
                                                   'duration = 600\n'), rec)
        assert script.events[0].at == at and script.events[0].end == at + 600, form

    boundary = shape(json.loads(next(d["boundary"] for d in rec.reference["districts"] if d["id"] == "kallio")))
    centre = load_drill(write(tmp_path, HEAD + 'at = "+90s"\nkind = "incident"\nincident_kind = "gas_leak"\n'
                                               'severity = 1\ntitle = "Gas smell"\ndistrict = "kallio"\n'), rec)
    inc = centre.events[0]
    assert inc.at == START + 90 and (inc.lon, inc.lat) == pytest.approx((boundary.centroid.x, boundary.centroid.y),
                                                                        abs=1e-6)
    assert inc.actor == "drill" and inc.note == "Gas smell" and inc.steps == ()
    point = load_drill(write(tmp_path, HEAD + f'at = "+1h"\nkind = "incident"\nincident_kind = "sinkhole"\n'
                                              f'severity = 3\ntitle = "Road caved in"\nlon = {inc.lon}\n'
                                              f'lat = {inc.lat}\n'), rec)
    assert point.events[0].district_id == "kallio" and point.events[0].incident_kind == "sinkhole"
    far = load_drill(write(tmp_path, HEAD + 'at = "+2h"\nkind = "incident"\nincident_kind = "fire_alarm"\n'
                                            'severity = 4\ntitle = "Far away"\nlon = 25.5\nlat = 61.0\n'), rec)
    assert far.events[0].district_id is None and far.events[0].at == END


# -- bad input: one line naming the file, the key and what was expected --------------------------
SPIKE = 'at = "+5m"\nkind = "spike"\nindicator = "drainage.level.kamppi.1"\n'
INCIDENT = 'at = "+5m"\nkind = "incident"\nincident_kind = "waterlogging"\nseverity = 2\ntitle = "Flood"\n'
BAD = [
    ('title = "t"\nevents = [\n  {at = "+5m", kind = \n]\n', "",
     "not valid TOML: Invalid value (at line 3, column 23)"),
    ('titel = "t"\n', "titel", "unknown key (expected title, description, events)"),
    ('[[events]]\nat = "+5m"\n', "title", "missing: expected a one-line text"),
    ('title = "two\\nlines"\n[[events]]\n', "title", "one-line text"),
    ('title = "t"\n', "events", "at least one [[events]] table"),
    ('title = "t"\nevents = [1]\n', "events[0]", "expected a table"),
    (HEAD + 'at = "+5m"\nkind = "flood"\n', "events[0].kind", "expected one of incident, spike, comms_loss"),
    (HEAD + SPIKE + 'value = 90\nduration = "5m"\ndurration = "5m"\n', "events[0].durration", "unknown key"),
    (HEAD + 'kind = "spike"\n', "events[0].at", "missing: expected"),
    (HEAD + 'at = "12 minutes"\nkind = "spike"\n', "events[0].at", '"+00:12:00", "+12m", "+90s"'),
    (HEAD + 'at = "+5h"\nkind = "spike"\n', "events[0].at", "expected a time within the recording"),
    (HEAD + 'at = "2026-05-28T19:30:00"\nkind = "spike"\n', "events[0].at", "with its UTC offset"),
    (HEAD + 'at = 2026-05-28T19:30:00\nkind = "spike"\n', "events[0].at", "with its UTC offset"),
    (HEAD + 'at = 2020-01-01T00:00:00Z\nkind = "spike"\n', "events[0].at", "+0:00:00 to +2:00:00"),
    (HEAD + 'at = 720\nkind = "spike"\n', "events[0].at", "expected"),
    (HEAD + SPIKE.replace("kamppi.1", "kampi.1") + 'value = 90\nduration = "5m"\n', "events[0].indicator",
     "close matches: drainage.level.kamppi.1"),
    (HEAD + SPIKE + 'value = 90\nadd = 5\nduration = "5m"\n', "events[0].value", "exactly one of them"),
    (HEAD + SPIKE + 'duration = "5m"\n', "events[0].value", "exactly one of them"),
    (HEAD + SPIKE + 'value = nan\nduration = "5m"\n', "events[0].value", "expected a number"),
    (HEAD + SPIKE + 'value = 90\n', "events[0].duration", "missing: expected how long"),
    (HEAD + SPIKE + 'value = 90\nduration = "0s"\n', "events[0].duration", "more than zero"),
    (HEAD + SPIKE + 'value = 90\nduration = "-5m"\n', "events[0].duration", "expected a length of time"),
    (HEAD + SPIKE + 'value = 90\nduration = "3h"\n', "events[0].duration", "end by the recording's end"),
    (HEAD + SPIKE + 'value = 90\nduration = "5m"\nramp = 200\n', "events[0].ramp", "at most half the duration"),
    (HEAD + INCIDENT.replace("severity = 2", "severity = 5") + 'district = "kamppi"\n', "events[0].severity",
     "expected 1 (critical)"),
    (HEAD + INCIDENT.replace("severity = 2", "severity = true") + 'district = "kamppi"\n', "events[0].severity",
     "got True"),
    (HEAD + INCIDENT.replace('"waterlogging"', '"water logging"') + 'district = "kamppi"\n',
     "events[0].incident_kind", "waterlogging"),
    (HEAD + INCIDENT + 'district = "kampi"\n', "events[0].district", "close matches: kamppi"),
    (HEAD + INCIDENT, "events[0].district", "or lon and lat"),
    (HEAD + INCIDENT + 'lon = 200.0\nlat = 60.1\n', "events[0].lon", "-180..180"),
    (HEAD + INCIDENT + 'lon = 24.9\n', "events[0].lat", "-90..90"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+5m"\nevent = "arrived"\n',
     "events[0].steps[0].event", "expected one of dispatched, on_scene"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+5m"\nevent = "opened"\n',
     "events[0].steps[0].event", "expected one of dispatched"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nevent = "dispatched"\n',
     "events[0].steps[0].after", "missing"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+5m"\nevent = "dispatched"\nwho = "x"\n',
     "events[0].steps[0].who", "unknown key (expected after, event, actor, note)"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+3h"\nevent = "dispatched"\n',
     "events[0].steps[0].after", "within the recording"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+10m"\nevent = "dispatched"\n'
                       '[[events.steps]]\nafter = "+5m"\nevent = "on_scene"\n',
     "events[0].steps[0].event", "statuses only move forward"),
    (HEAD + INCIDENT + 'district = "kamppi"\n[[events.steps]]\nafter = "+10m"\nevent = "closed"\n'
                       '[[events.steps]]\nafter = "+15m"\nevent = "comment"\n',
     "events[0].steps[1].after", "before the incident closes"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\n', "events[0]", "district, category and/or indicators"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\ncategory = "sewer"\n', "events[0].category",
     "unknown category 'sewer' (expected one of air, building, drainage"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\ncategory = ["power", 3]\n',
     "events[0].category[1]", "unknown category 3"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\nindicators = ["drainage.*", "sewer.*"]\n',
     "events[0].indicators[1]", "unknown indicator 'sewer.*'"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\nindicators = "drainage.*"\n',
     "events[0].indicators", "expected a list of indicator codes"),
    (HEAD + 'at = "+5m"\nkind = "comms_loss"\nduration = "5m"\ndistrict = "kamppi"\nindicators = ["weather.*"]\n',
     "events[0]", "selects no indicator (kamppi · weather.*)"),
]


@pytest.mark.parametrize("body, key, expected", BAD, ids=[f"{n}:{key}" for n, (_, key, _) in enumerate(BAD)])
def test_every_bad_script_is_refused_in_one_line_naming_file_key_and_expectation(demo, tmp_path, body, key,
                                                                                  expected):
    rec, _ = demo
    path = write(tmp_path, body)
    with pytest.raises(UserError) as caught:
        load_drill(path, rec)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: " if key else f"{path}: "), message
    assert expected in message and "\n" not in message, message


def test_a_missing_file_and_one_that_is_not_text_are_refused(demo, tmp_path):
    rec, _ = demo
    with pytest.raises(UserError, match=r"drill script .*nowhere\.toml does not exist \(shipped drills: comms-loss, "
                                        r"kamppi-flood\)"):
        load_drill(tmp_path / "nowhere.toml", rec)
    with pytest.raises(UserError, match="does not exist"):
        load_drill("no-such-drill", rec)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"title = \xff\xfe\n")
    with pytest.raises(UserError, match=r"binary\.toml: cannot be read as UTF-8 text"):
        load_drill(binary, rec)


# -- property: whatever the file holds, a script or one UserError line naming the file -----------
VALUES = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans(), st.text(max_size=20),
    st.sampled_from(["+12m", "+99h", "+00:12:00", "5m", "00:05:00", "0s", "kamppi", "kallio", "drainage.*",
                     "drainage.level.kamppi.1", "dispatched", "on_scene", "closed", "comment", "spike", "incident",
                     "comms_loss", "2026-05-28T19:30:00+03:00", "2026-05-28T19:30:00", ""]),
    st.datetimes(min_value=dt.datetime(2026, 5, 28, 16), max_value=dt.datetime(2026, 5, 28, 22),
                 timezones=st.just(dt.timezone.utc)),
    st.lists(st.sampled_from(["drainage.*", "power.*", "nope", 3]), max_size=3),
)


def _paths(doc, prefix=()):
    yield prefix
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield from _paths(v, (*prefix, k))


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "mutated.toml"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_scripts_load_and_apply_or_raise_one_user_error_naming_the_file(demo, scratch, data):
    rec, _ = demo
    before = digest(rec)
    doc = tomllib.loads((DRILL_DIR / "kamppi-flood.toml").read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(doc))[1:]
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        op = data.draw(st.sampled_from(["delete", "replace", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = data.draw(VALUES)
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "kind", "at", "district", "lon", "steps", "value"]))] = \
                data.draw(VALUES)
    try:
        body = tomlkit.dumps(doc)
    except Exception:  # noqa: BLE001 (a value tomlkit cannot write: not a script a trainer could save)
        assume(False)
    scratch.write_text(body, encoding="utf-8")
    try:
        script = load_drill(scratch, rec)
    except UserError as exc:
        event("refused")
        assert str(exc).startswith(f"{scratch}: ") and "\n" not in str(exc), str(exc)
    else:
        event("loaded and applied")
        drilled = apply_drill(rec, script)
        assert drilled.drill_title == script.title and len(drilled.readings) > 0
    assert digest(rec) == before


@settings(max_examples=100, deadline=None)
@given(body=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_text_raises_one_user_error_naming_the_file(demo, scratch, body):
    rec, _ = demo
    if isinstance(body, bytes):
        scratch.write_bytes(body)
    else:
        scratch.write_text(body, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(UserError) as caught:
        load_drill(scratch, rec)
    assert str(caught.value).startswith(f"{scratch}: ") and "\n" not in str(caught.value)


# -- applying a drill ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flooded(demo):
    rec, platform = demo
    before, file_before = digest(rec), hashlib.sha256(platform.read_bytes()).hexdigest()
    script = load_drill("kamppi-flood", rec)
    drilled = apply_drill(rec, script)
    assert digest(rec) == before, "the recording given was changed"
    assert hashlib.sha256(platform.read_bytes()).hexdigest() == file_before, "the platform was written"
    return rec, script, drilled


def test_the_drill_incident_is_marked_and_its_status_follows_its_events(flooded):
    rec, script, drilled = flooded
    assert drilled is not rec and drilled.incidents[:-1] == rec.incidents
    row = drilled.incidents[-1]
    events = [e for e in drilled.incident_events if e["incident_id"] == "drill-1"]
    assert row["id"] == "drill-1" and row["drill"] is True and row["kind"] == "waterlogging"
    assert row["title"] == DRILL_PREFIX + "Underpass under water — Salomonkatu, Kamppi"
    assert (row["district_id"], row["lon"], row["lat"]) == ("kamppi", 24.9335, 60.1689)
    assert [(e["ts"] - START, e["event"], e["actor"]) for e in events] == [
        (10 * MIN, "opened", "12345 hotline"), (14 * MIN, "dispatched", "A. Virtanen"),
        (25 * MIN, "on_scene", "HEL-U42"), (30 * MIN, "escalated", "Duty officer H. Lindqvist")]
    assert all(e["drill"] for e in events)
    recorded = [e["seq"] for e in rec.incident_events]
    assert min(e["seq"] for e in events) > max(recorded)
    assert len({e["seq"] for e in drilled.incident_events}) == len(drilled.incident_events)
    assert (row["status"], row["updated_at"], row["rev"]) == ("on_scene", events[-1]["ts"], events[-1]["seq"])
    for minutes, status, shown in ((10, "reported", 1), (13.9, "reported", 1), (14, "dispatched", 2),
                                   (24, "dispatched", 2), (26, "on_scene", 3), (31, "on_scene", 4),
                                   (120, "on_scene", 4)):
        now = as_of(row, events, START + minutes * MIN)
        assert (now["status"], len(now["events"]), now["drill"]) == (status, shown, True), minutes


def test_spikes_change_readings_only_inside_their_window(flooded):
    rec, _, drilled = flooded
    level = code_id(rec, "drainage.level.kamppi.1")
    ts0, v0, q0 = rec.readings.of(level)
    ts1, v1, q1 = drilled.readings.of(level)
    t0, t1, lost = START + 5 * MIN, START + 35 * MIN, (START + 32 * MIN, START + 44 * MIN)
    outside0 = ((ts0 < t0) | (ts0 >= t1)) & ((ts0 < lost[0]) | (ts0 >= lost[1]))
    outside1 = ((ts1 < t0) | (ts1 >= t1)) & ((ts1 < lost[0]) | (ts1 >= lost[1]))
    np.testing.assert_array_equal(ts1[outside1], ts0[outside0])
    np.testing.assert_array_equal(v1[outside1], v0[outside0])
    np.testing.assert_array_equal(q1[outside1], q0[outside0])
    plateau = (ts1 >= t0 + 300) & (ts1 <= t1 - 300) & (ts1 < lost[0])
    assert plateau.sum() >= 15 and np.all(v1[plateau] == 92.0)
    rising = (ts1 > t0) & (ts1 < t0 + 300)
    assert rising.any() and np.all(v1[rising] < 92.0) and np.all(np.diff(v1[rising]) > -5)
    assert np.array_equal(ts1[(ts1 >= t0) & (ts1 < lost[0])], ts0[(ts0 >= t0) & (ts0 < lost[0])]), \
        "a sensor with readings in the window gets none added"

    pump = code_id(rec, "drainage.pump.kamppi")
    tp0, vp0, _ = rec.readings.of(pump)
    tp1, vp1, _ = drilled.readings.of(pump)
    flat = (tp0 >= START + 10 * MIN) & (tp0 <= START + 31 * MIN)
    same = (tp1 >= START + 10 * MIN) & (tp1 <= START + 31 * MIN)
    np.testing.assert_array_equal(vp1[same], np.round(vp0[flat] + 180.0, 0))


def test_a_spike_fills_a_gap_and_an_indicator_without_readings_at_its_interval(demo, tmp_path):
    rec, _ = demo
    level = code_id(rec, "drainage.level.kluuvi.2")
    ts, v, q = (a.copy() for a in rec.readings.of(level))
    keep = (ts < START + 10 * MIN) | (ts >= START + 40 * MIN)
    others = rec.readings.indicator_id != level
    cut = Readings.from_unsorted(np.concatenate([rec.readings.indicator_id[others], np.full(keep.sum(), level)]),
                                 np.concatenate([rec.readings.ts[others], ts[keep]]),
                                 np.concatenate([rec.readings.value[others], v[keep]]),
                                 np.concatenate([rec.readings.quality[others], q[keep]]))
    gappy = Recording(rec.meta, rec.reference, cut)
    path = write(tmp_path, HEAD + 'at = "+15m"\nkind = "spike"\nindicator = "drainage.level.kluuvi.2"\nvalue = 85\n'
                                  'duration = "10m"\n')
    drilled = apply_drill(gappy, load_drill(path, gappy))
    new_ts, new_v, new_q = drilled.readings.of(level)
    inside = (new_ts >= START + 15 * MIN) & (new_ts < START + 25 * MIN)
    np.testing.assert_array_equal(new_ts[inside], START + 15 * MIN + 60.0 * np.arange(10))  # interval_s 60
    assert np.all(new_v[inside] == 85.0) and np.all(new_q[inside] == 0)
    assert len(new_ts) == keep.sum() + 10 and np.all(np.diff(new_ts) > 0)
    assert drilled.drill_windows == {level: [(START + 15 * MIN, START + 25 * MIN)]}


def test_comms_loss_leaves_a_gap_and_touches_no_other_indicator(flooded):
    rec, script, drilled = flooded
    loss = script.events[3]
    for iid in loss.indicator_ids:
        ts, _, _ = drilled.readings.of(iid)
        assert not np.any((ts >= loss.at) & (ts < loss.end))
        assert np.any(ts < loss.at) and np.any(ts >= loss.end)
        assert loss.end - ts[ts < loss.at][-1] > 12 * MIN
    touched = set(loss.indicator_ids) | {code_id(rec, "drainage.pump.kamppi"), code_id(rec, "drainage.level.kamppi.1")}
    assert set(drilled.drill_windows) == touched
    assert drilled.drill_windows[code_id(rec, "drainage.level.kamppi.1")] == [
        (START + 5 * MIN, START + 35 * MIN), (loss.at, loss.end)]
    assert drilled.drill_windows[code_id(rec, "drainage.level.kamppi.2")] == [(loss.at, loss.end)]
    for iid in rec.readings.indicators():
        if iid not in touched:
            for a, b in zip(rec.readings.of(iid), drilled.readings.of(iid)):
                assert np.array_equal(a, b)


def test_rollups_are_recomputed_where_the_drill_changed_readings_and_kept_elsewhere(flooded):
    rec, _, drilled = flooded
    fresh = rollups_of(drilled.readings)
    for name in RESOLUTIONS:
        np.testing.assert_array_equal(drilled.rollups[name], fresh[name])
        assert not np.array_equal(rec.rollups[name], drilled.rollups[name])


def test_marks_title_and_a_second_drill_refused(flooded):
    rec, script, drilled = flooded
    assert drilled.drill_title == "Kamppi underpass flooding" and rec.drill_title is None and rec.drill_windows == {}
    marks = drill_marks(script, rec)
    assert [(t - START) / MIN for t, _ in marks] == [5, 8, 10, 32]
    assert all(label.startswith(DRILL_PREFIX) for _, label in marks)
    assert marks[0][1] == "DRILL: spike drainage.level.kamppi.1 → 92 % for 0:30:00"
    assert marks[2][1] == "DRILL: Underpass under water — Salomonkatu, Kamppi"
    assert marks[3][1] == "DRILL: comms loss, kamppi · drainage, for 0:12:00"
    with pytest.raises(ValueError, match="already applied"):
        apply_drill(drilled, script)


# -- the DRILL tag on the wall -------------------------------------------------------------------
def _shot(widget, tmp_path: Path, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # let word-wrapped labels settle their heights first
    for folder in filter(None, (str(tmp_path), os.environ.get("CITYOPS_SHOTS"))):
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(folder) / name))


def test_incident_table_and_detail_tag_drill_incidents(flooded, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from console.shell.qt_setup import qt_app
    from console.store import Store
    from widgets import ViewContext
    from widgets.incident_detail import IncidentDetail
    from widgets.incidents import DRILL_COLOUR, IncidentList

    _, _, drilled = flooded
    now = START + 31 * MIN
    store = Store()
    store.load_reference(drilled.reference)
    for iid in drilled.readings.indicators():
        ts, v, q = drilled.readings.of(iid)
        store.add_readings(iid, ts[ts <= now], v[ts <= now], q[ts <= now])
    store.add_incidents([r for r in drilled.incidents if r["opened_at"] <= now],
                        [e for e in drilled.incident_events if e["ts"] <= now])
    qt_app()
    ctx = ViewContext(store, None, None, Operator("hanna", "supervisor"))
    screen = QWidget()
    row = QHBoxLayout(screen)
    table = IncidentList(ctx, {"title": "Incidents", "include_closed": True})
    detail = IncidentDetail(ctx, {"title": "Incident"})
    row.addWidget(table, 11)
    row.addWidget(detail, 9)
    qtbot.addWidget(screen)
    screen.resize(1900, 800)
    screen.show()
    ctx.selection.select("drill-1")
    table.refresh(now)
    detail.refresh(now)
    model = table.model
    texts = {r["id"]: model.data(model.index(n, 5)) for n, r in enumerate(model.rows)}
    assert len(texts) >= 3
    assert texts["drill-1"] == "⚑ DRILL · ☔ Underpass under water — Salomonkatu, Kamppi"
    assert all("DRILL" not in t for i, t in texts.items() if i != "drill-1")
    n = model.ids().index("drill-1")
    assert model.data(model.index(n, 5), Qt.ItemDataRole.ForegroundRole) == DRILL_COLOUR
    assert model.data(model.index(n, 2)) == "on scene"
    assert "DRILL — not a real incident" in model.data(model.index(n, 5), Qt.ItemDataRole.ToolTipRole)
    assert detail.drill_band.isVisible() and detail.drill_band.text() == "⚑ DRILL — not a real incident"
    assert "escalated" in detail.log.text() and "HEL-U42" in detail.units.text()
    _shot(screen, tmp_path, "drill_incidents.png")

    real = next(i for i in model.ids() if i != "drill-1")
    ctx.selection.select(real)
    detail.refresh(now)
    table.refresh(now)
    assert not detail.drill_band.isVisible() and detail.content.isVisible()
    _shot(screen, tmp_path, "drill_incidents_real_selected.png")


def test_alarm_list_tags_alarms_the_drill_raised(flooded, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from console.shell.qt_setup import qt_app
    from console.store import Store
    from widgets import ViewContext
    from widgets.alarms import AlarmList
    from widgets.incidents import DRILL_COLOUR

    _, _, drilled = flooded
    now = START + 20 * MIN
    alarms = AlarmManager([Indicator.from_row(r) for r in drilled.reference["indicators"]])
    for iid in drilled.readings.indicators():
        ts, v, q = drilled.readings.of(iid)
        alarms.update(iid, ts[ts <= now], v[ts <= now], q[ts <= now])
    for alarm in alarms.alarms():  # what the replay source does: raised inside a drill window -> drill
        alarm.drill = any(t0 <= alarm.raised_at < t1 for t0, t1 in drilled.drill_windows.get(alarm.indicator_id, ()))
    drill_ids = {a.id for a in alarms.alarms() if a.drill}
    assert "drainage.level.kamppi.1:HIHI" in drill_ids and len(alarms.alarms()) > len(drill_ids)
    qt_app()
    view = AlarmList(ViewContext(Store(), None, alarms, Operator("ann", "operator")), {"title": "Alarms"})
    qtbot.addWidget(view)
    view.resize(1000, 420)
    view.show()
    view.refresh(now)
    model = view.model
    for n, alarm in enumerate(model.rows):
        shown = model.data(model.index(n, 2))
        assert shown.startswith("⚑ DRILL · ") == alarm.drill, shown
        colour = model.data(model.index(n, 2), Qt.ItemDataRole.ForegroundRole)
        assert (colour == DRILL_COLOUR) == alarm.drill
    _shot(view, tmp_path, "drill_alarms.png")
