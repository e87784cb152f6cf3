"""The control channel of a multi-node wall: one shared clock, and rotation commands through the platform.

Several PCs show one wall. Each computes its pages from the same time and the same commands,
so they stay in step without talking to each other:

- ``ServerClock`` estimates how far this PC's clock is from the platform's and reads time as
  the platform would. It re-estimates in the background and *slews* toward a new estimate
  (at most 50 ms per second) rather than jumping, so a page never flicks early or late.
- ``ControlChannel`` writes a rotation command (next, hold, goto ...) into the platform's
  ``wall_control`` table, effective a moment ahead (``LEAD_S``) on the shared clock, so every
  node applies it at the same instant. Nodes hear of it by LISTEN/NOTIFY on PostgreSQL
  (polling where there is no push) and a node that starts late replays the last day's
  commands, reaching the state its neighbours are in.

The table is shared with every peer of the platform, so nothing in it is taken on trust: a
command issued more than ``AHEAD_S`` ahead of the platform's clock, or taking effect before it
was issued or more than ``MAX_LEAD_S`` after, is never applied; it is set aside (logged, and
kept in ``quarantined``); rows dated ahead are only counted, never read or replayed. A sender waits at
most ``LOCK_TIMEOUT_S`` for the lock another session holds, then says who holds it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from console.databases import reason
from console.errors import UserError
from console.layout.rotation import RotationCommand
from console.model.action import Operator
from console.model.schema import P
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector
from console.sync.validate import Rejected

log = logging.getLogger(__name__)

#: The platform's clock, read as late in the query as possible (now() would be the transaction's start).
SERVER_NOW = "SELECT extract(epoch from clock_timestamp())"
#: A command takes effect this long after it is written: time for every node to hear of it.
LEAD_S = 0.3
#: A node that starts replays this much of its wall's commands, so it reaches its neighbours' state.
REPLAY_S = 86400.0
#: With push, poll this rarely anyway: a lost notification costs at most this much delay.
HEARTBEAT_S = 10.0
#: Senders take this advisory lock around their insert, so seq order is commit order and a
#: reader that saw seq n can never later meet a smaller one.
SEND_LOCK = "SELECT pg_advisory_xact_lock(hashtext('cityops_wall'))"
#: How long a sender waits for that lock before giving up with a message naming its holder.
LOCK_TIMEOUT_S = 5.0
#: A command issued further ahead of the platform's clock than this is not a command (clocks agree
#: to milliseconds); one taking effect later than this after it was issued is not one either.
AHEAD_S = 60.0
MAX_LEAD_S = 60.0
#: Rows read per query: a flood of rows is read a batch at a time, off the UI thread.
POLL_BATCH = 1000
#: Set-aside commands kept in memory for the operator to see (the log has every one).
QUARANTINE_KEEP = 100
LOG_EACH = 10  # set-aside commands logged one by one per poll; the rest as a count
#: Who holds the wall's advisory lock (pg_locks splits the lock's key into its two halves).
LOCK_HOLDER = ("SELECT l.pid, a.application_name, a.usename, extract(epoch from clock_timestamp() - a.xact_start) "
               "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
               "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext('cityops_wall')::oid LIMIT 1")

Sample = tuple[float, float, float]  # (local time sent, platform time, local time answered)


def estimate(samples: Iterable[Sample]) -> tuple[float, float]:
    """(offset, round trip) from the sample with the shortest round trip.

    The platform read its clock somewhere inside the round trip, so taking the middle is off by
    at most half of it: the quickest exchange gives the tightest bound.
    """
    t0, server, t1 = min(samples, key=lambda s: s[2] - s[0])
    return server - (t0 + t1) / 2, t1 - t0


class ServerClock:
    """The platform's time as read from this PC: ``now()`` is ``time.time()`` plus a slewed offset.

    ``source`` is an SQLAlchemy engine or a connector holding one. Only PostgreSQL has a clock
    of its own to follow; an SQLite platform is a file on this machine, offset 0.
    """

    def __init__(self, source: Engine | SqlConnector, *, samples: int = 8, interval: float = 60.0,
                 max_slew: float = 0.05, max_step: float = 1.0,
                 time_source: Callable[[], float] = time.time):
        engine: Engine = getattr(source, "engine", source)
        self._engine = engine if engine.dialect.name == "postgresql" else None
        self.samples, self.interval = samples, interval
        self.max_slew = max_slew  # seconds of correction per second
        self.max_step = max_step  # a gap wider than this is stepped at once (see adjust)
        self._time = time_source
        self.offset = 0.0  # the latest estimate: platform time minus time.time()
        self.rtt: float | None = None  # its round trip; None: never reached the platform
        self._applied = 0.0  # the offset now() uses, moving toward ``offset``
        self._slewed_at: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def now(self) -> float:
        """Shared time: what the platform's clock reads now, to within a few milliseconds."""
        with self._lock:
            t = self._time()
            if self._slewed_at is not None and self._applied != self.offset:
                step = self.max_slew * max(0.0, t - self._slewed_at)
                self._applied += max(-step, min(step, self.offset - self._applied))
            self._slewed_at = t
            return t + self._applied

    def adjust(self, offset: float, rtt: float) -> None:
        """Take a new estimate. The first one, or one further off than ``max_step``, applies at once
        (this PC's clock was never aligned, or was stepped); otherwise ``now()`` slews toward it.
        """
        with self._lock:
            first = self.rtt is None
            self.offset, self.rtt = offset, rtt
            if first or abs(offset - self._applied) > self.max_step:
                self._applied = offset

    def sync(self) -> bool:
        """Measure the offset now; False (keeping the last one) when the platform cannot be reached."""
        if self._engine is None:
            self.adjust(0.0, 0.0)
            return True
        try:
            with self._engine.connect() as conn:
                found = []
                for _ in range(self.samples):
                    t0 = self._time()
                    server = float(conn.exec_driver_sql(SERVER_NOW).scalar())
                    found.append((t0, server, self._time()))
        except DBAPIError as exc:
            if not self._failing:
                log.warning("shared clock: cannot read the platform's clock (%s); keeping offset %+.3f s",
                            reason(exc), self.offset)
            self._failing = True
            return False
        self._failing = False
        self.adjust(*estimate(found))
        log.debug("shared clock: offset %+.4f s, round trip %.4f s", self.offset, self.rtt)
        return True

    def start(self) -> None:
        """Estimate now and then every ``interval`` seconds, in a daemon thread (none for SQLite: offset 0)."""
        if self._engine is None:
            self.sync()
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cityops-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sync()
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _out_of_window(issued_at, effective_at, now: float) -> str | None:
    """Why a command's times are not those of a command sent now or lately (None: they are)."""
    try:
        issued, effective = float(issued_at), float(effective_at)
    except (TypeError, ValueError):
        return "its times are not numbers"
    if not (math.isfinite(issued) and math.isfinite(effective)):
        return "its times are not numbers"
    if issued > now + AHEAD_S:
        return f"issued {issued - now:,.0f} s ahead of the platform's clock"
    if not 0.0 <= effective - issued <= MAX_LEAD_S:
        return f"takes effect {effective - issued:,.1f} s after it was issued (0 to {MAX_LEAD_S:g} s expected)"
    return None


def layout_key(layout: str | Path) -> str:
    """The name a wall's commands are filed under: the layout file's stem, whichever path a node was given."""
    return Path(layout).stem


class ControlChannel:
    """Rotation commands for one wall layout, through the platform's ``wall_control`` table."""

    def __init__(self, platform: str | SqlConnector, layout: str | Path, *, poll_interval: float = 1.0,
                 replay_s: float = REPLAY_S):
        """``platform``: a URL, or the console's connector (the channel signs in as its person)."""
        self.connector = platform.twin() if isinstance(platform, SqlConnector) else SqlConnector(platform)
        self.layout = layout_key(layout)
        self.poll_interval = poll_interval
        self._after = 0  # the last seq read
        self.quarantined: deque[Rejected] = deque(maxlen=QUARANTINE_KEEP)  # the latest set aside
        self.set_aside = 0  # how many were, since start
        self._ahead_after = 0  # the last seq of the commands dated ahead already set aside
        self._since = time.time() - replay_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, command: RotationCommand, operator: Operator) -> RotationCommand:
        """Write ``command`` for every node of the wall; returns it with the instant it takes effect.

        The role is checked first: a refused operator writes nothing (PermissionError).
        """
        operator.require("control_wall")
        table, connector = P["wall_control"], self.connector
        try:
            with connector.engine.begin() as conn:
                if connector.postgres:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'")
                    conn.exec_driver_sql(SEND_LOCK)
                    now = float(conn.exec_driver_sql(SERVER_NOW).scalar())
                else:
                    now = time.time()  # an SQLite platform is a file on this machine: its clock is ours
                sent = replace(command, at=now + LEAD_S)
                conn.execute(insert(table).values(
                    id=str(uuid.uuid4()), layout=self.layout, issued_at=now, effective_at=sent.at,
                    command=sent.to_json(), actor=operator.name, role=operator.role))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available: lock_timeout passed
                raise UserError(f"wall command not sent: {self._lock_holder()} has held the wall's control lock "
                                f"on platform {connector.shown} for over {LOCK_TIMEOUT_S:g} s; try again, or ask "
                                "the platform team to end that session") from None
            if isinstance(exc, (OperationalError, InterfaceError)):
                raise PlatformUnavailable(f"cannot reach platform {connector.shown}: {reason(exc)}") from None
            raise UserError(f"platform {connector.shown} refused the wall command: {reason(exc)}") from None
        return sent

    def _lock_holder(self) -> str:
        """Who holds the wall's lock, in words (``another session`` where the platform will not say)."""
        try:
            with self.connector.engine.connect() as conn:
                found = conn.exec_driver_sql(LOCK_HOLDER).first()
        except DBAPIError:
            found = None
        if not found:
            return "another session"
        pid, app, user, age = found
        held = f", in a transaction open {float(age):.0f} s" if age is not None else ""
        return f"session {pid}" + (f" ({user or '?'}, {app})" if app else "") + held

    def poll(self) -> list[RotationCommand]:
        """Commands written since the last poll (the first poll: those of the last ``replay_s``), oldest first.

        A row that is not a valid command, or one dated outside the sane window, is set aside
        (logged, kept in ``quarantined``); the rest still apply. Rows dated ahead are counted,
        not read: a flood of them costs one count at a start, not a replay of every row.
        """
        table = P["wall_control"]
        commands: list[RotationCommand] = []
        try:
            with self.connector.engine.connect() as conn:
                now = float(conn.exec_driver_sql(SERVER_NOW).scalar()) if self.connector.postgres else time.time()
                self._set_aside_ahead(conn, now)
                while True:
                    stmt = (select(table.c.seq, table.c.issued_at, table.c.effective_at, table.c.command,
                                   table.c.actor)
                            .where(table.c.layout == self.layout, table.c.seq > self._after,
                                   table.c.issued_at >= self._since, table.c.issued_at <= now + AHEAD_S)
                            .order_by(table.c.seq).limit(POLL_BATCH))
                    rows = conn.execute(stmt).all()
                    commands += self._take(rows, now)
                    if len(rows) < POLL_BATCH:
                        break
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from None
        return commands

    def _set_aside_ahead(self, conn, now: float) -> None:
        """Count, log and set aside (once each) the commands dated ahead, which the polls never read."""
        table = P["wall_control"]
        found = conn.execute(select(func.count(), func.max(table.c.seq), func.max(table.c.issued_at))
                             .where(table.c.layout == self.layout, table.c.seq > self._ahead_after,
                                    table.c.issued_at > now + AHEAD_S)).one()
        count, last, furthest = found
        if not count:
            return
        self._ahead_after = int(last)
        why = (f"{count:,} commands issued up to {(float(furthest) - now) / 86400:,.1f} days ahead of the "
               "platform's clock: never applied")
        log.warning("wall control: wall %s: %s", self.layout, why)
        self.quarantined.append(Rejected("wall_control", int(last), why, {"commands": int(count)}))
        self.set_aside += int(count)

    def _take(self, rows, now: float) -> list[RotationCommand]:
        """The valid commands of ``rows``; the rest set aside. ``_after`` moves past every row."""
        commands, bad = [], 0
        for seq, issued_at, effective_at, text, actor in rows:
            self._after = seq
            why = _out_of_window(issued_at, effective_at, now)
            if why is None:
                try:
                    commands.append(replace(RotationCommand.from_json(text), at=float(effective_at)))
                    continue
                except (ValueError, TypeError, KeyError) as exc:
                    why = f"not a valid command: {exc}"
            bad += 1
            self.quarantined.append(Rejected("wall_control", seq, why, {"actor": actor, "command": str(text)[:200]}))
            if bad <= LOG_EACH:
                log.warning("wall control: setting aside command %s of wall %s by %s: %s", seq, self.layout,
                            str(actor)[:64], why)
        if bad > LOG_EACH:
            log.warning("wall control: set aside %d more commands of wall %s", bad - LOG_EACH, self.layout)
        self.set_aside += bad
        return commands

    # -- the background thread -------------------------------------------------------------
    def start(self, on_commands: Callable[[list[RotationCommand]], None]) -> None:
        """Deliver new commands to ``on_commands`` (from a thread) as they arrive, the replay first."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(on_commands,), name="cityops-control",
                                        daemon=True)
        self._thread.start()

    def _on_notify(self, table: str) -> None:
        if table in ("", "wall_control"):  # "": listening began or ended, look now
            self._wake.set()

    def _run(self, on_commands: Callable[[list[RotationCommand]], None]) -> None:
        listener = self.connector.listen(self._on_notify)
        failing = False
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    commands = self.poll()
                except PlatformUnavailable as exc:
                    if not failing:
                        log.warning("wall control: cannot read commands from %s (%s); retrying",
                                    self.connector.shown, exc)
                    failing = True
                else:
                    if failing:
                        log.info("wall control: reading commands from %s again", self.connector.shown)
                    failing = False
                    if commands:
                        on_commands(commands)
                push = listener is not None and listener.healthy and not failing
                self._wake.wait(HEARTBEAT_S if push else self.poll_interval)
        finally:
            if listener is not None:
                listener.stop()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.connector.close()
