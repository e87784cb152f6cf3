"""Push from a SensorThings server's MQTT extension: a message wakes the sync engine, HTTP reads.

The standard's servers publish each new Observation to ``v1.1/Datastreams(id)/Observations``
(QoS 0: a broker or network hiccup loses messages) and each new Datastream to
``v1.1/Datastreams``. A message here is only a wake-up, like NOTIFY on the SQL platform: the
engine's next step reads the rows over HTTP after the gap-free cursor, so a lost message costs
at most a heartbeat's delay, never a reading, and no row arrives by two paths. On every
(re)connection the engine is woken too: HTTP catches up whatever was published while the
broker was out of reach. paho reconnects by itself with back-off (1 s to 30 s).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from console.databases import remember_secret

log = logging.getLogger(__name__)


def topic_for(version: str, datastream_id: object) -> str:
    """The topic a server publishes a Datastream's new Observations on (ids as in its URLs)."""
    key = str(datastream_id) if isinstance(datastream_id, int) else f"'{datastream_id}'"
    return f"{version}/Datastreams({key})/Observations"


class MqttWaker:
    """Subscribes to the Observations of the Datastreams the console shows; calls ``on_notify``."""

    def __init__(self, broker: str, version: str, datastreams: Iterable[object],
                 on_notify: Callable[[str], None]):
        parts = urlsplit(broker)
        self.on_notify = on_notify
        self.version = version
        self._topics = {topic_for(version, d) for d in datastreams} | {f"{version}/Datastreams"}
        self._lock = threading.Lock()
        self._connected = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cityops-{uuid.uuid4().hex[:12]}")
        if parts.username:
            password = unquote(parts.password) if parts.password else None
            remember_secret(password)
            self.client.username_pw_set(unquote(parts.username), password)
        if parts.scheme == "mqtts":
            self.client.tls_set()
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._connected_now
        self.client.on_disconnect = self._lost
        self.client.on_message = self._message
        self.client.connect_async(parts.hostname or "localhost", parts.port or (8883 if parts.scheme == "mqtts" else 1883),
                                  keepalive=30)
        self.client.loop_start()

    @property
    def healthy(self) -> bool:
        return self._connected

    def follow(self, datastreams: Iterable[object]) -> None:
        """Subscribe to these Datastreams too (a reference read found new ones)."""
        new = {topic_for(self.version, d) for d in datastreams}
        with self._lock:
            added = new - self._topics
            self._topics |= added
        if added and self._connected:
            self.client.subscribe([(t, 0) for t in sorted(added)])

    def _connected_now(self, client, _userdata, _flags, reason, _props=None) -> None:
        if reason.is_failure:
            log.warning("SensorThings MQTT broker refused the connection: %s", reason)
            return
        with self._lock:
            topics = sorted(self._topics)
        client.subscribe([(t, 0) for t in topics])
        self._connected = True
        self.on_notify("readings")  # whatever was published while away: HTTP reads it now

    def _lost(self, _client, _userdata, _flags, reason, _props=None) -> None:
        if self._connected:
            log.warning("lost the SensorThings MQTT broker (%s): polling until it is back", reason)
        self._connected = False

    def _message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self.on_notify("indicators" if message.topic.endswith("/Datastreams") else "readings")

    def stop(self) -> None:
        self._connected = False
        self.client.disconnect()
        self.client.loop_stop()
