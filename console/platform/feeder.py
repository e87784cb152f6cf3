"""The live demo platform: continues the simulated city from where its history (or last run) ended.

``advance(to)`` writes every row with ts in (written_to, to] and moves ``written_to`` in the
same transaction, so it is idempotent over restarts: a new feeder on the same database carries
on exactly where the last one stopped. After a long pause it catches up at most 48 hours; the
skipped stretch is recorded so incidents that would have opened in it never appear.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from console.errors import UserError
from console.model.schema import P
from console.platform.create import (EVENT_COLUMNS, MODEL_VERSION, POSITION_COLUMNS, READING_COLUMNS,
                                     write_incidents)
from console.databases import contract_rows, reason, shown_url
from console.platform import orders
from console.platform.db import bulk_insert, demo_state, open_engine, read_state, write_state
from console.platform.loop import take_actions
from console.platform.scenario import Scenario
from console.platform.simulation import Simulation
from console.platform.timebase import HOUR

log = logging.getLogger(__name__)
MAX_CATCH_UP_S = 48 * HOUR


class OutdatedPlatform(UserError):
    """The demo platform was made by another version of the simulator and cannot be continued."""


class DemoFeeder:
    """Writes the simulated city's live rows into a demo platform made by ``create_platform``."""

    def __init__(self, url: str):
        self.url = url
        self.shown = shown_url(url)
        self.engine = open_engine(url, create=False)
        try:
            with self.engine.connect() as conn:
                state = read_state(conn)
                reference = {t: contract_rows(conn, P[t])
                             for t in ("city", "districts", "buildings", "map_features", "indicators")}
        except DBAPIError as exc:
            self.engine.dispose()
            raise UserError(f"{self.shown} is not a CityOps demo platform ({reason(exc)})") from None
        if state.get("model_version") != MODEL_VERSION:
            self.engine.dispose()
            raise OutdatedPlatform(f"{self.shown} was made by another version of the simulator "
                            f"(model {state.get('model_version')!r}, this is {MODEL_VERSION!r}); create a new one")
        # ids order in Python, not by the database's collation: the model must see the same order
        self._reference = {t: sorted(rows, key=lambda r: r["id"]) for t, rows in reference.items()}
        self._scenario = Scenario.from_state(state)
        self._orders = orders.load(state.get("orders"))
        self.sim = self._simulation()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def written_to(self) -> float:
        with self.engine.connect() as conn:
            return float(read_state(conn)["written_to"])

    def advance(self, to: float) -> dict:
        """Write every row with ts in (written_to, to]; returns what was written (counts, range)."""
        to = round(float(to), 3)
        with self._lock, self.engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":  # one writer at a time, also across processes
                conn.execute(select(demo_state.c.value).where(demo_state.c.key == "written_to").with_for_update())
            state = read_state(conn)
            start = float(state["written_to"])
            counts = {"readings": 0, "incident_events": 0, "incidents": 0, "unit_positions": 0}
            result = {"from": start, "to": max(start, to), "skipped": None, "rows": counts}
            if to <= start:
                return result
            if to - start > MAX_CATCH_UP_S:  # too long away: leave a gap, as a real feed would
                skipped = [list(w) for w in json.loads(state.get("skipped") or "[]")] + [[start, to - MAX_CATCH_UP_S]]
                state["skipped"] = json.dumps(skipped)
                write_state(conn, {"skipped": state["skipped"]})
                self._scenario = Scenario.from_state(state)
                self.sim = self._simulation()
                result["skipped"] = [start, to - MAX_CATCH_UP_S]
                start = to - MAX_CATCH_UP_S
            sim = self.sim
            counts["readings"] = bulk_insert(conn, "readings", READING_COLUMNS, sim.readings(start, to).rows())
            events = sim.events(start, to)
            counts["incident_events"] = bulk_insert(conn, "incident_events", EVENT_COLUMNS,
                                                    [tuple(e[c] for c in EVENT_COLUMNS) for e in events])
            touched = {e["incident_id"] for e in events}
            opened = {e["incident_id"] for e in events if e["event"] == "opened"}
            counts["incidents"] = write_incidents(conn, sim, touched, to, new=opened)
            counts["unit_positions"] = bulk_insert(conn, "unit_positions", POSITION_COLUMNS, sim.positions(start, to))
            # People's actions since the last step: chained, the incidents' changes made, and the
            # orders they give taking effect now (a dispatched unit sets off in the next step).
            given = take_actions(conn, to)
            if given:
                self._orders = sorted(self._orders + given)
                write_state(conn, {"orders": orders.dump(self._orders)})
                self.sim.take_orders(self._orders)
            write_state(conn, {"written_to": repr(to)})
        return result

    def _simulation(self) -> Simulation:
        sim = Simulation.from_reference(self._scenario, self._reference)
        sim.take_orders(self._orders)
        return sim

    # -- background thread ----------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        """Advance to the wall-clock time every ``interval`` seconds in a daemon thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="demo-feeder", daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.advance(time.time())
                self.last_error = None
            except Exception as exc:  # the database may be busy or gone: say so once, keep trying
                message = reason(exc)
                if message != self.last_error:
                    log.warning("demo feeder: %s", message)
                self.last_error = message
            self._stop.wait(interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (if running) and close the engine; safe to call more than once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.engine.dispose()
