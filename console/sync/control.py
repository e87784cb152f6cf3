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
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from console.databases import reason
from console.errors import UserError
from console.layout.rotation import RotationCommand
from console.model.action import Operator
from console.model.schema import P
from console.sync.connector import PlatformUnavailable, SqlConnector

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
                    conn.exec_driver_sql(SEND_LOCK)
                    now = float(conn.exec_driver_sql(SERVER_NOW).scalar())
                else:
                    now = time.time()  # an SQLite platform is a file on this machine: its clock is ours
                sent = replace(command, at=now + LEAD_S)
                conn.execute(insert(table).values(
                    id=str(uuid.uuid4()), layout=self.layout, issued_at=now, effective_at=sent.at,
                    command=sent.to_json(), actor=operator.name, role=operator.role))
        except (OperationalError, InterfaceError) as exc:
            raise PlatformUnavailable(f"cannot reach platform {connector.shown}: {reason(exc)}") from None
        except DBAPIError as exc:
            raise UserError(f"platform {connector.shown} refused the wall command: {reason(exc)}") from None
        return sent

    def poll(self) -> list[RotationCommand]:
        """Commands written since the last poll (the first poll: those of the last ``replay_s``), oldest first.

        A row that is not a valid command is logged and skipped; the rest still apply.
        """
        table = P["wall_control"]
        stmt = (select(table.c.seq, table.c.effective_at, table.c.command)
                .where(table.c.layout == self.layout, table.c.seq > self._after, table.c.issued_at >= self._since)
                .order_by(table.c.seq))
        try:
            with self.connector.engine.connect() as conn:
                rows = conn.execute(stmt).all()
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from None
        commands = []
        for seq, effective_at, text in rows:
            self._after = seq
            try:
                commands.append(replace(RotationCommand.from_json(text), at=float(effective_at)))
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("wall control: skipping command %s of wall %s: %s", seq, self.layout, exc)
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
