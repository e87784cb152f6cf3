"""The connector a platform URL names: its scheme picks it.

One table, so a new standard is one line here and one module that implements
``console.sync.connector.Connector``. Modules load on first use: a console on the SQL platform
never imports an MQTT or NATS client.
"""

from __future__ import annotations

from importlib import import_module

from console.databases import redact
from console.errors import UserError
from console.sync.connector import Connector
from console.sync.sql_connector import SqlConnector

#: URL scheme -> "module:class" of the connector that reads it (SQL URLs are everything else).
SCHEMES: dict[str, str] = {
    "sta+http": "console.sources.sta:SensorThingsConnector",
    "sta+https": "console.sources.sta:SensorThingsConnector",
    "mqtt": "console.sources.mqtt:MqttConnector",
    "mqtts": "console.sources.mqtt:MqttConnector",
    "nats": "console.sources.nats:JetStreamConnector",
    "cap+http": "console.cap.source:CapFeedConnector",  # a polled CAP 1.2 feed of public warnings
    "cap+https": "console.cap.source:CapFeedConnector",
}


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case ('' when it has none)."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep else ""


def open_connector(url: str) -> Connector:
    """The connector for ``url``: a standard's own connector by scheme, else the SQL platform."""
    target = SCHEMES.get(scheme_of(url))
    if target is None:
        return SqlConnector(url)
    module, _, name = target.partition(":")
    try:
        cls = getattr(import_module(module), name)
    except ImportError as exc:
        raise UserError(f"platform {redact(url)!r}: this installation cannot read {scheme_of(url)}:// ({exc})") from None
    return cls(url)
