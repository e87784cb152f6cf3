"""Readings from PostgreSQL as arrays: a page of the gap-free query handed over as one binary value.

A catch-up moves millions of readings. Fetched as rows, every field of every one becomes a
Python object parsed from text on the read-ahead thread, which holds the interpreter the cache
writer on the sync thread needs. Binary ``COPY`` would avoid the parsing, but psycopg hands it
over one row at a time through Python (about 10 µs a row, measured: slower than text rows). So
the server packs the page itself: each row's fields in their binary form (``int8send`` …),
concatenated in the page's order by ``string_agg`` into one ``bytea``, which numpy reads as
fixed-width records (one round trip, no per-row work on this side).

The page is the connector's own query (same cursor, same ``pg_snapshot_xmin`` bound, same order
and limit), so the rows are the very ones a fetch would give. Only columns of the integer and
double types are read so (float4 would arrive as the float32, where text gives its shortest
decimal); a NULL drops its row from the aggregate, so a page whose size does not add up comes
back as None and is fetched as rows, where validation says what is wrong with it.
"""

from __future__ import annotations

import numpy as np

from console.sync.rules.readings import ReadingPage

#: PostgreSQL type oid -> its binary send function and the big-endian numpy type of what it sends.
_BINARY = {20: ("int8send", ">i8"), 21: ("int2send", ">i2"), 23: ("int4send", ">i4"), 701: ("float8send", ">f8")}
FIELDS = ("seq", "indicator_id", "ts", "value", "quality", "txid")


def packed(page_sql: str, type_oids: list[int]) -> tuple[str, np.dtype] | None:
    """The query that packs the rows of ``page_sql`` (selecting FIELDS, ordered by txid, seq) into
    (count, bytea), and the record layout of the bytea; None where a column's type is not read exactly."""
    if len(type_oids) != len(FIELDS) or any(oid not in _BINARY for oid in type_oids):
        return None
    sends = " || ".join(f"{_BINARY[oid][0]}({name})" for name, oid in zip(FIELDS, type_oids))
    sql = f"SELECT count(*), string_agg({sends}, ''::bytea ORDER BY txid, seq) FROM ({page_sql}) page"
    return sql, np.dtype([(name, _BINARY[oid][1]) for name, oid in zip(FIELDS, type_oids)])


def parse(count: int, data: bytes | None, layout: np.dtype) -> tuple[ReadingPage, tuple[int, int]] | None:
    """The page of ``count`` rows packed in ``data`` and the cursor after it; None when they do not
    add up (a NULL left its row out)."""
    if not count or data is None or len(data) != count * layout.itemsize:
        return None
    rec = np.frombuffer(data, layout)
    page = ReadingPage.of(rec["seq"].astype(np.int64), rec["indicator_id"].astype(np.int64),
                          rec["ts"].astype(np.float64), rec["value"].astype(np.float64),
                          rec["quality"].astype(np.int64))
    return page, (int(rec["txid"][-1]), int(rec["seq"][-1]))
