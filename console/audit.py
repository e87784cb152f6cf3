"""The audit trail of operator actions: its hash chain, checked and exported for an inspector.

The platform chains every operator action as it accepts it (PostgreSQL: the trigger in
console/model/authority.py; the SQLite demo: ``chain_new`` run by its feeder): ``chain`` is
the row's position, ``prev_hash`` the hash of the row before, and ``hash`` a sha256 over that,
the position and the row's content. ``audit_head`` remembers the last position and hash. So a
row changed afterwards no longer matches its hash, a removed one leaves a gap (or a short chain),
and one slipped in past the platform has no place in the chain. Whoever can rewrite the whole
chain and its head can hide that: compare the head ``verify`` prints with one noted elsewhere.

Qt-free: ``cityops audit`` (console/cli_audit.py) uses it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import groupby
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, literal_column, select, text, update

from console.model.authority import GENESIS
from console.model.schema import P

#: Content columns, in the order they are hashed (ts as an IEEE double, the rest as UTF-8 text).
CONTENT = ("id", "console_id", "ts", "actor", "role", "action", "target_kind", "target_id", "payload")
EXPORT_COLUMNS = ("chain", "time_utc", "actor", "role", "action", "target_kind", "target_id", "why",
                  "console_id", "payload", "id", "hash")


def row_hash(prev_hash: str, chain: int, row: dict) -> str:
    """The hash of ``row`` at position ``chain`` after ``prev_hash``: what the platform's trigger computes."""
    h = hashlib.sha256(bytes.fromhex(prev_hash))
    h.update(struct.pack(">q", chain))
    for name in CONTENT:
        if name == "ts":
            h.update(struct.pack(">d", float(row["ts"])))
        else:
            data = str(row[name]).encode()
            h.update(struct.pack(">i", len(data)) + data)
    return h.hexdigest()


@dataclass
class Verdict:
    """What ``verify`` found: ``problem`` names the first broken row (None: the chain holds)."""

    rows: int
    head: str
    problem: str | None = None
    pending: int = 0  # demo platform: newest rows its feeder has not chained yet

    def line(self) -> str:
        if self.problem:
            return self.problem
        waiting = f"; {self.pending} newer row(s) not chained yet" if self.pending else ""
        return f"audit chain intact: {self.rows} operator actions, head {self.head}{waiting}"


def _rows(conn: Connection, chained: bool) -> Iterator[dict]:
    """Chained rows in chain order, or the unchained ones in the order they arrived (with ``arrived``)."""
    table = P["operator_actions"]
    columns = [table.c[n] for n in (*CONTENT, "chain", "prev_hash", "hash")]
    arrived = literal_column("rowid" if conn.dialect.name == "sqlite" else "0").label("arrived")
    if chained:
        stmt = select(*columns).where(table.c.chain.is_not(None)).order_by(table.c.chain)
    else:
        stmt = select(*columns, arrived).where(table.c.chain.is_(None)).order_by(text("arrived"))
    with conn.execution_options(yield_per=5000).execute(stmt) as result:  # closed when the caller stops early
        for row in result:
            yield dict(row._mapping)


def _name(row: dict) -> str:
    when = datetime.fromtimestamp(row["ts"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    where = f"row {row['chain']}" if row["chain"] is not None else "a row"
    return f"{where} (id {row['id']}: {row['action']} by {row['actor']} at {when})"


def verify(conn: Connection, noted: str | None = None) -> Verdict:
    """Walk the chain in order and name the first row that was changed, removed or inserted out of order.

    ``noted``: a head hash ``verify`` printed earlier and kept elsewhere; it must still be in the
    chain, which shows a chain rewritten from before that point even with every hash recomputed.
    """
    head = conn.execute(select(P["audit_head"].c.chain, P["audit_head"].c.hash)).first()
    if head is None:
        return Verdict(0, "", "audit_head has no row: this platform keeps no audit chain")
    with closing(_rows(conn, chained=True)) as chained:
        return _walk(conn, head, chained, noted)


def _walk(conn: Connection, head, chained: Iterator[dict], noted: str | None) -> Verdict:
    def broken(n: int, what: str) -> Verdict:
        return Verdict(n, head.hash, f"audit chain broken: {what}")

    prev, expected, n, before = GENESIS, 1, 0, {}
    for pos, group in groupby(chained, key=lambda r: r["chain"]):
        rows = list(group)
        n += len(rows)
        if pos > head.chain:
            return broken(n, f"{_name(rows[0])} lies past the chain's end the platform recorded "
                          f"(row {head.chain}): inserted behind its back")
        if pos > expected:
            gone = f"row {expected} was" if pos == expected + 1 else f"rows {expected} to {pos - 1} were"
            return broken(n, f"{gone} removed (the chain goes on at {_name(rows[0])})")
        fits = [r for r in rows if r["prev_hash"] == prev and row_hash(prev, pos, r) == r["hash"]]
        if len(rows) > 1:
            intruder = next(r for r in rows if not fits or r is not fits[0])
            return broken(n, f"{_name(intruder)} was inserted out of order (position {pos} is taken twice)")
        row = rows[0]
        if row["prev_hash"] != prev:
            return broken(n, f"{_name(before)} was changed or inserted out of order: row {pos} "
                          f"(id {row['id']}) no longer follows it")
        if not fits:
            return broken(n, f"{_name(row)} was changed after it was recorded")
        prev, expected, before = row["hash"], pos + 1, row
        if row["hash"] == noted:
            noted = None  # found where it was
    last = expected - 1
    if head.chain > last:
        gone = f"row {head.chain} was" if head.chain == last + 1 else f"rows {last + 1} to {head.chain} were"
        return broken(n, f"the last {gone} removed (the platform recorded {head.chain}, the table ends at {last})")
    if head.hash != prev:
        return broken(n, f"row {last} was changed: its hash is not the chain's end the platform recorded")
    # A row without a place in the chain: on PostgreSQL the trigger chains every row, so it came in
    # past it; the demo's feeder chains rows in the order they arrived, so only the newest may wait.
    last_arrived = conn.execute(text("SELECT max(rowid) FROM operator_actions WHERE chain IS NOT NULL")).scalar() \
        if conn.dialect.name == "sqlite" else None
    pending = 0
    with closing(_rows(conn, chained=False)) as unchained:
        for row in unchained:
            if conn.dialect.name != "sqlite" or (last_arrived is not None and row["arrived"] < last_arrived):
                return broken(n, f"{_name(row)} is not in the chain: inserted behind the platform's back")
            pending += 1
    if noted and noted != GENESIS:
        return broken(n, f"the head noted earlier ({noted[:16]}...) is no longer in the chain: it was rewritten")
    return Verdict(n, head.hash, pending=pending)


def chain_new(conn: Connection) -> int:
    """Chain the rows a demo platform (SQLite) has not chained yet, in the order they arrived.

    Run by the platform's own writer (the demo feeder), in its transaction; PostgreSQL does this in
    a trigger instead. Returns how many rows were chained.
    """
    table, head_table = P["operator_actions"], P["audit_head"]
    head = conn.execute(select(head_table.c.chain, head_table.c.hash)).first()
    if head is None:
        return 0
    pos, prev = head.chain, head.hash
    rows = list(_rows(conn, chained=False))
    for row in rows:
        pos += 1
        digest = row_hash(prev, pos, row)
        conn.execute(update(table).where(table.c.id == row["id"]).values(chain=pos, prev_hash=prev, hash=digest))
        prev = digest
    if rows:
        conn.execute(update(head_table).values(chain=pos, hash=prev))
    return len(rows)


def why(payload: str) -> str:
    """The reason an action gives, in words: a shelf's reason, a note, a new status, a unit."""
    try:
        doc = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(doc, dict):
        return payload
    parts = [str(doc[k]) for k in ("reason", "text", "note") if doc.get(k)]
    if doc.get("status"):
        parts.insert(0, f"status {doc['status']}")
    if doc.get("callsign") or doc.get("unit_id"):
        parts.insert(0, f"unit {doc.get('callsign') or doc.get('unit_id')}")
    if doc.get("duration_s"):
        parts.append(f"for {float(doc['duration_s']) / 60:g} min")
    return "; ".join(parts)


def export(conn: Connection, out: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write the trail as CSV (who, what, when, why, from which console), in chain order; rows written.

    Written to a temporary file beside ``out`` and renamed, so a failed export leaves no half file.
    """
    tmp = out.with_name(f".{out.name}.part")
    n = 0
    try:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(EXPORT_COLUMNS)
            for chained in (True, False):
                for row in _rows(conn, chained):
                    when = datetime.fromtimestamp(row["ts"], timezone.utc).isoformat(timespec="milliseconds")
                    writer.writerow([row["chain"] or "", when, row["actor"], row["role"], row["action"],
                                     row["target_kind"], row["target_id"], why(row["payload"]), row["console_id"],
                                     row["payload"], row["id"], row["hash"] or ""])
                    n += 1
                    if progress and n % 10_000 == 0:
                        progress(n)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return n
