"""Making a recording: a stretch of the city read from the local cache or straight from a platform.

Both sources hold the same contract tables, so one reader serves both; they differ only in
where roll-ups come from (the cache keeps roll-up tables, a platform has raw readings) and in
the actions a cache holds that the platform does not have yet (its outbox). Everything is read on one
connection in one read-only transaction, so readings, roll-ups and incidents agree with each
other even while the sync engine or a feeder keeps writing.
"""

from __future__ import annotations

import json

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, Engine, Table, or_, select
from sqlalchemy.exc import DBAPIError

import console
from console.cache.cache import Cache
from console.databases import contract_rows, reason
from console.errors import UserError
from console.incidents.lifecycle import as_of
from console.model.schema import C, P, REFERENCE_TABLES
from console.replay.budget import MAX_SPAN_S
from console.replay.recording import PREROLL_S, ROLLUP_DTYPE, Readings, Recording, RecordingMeta
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector

Progress = Callable[[float], None]
DAY = 86400.0
#: Roll-up resolution -> (bucket width, how far before the end it is recorded).
ROLLUP_SPANS = {"1m": (60.0, DAY + PREROLL_S), "1h": (3600.0, 7 * DAY)}
#: A closed incident still travels if it changed this long before the recording's first moment.
CLOSED_GRACE_S = 6 * 3600.0
#: Operators' actions from this long before the first moment travel (acknowledgements of earlier alarms).
ACTIONS_BEFORE_S = 24 * 3600.0
ACTION_KEYS = ("ts", "actor", "role", "action", "target_kind", "target_id", "detail")
_READING = np.dtype([("ts", np.float64), ("value", np.float64), ("quality", np.int8)])
_CHUNK = 500  # ids per IN (...) list


@dataclass
class _Db:
    """One open read-only transaction on a cache or a platform, and how to talk to it."""

    conn: Connection
    shown: str  # how messages name the source
    platform: bool
    mark: str  # the driver's parameter placeholder

    def table(self, name: str) -> Table:
        return P[name] if self.platform else C[name]

    def rows(self, stmt) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def driver(self, sql: str, params: tuple) -> Iterator[tuple]:
        """Rows of ``sql`` as the driver's own tuples: no SQLAlchemy row objects for the bulk."""
        cur = self.conn.connection.dbapi_connection.cursor()
        try:
            cur.execute(sql.replace("?", self.mark), params)
            yield from cur
        finally:
            cur.close()


def record_from_cache(cache: Cache, start: float, end: float, district: str | None = None,
                      progress: Progress | None = None, title: str = "") -> Recording:
    """Record [start, end] (with its pre-roll) from the console's local cache."""
    _check_window(start, end)
    shown = f"cache {cache.path}"
    with _reading(cache.engine, shown, platform=False) as db:
        return _record(db, start, end, district, progress, title)


def record_from_platform(platform: str | SqlConnector, start: float, end: float, district: str | None = None,
                         progress: Progress | None = None, title: str = "") -> Recording:
    """Record [start, end] (with its pre-roll) straight from a platform database (read-only).

    ``platform``: its URL, or a connector (signed in); the connector is closed afterwards.
    """
    _check_window(start, end)
    # UserError for a malformed URL or a missing SQLite file
    connector = platform if isinstance(platform, SqlConnector) else SqlConnector(platform)
    try:
        try:
            connector.check()
        except PlatformUnavailable as exc:
            raise UserError(str(exc)) from None
        with _reading(connector.engine, f"platform {connector.shown}", platform=True) as db:
            recording = _record(db, start, end, district, progress, title)
        return recording
    finally:
        connector.close()


def _check_window(start: float, end: float) -> None:
    if not (math.isfinite(start) and math.isfinite(end)):
        raise UserError(f"the recording's start and end must be times, not {start} and {end}")
    if start >= end:
        raise UserError(f"the recording must start before it ends (from {_utc(start)} to {_utc(end)})")
    if end - start > MAX_SPAN_S:
        raise UserError(f"a recording covers at most {MAX_SPAN_S / 86400:g} days (from {_utc(start)} to {_utc(end)} "
                        f"is {(end - start) / 86400:,.1f}): record the stretch that matters")


@contextmanager
def _reading(engine: Engine, shown: str, platform: bool) -> Iterator[_Db]:
    """One connection in one read-only snapshot; driver errors become a UserError naming the source."""
    postgres = engine.dialect.name == "postgresql"
    try:
        options = {"isolation_level": "REPEATABLE READ"} if postgres else {}
        with engine.connect().execution_options(**options) as conn:
            if postgres:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            else:  # SQLite: a read transaction is one snapshot (WAL), not a statement each
                conn.connection.dbapi_connection.execute("BEGIN")
            try:
                yield _Db(conn, shown, platform, "%s" if postgres else "?")
            finally:
                conn.rollback()
    except (DBAPIError, engine.dialect.loaded_dbapi.Error) as exc:  # raw cursors raise the driver's own
        raise UserError(f"cannot read {shown}: {reason(exc)}") from None


def _record(db: _Db, start: float, end: float, district: str | None, progress: Progress | None,
            title: str) -> Recording:
    report = progress or (lambda _f: None)
    meta = RecordingMeta(start, end, district, db.shown.removeprefix("platform "), time.time(),
                         console.__version__, title)
    reference = {name: _by_key(db.table(name), contract_rows(db.conn, db.table(name))) for name in REFERENCE_TABLES}
    reference = _keep_district(reference, district, db.shown)
    report(0.02)
    ids = sorted(row["id"] for row in reference["indicators"])
    readings = _readings(db, ids, meta.preroll_start, end, lambda f: report(0.02 + 0.7 * f))
    rollups = {}
    for k, (name, (width, span)) in enumerate(ROLLUP_SPANS.items()):
        rollups[name] = _rollups(db, ids, width, end - span, end,
                                 lambda f, k=k: report(0.72 + 0.1 * (k + f)))
    incidents, events = _incidents(db, meta, district)
    in_window = np.count_nonzero((readings.ts >= start) & (readings.ts <= end))
    if not in_window and not any(start <= e["ts"] <= end for e in events):  # an incident feed alone is a recording
        raise UserError(_no_readings(db, start, end, district))
    report(0.95)
    recording = Recording(meta, reference, readings, rollups, incidents, events,
                          _unit_positions(db, meta.preroll_start, end),
                          _actions(db, meta.preroll_start - ACTIONS_BEFORE_S, end))
    report(1.0)
    return recording


def _by_key(table: Table, rows: list[dict]) -> list[dict]:
    """Rows in primary-key order, sorted here: PostgreSQL's collation would order text unlike SQLite."""
    key = [c.name for c in table.primary_key.columns]
    return sorted(rows, key=lambda row: tuple(row[k] for k in key))


def _keep_district(reference: dict[str, list[dict]], district: str | None, shown: str) -> dict[str, list[dict]]:
    """Reference rows a district's recording needs: its own and the city-wide, and all the map."""
    if district is None:
        return reference
    known = sorted(row["id"] for row in reference["districts"])
    if district not in known:
        listed = ", ".join(known) if known else "none"
        raise UserError(f"unknown district {district!r} in {shown}; known districts: {listed}")
    indicators = [r for r in reference["indicators"] if r["district_id"] in (district, None)]
    kept = {r["id"] for r in indicators}
    return {**reference, "indicators": indicators,
            "sensors": [r for r in reference["sensors"] if r["indicator_id"] in kept],
            "buildings": [r for r in reference["buildings"] if r["district_id"] == district]}


def _readings(db: _Db, ids: list[int], t0: float, t1: float, progress: Progress) -> Readings:
    """Each indicator's readings in [t0, t1] along the (indicator_id, ts) index, straight into NumPy."""
    sql = ("SELECT ts, value, quality FROM readings WHERE indicator_id = ? AND ts >= ? AND ts <= ? "
           "ORDER BY ts, seq")
    parts, owners = [], []
    for k, iid in enumerate(ids):
        part = np.fromiter(db.driver(sql, (iid, t0, t1)), dtype=_READING)
        if len(part):
            parts.append(part)
            owners.append(np.full(len(part), iid, dtype=np.int32))
        progress((k + 1) / len(ids))
    if not parts:
        return Readings.empty()
    rows = np.concatenate(parts)
    # + 0.0 turns -0.0 into 0.0, as SQLite stores it: every source gives the same bits
    return Readings(np.concatenate(owners), rows["ts"], rows["value"] + 0.0, rows["quality"])


def _no_readings(db: _Db, start: float, end: float, district: str | None) -> str:
    """Why there is nothing to record, with the stretch the source does hold."""
    first, last = db.conn.exec_driver_sql("SELECT min(ts), max(ts) FROM readings").one()
    where = f" of district {district}" if district else ""
    if first is None:
        return f"{db.shown} holds no readings or incidents at all, so there is nothing to record"
    return (f"{db.shown} holds no readings or incident events{where} from {_utc(start)} to {_utc(end)}; "
            f"it holds readings from {_utc(first)} to {_utc(last)}")


def _utc(t: float) -> str:
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):  # beyond the calendar: say the number
        return f"{t:.0f}"


def _rollups(db: _Db, ids: list[int], width: float, t0: float, t1: float, progress: Progress) -> np.ndarray:
    """Whole buckets lying inside [t0, t1], sorted by (indicator_id, bucket).

    Only whole buckets: a bucket ending after ``t1`` would hold what came after the recording
    (the cache folds later readings in), and a platform and a cache then give the same buckets.
    """
    first, last = math.ceil(t0 / width), math.floor(t1 / width) - 1  # bucket numbers
    if db.platform:
        # floor(ts / width) in portable SQL: CAST truncates on SQLite and rounds on PostgreSQL;
        # either way the cast is the floor, or one more than it where it exceeds the quotient.
        number = f"CAST(ts / {width!r} AS BIGINT)"
        sql = (f"SELECT b, count(*), min(value), max(value), sum(value) FROM (SELECT {number} - CASE WHEN "
               f"{number} > ts / {width!r} THEN 1 ELSE 0 END AS b, value FROM readings "
               "WHERE indicator_id = ? AND ts >= ? AND ts < ?) AS r GROUP BY b ORDER BY b")
        params = (first * width, (last + 1) * width)
    else:
        table = "rollup_1m" if width == 60.0 else "rollup_1h"
        sql = (f"SELECT bucket, n, vmin, vmax, vsum FROM {table} "
               "WHERE indicator_id = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket")
        params = (first * width, last * width)
    parts = []
    for k, iid in enumerate(ids):
        rows = list(db.driver(sql, (iid, *params)))
        if rows:
            part = np.empty(len(rows), dtype=ROLLUP_DTYPE)
            flat = np.array(rows, dtype=np.float64)
            part["indicator_id"] = iid
            part["bucket"] = flat[:, 0] * width if db.platform else flat[:, 0]
            part["n"] = flat[:, 1]
            part["vmin"], part["vmax"], part["vsum"] = flat[:, 2] + 0.0, flat[:, 3] + 0.0, flat[:, 4] + 0.0
            parts.append(part)
        progress((k + 1) / len(ids))
    return np.concatenate(parts) if parts else np.empty(0, dtype=ROLLUP_DTYPE)


def _incidents(db: _Db, meta: RecordingMeta, district: str | None) -> tuple[list[dict], list[dict]]:
    """Incidents open during the recording or closed shortly before it, as they stood at its end,
    with all their events up to the end."""
    table, events = db.table("incidents"), db.table("incident_events")
    stmt = select(table).where(table.c.opened_at <= meta.end, or_(
        table.c.status != "closed", table.c.updated_at >= meta.preroll_start - CLOSED_GRACE_S))
    if district is not None:
        stmt = stmt.where(table.c.district_id == district)
    incidents = sorted(db.rows(stmt), key=lambda r: (r["opened_at"], r["id"]))
    columns = [events.c[name] for name in C["incident_events"].c.keys()]  # not the platform's txid
    ids, found = [r["id"] for r in incidents], []
    for i in range(0, len(ids), _CHUNK):
        found += db.rows(select(*columns).where(events.c.incident_id.in_(ids[i:i + _CHUNK]),
                                                events.c.ts <= meta.end))
    found.sort(key=lambda e: (e["ts"], e["seq"]))
    return [_as_at_end(row, found, meta.end) for row in incidents], found


def _as_at_end(row: dict, events: list[dict], end: float) -> dict:
    """The row as it stood at ``end``: a source that went on past the end has moved it since."""
    if row["updated_at"] <= end:
        return row
    own = [e for e in events if e["incident_id"] == row["id"]]
    return {**row, "status": as_of(row, own, end)["status"],
            "updated_at": max((e["ts"] for e in own), default=row["opened_at"]),
            "rev": max((e["seq"] for e in own), default=0)}


def _unit_positions(db: _Db, t0: float, t1: float) -> list[dict]:
    table = db.table("unit_positions")
    columns = [table.c[name] for name in C["unit_positions"].c.keys()]
    return db.rows(select(*columns).where(table.c.ts >= t0, table.c.ts <= t1).order_by(table.c.ts, table.c.seq))


def _actions(db: _Db, t0: float, t1: float) -> list[dict]:
    """The room's operator actions, oldest first: the platform's ``operator_actions`` (a cache holds
    a copy of them), and from a cache also this console's own not yet delivered, so a recording
    shows what every console of the room showed, not one console's audit log."""
    table = db.table("operator_actions")
    rows = db.rows(select(table.c.id, *(table.c[k] for k in ACTION_KEYS[:-1]), table.c.payload.label("detail"))
                   .where(table.c.ts >= t0, table.c.ts <= t1))
    if not db.platform:
        held = {row["id"] for row in rows}
        outbox = C["outbox"]
        for text in db.conn.execute(select(outbox.c.action).where(outbox.c.delivered_at.is_(None),
                                                                   outbox.c.problem.is_(None))).scalars():
            row = json.loads(text)
            if row["id"] not in held and t0 <= row["ts"] <= t1:
                rows.append({"id": row["id"], **{k: row[k] for k in ACTION_KEYS[:-1]}, "detail": row["payload"]})
    rows.sort(key=lambda row: (row["ts"], row.pop("id")))
    return rows
