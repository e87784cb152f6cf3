"""A SensorThings server that sends anything: every generated answer gives quarantine rows or a
one-line error, never a traceback, and the good observations beside the bad ones land.

The server here is a real HTTP server on loopback (http.server) whose answers hypothesis writes:
the hostile half of the platform contract, which no well-behaved server would produce on demand.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cache import Cache
from console.errors import UserError
from console.sources import sta_ids
from console.sources.sta import SensorThingsConnector
from console.sync.connector import PlatformUnavailable
from console.sync.engine import SyncEngine

DS = "01a25170-f7c3-71e9-84d4-242d5d743ace"
ROOT = {"serverSettings": {"conformance": []},
        "value": [{"name": n, "url": f"/v1.1/{n}"} for n in ("Things", "Datastreams", "Observations")]}


class Hostile(BaseHTTPRequestHandler):
    answers: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?")[0].rstrip("/").rpartition("/")[2]
        body = self.answers.get(path, b'{"value": []}')
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def uuid7(ms: int, tail: int) -> str:
    return str(uuid.UUID(int=(ms << 80) | (7 << 76) | (2 << 62) | tail))


good_time = st.integers(1_700_000_000, 1_790_000_000).map(lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat())
anything = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                        max_leaves=6)
ids = st.integers(1, 2**40).map(lambda i: uuid7(1_700_000_000_000 + i, i)) | anything
observation = st.fixed_dictionaries({
    "@iot.id": ids,
    "phenomenonTime": good_time | anything | st.tuples(good_time, good_time).map("/".join),
    "result": st.floats(-1e6, 1e6) | anything,
    "Datastream": st.just({"@iot.id": DS}) | anything,
}, optional={"resultQuality": anything})
page = st.lists(observation | anything, max_size=8).map(lambda v: {"value": v}) | anything
datastreams = st.just({"value": [{"@iot.id": DS, "name": "level", "properties": {"category": "drainage"},
                                  "unitOfMeasurement": {"symbol": "cm"}}]}) | st.fixed_dictionaries(
    {"value": st.lists(st.dictionaries(st.sampled_from(["@iot.id", "name", "properties", "unitOfMeasurement",
                                                        "Thing"]), anything), max_size=3)})


def test_generated_answers_give_quarantine_rows_or_one_line_errors(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"sta+http://127.0.0.1:{server.server_port}/v1.1"
    runs = iter(range(10**6))

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(observations=page, streams=datastreams)
    def check(observations, streams):
        Hostile.answers = {"v1.1": json.dumps(ROOT).encode(),
                           "Datastreams": json.dumps(streams).encode(),
                           "Observations": json.dumps(observations, allow_nan=True).encode()}
        cache = Cache(tmp_path / f"cache{next(runs)}.db")
        connector = SensorThingsConnector(url)
        try:
            batch = SyncEngine(connector, cache).step()
        except (PlatformUnavailable, UserError) as exc:
            assert str(exc) and "\n" not in str(exc) and "Traceback" not in str(exc)
            return
        finally:
            connector.close()
        with sqlite3.connect(cache.path) as db:
            landed = db.execute("SELECT count(*) FROM readings").fetchone()[0]
            set_aside = db.execute("SELECT count(*), min(length(reason)) FROM quarantine WHERE stream = 'readings'").fetchone()
        rows = observations.get("value") if isinstance(observations, dict) else None
        sent = len(rows) if isinstance(rows, list) else 0
        assert landed == len(batch.readings)
        assert landed + set_aside[0] == sent  # every observation lands or is set aside, with a reason
        assert not set_aside[0] or set_aside[1] > 0
        if landed:  # only an observation of the Datastream the reference names can land
            assert all(r[1] == sta_ids.indicator_id(DS) for r in batch.readings)

    try:
        check()
    finally:
        server.shutdown()
        server.server_close()


toml_value = st.recursive(st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
                          lambda inner: st.lists(inner, max_size=3), max_leaves=4)
entry = st.dictionaries(st.sampled_from(["match", "code", "ignore", "warn_high", "alarm_low", "category", "bad",
                                         "interval_s", "bogus"]), toml_value, max_size=5)
mapping_doc = st.dictionaries(st.sampled_from(["city", "interval_s", "catalogue", "datastream", "extra"]),
                              toml_value | st.lists(entry, max_size=3), max_size=4)


@settings(max_examples=40, deadline=None)
@given(doc=mapping_doc | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_generated_sources_files_are_read_or_refused_line_by_line(doc, tmp_path_factory):
    import tomlkit

    from console.sources.sta_mapping import read_mapping

    path = tmp_path_factory.mktemp("map") / "sources.toml"
    path.write_text(doc if isinstance(doc, str) else tomlkit.dumps(doc), encoding="utf-8")
    try:
        mapping = read_mapping(str(path))
    except UserError as exc:
        assert all(line.startswith(str(path)) for line in str(exc).splitlines())
        return
    assert mapping.source == str(path)
    assert all(isinstance(k, str) for k in mapping.entries)
