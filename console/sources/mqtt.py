"""The MQTT connector: a broker's JSON topics and Sparkplug B nodes, live into the cache.

``--platform mqtt://[user:password@]broker[:port][/root][?client_id=...&history=URL&groups=a,b]``
(``mqtts://`` for TLS, ``ca=FILE`` to name the CA). The JSON convention is documented in
console/sources/mqtt_json.py, Sparkplug B in console/sources/sparkplug.py.

Delivery: the console subscribes with QoS 1 on a persistent session (MQTT 5, clean start off,
a week's session expiry, its own stable client id), so the broker queues what arrives while it
is away, and it acknowledges a message only once its rows are in the cache
(console/sources/mqtt_inbox.py): a short disconnect, a broker restart or a crash loses nothing
the broker kept. A message id (JSON) or a node's sequence and content (Sparkplug) seen before
is a duplicate and dropped. What is not this console's convention is quarantined with the reason.

MQTT keeps no history: what the broker never queued (the console's session expired, a QoS 0
publisher) is gone, and the wall says so. Where a SQL platform keeps the history
(``history=`` the platform's URL, URL-encoded), reference data comes from it too, operator
actions go to it, and its readings of the same indicators (matched by code) fill what MQTT
missed (console/sources/mqtt_history.py).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from hashlib import blake2b
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from console.databases import redact, remember_secret
from console.errors import UserError
from console.model.schema import REFERENCE_TABLES
from console.paths import places
from console.sources.mqtt_inbox import STREAMS, Inbox, Receipt
from console.sources.mqtt_json import NotConvention, decode
from console.sources.mqtt_state import Definitions
from console.sources.sparkplug import NAMESPACE, SparkplugHost, rebirth_payload
from console.sync.connector import ActionsRefused, Cursor, Delivery, HeldBack, PlatformUnavailable
from console.sync.rules.common import Rejected

log = logging.getLogger(__name__)

#: The broker keeps this console's session (subscriptions, queued QoS 1 messages) this long while it is away.
SESSION_EXPIRY_S = 7 * 86400
#: Message ids remembered to drop duplicates (a QoS 1 redelivery comes soon after the first copy).
REMEMBER_IDS = 200_000
#: How long ``check`` waits for the broker's answer.
CONNECT_WAIT_S = 5.0
#: What the wall's header says of a source that keeps no history (what the broker did not queue for
#: this console, while its session had expired or from a QoS 0 publisher, never reaches the wall).
NO_HISTORY = "MQTT keeps no history"


class MqttListener:
    """Push: every message wakes the sync engine; healthy while the broker connection stands."""

    def __init__(self, connector: MqttConnector):
        self._connector = connector

    @property
    def healthy(self) -> bool:
        return self._connector.connected.is_set()

    def stop(self) -> None:
        self._connector._notify = None


class MqttConnector:
    """A broker as a platform (console.sync.connector.Connector)."""

    postgres = False

    def __init__(self, url: str, *, definitions: str | None = None):
        parts = urlsplit(url)
        self.scheme = parts.scheme.lower()
        if self.scheme not in ("mqtt", "mqtts"):
            raise UserError(f"platform {redact(url)!r} is not an mqtt:// or mqtts:// URL")
        try:
            self.port = parts.port or (8883 if self.scheme == "mqtts" else 1883)
        except ValueError:
            raise UserError(f"platform {redact(url)!r}: the port is not a number") from None
        if not parts.hostname:
            raise UserError(f"platform {redact(url)!r} names no broker")
        self.host = parts.hostname
        self.password = unquote(parts.password) if parts.password else None
        remember_secret(self.password)
        self.user = unquote(parts.username) if parts.username else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.root = parts.path.strip("/") or "cityops"
        self.shown = f"{self.scheme}://{self.host}:{self.port}/{self.root}"
        self.groups = [g for g in query.get("groups", "").split(",") if g]
        where = places().data
        mine = f"{where}|{self.host}:{self.port}/{self.root}"  # one session per console and broker root
        self.client_id = query.get("client_id") or (
            f"cityops-{socket.gethostname()}-{blake2b(mine.encode(), digest_size=4).hexdigest()}")[:64]
        self.ca = query.get("ca")
        state = definitions or query.get("definitions")
        self.definitions = Definitions(Path(state) if state else where / "mqtt" / f"{self._file_name()}.json")
        self._had_session = self.definitions.path is not None and self.definitions.path.exists()  # a run before
        self.host_app = SparkplugHost()
        self.host_app.restore(self.definitions.nodes, self.definitions.indicators)
        self.history = None
        if query.get("history"):
            from console.sources.mqtt_history import History
            self.history = History(query["history"], self.definitions.history_cursor)
        self.inbox = Inbox(self._ack)
        self.connected = threading.Event()
        self._tried = threading.Event()  # a connection attempt failed (check need not wait any longer)
        self.quarantine: list[Rejected] = []
        self._reason = "not connected yet"
        self._seen: OrderedDict[str, None] = OrderedDict.fromkeys(self.definitions.seen)
        self._notify: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        self._client = None
        self._served = -1  # the definitions' version the sync engine last read
        self.received = 0  # messages read (good, duplicate or bad)
        self.duplicates = 0

    def _file_name(self) -> str:
        return "".join(c if c.isalnum() or c in "-." else "_" for c in f"{self.host}-{self.port}-{self.client_id}")

    @property
    def note(self) -> str:
        """What the wall says about this source's history."""
        return "" if self.history else NO_HISTORY

    # -- the broker connection -----------------------------------------------------------------
    def _start(self) -> None:
        """Connect in the background (once); paho reconnects with back-off by itself."""
        if self._client is not None:
            return
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                             manual_ack=True)
        if self.user:
            client.username_pw_set(self.user, self.password)
        if self.scheme == "mqtts":
            client.tls_set(ca_certs=self.ca, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = lambda _client, _userdata: self._tried.set()
        client.on_message = self._on_message
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = 65535
        client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        client.loop_start()
        self._client = client

    def _on_connect(self, client, _userdata, flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            self._reason = f"the broker refused the connection: {reason_code}"
            return
        self.inbox.new_connection()
        topics = [(f"{self.root}/#", 1)] + [(f"{NAMESPACE}/{g}/#", 1) for g in self.groups or ["+"]]
        client.subscribe(topics)
        if not flags.session_present and self._had_session:
            log.warning("MQTT broker %s kept no session for %s: what was published while away is not here",
                        self.shown, self.client_id)
        self._had_session = True  # from now on a connection without one means messages were lost
        self.connected.set()
        self._wake("readings")

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        self.connected.clear()
        self._reason = f"lost the MQTT broker {self.shown} ({reason_code})"
        self._wake("readings")

    def _ack(self, mid: int, qos: int) -> None:
        if self._client is not None:
            self._client.ack(mid, qos)

    def _wake(self, what: str) -> None:
        notify = self._notify
        if notify is not None:
            notify(what)

    # -- messages ------------------------------------------------------------------------------
    def _on_message(self, client, _userdata, msg) -> None:
        receipt = Receipt(msg.mid, msg.qos, self.inbox.connection)
        self.received += 1
        try:
            if msg.topic.startswith(NAMESPACE + "/"):
                self._sparkplug(client, msg, receipt)
            else:
                self._json(msg, receipt)
        except NotConvention as exc:
            self._reject(msg, str(exc))
            self.inbox.put(receipt, {})
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the broker's thread
            log.exception("MQTT message on %s could not be read", msg.topic[:80])
            self._reject(msg, f"could not be read: {type(exc).__name__}: {str(exc)[:120]}")
            self.inbox.put(receipt, {})

    def _json(self, msg, receipt: Receipt) -> None:
        decoded = decode(self.root, msg.topic, msg.payload, self._codes())
        if decoded.msgid is not None:
            receipt.key = f"{msg.topic}\0{decoded.msgid}"
            if self._duplicate(receipt.key):
                self.inbox.put(receipt, {})
                return
        if self.definitions.update(decoded.indicators, decoded.units):
            self._wake("indicators")
        self.inbox.put(receipt, {"readings": self._first(decoded.readings), "incident_events": decoded.incident_events,
                                 "unit_positions": decoded.unit_positions}, decoded.incidents)
        self._wake("readings")

    def _sparkplug(self, client, msg, receipt: Receipt) -> None:
        out = self.host_app.handle(msg.topic, msg.payload)
        for group, node in out.rebirth:
            log.info("asking Sparkplug node %s/%s to be born again", group, node)
            client.publish(f"{NAMESPACE}/{group}/NCMD/{node}", rebirth_payload(time.time()), qos=0)
        if out.duplicate:
            self.duplicates += 1
        if out.problem:
            self._reject(msg, out.problem)
        if out.indicators and self.definitions.update(out.indicators):
            self._wake("indicators")
        self.inbox.put(receipt, {"readings": self._first(out.readings)})
        if out.readings:
            self._wake("readings")

    def _first(self, readings: list[tuple]) -> list[tuple]:
        """The readings the history platform has not already brought (all of them without one)."""
        if self.history is None:
            return readings
        return [r for r in readings if not isinstance(r[1], (int, float)) or self.history.first(r[0], r[1])]

    def _duplicate(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                self.duplicates += 1
                return True
            self._seen[key] = None
            if len(self._seen) > REMEMBER_IDS:
                self._seen.popitem(last=False)
            return False

    def _reject(self, msg, why: str) -> None:
        row = {"topic": msg.topic, "payload": msg.payload[:200].decode("utf-8", "replace")}
        with self._lock:
            self.quarantine.append(Rejected("mqtt", None, why, row, kind=why.split(" (")[0][:60]))
        self._wake("readings")  # its quarantine row is written at the next step, not the next heartbeat

    def _codes(self) -> dict[str, int]:
        codes = self.definitions.codes()
        if self.history is not None:
            codes = codes | self.history.codes()  # the platform's ids where it knows the code
        return codes

    def take_rejected(self) -> list[Rejected]:
        """Messages set aside since the last call, for the cache's quarantine table."""
        with self._lock:
            taken, self.quarantine = self.quarantine, []
        return taken

    # -- the Connector interface ---------------------------------------------------------------
    def check(self) -> None:
        """Connect; PlatformUnavailable when the broker does not answer in CONNECT_WAIT_S."""
        self._start()
        end = time.monotonic() + CONNECT_WAIT_S
        while not self.connected.wait(0.05) and not self._tried.is_set() and time.monotonic() < end:
            pass
        if not self.connected.is_set():
            raise PlatformUnavailable(f"cannot reach MQTT broker {self.shown}: {self._why_not()}")

    def _why_not(self) -> str:
        """Why there is no connection, in the operating system's words where the network is the reason."""
        if self._reason != "not connected yet":
            return self._reason
        try:
            socket.create_connection((self.host, self.port), 2.0).close()
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        return f"no MQTT answer in {CONNECT_WAIT_S:g} s"

    def _online(self) -> None:
        """Raise PlatformUnavailable while the broker is gone, once what came before is handed over."""
        self._start()
        if not self.connected.is_set():
            if self.inbox.empty():
                raise PlatformUnavailable(f"cannot reach MQTT broker {self.shown}: {self._reason}")
            self._wake("readings")  # these rows now, then the next step says offline at once

    def reference(self) -> dict[str, list[dict]]:
        self._online()
        self._served = self.definitions.version
        reference = self.history.reference() if self.history else {t: [] for t in REFERENCE_TABLES}
        indicators, units = self.definitions.rows()
        theirs = {r["code"] for r in reference["indicators"]}  # the platform's catalogue wins
        reference["indicators"] = reference["indicators"] + [r for r in indicators if r["code"] not in theirs]
        known = {r["id"] for r in reference["units"]}
        reference["units"] = reference["units"] + [u for u in units if u["id"] not in known]
        return reference

    def reference_stamp(self) -> int:
        return hash((self.definitions.version, self.history.reference_stamp() if self.history else 0))

    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        if stream == "operator_actions" and self.history is not None:
            return self.history.connector.fetch(stream, after, limit)  # the room's actions, read back
        if stream == "readings":
            self._online()
            if self._served != self.definitions.version:  # a birth or definition came since reference()
                self._wake("indicators")  # read it first: its readings would name indicators unknown yet
                return [], after
            if self.history is not None:
                self.history.page = limit
                if self.history.next_page(self.inbox, self.definitions.keep_history_cursor):
                    self._wake("readings")
        if stream not in STREAMS:
            return [], after
        rows = self.inbox.fetch(stream, after[1], limit)
        if not rows:
            return [], after
        last = rows[-1]
        return rows, (0, int(last[0] if stream == "readings" else last["seq"]))

    def committed(self, cursors: dict[str, Cursor]) -> None:
        """The sync engine cached rows up to these cursors: acknowledge their messages now."""
        for stream, (_, seq) in cursors.items():
            if stream in STREAMS:
                self.inbox.confirm(stream, seq)

    def incidents(self, ids: Collection[str]) -> list[dict]:
        return [dict(self.inbox.incidents[i]) for i in ids if i in self.inbox.incidents]

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        return self.inbox.waiting() + (self.history.backlog() if self.history else 0)

    def listen(self, on_notify: Callable[[str], None]) -> MqttListener:
        self._notify = on_notify
        self._start()
        return MqttListener(self)

    def held_back(self) -> HeldBack | None:
        return None

    def deliver(self, actions: list[dict]) -> Delivery:
        if self.history is not None:
            return self.history.connector.deliver(actions)
        raise ActionsRefused("an MQTT broker takes no operator actions (name a history platform: history=URL)")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
            self.definitions.keep_session(self.host_app.export(), self.inbox.cached())
        self.connected.clear()
        if self.history is not None:
            self.history.connector.close()
