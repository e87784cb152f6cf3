"""An OGC SensorThings API 1.1 server as the console's platform (``--platform sta+http://host/path/v1.1``).

Datastreams (with their Thing, Locations and ObservedProperty) become indicators and sensors
(console/sources/sta_reference.py, mapped by an optional sources file: sta_mapping.py);
Observations become readings. Push comes by the standard's MQTT extension where the server
names a broker in its root document (or the URL does: ``?mqtt=mqtt://broker:1883``), as a
wake-up only (sta_mqtt.py); without one the engine polls.

The cursor, and why it cannot skip an observation. Observations are read in id order
(``$filter=id gt LAST&$orderby=id asc&$top=N``, the next page asked for by key), and the
cursor is the last id read (console/sources/sta_ids.py packs it into the cache's pair of
integers). Ordering by phenomenonTime or resultTime would skip an observation stored late
with an older time (a logger emptying its memory after an outage); the id is given when the
server stores the row, so a late observation gets a later id and is read. What ids cannot
promise is commit order: two overlapping inserts can commit with the lower id last, just as
PostgreSQL sequences can. SensorThings shows no transactions, so every fetch also counts the
observations in a window behind the cursor (the last ``OVERLAP_IDS`` integer ids, or
``OVERLAP_S`` seconds of time-ordered UUIDs) and, where the server holds more there than this
connector has read, reads the ones it has not. An observation committed more than that window
late would be missed; no server we know keeps a transaction open that long. After a restart the
window is read again once: readings already in the cache are recognised by their seq and
dropped without a word.

Operator actions have no place in a SensorThings server. They stay in this console's outbox
(kept, counted, never lost) and the wall's status says they are not delivered and why:
``deliver`` refuses them as a whole (``ActionsRefused``), as a platform without the grant does.
A room that shares alarm state across consoles needs the SQL platform beside SensorThings.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from console.databases import redact, remember_secret
from console.errors import UserError
from console.sources import sta_ids
from console.sources.sta_http import BadAnswer, StaHttp, epoch
from console.sources.sta_ids import ObsId, UnorderedIds
from console.sources.sta_mapping import read_mapping
from console.sources.sta_reference import DATASTREAM_QUERY, reference_tables
from console.sync.connector import ActionsRefused, Cursor, Delivery, HeldBack, PlatformUnavailable

log = logging.getLogger(__name__)

#: How far behind the cursor a late-committed observation is still looked for.
OVERLAP_IDS = 1000
OVERLAP_S = 30.0
#: Observations asked for per page (the server may send fewer: its own maximum).
PAGE = 1000
MQTT_CLASS = "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates"
NOT_DELIVERED = ("a SensorThings server has no place for operator actions: they stay in this console's "
                 "outbox, not shared with the room")
_OBS_QUERY = {"$select": "id,phenomenonTime,result,resultQuality", "$expand": "Datastream($select=id)"}
_VERSION = re.compile(r"v\d+\.\d+")


class _Push:
    """The engine's push listener: MQTT once a reference read has named the broker."""

    def __init__(self, on_notify: Callable[[str], None]):
        self.on_notify = on_notify
        self.waker = None

    @property
    def healthy(self) -> bool:
        return self.waker is not None and self.waker.healthy

    def stop(self) -> None:
        if self.waker is not None:
            self.waker.stop()


class SensorThingsConnector:
    """Reads a SensorThings API 1.1 service by HTTP, woken by its MQTT extension where it has one."""

    postgres = False  # nobody signs in: the wall is run by the account the command line names

    def __init__(self, url: str, *, timeout_s: float = 20.0):
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("sta+http", "sta+https") or not parts.hostname:
            raise UserError(f"platform {redact(url)!r}: expected sta+http://host/path/v1.1 or sta+https://...")
        ours = {"mapping", "mqtt", "top"}
        query = parse_qsl(parts.query, keep_blank_values=True)
        options = {k: v for k, v in query if k in ours}
        auth = None
        if parts.username:
            password = unquote(parts.password or "")
            remember_secret(password)
            auth = (unquote(parts.username), password)
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        base = urlunsplit((parts.scheme[4:], netloc, parts.path.rstrip("/"), urlencode([q for q in query if q[0] not in ours]), ""))
        self.shown = redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
        self.host = parts.hostname
        segment = parts.path.rstrip("/").rpartition("/")[2]
        self.version = segment if _VERSION.fullmatch(segment) else "v1.1"
        try:
            self.page_size = max(1, int(options.get("top", PAGE)))
        except ValueError:
            raise UserError(f"platform {self.shown}: top={options['top']!r} is not a number") from None
        self.mapping = read_mapping(options.get("mapping"))
        self.mqtt_url: str | None = options.get("mqtt") or None
        if self.mqtt_url:
            remember_secret(urlsplit(self.mqtt_url).password)
        self.http = StaHttp(base, self.shown, timeout_s, auth)
        self._indicators: dict[str, int] = {}  # Datastream id (as text) -> indicator id
        self._ignored: set[str] = set()  # Datastreams the sources file leaves out
        self._seen: set[ObsId] = set()  # observations read in the window behind the cursor
        self._push: _Push | None = None

    # -- the service and its reference data -------------------------------------------------
    def _root(self) -> dict:
        try:
            root = self.http.get("")
        except BadAnswer as exc:
            if exc.status >= 500:  # a server in trouble, not a wrong address: retried with back-off
                raise
            raise UserError(f"{self.shown} is not a SensorThings service root ({exc})") from None
        sets = {e.get("name") for e in root.get("value") or () if isinstance(e, dict)}
        missing = [s for s in ("Datastreams", "Observations") if s not in sets]
        if missing:
            raise UserError(f"{self.shown} is not a SensorThings service root (it lists no {', '.join(missing)})")
        return root

    def check(self) -> None:
        """UserError unless the URL is a SensorThings service whose observation ids have an order."""
        self._root()
        first, _ = self.http.page("Observations", {"$select": "id", "$orderby": "id asc", "$top": "1"})
        if first:
            try:
                sta_ids.parse_id(first[0].get("@iot.id") if isinstance(first[0], dict) else first[0])
            except UnorderedIds as exc:
                raise UserError(f"SensorThings server {self.shown}: {exc}") from None

    def _broker(self, root: dict) -> str | None:
        """The MQTT broker: the URL's, else the one the root document names for receiving updates."""
        if self.mqtt_url:
            return self.mqtt_url
        settings = root.get("serverSettings")
        if not isinstance(settings, dict) or MQTT_CLASS not in (settings.get("conformance") or ()):
            return None
        endpoints = (settings.get(MQTT_CLASS) or {}).get("endpoints") if isinstance(settings.get(MQTT_CLASS), dict) else None
        found = [e for e in endpoints or () if isinstance(e, str) and e.startswith(("mqtt://", "mqtts://"))]
        return found[0] if found else None

    def _datastreams(self, query: dict[str, str] = DATASTREAM_QUERY) -> list[dict]:
        return [d for d in self.http.everything("Datastreams", query, self.page_size) if isinstance(d, dict)]

    def reference(self) -> dict[str, list[dict]]:
        root = self._root()
        datastreams = self._datastreams()
        tables, ids = reference_tables(self.mapping.city or self.host, datastreams, self.mapping)
        self._indicators = ids
        self._ignored = {str(d["@iot.id"]) for d in datastreams if "@iot.id" in d and str(d["@iot.id"]) not in ids}
        self._start_push(root, [d["@iot.id"] for d in datastreams if "@iot.id" in d and str(d["@iot.id"]) in ids])
        return tables

    def reference_stamp(self) -> int:
        """A fingerprint of the Datastreams themselves (ids, names, units, properties), asked every few
        seconds while there is no push: a new or edited one re-reads the reference data. An edit of a
        Thing or Location alone waits for the regular re-read (REFERENCE_EVERY_S)."""
        light = {"$select": "id,name,unitOfMeasurement,properties"}
        return hash(json.dumps(self._datastreams(light), sort_keys=True, default=str))

    # -- observations ---------------------------------------------------------------------
    def _reading(self, obs: object) -> tuple[ObsId, tuple | None]:
        """An observation's id, and its reading (None: its Datastream is left out by the sources file)."""
        if not isinstance(obs, dict):
            raise PlatformUnavailable(f"SensorThings server {self.shown} sent an observation that is not an object")
        try:
            oid = sta_ids.parse_id(obs.get("@iot.id"))
        except UnorderedIds as exc:
            raise PlatformUnavailable(f"SensorThings server {self.shown}: {exc}") from None
        ds = obs.get("Datastream")
        ds_id = ds.get("@iot.id") if isinstance(ds, dict) else None
        if str(ds_id) in self._ignored:
            return oid, None
        indicator = self._indicators.get(str(ds_id)) or (sta_ids.indicator_id(ds_id) if ds_id is not None else 0)
        quality = obs.get("resultQuality")
        quality = quality if type(quality) is int else 0  # free-form in the standard: only 0/1/2 mean ours
        return oid, (sta_ids.seq_of(oid), indicator, epoch(obs.get("phenomenonTime")), obs.get("result"), quality)

    def _range(self, low: ObsId | None, high: ObsId | None, limit: int) -> tuple[list[tuple[ObsId, tuple | None]], bool]:
        """Observations with low < id (<= high), in id order, up to about ``limit``; and whether more wait."""
        out: list[tuple[ObsId, tuple | None]] = []
        more = True
        while more and len(out) < limit:
            where = [f"id gt {sta_ids.literal(low)}"] if low is not None else []
            where += [f"id le {sta_ids.literal(high)}"] if high is not None else []
            params = dict(_OBS_QUERY, **{"$orderby": "id asc", "$top": str(min(self.page_size, limit - len(out)))})
            if where:
                params["$filter"] = " and ".join(where)
            page, more = self.http.page("Observations", params)
            out += [self._reading(obs) for obs in page]
            if page:
                low = out[-1][0]
        return out, more

    def _late(self, last: ObsId) -> list[tuple[ObsId, tuple | None]]:
        """Observations committed behind the cursor after it passed them (see the module's docstring)."""
        floor = sta_ids.window_floor(last, OVERLAP_IDS, OVERLAP_S)
        self._seen = {i for i in self._seen if i > floor}
        known = sum(1 for i in self._seen if i <= last)
        if self.http.count("Observations", f"id gt {sta_ids.literal(floor)} and id le {sta_ids.literal(last)}") <= known:
            return []
        found, _ = self._range(floor, last, 1 << 62)
        late = [(oid, row) for oid, row in found if oid not in self._seen]
        if late and self._seen:
            log.info("SensorThings: %d observation(s) committed behind the cursor, read now", len(late))
        return late

    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        """Up to about ``limit`` readings past the cursor, the late ones behind it first."""
        if stream != "readings":
            return [], after  # SensorThings has no incidents, unit positions or operator actions
        last = sta_ids.from_cursor(after)
        found = self._late(last) if last is not None else []
        new, _ = self._range(last, None, max(1, limit - len(found)))
        found += new
        self._seen.update(oid for oid, _ in found)
        if new:
            last = new[-1][0]
        cursor = after if last is None else sta_ids.to_cursor(last)
        return [row for _, row in found if row is not None], cursor

    def incidents(self, ids: Collection[str]) -> list[dict]:
        return []

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        """Observations past the readings cursor: the size of a catch-up, for its progress bar."""
        last = sta_ids.from_cursor(cursors.get("readings", (0, 0)))
        return self.http.count("Observations", None if last is None else f"id gt {sta_ids.literal(last)}")

    # -- push, and what SensorThings has no place for ---------------------------------------
    def listen(self, on_notify: Callable[[str], None]):
        """A listener that turns to MQTT once the reference read finds a broker (healthy only then)."""
        self._push = _Push(on_notify)
        return self._push

    def _start_push(self, root: dict, datastreams: list[object]) -> None:
        push = self._push
        if push is None:
            return
        if push.waker is not None:
            push.waker.follow(datastreams)
            return
        broker = self._broker(root)
        if broker is not None:
            from console.sources.sta_mqtt import MqttWaker

            push.waker = MqttWaker(broker, self.version, datastreams, push.on_notify)

    def held_back(self) -> HeldBack | None:
        return None  # no transactions to see: the overlap window stands in (module docstring)

    def deliver(self, actions: list[dict]) -> Delivery:
        if actions:
            raise ActionsRefused(NOT_DELIVERED)
        return Delivery()

    def close(self) -> None:
        if self._push is not None:
            self._push.stop()
        self.http.close()
