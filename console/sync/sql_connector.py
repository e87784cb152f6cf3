"""The SQL connector, the reference one: the platform's database through SQLAlchemy (PostgreSQL,
or the demo's SQLite file), implementing console/sync/connector.py's ``Connector``.

Gap-free cursors. PostgreSQL hands out ``seq`` at insert, not at commit: transaction A takes
seq 10, B takes 11 and commits first; a reader that saw 11 and moved its cursor past it would
never see 10. So on PostgreSQL every stream row records the id of the transaction that wrote
it (``txid``, a 64-bit id that never wraps) and the cursor is the pair (txid, seq), read only
below ``pg_snapshot_xmin(pg_current_snapshot())``: every transaction with a smaller id has
finished, so no row can appear behind the cursor later. A transaction still open holds the
cursor back (its rows and everything after wait) instead of letting it skip. SQLite has one
writer at a time, so there ``seq`` alone is in commit order and the txid half stays 0.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (ArgumentError, DBAPIError, IntegrityError, InterfaceError, NoSuchModuleError,
                            OperationalError)

from console.databases import contract_rows, parse_url, reason, remember_secret, shown_url, sqlite_file
from console.errors import UserError
from console.model.action import Operator
from console.model.schema import P, REFERENCE_TABLES, STREAMS
from console.sync import columns_pg
from console.sync.connector import (ActionsRefused, Cursor, Delivery, HeldBack, Listener,
                                    PlatformUnavailable)
from console.sync.rules.readings import ReadingPage

READING_COLUMNS = ("seq", "indicator_id", "ts", "value", "quality")
#: The name the console's connections carry on the server (pg_stat_activity.application_name).
APPLICATION_NAME = "cityops-console"
#: Rows counted per stream when saying how many wait behind an open transaction (enough to say "many").
HELD_COUNT_LIMIT = 100_000


#: The operator_actions columns a console writes: delivery compares the platform's row on these.
ACTION_CONTENT = ("console_id", "ts", "actor", "role", "action", "target_kind", "target_id", "payload")


class SqlConnector:
    """Reads the platform's database through SQLAlchemy (PostgreSQL, or the demo's SQLite file).

    On PostgreSQL every connection (the pool's and the LISTEN one) is made from the same libpq
    parameters: the URL's, untouched (``service``, ``sslmode``, ``sslrootcert`` ... reach libpq as
    given, and what the URL leaves out libpq finds in its own places: the service file,
    ``.pgpass``, ``PG*`` variables), plus the user and password a person gave the sign-in panel
    (``sign_in_as``), which live in this object's memory only.
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0):
        self.url = url
        self.shown = shown_url(url)
        parsed = parse_url(url)
        sqlite_file(parsed, must_exist=True)
        self.postgres = parsed.get_backend_name() == "postgresql"
        args = ({"application_name": APPLICATION_NAME, "connect_timeout": max(1, int(timeout_s))}
                if self.postgres else {})
        remember_secret(parsed.password)
        remember_secret(parsed.query.get("password") if isinstance(parsed.query.get("password"), str) else None)
        self._login: dict[str, str] = {}  # user and password given at sign-in (never written anywhere)
        self._twins: list[SqlConnector] = []  # connectors to the same platform that sign in with this one
        try:
            self.engine = create_engine(url, pool_pre_ping=True, connect_args=args)
        except (NoSuchModuleError, ArgumentError, ImportError) as exc:
            raise UserError(f"platform URL {self.shown}: {reason(exc)}") from None
        event.listen(self.engine, "do_connect", self._with_login)
        self._sql = {stream: self._fetch_sql(stream) for stream in STREAMS}
        self._layout: tuple[str, np.dtype] | None | bool = False  # packed readings query (False: not asked)
        # Errors the raw driver cursor raises itself (fetch bypasses SQLAlchemy's wrapping).
        self._driver_errors = (self.engine.dialect.loaded_dbapi.Error,)

    def _with_login(self, _dialect, _record, _cargs, params: dict) -> None:
        params.update(self._login)

    def sign_in_as(self, user: str | None, password: str | None) -> None:
        """Connect from now on as ``user`` (None: whom the URL or libpq names) with ``password``.

        Connections made for someone else are closed: the next one is this person's.
        """
        remember_secret(password)
        for connector in (self, *self._twins):
            connector._login.clear()
            connector._login.update({k: v for k, v in (("user", user), ("password", password)) if v})
            connector.engine.dispose()

    def sign_out(self) -> None:
        """Forget the person's user and password and close their connections."""
        self.sign_in_as(None, None)

    def twin(self) -> SqlConnector:
        """Another connector to this platform (its own pool) that signs in and out with this one."""
        twin = SqlConnector(self.url)
        twin._login.update(self._login)
        self._twins.append(twin)
        return twin

    def connect_params(self) -> dict:
        """The libpq parameters every connection to this PostgreSQL platform is made from."""
        _, params = self.engine.dialect.create_connect_args(self.engine.url)
        params = {k: v for k, v in params.items() if k != "context"}
        return {**params, **self._login}

    def identify(self) -> Operator:
        """Who this connection signed in as, and their role (PostgreSQL only).

        Raises PasswordNeeded, SignInFailed, NotAMember (console.sync.signin), or
        PlatformUnavailable when the platform does not answer.
        """
        from console.sync.signin import platform_operator

        try:
            with self.engine.connect() as conn:
                return platform_operator(conn)
        except DBAPIError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: DBAPIError) -> Exception:
        """What a failed connection means: a sign-in problem to show the person, or an unreachable platform."""
        from console.sync.signin import auth_problem

        why = reason(exc)
        return auth_problem(why) or PlatformUnavailable(f"cannot reach platform {self.shown}: {why}")

    def _fetch_sql(self, stream: str) -> str:
        """The stream's query in the driver's own parameter style: rows skip SQLAlchemy's Row objects."""
        columns = ", ".join(READING_COLUMNS) if stream == "readings" else ", ".join(
            c.name for c in P[stream].columns if c.name != "txid")
        if not self.postgres:
            return f"SELECT {columns}, 0 FROM {stream} WHERE seq > :seq ORDER BY seq LIMIT :n"
        return (f"SELECT {columns}, txid FROM {stream} "
                "WHERE (txid, seq) > (%(txid)s, %(seq)s) "
                "AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
                "ORDER BY txid, seq LIMIT %(n)s")

    def check(self) -> None:
        """Raise UserError unless the platform answers and holds the contract's tables.

        An unreachable platform raises PlatformUnavailable instead: the console can run from
        its cache and keep trying, where a wrong database is a mistake to report.
        """
        try:
            with self.engine.connect() as conn:
                inspector = inspect(conn)
                tables = set(inspector.get_table_names())
                missing = [t for t in ("indicators", "readings", "incidents") if t not in tables]
                if missing:
                    raise UserError(f"{self.shown} is not a CityOps platform database "
                                    f"(no {', '.join(missing)} table)")
                if "seq" not in {c["name"] for c in inspector.get_columns("operator_actions")}:
                    raise UserError(f"platform {self.shown}: table operator_actions has no seq column, so consoles "
                                    "cannot read the room's actions back (made by an older version: README, "
                                    "the platform contract)")
                if self.postgres:
                    for stream in STREAMS:
                        if "txid" not in {c["name"] for c in inspector.get_columns(stream)}:
                            raise UserError(f"platform {self.shown}: table {stream} has no txid column, "
                                            "so sync could skip rows committed out of order (README: "
                                            "the platform contract)")
        except DBAPIError as exc:
            raise self._unavailable(exc) from None

    def reference(self) -> dict[str, list[dict]]:
        try:
            with self.engine.connect() as conn:
                return {t: contract_rows(conn, P[t]) for t in REFERENCE_TABLES}
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc

    def reference_stamp(self) -> int:
        """A fingerprint of the reference data an edit changes (the city, the indicators, the warnings):
        cheap enough to ask every few seconds, so walls follow an edit where no NOTIFY tells them."""
        parts = []
        for table in ("city", "indicators", "warnings"):
            try:
                with self.engine.connect() as conn:
                    parts.append(tuple(conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all()))
            except DBAPIError as exc:
                if isinstance(exc, (OperationalError, InterfaceError)) and not self._missing(exc):
                    raise PlatformUnavailable(reason(exc)) from exc
                parts.append(())  # a platform made before the table joined the contract
        return hash(tuple(parts))

    @staticmethod
    def _missing(exc: DBAPIError) -> bool:
        return "no such table" in str(exc.orig) or "does not exist" in str(exc.orig)

    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        """Up to ``limit`` rows of ``stream`` past the cursor ``after``, and the cursor after them.

        Readings come back as plain tuples straight from the driver (the bulk of the volume);
        other streams as dicts.
        """
        params = {"txid": after[0], "seq": after[1], "n": limit}
        try:
            with self.engine.connect() as conn:
                cur = conn.connection.dbapi_connection.cursor()
                try:
                    cur.execute(self._sql[stream], params)
                    rows = cur.fetchall()
                    keys = [d[0] for d in cur.description[:-1]]
                finally:
                    cur.close()
        except (DBAPIError, *self._driver_errors) as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        if not rows:
            return [], after
        last = rows[-1]
        cursor = (int(last[-1]), int(last[0]))
        if stream == "readings":
            return [r[:-1] for r in rows], cursor
        if stream == "operator_actions":  # the cache keeps their (txid, seq) order: saved alarm states name it
            return [dict(zip(keys, r[:-1]), txid=int(r[-1])) for r in rows], cursor
        return [dict(zip(keys, r[:-1])) for r in rows], cursor

    def fetch_readings(self, after: Cursor, limit: int) -> tuple[list | ReadingPage, Cursor]:
        """``fetch("readings", …)``; on PostgreSQL a page of columns the server packs into one value
        where its rows allow (console/sync/columns_pg.py), the same rows either way."""
        if not self.postgres or (packed := self._packed()) is None:
            return self.fetch("readings", after, limit)
        sql, layout = packed
        try:
            with self.engine.connect() as conn, conn.connection.dbapi_connection.cursor(binary=True) as cur:
                count, data = cur.execute(sql, {"txid": after[0], "seq": after[1], "n": limit}).fetchone()
        except (DBAPIError, *self._driver_errors) as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        if not count:
            return [], after
        parsed = columns_pg.parse(count, data, layout)
        return parsed if parsed is not None else self.fetch("readings", after, limit)  # a NULL: rows say it

    def _packed(self) -> tuple[str, np.dtype] | None:
        """The packed readings query and its record layout for this platform's column types (asked once)."""
        if self._layout is False:
            try:
                with self.engine.connect() as conn, conn.connection.dbapi_connection.cursor() as cur:
                    cur.execute(self._sql["readings"], {"txid": 0, "seq": 0, "n": 0})
                    self._layout = columns_pg.packed(self._sql["readings"], [d.type_code for d in cur.description])
            except (DBAPIError, *self._driver_errors) as exc:
                raise PlatformUnavailable(reason(exc)) from exc
        return self._layout

    def incidents(self, ids: Collection[str]) -> list[dict]:
        """The current rows of the named incidents (those new stream events touched)."""
        table, ids, found = P["incidents"], sorted(ids), []
        try:
            with self.engine.connect() as conn:
                for i in range(0, len(ids), 500):
                    stmt = select(table).where(table.c.id.in_(ids[i:i + 500]))
                    found += [dict(r._mapping) for r in conn.execute(stmt)]
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        return found

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        """How many stream rows lie past the cursors: the size of a catch-up, for its progress bar."""
        total = 0
        try:
            with self.engine.connect() as conn:
                for stream in STREAMS:
                    tx, seq = cursors.get(stream, (0, 0))
                    where = "(txid, seq) > (:tx, :seq)" if self.postgres else "seq > :seq"
                    total += conn.execute(text(f"SELECT count(*) FROM {stream} WHERE {where}"),
                                          {"tx": tx, "seq": seq}).scalar()
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        return int(total)

    def listen(self, on_notify: Callable[[str], None]) -> Listener | None:
        """Push by LISTEN/NOTIFY on PostgreSQL; None where the platform cannot push (SQLite)."""
        if not self.postgres:
            return None
        from console.sync.listen import PgListener

        return PgListener(self.connect_params(), on_notify)

    def held_back(self) -> HeldBack | None:
        """Whether an open transaction holds committed rows back from every console (PostgreSQL only).

        The rows are those at or above the snapshot's xmin that are already visible: committed,
        but behind a transaction that began earlier and has not ended. That transaction's age and
        server process come from pg_stat_activity where this role may see them.
        """
        if not self.postgres:
            return None
        waiting = " + ".join(f"(SELECT count(*) FROM (SELECT 1 FROM {s}, x WHERE {s}.txid >= x.xmin "
                             f"LIMIT {HELD_COUNT_LIMIT}) q)" for s in STREAMS)
        # the transaction the cursor waits on is the one whose id is the snapshot's xmin (any database
        # of the server: transaction ids are the server's); pg_stat_activity shows its 32-bit id
        holder = ("FROM pg_stat_activity, x WHERE backend_xid IS NOT NULL "
                  "AND backend_xid::text::bigint = mod(x.xmin, 4294967296)")
        sql = (f"WITH x AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) "
               f"SELECT {waiting}, (SELECT xmin FROM x), "
               f"(SELECT extract(epoch from clock_timestamp() - xact_start) {holder} LIMIT 1), "
               f"(SELECT pid {holder} LIMIT 1)")
        try:
            with self.engine.connect() as conn:
                rows, xmin, age, pid = conn.exec_driver_sql(sql).one()
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        if not rows:
            return None
        return HeldBack(int(rows), int(xmin), None if age is None else float(age), pid)

    def deliver(self, actions: list[dict]) -> Delivery:
        """Insert operator actions (an id the platform already holds is left alone, so delivery is
        idempotent), then read back what it holds under each id: delivered only where the content
        is the same. One refused by the platform's rules (a trigger's reason) is set aside with that
        reason and the others go on; a refusal of all of them (a missing grant) raises ActionsRefused.
        """
        if not actions:
            return Delivery()
        dialect = postgresql if self.postgres else sqlite
        stmt = dialect.insert(P["operator_actions"]).on_conflict_do_nothing(index_elements=["id"])
        rows = [{k: a[k] for k in ("id", *ACTION_CONTENT)} for a in actions]
        refused: dict[str, str] = {}
        try:
            try:
                with self.engine.begin() as conn:
                    conn.execute(stmt, rows)
                    held = self._held(conn, [a["id"] for a in rows])
            except DBAPIError as exc:
                if isinstance(exc, (OperationalError, InterfaceError)) or not refused_by_rule(exc):
                    raise
                with self.engine.begin() as conn:  # find the ones the rules refuse, one by one
                    for row in rows:
                        try:
                            with conn.begin_nested():
                                conn.execute(stmt, [row])
                        except DBAPIError as one:
                            if isinstance(one, (OperationalError, InterfaceError)) or not refused_by_rule(one):
                                raise
                            refused[row["id"]] = reason(one)
                    held = self._held(conn, [a["id"] for a in rows if a["id"] not in refused])
        except (OperationalError, InterfaceError) as exc:
            raise PlatformUnavailable(reason(exc)) from exc
        except DBAPIError as exc:
            raise ActionsRefused(reason(exc)) from exc
        done = Delivery(problems={i: f"refused by the platform: {why}" for i, why in refused.items()})
        for row in rows:
            if row["id"] in refused:
                continue
            theirs = held.get(row["id"])
            if theirs is None:
                done.problems[row["id"]] = "the platform did not keep it"
            elif different := [k for k in ACTION_CONTENT if theirs[k] != row[k]]:
                done.problems[row["id"]] = ("the platform holds this action's id with other content "
                                            f"({', '.join(different)})")
            else:
                done.delivered.append(row["id"])
        return done

    @staticmethod
    def _held(conn, ids: list[str]) -> dict[str, dict]:
        """What the platform holds under these ids (the columns a console writes)."""
        table = P["operator_actions"]
        found: dict[str, dict] = {}
        for i in range(0, len(ids), 500):
            stmt = select(table.c.id, *(table.c[k] for k in ACTION_CONTENT)).where(table.c.id.in_(ids[i:i + 500]))
            found |= {r.id: dict(r._mapping) for r in conn.execute(stmt)}
        return found

    def close(self) -> None:
        self.engine.dispose()


def refused_by_rule(exc: DBAPIError) -> bool:
    """Whether the platform refused a row by its rules (a trigger's RAISE, a check), not for want of a grant.

    Both a missing grant and a role a trigger refuses come as SQLSTATE 42501; a trigger's comes
    from PL/pgSQL (its context says so). SQLite platforms refuse by RAISE(ABORT) in a trigger.
    """
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is None:  # sqlite3: a trigger's RAISE(ABORT, ...) or a CHECK
        return isinstance(exc, IntegrityError) and "UNIQUE" not in str(orig)
    diag = getattr(orig, "diag", None)
    in_trigger = "PL/pgSQL" in (getattr(diag, "context", None) or "")
    return state in ("P0001", "23514") or state.startswith("22") or (state == "42501" and in_trigger)
