"""One sync step: copies the platform into the cache, one stream cursor at a time.

Each step delivers waiting operator actions, then fetches, per stream, the rows past that
stream's cursor, checks them, and writes the good rows, the quarantined bad ones, the roll-ups
and the advanced cursors in ONE cache transaction. A crash (even ``kill -9``) between two steps
loses nothing and, because the cursor moves in the same transaction as the rows it covers,
the next start repeats nothing. The thread that runs steps is console/sync/engine.py.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np

from console.alarms import room
from console.alarms.manager import AlarmManager
from console.cache import Cache, outbox, rollups
from console.model.indicator import Indicator
from console.model.plausible import row_bounds
from console.model.schema import STREAMS
from console.sync.batch import Batch
from console.sync.connector import ActionsRefused, Connector, Cursor, PlatformUnavailable
from console.sync.prefetch import ReadAhead
from console.sync.reference import write_reference
from console.sync.rules.readings import ReadingPage, check_reading_columns, reading_columns
from console.sync.status import CatchUp
from console.sync.validate import Rejected, check_rows, summary

#: the engine's log, as before the step had a module of its own: one logger says what sync does
log = logging.getLogger("console.sync.engine")

#: Reference data is re-read at least this often even when nothing announces a change.
REFERENCE_EVERY_S = 900.0
#: How often a console asks whether the indicators or the city changed (a catalogue applied).
REFERENCE_CHECK_S = 5.0
#: Delivered operator actions and quarantined rows are forgotten after this long.
KEEP_HOUSEKEEPING_S = 30 * 86400.0
#: SQLite copies the cache's WAL into the file (and syncs it) once the WAL holds this many pages:
#: its default. A step of a catch-up rewrites the newest index page of every indicator it brings,
#: so at the default nearly every such step's commit checkpointed its ~1,200 pages; while more
#: rows wait, the writer checkpoints at CATCHUP_CHECKPOINT_PAGES (about 40 MB) instead, and the
#: step that catches up, back at the default, checkpoints the lot.
CHECKPOINT_PAGES = 1_000
CATCHUP_CHECKPOINT_PAGES = 10_000


def _known(indicators: list[dict]) -> dict[int, tuple[float, float]]:
    """The indicators readings may name, with the range their values can plausibly take."""
    return {row["id"]: row_bounds(row) for row in indicators}



class SyncStep:
    """One step of sync, usable without a thread (tests, `cityops sync --once`): operator actions out,
    then the next rows of every stream checked and written with their cursors in one transaction."""

    def __init__(self, connector: Connector, cache: Cache, *, batch_rows: int = 20_000,
                 retention: rollups.Retention | None = None):
        self.connector = connector
        self.cache = cache
        self.batch_rows = batch_rows
        self._ahead: ReadAhead | None = None  # during a catch-up
        self.retention = retention or rollups.Retention()
        self.quarantined = 0
        self.refused: str | None = None  # why the platform last refused operator actions
        self.waiting = 0  # operator actions the last delivery left in the outbox (counted only then)
        self._reference_at: float | None = None  # monotonic time of the last reference read
        self._reference_dirty = False
        self._stamp: int | None = None  # the connector's reference stamp when reference data was read
        self._stamp_at = -1e9
        self._push_live = False  # live rows arrive by push: NOTIFY also announces reference edits
        self._unknown_checked_at = -1e9
        self._known = _known(cache.rows("indicators"))  # indicator id -> plausible value bounds
        self._newest_ts: float | None = None  # newest reading written: retention counts from it
        self._pruned_at = time.monotonic()
        self.catchup: CatchUp | None = None
        #: actions of this console the platform refused or holds otherwise, for the next batch
        self.problems: list[tuple[dict, str]] = []
        #: the room's alarm state as the cache's rows make it, saved into the cache now and then
        #: (console/alarms/room.py); made at the first step, on the sync thread
        self.room: AlarmManager | None = None
        self._room_fed = False  # something went into the room's alarms since they were last saved
        self._room_saved_at = -math.inf  # the first step saves one: a cache never lacks a state for long

    def sync_reference(self) -> dict[str, list[dict]]:
        """Replace the cache's reference data with the platform's good rows (the bad ones quarantined)."""
        if (stamp := getattr(self.connector, "reference_stamp", None)) is not None:
            self._stamp, self._stamp_at = stamp(), time.monotonic()  # before the read: a later edit shows
        reference = self.connector.reference()
        with self.cache.engine.begin() as conn:
            reference, rejected = write_reference(self.cache, conn, reference, time.time())
        if rejected:  # few, and each one a row the platform's GIS or data team must mend: named
            self.quarantined += len(rejected)
            names = [f"{r.stream} {r.row.get('id')!r:.40}" for r in rejected if isinstance(r.row, dict)]
            log.warning("%s; the platform should mend %s", summary(rejected), ", ".join(names[:10]) or "them")
        self._known = _known(reference["indicators"])
        self._reference_at = time.monotonic()
        self._reference_dirty = False
        return reference

    def _reference_due(self) -> bool:
        return (self._reference_at is None or self._reference_dirty
                or time.monotonic() - self._reference_at > REFERENCE_EVERY_S or self._reference_moved())

    def _reference_moved(self) -> bool:
        """True when the platform's city or indicators changed since they were read (checked every
        REFERENCE_CHECK_S): an applied catalogue reaches the walls in seconds, push or no push."""
        stamp = getattr(self.connector, "reference_stamp", None)
        if stamp is None or self._push_live or time.monotonic() - self._stamp_at < REFERENCE_CHECK_S:
            return False
        self._stamp_at = time.monotonic()
        return stamp() != self._stamp

    def deliver_outbox(self) -> int:
        """Send waiting operator actions to the platform; returns how many it now has.

        A platform that answers but refuses them all (a missing grant, say) does not stop the
        city's data from flowing: the actions stay in the outbox, the refusal is logged and
        shown, and delivery is tried again next step. One the platform's rules refuse, or whose
        id it holds with other content, is set aside for good, logged, and handed to the next
        batch (``Batch.problems``) so the operator sees it as a refusal.
        """
        delivered = 0
        while actions := outbox.pending(self.cache):
            ids = [a["id"] for a in actions]
            try:
                result = self.connector.deliver(actions)
            except PlatformUnavailable:
                outbox.note_attempt(self.cache, ids)
                self.waiting = outbox.backlog(self.cache)
                raise
            except ActionsRefused as exc:
                outbox.note_attempt(self.cache, ids)
                if self.refused != str(exc):
                    log.error("the platform refused %d operator action(s): %s", len(ids), exc)
                self.refused = str(exc)
                self.waiting = outbox.backlog(self.cache)
                return delivered
            outbox.mark_delivered(self.cache, result.delivered)
            if result.problems:  # refused by the platform's rules, or a conflict: never sent again
                outbox.mark_problem(self.cache, result.problems)
                sent = {a["id"]: a for a in actions}
                for action_id, why in result.problems.items():
                    action = sent[action_id]
                    log.error("operator action %s (%s %s %s by %s) not delivered: %s", action_id, action["action"],
                              action["target_kind"], action["target_id"], action["actor"], why)
                    self.problems.append((action, why))
            self.refused = None
            delivered += len(result.delivered)
        self.waiting = 0
        return delivered

    def step(self) -> Batch:
        """Copy the next rows of every stream; ``caught_up`` says whether more are waiting."""
        now = time.time()
        quarantined = self.quarantined  # reference rows set aside count too
        batch = Batch()
        batch.delivered = self.deliver_outbox()
        batch.problems, self.problems = self.problems, []
        if self._reference_due():
            batch.reference = self.sync_reference()
        cursors = self.cache.cursors()
        fetched: dict[str, list | ReadingPage] = {}
        moved: dict[str, Cursor] = {}
        # a console of several sources keeps a cursor per source and stream (console/sources/several.py)
        keys = getattr(self.connector, "cursor_keys", lambda stream: (stream,))
        fetch = self._ahead.fetch if self._ahead is not None else self._fetch
        for stream in STREAMS:
            pages = []
            for key in keys(stream):
                after = cursors.get(key, (0, 0))
                rows, cursor = fetch(key, after, self.batch_rows)
                pages.append(rows)
                if len(rows) or cursor != after:  # past messages with no good rows too (console/sources)
                    moved[key] = cursor
                if len(rows) >= self.batch_rows:
                    batch.caught_up = False
            # one page of readings as columns (console/sync/columns_pg.py) is checked as such
            fetched[stream] = pages[0] if len(pages) == 1 else [
                row for page in pages for row in (page.rows if isinstance(page, ReadingPage) else page)]
        touched = {e.get("incident_id") for e in fetched["incident_events"]}
        incidents = self.connector.incidents({i for i in touched if isinstance(i, str)}) if touched else []

        readings, rejected, columns = check_reading_columns(fetched["readings"], self._known, now)
        if self._unknown_indicators(rejected) and batch.reference is None:
            batch.reference = self.sync_reference()  # a new indicator may have been added
            readings, rejected, columns = check_reading_columns(fetched["readings"], self._known, now)
        events, bad = check_rows("incident_events", fetched["incident_events"], now)
        rejected += bad
        positions, bad = check_rows("unit_positions", fetched["unit_positions"], now)
        rejected += bad
        incidents, bad = check_rows("incidents", incidents, now)
        rejected += bad
        actions, bad = check_rows("operator_actions", fetched["operator_actions"], now)
        rejected += bad
        if (set_aside := getattr(self.connector, "take_rejected", None)) is not None:
            rejected += set_aside()  # messages a source could not read at all (console/sources)

        if len(readings) > 1 and not isinstance(fetched["readings"], ReadingPage):  # a page is in that order
            # in index order (indicator, time): SQLite's B-tree pages are touched per indicator
            order = np.lexsort((columns[1], columns[0]))
            readings = [readings[i] for i in order.tolist()]
            columns = tuple(column[order] for column in columns)
        with self.cache.engine.begin() as conn:
            pages = CHECKPOINT_PAGES if batch.caught_up else CATCHUP_CHECKPOINT_PAGES
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")  # of this connection, at its next commit
            new, refused = self.cache.insert_new_readings(conn, readings)
            rejected += [Rejected("readings", row[0], reason, row, kind="duplicate") for row, reason in refused]
            if new:
                if len(new) != len(readings):
                    columns = reading_columns(new)
                ids, ts, values, _ = columns
                rollups.merge(conn, ids, ts, values)
                newest = min(float(ts.max()), now)  # retention never counts from a reading dated ahead
                self._newest_ts = newest if self._newest_ts is None else max(self._newest_ts, newest)
            self.cache.append(conn, "incident_events", events)
            self.cache.append(conn, "unit_positions", positions)
            self.cache.upsert_incidents(conn, incidents)
            self.cache.append(conn, "operator_actions", actions)
            self.cache.quarantine(conn, [r.quarantine_row(now) for r in rejected])
            for stream, cursor in moved.items():
                self.cache.set_cursor(conn, stream, cursor)
        if moved and (committed := getattr(self.connector, "committed", None)) is not None:
            committed(moved)  # a source that acknowledges messages once they are cached (console/sources)
        if rejected:
            self.quarantined += len(rejected)
            log.warning("%s", summary(rejected))
        batch.readings = list(new)
        batch.columns = columns if new else None
        batch.incident_events = events
        batch.unit_positions = positions
        batch.incidents = incidents
        batch.operator_actions = actions
        batch.cursors = moved
        batch.fetched = sum(len(rows) for rows in fetched.values())
        batch.quarantined = self.quarantined - quarantined
        self._feed_room(batch)
        return batch

    # -- the room's alarm state -----------------------------------------------------------
    def _feed_room(self, batch: Batch) -> None:
        """The step's readings and actions through the room's alarms; saved into the cache every SAVE_EVERY_S."""
        if self.room is None:
            self.room = room.room_alarms(Indicator.from_row(r) for r in self.cache.rows("indicators"))
            room.start(self.room, self.cache, time.time())
        elif batch.reference is not None:
            self.room.set_indicators(Indicator.from_row(r) for r in batch.reference["indicators"])
        if batch.readings or batch.operator_actions:
            room.feed(self.room, batch.readings_by_indicator(), batch.operator_actions)
            self._room_fed = True
        self.room.tick(time.time())
        if batch.problems:  # a console showed what the platform refused: it goes back to the room's truth
            batch.room = self.room.save_state(self.room.evaluated_to())
        if time.monotonic() - self._room_saved_at >= room.SAVE_EVERY_S:
            self.save_room()

    def save_room(self) -> None:
        """Keep the room's alarm state in the cache, with the cursors of the rows it holds."""
        self._room_saved_at = time.monotonic()
        if self.room is None or not self._room_fed or not math.isfinite(at := self.room.evaluated_to()):
            return
        with self.cache.engine.begin() as conn:
            room.save(conn, self.room, at, self.cache.cursors())
        self._room_fed = False

    def _unknown_indicators(self, rejected: list[Rejected]) -> bool:
        """True (at most once a minute) when readings named indicators the console does not know."""
        if not any(r.kind == "unknown indicator" for r in rejected):
            return False
        if time.monotonic() - self._unknown_checked_at < 60.0:
            return False
        self._unknown_checked_at = time.monotonic()
        return True

    def prune(self) -> dict[str, int]:
        """Apply retention, counting from the newest reading written (not the wall clock, which may be wrong).

        Delivered outbox rows and quarantined rows are kept for KEEP_HOUSEKEEPING_S (by the
        console's clock: they are the console's own records), so neither grows without bound;
        the audit log is kept whole. The cache's copy of the room's actions goes with the raw
        readings (a recording needs neither further back; the platform keeps them all).
        """
        self._pruned_at = time.monotonic()
        before = time.time() - KEEP_HOUSEKEEPING_S
        with self.cache.engine.begin() as conn:
            done = {"outbox": conn.exec_driver_sql("DELETE FROM outbox WHERE delivered_at < ?", (before,)).rowcount,
                    "quarantine": conn.exec_driver_sql("DELETE FROM quarantine WHERE at < ?", (before,)).rowcount}
        if self._newest_ts is not None:
            done |= rollups.prune(self.cache.engine, self._newest_ts, self.retention)
            with self.cache.engine.begin() as conn:
                done["operator_actions"] = conn.exec_driver_sql(
                    "DELETE FROM operator_actions WHERE ts < ?", (self._newest_ts - self.retention.raw_s,)).rowcount
        return done

    def _fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list | ReadingPage, Cursor]:
        """The connector's fetch; readings as a page of columns where it can read them so (PostgreSQL)."""
        columns = getattr(self.connector, "fetch_readings", None) if stream == "readings" else None
        return columns(after, limit) if columns is not None else self.connector.fetch(stream, after, limit)

    def catch_up(self, progress: Callable[[CatchUp], None] | None = None) -> dict:
        """Run steps until every stream is caught up; returns rows per stream, seconds, cursors."""
        started = time.monotonic()
        rows = {stream: 0 for stream in STREAMS} | {"incidents": 0}
        delivered = quarantined = 0
        self.catchup = CatchUp(self.connector.backlog(self.cache.cursors()), started)
        # the next page of readings comes while this one is written
        self._ahead = ReadAhead(self.connector, STREAMS, fetch=self._fetch)
        try:
            while True:
                batch = self.step()
                for stream in rows:
                    rows[stream] += len(getattr(batch, stream))
                delivered += batch.delivered
                quarantined += batch.quarantined
                self.catchup.done += batch.fetched
                if progress:
                    progress(self.catchup)
                if batch.caught_up:
                    break
        finally:
            self._ahead.close()
            self._ahead = None
        self.catchup = None
        self.prune()
        self.save_room()
        return {"rows": rows, "quarantined": quarantined, "delivered_actions": delivered,
                "seconds": round(time.monotonic() - started, 3),
                "cursors": {s: {"txid": tx, "seq": seq} for s, (tx, seq) in self.cache.cursors().items()}}
