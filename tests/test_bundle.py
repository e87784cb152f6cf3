"""Recording bundles: made from a cache or a platform, written, checked on open, exported for analysis.

One simulated platform (the session's demo platform, copied so actions can be delivered to it)
and one cache synced from it serve the whole module; every recording here is of real simulated
city data, the rainstorm's hours included.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from console.cache import Cache, outbox
from console.errors import UserError
from console.model.action import OperatorAction
from console.model.vocab import EVENT_TO_STATUS
from console.platform.create import create_platform
from console.replay.bundle import MANIFEST, MEMBERS, BundleError, manifest_digest, write_bundle
from console.replay.bundle_read import bundle_info, read_bundle
from console.replay.capture import record_from_cache, record_from_platform
from console.replay.export import export_recording
from console.replay.recording import FORMAT_VERSION, PREROLL_S, ROLLUP_DTYPE, Readings
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.pg import fresh_database

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

END = 1_780_000_000.0  # the demo platform's end (tests/conftest.py); it holds the 3 hours before
START, STOP = END - 5400, END - 600  # 80 minutes of replay, with the pre-roll back to the platform's start
DISTRICT = "kallio"
ARRAYS = [m for m in MEMBERS if m.endswith(".npy")]


@pytest.fixture(scope="module")
def world(demo_platform, tmp_path_factory) -> SimpleNamespace:
    """A platform of our own (a copy: actions get delivered to it) and a cache synced from it, with
    operators' actions in the cache's audit log: two during the recording, one long before it."""
    folder = tmp_path_factory.mktemp("bundle")
    shutil.copy(demo_platform.removeprefix("sqlite:///"), folder / "platform.db")
    url = f"sqlite:///{folder / 'platform.db'}"
    cache = Cache(folder / "cache.db")
    actions = [
        OperatorAction("A. Virtanen", "operator", "acknowledge", "alarm", "drainage.level.kallio.1:HI",
                       {"note": "crew on the way"}, ts=START + 120),
        OperatorAction("M. Korhonen", "supervisor", "status", "incident", "INC-X", {"status": "on_scene"},
                       ts=STOP - 60),
        OperatorAction("A. Virtanen", "operator", "comment", "alarm", "old:HI", {}, ts=START - PREROLL_S - 30 * 3600),
    ]
    for action in actions:
        outbox.record(cache, action)
    engine = SyncEngine(SqlConnector(url), cache)
    summary = engine.catch_up()  # copies the city and delivers the actions to the platform
    engine.connector.close()
    assert summary["delivered_actions"] == 3
    yield SimpleNamespace(url=url, cache=cache, folder=folder, actions=actions)
    cache.close()


@pytest.fixture(scope="module")
def recording(world):
    return record_from_cache(world.cache, START, STOP, title="rainstorm")


@pytest.fixture(scope="module")
def bundle(world, recording) -> Path:
    return write_bundle(recording, world.folder / "rainstorm.cityrec")


def assert_same_recording(a, b, *, exact_sums: bool = True) -> None:
    """Every part equal; arrays bit for bit (roll-up sums to rounding where computed another way)."""
    assert a.reference == b.reference
    for column in ("indicator_id", "ts", "value", "quality"):
        x, y = getattr(a.readings, column), getattr(b.readings, column)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), column
    for name in ("1m", "1h"):
        x, y = a.rollups[name], b.rollups[name]
        assert x.dtype == y.dtype == ROLLUP_DTYPE and len(x) == len(y), name
        for field in ("indicator_id", "bucket", "n", "vmin", "vmax"):
            assert x[field].tobytes() == y[field].tobytes(), (name, field)
        if exact_sums:
            assert x["vsum"].tobytes() == y["vsum"].tobytes()
        else:
            np.testing.assert_allclose(x["vsum"], y["vsum"], rtol=1e-12, atol=1e-9)
    assert a.incidents == b.incidents
    assert a.incident_events == b.incident_events
    assert a.unit_positions == b.unit_positions
    assert a.actions == b.actions


# -- recording -----------------------------------------------------------------------------------

def test_a_recording_from_the_cache_holds_the_window_and_its_pre_roll(world, recording):
    meta = recording.meta
    assert (meta.start, meta.end, meta.district, meta.title) == (START, STOP, None, "rainstorm")
    assert meta.source == f"cache {world.cache.path}" and meta.console_version
    readings = recording.readings
    with world.cache.engine.connect() as conn:
        expected = conn.execute(text("SELECT count(*) FROM readings WHERE ts >= :a AND ts <= :b"),
                                {"a": meta.preroll_start, "b": STOP}).scalar()
        events_total = conn.execute(text("SELECT count(*) FROM incident_events WHERE ts <= :b"), {"b": STOP}).scalar()
    assert len(readings) == expected > 10_000
    assert readings.ts.min() >= meta.preroll_start and readings.ts.max() <= STOP
    assert set(readings.indicators()) == {row["id"] for row in recording.reference["indicators"]}
    # one indicator's stretch is what the cache holds for it
    iid = readings.indicators()[5]
    ts, value, _quality = readings.of(iid)
    want_ts, want_value = world.cache.read_range(iid, meta.preroll_start, STOP)
    assert np.array_equal(ts, want_ts) and np.array_equal(value, want_value)
    # roll-ups: whole buckets inside their spans, and each 1-minute bucket agrees with the raw readings
    one_minute = recording.rollups["1m"]
    assert one_minute["bucket"].min() >= STOP - 86400 - PREROLL_S and (one_minute["bucket"] + 60).max() <= STOP
    assert (recording.rollups["1h"]["bucket"] + 3600).max() <= STOP
    for bucket in one_minute[one_minute["indicator_id"] == iid][-5:]:
        inside = value[(ts >= bucket["bucket"]) & (ts < bucket["bucket"] + 60)]
        assert bucket["n"] == len(inside) and bucket["vmin"] == inside.min() and bucket["vmax"] == inside.max()
    # incidents as they stood at the end, with all their events up to it
    assert recording.incidents and all(row["opened_at"] <= STOP for row in recording.incidents)
    ids = {row["id"] for row in recording.incidents}
    assert {e["incident_id"] for e in recording.incident_events} == ids
    assert len(recording.incident_events) == events_total
    assert all(e["ts"] <= STOP for e in recording.incident_events)
    assert all(row["updated_at"] <= STOP for row in recording.incidents)
    # incidents the platform moved on after the end are shown as they stood at the end
    later = {row["id"]: row for row in world.cache.rows("incidents") if row["updated_at"] > STOP}
    moved = [row for row in recording.incidents if row["id"] in later]
    assert any(row["status"] != later[row["id"]]["status"] for row in moved)
    for row in moved:
        own = [e for e in recording.incident_events if e["incident_id"] == row["id"]]
        statuses = [EVENT_TO_STATUS[e["event"]] for e in own if e["event"] in EVENT_TO_STATUS]
        assert (row["status"], row["rev"], row["updated_at"]) == (statuses[-1], own[-1]["seq"], own[-1]["ts"])
    positions = recording.unit_positions
    assert positions and all(meta.preroll_start <= p["ts"] <= STOP for p in positions)
    assert [p["ts"] for p in positions] == sorted(p["ts"] for p in positions)
    json.dumps([recording.reference, recording.incidents, recording.incident_events, positions, recording.actions])


def test_operators_actions_come_from_the_audit_log(world, recording):
    shown = [(a["action"], a["target_id"]) for a in recording.actions]
    assert shown == [("acknowledge", "drainage.level.kallio.1:HI"), ("status", "INC-X")]  # not the old comment
    first = recording.actions[0]
    assert (first["ts"], first["actor"], first["role"]) == (START + 120, "A. Virtanen", "operator")
    assert json.loads(first["detail"]) == {"note": "crew on the way"}


def test_the_cache_and_an_sqlite_platform_give_the_same_recording(world, recording):
    progress = []
    direct = record_from_platform(world.url, START, STOP, progress=progress.append, title="rainstorm")
    assert direct.meta.source == world.url
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 100  # per indicator
    assert_same_recording(direct, recording, exact_sums=False)  # the platform's sums are SQL's


@pytest.mark.postgres
def test_a_postgresql_platform_gives_the_same_readings(demo_platform):
    """The demo platform built on PostgreSQL with the same seed holds the same city as the SQLite one."""
    with fresh_database() as url:
        create_platform(url, hours=3, seed=11, end=END)
        from_pg = record_from_platform(url, START, STOP)
        from_sqlite = record_from_platform(demo_platform, START, STOP)
    assert len(from_pg.readings) > 10_000
    assert from_pg.meta.source == url
    assert_same_recording(from_pg, from_sqlite, exact_sums=False)


def test_a_district_recording_keeps_its_own_and_the_city_wide_indicators(world, recording):
    local = record_from_cache(world.cache, START, STOP, district=DISTRICT)
    reference = local.reference
    kept = {row["id"] for row in reference["indicators"]}
    assert {row["district_id"] for row in reference["indicators"]} == {DISTRICT, None}
    assert set(local.readings.indicators()) == kept
    for iid in kept:  # the same readings as the whole city's recording
        assert all(np.array_equal(a, b) for a, b in zip(local.readings.of(iid), recording.readings.of(iid)))
    assert {row["indicator_id"] for row in reference["sensors"]} <= kept and reference["sensors"]
    assert {row["district_id"] for row in reference["buildings"]} == {DISTRICT}
    for table in ("districts", "map_features", "units", "plans"):  # the whole map still draws
        assert reference[table] == recording.reference[table]
    assert local.incidents and {row["district_id"] for row in local.incidents} == {DISTRICT}
    assert {e["incident_id"] for e in local.incident_events} == {row["id"] for row in local.incidents}
    assert set(np.unique(local.rollups["1m"]["indicator_id"])) == kept


def test_actions_reach_a_platform_recording_from_operator_actions(world):
    direct = record_from_platform(world.url, START, STOP)
    assert [(a["action"], a["target_id"], json.loads(a["detail"])) for a in direct.actions] == [
        ("acknowledge", "drainage.level.kallio.1:HI", {"note": "crew on the way"}),
        ("status", "INC-X", {"status": "on_scene"})]


@pytest.mark.parametrize("start, end, district, fragments", [
    (STOP, START, None, ["must start before it ends"]),
    (START, START, None, ["must start before it ends"]),
    (START, STOP, "atlantis", ["unknown district 'atlantis'", "kallio", "punavuori"]),
    (END + 86400, END + 2 * 86400, None, ["no readings or incident events from 2026-05-29 20:26:40 UTC",
                                          "it holds readings from 2026-05-28"]),
])
def test_recording_refuses_what_it_cannot_record(world, start, end, district, fragments):
    for record in (lambda: record_from_cache(world.cache, start, end, district),
                   lambda: record_from_platform(world.url, start, end, district)):
        with pytest.raises(UserError) as caught:
            record()
        message = str(caught.value)
        assert "\n" not in message
        for fragment in fragments:
            assert fragment in message


def test_an_unreachable_platform_is_named_without_its_password(tmp_path):
    with pytest.raises(UserError) as caught:
        record_from_platform("postgresql+psycopg://cityops:s3cret@127.0.0.1:1/city", START, STOP)
    assert "127.0.0.1:1" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(UserError, match="missing.db does not exist"):
        record_from_platform(f"sqlite:///{tmp_path}/missing.db", START, STOP)
    (tmp_path / "other.db").write_bytes(b"")
    with pytest.raises(UserError, match="not a CityOps platform"):
        record_from_platform(f"sqlite:///{tmp_path}/other.db", START, STOP)


# -- the bundle file ----------------------------------------------------------------------------

def test_round_trip_gives_back_every_part_bit_for_bit(recording, bundle, tmp_path):
    progress = []
    back = read_bundle(bundle, progress=progress.append)
    assert back.meta == recording.meta
    assert_same_recording(back, recording)
    assert progress == sorted(progress) and progress[-1] == 1.0
    info = bundle_info(bundle)
    assert info["format_version"] == FORMAT_VERSION and info["meta"] == recording.meta
    assert info["counts"]["readings"] == len(recording.readings)
    assert info["counts"]["incidents"] == len(recording.incidents) and info["bytes"] == bundle.stat().st_size
    # a recording written again from what was read is the same file's content
    again = write_bundle(back, tmp_path / "again.cityrec", progress=progress.append)
    assert_same_recording(read_bundle(again), recording)
    assert oct(again.stat().st_mode & 0o777) == "0o644"


def test_writing_replaces_a_bundle_whole_or_not_at_all(recording, tmp_path):
    target = write_bundle(recording, tmp_path / "r.cityrec")
    before = target.read_bytes()

    def interrupted(fraction: float) -> None:
        if fraction > 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_bundle(replace(recording, actions=[]), target, progress=interrupted)
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["r.cityrec"]
    with pytest.raises(BundleError, match="folder .*nowhere does not exist"):
        write_bundle(recording, tmp_path / "nowhere" / "r.cityrec")
    drilled = replace(recording, drill_title="flash flood drill")
    with pytest.raises(BundleError, match="drill"):
        write_bundle(drilled, target)
    assert target.read_bytes() == before


def _rewrite(src: Path, dst: Path, members: dict[str, bytes | None] | None = None,
             manifest=None, fix_checksums: bool = False) -> Path:
    """Copy a bundle, replacing (bytes) or dropping (None) members; ``manifest`` edits the manifest
    dict; ``fix_checksums`` makes the manifest agree with the new members, as a forger would."""
    members = members or {}
    with zipfile.ZipFile(src) as zin:
        content = {i.filename: zin.read(i) for i in zin.infolist()}
    doc = json.loads(content[MANIFEST])
    for name, data in members.items():
        if data is None:
            content.pop(name)
        else:
            content[name] = data
            if fix_checksums:
                doc["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if manifest is not None:
        manifest(doc)
    if fix_checksums:
        doc["sha256"] = manifest_digest(doc)
    if manifest is not None or fix_checksums:
        content[MANIFEST] = json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in content.items():
            zout.writestr(name, data)
    return dst


def _member(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)


def _npy(array: np.ndarray) -> bytes:
    import io

    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def _fails(path: Path, *fragments: str) -> str:
    with pytest.raises(BundleError) as caught:
        read_bundle(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize("keep", [0, 1, 21, 100, 0.5, -22, -1])
def test_a_truncated_bundle_says_so(bundle, tmp_path, keep):
    data = bundle.read_bytes()
    cut = tmp_path / "cut.cityrec"
    cut.write_bytes(data[:int(len(data) * keep) if isinstance(keep, float) else keep % len(data)])
    _fails(cut, "is truncated or not a recording bundle")
    with pytest.raises(BundleError, match="truncated or not a recording bundle"):
        bundle_info(cut)


@pytest.mark.parametrize("name", MEMBERS)
@pytest.mark.parametrize("where", ["middle", "header"])
def test_one_changed_byte_in_any_member_is_caught(bundle, tmp_path, name, where):
    data = bytearray(_member(bundle, name))
    at = len(data) // 2 if where == "middle" else 9
    data[at] ^= 0x01
    altered = _rewrite(bundle, tmp_path / "altered.cityrec", {name: bytes(data)})
    _fails(altered, f"has been altered or damaged: {name} does not match its checksum")
    assert bundle_info(altered)["counts"]  # the manifest alone is still fine


def test_a_changed_byte_in_the_file_itself_is_caught(bundle, tmp_path):
    """Not a rewritten member but a flipped bit on disk: the ZIP's own CRC or the checksum finds it."""
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("readings/value.npy")
    data = bytearray(bundle.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0x10
    damaged = tmp_path / "damaged.cityrec"
    damaged.write_bytes(bytes(data))
    _fails(damaged, "has been altered or damaged: readings/value.npy")


def test_what_is_not_a_bundle_or_not_ours(bundle, tmp_path):
    _fails(_rewrite(bundle, tmp_path / "a.cityrec", {MANIFEST: None}), "not a recording bundle", "no manifest.json")
    _fails(_rewrite(bundle, tmp_path / "b.cityrec", {"readings/value.npy": None}),
           "is incomplete: it has no readings/value.npy")
    newer = _rewrite(bundle, tmp_path / "c.cityrec", manifest=lambda m: m.update(format_version=FORMAT_VERSION + 1))
    message = _fails(newer, f"made by a newer console: format {FORMAT_VERSION + 1}, this console reads {FORMAT_VERSION}")
    with pytest.raises(BundleError, match="made by a newer console"):
        bundle_info(newer)
    assert "altered" not in message
    _fails(_rewrite(bundle, tmp_path / "d.cityrec", manifest=lambda m: m.update(format="photo-album")),
           "not a CityOps recording bundle", "photo-album")
    (tmp_path / "e.cityrec").write_bytes(b"PK\x03\x04 this is not really a zip file")
    _fails(tmp_path / "e.cityrec", "truncated or not a recording bundle")
    _fails(_rewrite(bundle, tmp_path / "f.cityrec", {MANIFEST: b"{not json"}), "manifest.json is not valid JSON")
    _fails(tmp_path / "nothing.cityrec", "does not exist")
    _fails(tmp_path, "is not a file")


def test_members_that_match_their_checksums_are_still_checked(bundle, recording, tmp_path):
    """A bundle rewritten by something else, with its checksums made to fit: still no traceback."""
    readings = recording.readings
    cases = {
        "reference.json": (b"[1, 2", "reference.json is not valid JSON"),
        "incidents.json": (json.dumps([{k: v for k, v in recording.incidents[0].items() if k != "status"}]).encode(),
                           "incidents.json row 1 has status = None"),
        "readings/value.npy": (_npy(readings.value.astype(np.float32)), "readings/value.npy holds float32"),
        "readings/quality.npy": (_npy(readings.quality[:-1]), "reading columns differ in length"),
        "readings/ts.npy": (_npy(readings.ts[::-1].copy()), "readings is not sorted by indicator and time"),
        "rollups/1h.npy": (_npy(np.zeros((2, 2))), "rollups/1h.npy holds float64 of shape (2, 2)"),
        "unit_positions.json": (b'{"a": 1}', "unit_positions.json does not hold a list of rows"),
    }
    for name, (data, fragment) in cases.items():
        _fails(_rewrite(bundle, tmp_path / "forged.cityrec", {name: data}, fix_checksums=True), fragment)
    fewer = _rewrite(bundle, tmp_path / "counts.cityrec", manifest=lambda m: m["counts"].update(readings=3),
                     fix_checksums=True)
    _fails(fewer, "manifest.json does not match its members (readings: 3 stated")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048), zip_like=st.booleans())
def test_arbitrary_bytes_give_only_a_bundle_error(tmp_path, data, zip_like):
    path = tmp_path / "random.cityrec"
    path.write_bytes((b"PK\x03\x04" if zip_like else b"") + data)
    for open_it in (read_bundle, bundle_info):
        with pytest.raises(BundleError):
            open_it(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.floats(0.5, 1, exclude_max=True)))
def test_mutated_bundles_give_only_a_bundle_error(bundle, tmp_path, edits, cut):
    """Bytes overwritten anywhere (headers, directory, data, manifest), perhaps cut short: the
    bundle reads as it was, or a BundleError says why not; nothing else ever comes out."""
    data = bytearray(bundle.read_bytes())
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[:int(cut * len(data))]
    path = tmp_path / "mutated.cityrec"
    path.write_bytes(bytes(data))
    for open_it in (read_bundle, bundle_info):
        try:
            open_it(path)
        except BundleError:
            pass


def test_a_bundle_with_no_readings_or_roll_ups_reads_back(recording, tmp_path):
    empty = replace(recording, readings=Readings.empty(), rollups={}, incidents=[], incident_events=[],
                    unit_positions=[], actions=[])
    back = read_bundle(write_bundle(empty, tmp_path / "empty.cityrec"))
    assert len(back.readings) == 0 and len(back.rollups["1m"]) == len(back.rollups["1h"]) == 0
    assert back.reference == recording.reference


# -- export --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_reads_back_with_pandas_as_the_recording(recording, tmp_path, fmt):
    paths = export_recording(recording, tmp_path / "out", fmt)
    names = {p.name for p in paths}
    assert names == {f"{t}.{fmt}" for t in ("readings", "indicators", "incidents", "incident_events",
                                            "unit_positions", "actions", "rollups_1m", "rollups_1h")}

    def load(table: str) -> pd.DataFrame:
        path = tmp_path / "out" / f"{table}.{fmt}"
        return pd.read_csv(path, keep_default_na=False, na_values=[""]) if fmt == "csv" else pd.read_parquet(path)

    readings = load("readings")
    assert list(readings.columns) == ["indicator_id", "code", "name", "unit", "district_id", "time", "ts",
                                      "value", "quality"]
    r = recording.readings
    assert np.array_equal(readings["indicator_id"], r.indicator_id)
    assert readings["ts"].to_numpy().tobytes() == r.ts.tobytes()
    assert readings["value"].to_numpy().tobytes() == r.value.tobytes()
    assert np.array_equal(readings["quality"], r.quality)
    codes = {row["id"]: row["code"] for row in recording.reference["indicators"]}
    assert list(readings["code"]) == [codes[i] for i in r.indicator_id.tolist()]
    times = pd.to_datetime(readings["time"], utc=True)
    assert (abs(times - pd.to_datetime(r.ts, unit="s", utc=True)) < pd.Timedelta(microseconds=1)).all()
    incidents = load("incidents")
    assert list(incidents["id"]) == [row["id"] for row in recording.incidents]
    assert list(incidents["status"]) == [row["status"] for row in recording.incidents]
    events = load("incident_events")
    assert list(events["seq"]) == [e["seq"] for e in recording.incident_events]
    assert len(load("unit_positions")) == len(recording.unit_positions)
    actions = load("actions")
    assert list(actions["detail"]) == [a["detail"] for a in recording.actions]
    assert len(load("indicators")) == len(recording.reference["indicators"])
    for name in ("1m", "1h"):
        rollups = load(f"rollups_{name}")
        assert np.array_equal(rollups["n"], recording.rollups[name]["n"])
        assert rollups["vmax"].to_numpy().tobytes() == recording.rollups[name]["vmax"].tobytes()


def test_export_refuses_an_unknown_format(recording, tmp_path):
    with pytest.raises(UserError, match="unknown export format 'xlsx' .*csv, parquet"):
        export_recording(recording, tmp_path, "xlsx")
