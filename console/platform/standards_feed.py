"""The demo city spoken in open standards: its live rows published to a SensorThings server and an
MQTT broker, so `cityops demo --sources FILE` runs a wall from them as a real city's would.

The demo feeder writes the simulated city into the demo platform as ever; this feed reads that
platform after its own cursors (the SQL connector) and publishes: the air and weather
indicators as SensorThings Things with one Datastream each (the catalogue's code, limits,
category and district in its properties) and their readings as Observations; every other
indicator, the incidents and the unit positions on MQTT in the console's JSON topic convention
(console/sources/mqtt_json.py: retained definitions, readings per code, incidents with their
state, units). It starts half an hour back, so trends have a history when the wall opens.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import requests
from sqlalchemy import text

from console.databases import reason
from console.errors import UserError
from console.sync.connector import Cursor, PlatformUnavailable
from console.sync.sql_connector import SqlConnector

log = logging.getLogger(__name__)
#: Indicator categories published to SensorThings (the rest go to MQTT).
STA_CATEGORIES = ("air", "weather")
#: How far back the feed starts: the wall's trends open with this much history.
HISTORY_S = 1800.0
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
_STA_FIELDS = ("code", "category", "unit", "warn_low", "warn_high", "alarm_low", "alarm_high", "bad",
               "interval_s", "decimals")


class StandardsFeed:
    def __init__(self, platform_url: str, sta: str | None, broker: str | None):
        """``sta``: a SensorThings base URL (``sta+http://host/path/v1.1``); ``broker``: ``mqtt://host[:port][/root]``."""
        self.platform = SqlConnector(platform_url)
        self.sta = sta.removeprefix("sta+") if sta else None
        self.http = requests.Session()
        self.mqtt: mqtt.Client | None = None
        self.root = "cityops"
        if broker:
            parts = urlsplit(broker)
            self.root = parts.path.strip("/") or "cityops"
            self.mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cityops-demo-{uuid.uuid4().hex[:8]}")
            try:
                self.mqtt.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
            except OSError as exc:
                raise UserError(f"demo: cannot reach the MQTT broker {broker}: {exc}") from None
            self.mqtt.loop_start()
        self.datastreams: dict[int, str] = {}  # indicator id -> Datastream id, for the ones on SensorThings
        self.codes: dict[int, str] = {}
        self.cursors: dict[str, Cursor] = {}
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def prepare(self, now: float) -> None:
        """Datastreams and retained definitions for every indicator; cursors half an hour back."""
        reference = self.platform.reference()
        districts = {d["id"]: d["name"] for d in reference["districts"]}
        sensors = {s["indicator_id"]: s for s in reference["sensors"]}
        known = self._known_datastreams() if self.sta else {}
        for row in reference["indicators"]:
            self.codes[row["id"]] = row["code"]
            if self.sta and row["category"] in STA_CATEGORIES:
                self.datastreams[row["id"]] = known.get(row["code"]) or self._datastream(row, districts, sensors)
            elif self.mqtt is not None:
                definition = {k: row[k] for k in ("name", "name_zh", "category", "unit", "district_id", "warn_low",
                                                  "warn_high", "alarm_low", "alarm_high", "bad", "interval_s",
                                                  "decimals")}
                self.mqtt.publish(f"{self.root}/indicators/{row['code']}", json.dumps(definition), qos=1, retain=True)
        with self.platform.engine.connect() as conn:
            for stream, back in (("readings", HISTORY_S), ("incident_events", 4 * 3600.0), ("unit_positions", 60.0)):
                seq = conn.execute(text(f"SELECT max(seq) FROM {stream} WHERE ts < :t"), {"t": now - back}).scalar()
                self.cursors[stream] = (0, int(seq or 0))

    def _known_datastreams(self) -> dict[str, str]:
        """Datastreams the server already has (a demo run before): code -> id."""
        found: dict[str, str] = {}
        url = f"{self.sta}/Datastreams?$top=1000"
        while url:
            page = self._get(url)
            for ds in page.get("value", []):
                code = (ds.get("properties") or {}).get("code")
                if code:
                    found[code] = ds["@iot.id"]
            url = page.get("@iot.nextLink")
        return found

    def _datastream(self, row: dict, districts: dict, sensors: dict) -> str:
        sensor = sensors.get(row["id"], {})
        lon, lat = sensor.get("lon", 24.94), sensor.get("lat", 60.17)
        props = {k: row[k] for k in _STA_FIELDS if row.get(k) is not None}
        if row.get("district_id"):
            props["district"] = row["district_id"]
        name = row["name"] + (f", {districts[row['district_id']]}" if row.get("district_id") in districts else "")
        thing = {"name": f"{row['code']} station", "description": name, "properties": {},
                 "Locations": [{"name": name, "description": name, "encodingType": "application/geo+json",
                                "location": {"type": "Point", "coordinates": [lon, lat]}}],
                 "Datastreams": [{"name": name, "description": name, "observationType": MEASUREMENT,
                                  "unitOfMeasurement": {"name": row["unit"], "symbol": row["unit"], "definition": ""},
                                  "properties": props,
                                  "ObservedProperty": {"name": row["name"], "definition": f"urn:cityops:{row['code']}",
                                                       "description": row["name"]},
                                  "Sensor": {"name": row["code"], "description": name, "encodingType": "text/html",
                                             "metadata": "urn:cityops:demo"}}]}
        self._post("Things", thing)
        return self._known_datastreams()[row["code"]]

    def pump(self) -> int:
        """Publish what the demo platform has past the feed's cursors; returns the rows published."""
        moved = 0
        rows, self.cursors["readings"] = self._fetch("readings")
        by_stream: dict[str, list] = {}
        by_code: dict[str, list] = {}
        for _seq, ind, ts, value, quality in rows:
            if ind in self.datastreams:
                by_stream.setdefault(self.datastreams[ind], []).append([_iso(ts), value])
            elif self.mqtt is not None and ind in self.codes:
                by_code.setdefault(self.codes[ind], []).append({"ts": ts, "value": value, "quality": quality})
        for ds, points in by_stream.items():
            self._post("CreateObservations", [{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"],
                                               "dataArray": points}])
        for code, readings in by_code.items():
            self._publish(f"readings/{code}", {"readings": readings})
        moved += len(rows)
        if self.mqtt is not None:
            events, self.cursors["incident_events"] = self._fetch("incident_events")
            incidents = {i["id"]: i for i in self.platform.incidents({e["incident_id"] for e in events})}
            for event in events:
                state = incidents.get(event["incident_id"])
                if state is not None:
                    self._publish(f"incidents/{event['incident_id']}", {
                        "ts": event["ts"], "event": event["event"], "actor": event["actor"], "note": event["note"],
                        "incident": {k: state[k] for k in ("kind", "severity", "status", "district_id", "lon", "lat",
                                                           "title", "opened_at")}})
            positions, self.cursors["unit_positions"] = self._fetch("unit_positions")
            for p in positions:
                self._publish(f"units/{p['unit_id']}", {k: p[k] for k in ("ts", "lon", "lat", "heading", "status")})
            moved += len(events) + len(positions)
        self.published += moved
        return moved

    def _fetch(self, stream: str) -> tuple[list, Cursor]:
        return self.platform.fetch(stream, self.cursors[stream], 20_000)

    def _publish(self, topic: str, body: dict) -> None:
        self.mqtt.publish(f"{self.root}/{topic}", json.dumps({"id": uuid.uuid4().hex, **body}), qos=1)

    def _post(self, path: str, body: object) -> None:
        try:
            self.http.post(f"{self.sta}/{path}", json=body, timeout=60).raise_for_status()
        except requests.RequestException as exc:
            raise PlatformUnavailable(f"SensorThings server {self.sta}: {exc}") from None

    def _get(self, url: str) -> dict:
        try:
            answer = self.http.get(url, timeout=60)
            answer.raise_for_status()
            return answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise PlatformUnavailable(f"SensorThings server {self.sta}: {exc}") from None

    # -- background thread ----------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(interval,), name="demo-standards", daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                while self.pump() >= 20_000:
                    pass
                self.last_error = None
            except Exception as exc:  # a server restarting: say so once, keep trying
                if reason(exc) != self.last_error:
                    log.warning("demo feed to the standards servers: %s", reason(exc))
                self.last_error = reason(exc)
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.mqtt is not None:
            self.mqtt.loop_stop()
            self.mqtt.disconnect()
        self.platform.close()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()
