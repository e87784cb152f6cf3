"""How the platform's data lies on a NATS JetStream server: streams, subjects, messages, reference.

One JetStream stream per contract stream, ``{PREFIX}_{STREAM}`` (``CITYOPS_READINGS``), on the
subjects ``{prefix}.{stream}.{district}``: the district token is the district id made safe for a
subject (``_`` where a row has none: city-wide indicators, operator actions). A console reads a
whole stream and keeps its stream sequence as its cursor: JetStream hands out sequences at store
time, in order, so that cursor cannot skip a message. Any NATS consumer may filter by district.

A message carries a batch of rows as JSON, ``{"rows": [...]}``: readings as arrays
``[seq, indicator_id, ts, value, quality]``, every other stream as objects with the contract's
columns; an ``incident_events`` message also carries ``"incidents"``, the current rows of the
incidents its events name. Headers say where the rows came from on the platform, so the relay
finds its own place again after a restart: ``Cityops-From``/``Cityops-To`` the platform cursor
before and after the platform batch (``txid:seq``), ``Cityops-Part`` ``i/n`` (a platform batch
is published as n messages, one per district chunk) and ``Cityops-Batch`` its rows, ``Cityops-Count`` its rows and
``Cityops-Rows`` the stream's running total (for progress bars), and ``Nats-Msg-Id`` for JetStream's duplicate window.

Reference data (districts, indicators, buildings ...) is one object, ``reference``, in the
object store bucket ``{prefix}_reference``: gzip'd JSON ``{table: [rows]}``, replaced whole
when the platform's reference data changes. After each batch the relay publishes an empty
message on ``{prefix}.wake.{stream}`` (core NATS, kept nowhere): consoles wake at once instead
of polling, and a producer that does not send it only costs them latency.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from console.model.schema import REFERENCE_TABLES

#: Subject and stream prefix unless the URL names another (``nats://host?prefix=tampere``).
DEFAULT_PREFIX = "cityops"
#: The object in the reference bucket holding every reference table.
REFERENCE_OBJECT = "reference"
#: A message holds at most this many bytes of rows (NATS's default payload limit is 1 MiB).
MESSAGE_BYTES = 256 * 1024
#: Token for rows with no district.
CITY_WIDE = "_"
H_FROM, H_TO, H_PART, H_ROWS, H_COUNT = "Cityops-From", "Cityops-To", "Cityops-Part", "Cityops-Rows", "Cityops-Count"
H_BATCH, H_ID = "Cityops-Batch", "Nats-Msg-Id"
_PREFIX_OK = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TOKEN_BAD = re.compile(r"[^A-Za-z0-9_-]")


def check_prefix(prefix: str) -> str:
    """The prefix, or ValueError naming what is wrong with it."""
    if not _PREFIX_OK.fullmatch(prefix):
        raise ValueError(f"prefix {prefix!r} must be 1 to 32 letters, digits, '-' or '_'")
    return prefix


def stream_name(prefix: str, stream: str) -> str:
    return f"{prefix}_{stream}".upper()


def subjects(prefix: str, stream: str) -> str:
    """The subjects a JetStream stream keeps: every district's."""
    return f"{prefix}.{stream}.>"


def subject(prefix: str, stream: str, district: object) -> str:
    return f"{prefix}.{stream}.{district_token(district)}"


def wake_subject(prefix: str, stream: str = "*") -> str:
    return f"{prefix}.wake.{stream}"


def bucket(prefix: str) -> str:
    return f"{prefix}_reference"


def district_token(district: object) -> str:
    """A district id as one subject token (letters, digits, '-' and '_'; others become '_')."""
    if not isinstance(district, str) or not district:
        return CITY_WIDE
    return _TOKEN_BAD.sub("_", district)[:64]


def cursor_text(cursor: tuple[int, int]) -> str:
    return f"{int(cursor[0])}:{int(cursor[1])}"


def parse_cursor(text: str | None) -> tuple[int, int] | None:
    """``txid:seq`` back into a cursor; None for anything else."""
    try:
        tx, seq = (text or "").split(":")
        return int(tx), int(seq)
    except ValueError:
        return None


def parse_part(text: str | None) -> tuple[int, int] | None:
    """``i/n`` back into (i, n); None for anything else."""
    try:
        i, n = (text or "").split("/")
        i, n = int(i), int(n)
    except ValueError:
        return None
    return (i, n) if 1 <= i <= n else None


@dataclass(frozen=True)
class Part:
    """One message's worth of a platform batch: the rows of one district, in the platform's order."""

    district: str  # its subject token
    rows: list
    incidents: list[dict]


def split_batch(stream: str, rows: list, district_of: dict, incidents: dict[str, dict] | None = None) -> list[Part]:
    """A platform batch as messages: per district (in token order), each chunk under MESSAGE_BYTES.

    Deterministic in the rows alone (and the districts they map to), so a relay that stopped
    half-way through a batch makes the same parts again and goes on after the last one stored.
    ``district_of``: readings -> indicator id to district, incident_events -> incident id to
    district, unit_positions -> unit id to district.
    """
    key = {"readings": lambda r: r[1], "incident_events": lambda r: r.get("incident_id"),
           "unit_positions": lambda r: r.get("unit_id")}.get(stream)
    groups: dict[str, list] = {}
    for row in rows:
        token = district_token(district_of.get(key(row))) if key else CITY_WIDE
        groups.setdefault(token, []).append(row)
    parts = []
    for token in sorted(groups):
        for chunk in _chunks(groups[token]):
            named = ({r.get("incident_id") for r in chunk} if stream == "incident_events" else set())
            parts.append(Part(token, chunk, [incidents[i] for i in sorted(named, key=str)
                                             if incidents and i in incidents]))
    return parts


def _chunks(rows: list) -> Iterator[list]:
    """Rows in runs whose JSON stays under MESSAGE_BYTES (a run holds one row at least)."""
    run: list = []
    size = 0
    for row in rows:
        n = len(dumps(row)) + 1
        if run and size + n > MESSAGE_BYTES:
            yield run
            run, size = [], 0
        run.append(row)
        size += n
    if run:
        yield run


def dumps(value: object) -> bytes:
    """JSON as the wire carries it: compact, NaN and inf kept (the console's rules judge them)."""
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def encode_part(stream: str, part: Part) -> bytes:
    rows = [list(r) for r in part.rows] if stream == "readings" else part.rows
    body = {"rows": rows}
    if stream == "incident_events":
        body["incidents"] = part.incidents
    return dumps(body)


class BadMessage(ValueError):
    """A message the console cannot read; its text is the reason for the quarantine."""


def decode_message(stream: str, data: bytes) -> tuple[list, list[dict]]:
    """A message's rows (readings as tuples, the rest as dicts) and incidents, or BadMessage.

    Rows that are no rows at all (a number where a reading's array belongs) come back as they
    are: the sync rules quarantine each one with its reason, and the message's good rows land.
    """
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadMessage(f"not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadMessage(f"not a JSON object but {type(body).__name__}")
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise BadMessage("no 'rows' list")
    incidents = body.get("incidents", [])
    if not isinstance(incidents, list):
        raise BadMessage("'incidents' is not a list")
    if stream == "readings":
        rows = [tuple(r) if isinstance(r, list) else r for r in rows]
    return rows, [i for i in incidents if isinstance(i, dict)]


def encode_reference(reference: dict[str, list[dict]]) -> bytes:
    """The reference tables as the object store keeps them (byte-identical for the same rows)."""
    return gzip.compress(dumps({t: reference.get(t, []) for t in REFERENCE_TABLES}), mtime=0)


def decode_reference(data: bytes) -> dict[str, list[dict]]:
    """The reference object back into tables, or BadMessage saying why it cannot be read."""
    try:
        body = json.loads(gzip.decompress(data))
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise BadMessage(f"reference object unreadable ({exc})") from None
    if not isinstance(body, dict):
        raise BadMessage("reference object is not a JSON object of tables")
    tables = {}
    for table in REFERENCE_TABLES:
        rows = body.get(table, [])
        if not isinstance(rows, list):
            raise BadMessage(f"reference table {table} is not a list")
        tables[table] = rows
    return tables
