"""SensorThings ids as the console's numbers: observation positions, reading seqs, indicator ids.

A SensorThings server names entities by integers (FROST's default) or by UUIDs
(django-ogc-sensorthings: version 7, time-ordered). The console's stream cursor is a pair of
64-bit integers and its readings and indicators are keyed by integers, so:

- an observation's **position** (where the cursor stands) is its id: an integer id as
  ``(0, id)``, a UUID's 128 bits as two signed 64-bit halves ``(high, low)``; (0, 0) is the start;
- a reading's **seq** is an integer id itself, or 63 bits of a BLAKE2b hash of a UUID (a
  collision, about one in 10^8 over a billion readings, is quarantined as "seq already holds a
  different reading", never silently merged);
- an indicator's id is a small integer Datastream id itself, else a hash of its id, both below
  ``ID_SPAN`` (10^9: what a source among several may use, console/sources/namespace.py); a
  collision is rejected by the reference checks as a duplicate id, with the Datastream named.

Ids that are text, or UUIDs that are not time-ordered (random version 4), have no order a
cursor could resume from: such a server is refused with a one-line reason.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from console.sources.namespace import ID_SPAN

#: An observation id as the server orders it: an int, or a UUID.
ObsId = int | UUID

_U64 = 1 << 64
_I63 = (1 << 63) - 1


class UnorderedIds(ValueError):
    """The server's observation ids have no order to resume from."""


def parse_id(raw: object) -> ObsId:
    """A server's ``@iot.id`` as an ordered id; UnorderedIds for text and for random UUIDs."""
    if type(raw) is int:
        if not 0 < raw <= _I63:
            raise UnorderedIds(f"observation id {raw} is outside 1 to 2^63-1")
        return raw
    if isinstance(raw, str):
        try:
            uid = UUID(raw)
        except ValueError:
            raise UnorderedIds(f"observation id {raw[:60]!r} is text, not an integer or a UUID: "
                               "there is no order to resume from") from None
        if uid.version != 7:
            raise UnorderedIds(f"observation ids are version {uid.version} UUIDs ({raw}): not time-ordered, "
                               "so there is no order to resume from")
        return uid
    raise UnorderedIds(f"observation id {raw!r:.60} is neither an integer nor a UUID")


def _signed(x: int) -> int:
    return x - _U64 if x >= 1 << 63 else x


def to_cursor(obs: ObsId) -> tuple[int, int]:
    """The (txid, seq) pair the cache keeps for a position."""
    if isinstance(obs, int):
        return 0, obs
    return _signed(obs.int >> 64), _signed(obs.int & (_U64 - 1))


def from_cursor(cursor: tuple[int, int]) -> ObsId | None:
    """The position a cached cursor names (None: the start)."""
    high, low = cursor
    if high == 0:
        return low or None
    return UUID(int=((high % _U64) << 64) | (low % _U64))


def literal(raw: object) -> str:
    """An id as an OData literal in ``$filter``: integers and GUIDs bare (OData's Edm.Guid has no
    quotes; a server comparing a quoted one as text orders it wrongly), other text quoted."""
    if isinstance(raw, (int, UUID)):
        return str(raw)
    text = str(raw)
    try:
        return str(UUID(text))
    except ValueError:
        return "'" + text.replace("'", "''") + "'"


def seq_of(obs: ObsId) -> int:
    """The reading's seq in the cache (stable: the same observation always gets the same one)."""
    if isinstance(obs, int):
        return obs
    return int.from_bytes(hashlib.blake2b(obs.bytes, digest_size=8).digest(), "big") & _I63


def indicator_id(raw: object) -> int:
    """The indicator id of the Datastream with ``@iot.id`` ``raw`` (stable across reads)."""
    if type(raw) is int and 0 < raw < ID_SPAN:
        return raw
    digest = hashlib.blake2b(str(raw).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (ID_SPAN - 1) + 1


def window_floor(obs: ObsId, ids: int, seconds: float) -> ObsId:
    """The oldest position a late-committed observation may still take behind ``obs``: ``ids`` ids
    back for integers, ``seconds`` back for time-ordered UUIDs (their first 48 bits are milliseconds)."""
    if isinstance(obs, int):
        return max(0, obs - ids)
    millis = max(0, (obs.int >> 80) - int(seconds * 1000))
    return UUID(int=millis << 80)
