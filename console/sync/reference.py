"""Reference data into the cache: every row checked, the bad ones quarantined, the rest landing.

Reference tables are replaced whole at each read, so a bad row would be quarantined again at
every read (every 15 minutes and at every change the platform announces). A rejection already
in the quarantine table is not added or logged twice. Where the cache holds a good version of a
row the platform now sends broken (a district whose outline turned to NaN, an indicator whose
limits did), that version is kept: the wall goes on showing the district, and the indicator
goes on alarming, instead of either vanishing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, select

from console.cache import Cache
from console.model.schema import C, REFERENCE_TABLES
from console.sync.rules.common import int64_or_none
from console.sync.validate import Rejected, check_reference, check_rows


def write_reference(cache: Cache, conn: Connection, reference: Mapping[str, list], now: float
                    ) -> tuple[dict[str, list[dict]], list[Rejected]]:
    """Replace the cache's reference data with the good rows of ``reference`` (and the last good
    version of each rejected one); returns what the cache now holds and the rejections that are new."""
    good, rejected = check_reference(reference, now)
    for table in REFERENCE_TABLES:
        ids = {row["id"] for row in good[table]}
        named = [r.row.get("id") for r in rejected if r.stream == table and isinstance(r.row, Mapping)]
        keep = sorted({k for k in named if type(k) is str or int64_or_none(k) is not None} - ids, key=str)
        old = ([dict(r._mapping) for r in conn.execute(select(C[table]).where(C[table].c.id.in_(keep)))]
               if keep else [])
        old = check_rows(table, old, now)[0]  # a version cached before the rules may be as bad
        conn.exec_driver_sql(f"DELETE FROM {table}")
        cache.upsert(conn, table, good[table] + old)
        good[table] += old
    new = [r for r in rejected if not _quarantined(conn, r.quarantine_row(now))]
    cache.quarantine(conn, [r.quarantine_row(now) for r in new])
    return good, new


def _quarantined(conn: Connection, row: dict) -> bool:
    """Whether this rejection (same table, reason and row) is in the quarantine table already."""
    return conn.exec_driver_sql("SELECT 1 FROM quarantine WHERE stream = ? AND reason = ? AND row = ? LIMIT 1",
                                (row["stream"], row["reason"], row["row"])).first() is not None
