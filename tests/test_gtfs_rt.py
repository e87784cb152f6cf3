"""GTFS-Realtime: real protobuf feeds made with Google's bindings, imported into a platform (files and a
URL served on loopback): vehicles become moving units, trip delays punctuality per route and district;
re-reading writes nothing; a malformed feed is one line; hypothesis bytes never a traceback."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from google.transit import gtfs_realtime_pb2 as rt
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from console.cli import main
from console.errors import UserError
from console.importers.gtfs_rt_import import import_gtfs_rt
from console.model.schema import P
from tests.pg import bare_platform

NOW = int(time.time())
SQUARE = {"type": "Polygon", "coordinates": [[[24.9, 60.1], [25.0, 60.1], [25.0, 60.2], [24.9, 60.2], [24.9, 60.1]]]}


def feed(entities) -> bytes:
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = NOW
    for build in entities:
        build(message.entity.add())
    return message.SerializeToString()


def vehicle(vid, trip, route, lon, lat, bearing=90.0, position=True):
    def build(e):
        e.id = f"e-{vid}"
        e.vehicle.vehicle.id, e.vehicle.vehicle.label = vid, f"Bus {vid}"
        e.vehicle.trip.trip_id, e.vehicle.trip.route_id = trip, route
        e.vehicle.timestamp = NOW - 5
        e.vehicle.current_status = 1
        if position:
            e.vehicle.position.latitude, e.vehicle.position.longitude = lat, lon
            e.vehicle.position.bearing = bearing
    return build


def trip(tid, route, delay=None, stop_delay=None):
    def build(e):
        e.id = f"t-{tid}"
        e.trip_update.trip.trip_id = tid
        if route:
            e.trip_update.trip.route_id = route
        if delay is not None:
            e.trip_update.delay = delay
        if stop_delay is not None:
            stop = e.trip_update.stop_time_update.add(stop_sequence=3)
            stop.arrival.delay = stop_delay
    return build


@pytest.fixture
def platform(tmp_path):
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    engine = bare_platform(url)
    with engine.begin() as conn:
        conn.execute(insert(P["districts"]), [{"id": "kluuvi", "name": "Kluuvi", "boundary": json.dumps(SQUARE)}])
    yield url, engine
    engine.dispose()


def feeds(tmp_path):
    positions = tmp_path / "vehicles.pb"
    positions.write_bytes(feed([vehicle("v1", "t1", "10", 24.95, 60.15), vehicle("v2", "t2", "10", 24.5, 60.5),
                                vehicle("v3", "t3", "20", 24.96, 60.16), vehicle("v4", "t9", "20", 0, 0, position=True),
                                vehicle("v5", "t8", "20", 1, 1, position=False)]))
    trips = tmp_path / "trips.pb"
    trips.write_bytes(feed([trip("t1", "10", delay=30), trip("t2", "10", delay=600), trip("t3", "", stop_delay=-120),
                            trip("t4", "20", delay=0), trip("t6", "20", delay=100), trip("t5", "")]))
    return positions, trips


def test_vehicles_move_and_delays_become_punctuality_per_route_and_district(platform, tmp_path):
    url, engine = platform
    positions, trips = feeds(tmp_path)
    report = import_gtfs_rt([str(positions), str(trips)], url)
    with engine.connect() as conn:
        units = {r.id: (r.kind, r.callsign, r.district_id) for r in conn.execute(text("SELECT * FROM units"))}
        moved = conn.execute(text("SELECT unit_id, lon, lat, heading, status FROM unit_positions ORDER BY unit_id")).all()
        punctual = dict(conn.execute(text("SELECT i.code, r.value FROM readings r JOIN indicators i "
                                          "ON i.id = r.indicator_id WHERE r.ts = :ts"), {"ts": NOW}).all())
        kinds = dict(conn.execute(text("SELECT code, district_id FROM indicators WHERE category = 'transit'")).all())
    assert units == {"gtfs:v1": ("transit", "Bus v1", "kluuvi"), "gtfs:v2": ("transit", "Bus v2", None),
                     "gtfs:v3": ("transit", "Bus v3", "kluuvi")}
    assert [m[0] for m in moved] == ["gtfs:v1", "gtfs:v2", "gtfs:v3"] and moved[0][3:] == (90.0, "stopped_at")
    # route 10: t1 on time, t2 late; route 20: t3 early (its route from its vehicle), t4 and t6 on time;
    # Kluuvi: the trips of v1 (on time) and v3 (early)
    assert punctual == pytest.approx({"transit.punctuality.route.10": 50.0, "transit.punctuality.route.20": 66.67,
                                      "transit.punctuality.kluuvi": 50.0})
    assert kinds["transit.punctuality.kluuvi"] == "kluuvi" and kinds["transit.punctuality.route.10"] is None
    assert report.skipped["vehicle without a position"] == 1 and report.skipped["vehicle position off the map"] == 1
    assert report.skipped["trip update without a route"] == 1
    again = import_gtfs_rt([str(positions), str(trips)], url)  # the same feeds again: nothing new
    assert again.counts["vehicle position"] == 0 and again.counts["reading"] == 0 and again.counts["indicator"] == 0


def test_a_feed_by_url_and_a_malformed_one_is_one_line(platform, tmp_path, capsys):
    url, engine = platform
    positions, _ = feeds(tmp_path)
    body = positions.read_bytes()

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert main(["import", "gtfs-rt", f"http://127.0.0.1:{server.server_port}/vehicles.pb",
                     "--platform", url]) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert "3 vehicle position" in capsys.readouterr().out
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"<html>503 Service Unavailable</html>")
    assert main(["import", "gtfs-rt", str(bad), "--platform", url]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("cityops: error:") and "is not a GTFS-Realtime feed" in err and "\n" not in err


@pytest.fixture(scope="module")
def shared_platform(tmp_path_factory):
    folder = tmp_path_factory.mktemp("g")
    url = f"sqlite:///{folder / 'platform.db'}"
    bare_platform(url).dispose()
    return url, folder


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.builds(
    lambda head, tail: feed([vehicle("v", "t", "r", 24.95, 60.15)])[:head] + tail,
    st.integers(0, 120), st.binary(max_size=40))))
def test_hypothesis_bytes_are_read_or_one_clear_error(data, shared_platform):
    url, folder = shared_platform
    path = folder / "feed.pb"
    path.write_bytes(data)
    try:
        report = import_gtfs_rt([str(path)], url)
    except UserError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert report.counts["vehicle position"] <= 1


def test_polling_reads_the_feed_again_and_a_failed_read_is_one_line(platform, tmp_path):
    """``--every S``: each poll brings the vehicles' new positions; a feed down once is one line, then the next poll."""
    import os
    import subprocess
    import sys

    url, engine = platform
    answers = [feed([vehicle("v1", "t1", "10", 24.95, 60.15)]), None,
               feed([vehicle("v1", "t1", "10", 24.96, 60.16)])]
    served = []

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body = answers[min(len(served), len(answers) - 1)]
            served.append(body)
            if body is None:
                self.send_error(503)
                return
            if len(served) == 3:  # the position moved, and its time with it
                message = rt.FeedMessage.FromString(body)
                message.entity[0].vehicle.timestamp += 30
                body = message.SerializeToString()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    poller = subprocess.Popen([sys.executable, "-m", "console", "import", "gtfs-rt",
                               f"http://127.0.0.1:{server.server_port}/vp.pb", "--platform", url, "--every", "0.3"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        deadline = time.monotonic() + 30
        while len(served) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        poller.terminate()
        out, err = poller.communicate(timeout=10)
        server.shutdown()
        server.server_close()
    with engine.connect() as conn:
        moved = conn.execute(text("SELECT lon, lat FROM unit_positions ORDER BY ts")).all()
    assert [tuple(round(x, 2) for x in m) for m in moved] == [(24.95, 60.15), (24.96, 60.16)]
    problems = [line for line in err.splitlines() if line.startswith("cityops:")]
    assert len(problems) == 1 and "cannot fetch GTFS-Realtime feed" in problems[0], err
    assert "Traceback" not in err
