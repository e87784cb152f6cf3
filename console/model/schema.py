"""The central-platform contract as SQLAlchemy Core tables, and the local cache built from it.

One set of definitions serves both sides: the platform (PostgreSQL in production, an SQLite
file for the demo) and the console's cache (SQLite), so a row means the same thing wherever it
lives. Geometry travels as GeoJSON text in WGS84 (lon/lat): every database reads it, no
spatial extension is needed.

Streams are append-only and carry a platform-assigned sequence number (``seq``). PostgreSQL
hands out sequence numbers at insert, not at commit, so two overlapping transactions can
commit out of order; on PostgreSQL every stream row therefore also records the id of the
transaction that wrote it (``txid``), and the sync cursor is (txid, seq), read only below the
oldest transaction still running (see console/sync/sql_connector.py). Incidents are mutable and
carry ``rev``, the sequence number of their latest event; every change to an incident comes
with an ``incident_events`` row in the same transaction, which is how the console learns of it.
Every write to a platform table sends a NOTIFY on channel ``cityops`` naming the table, so
consoles hear of new rows at once instead of polling. ``wall_control`` carries page rotation
commands between the nodes of a wall (console/sync/control.py); senders serialise on an advisory
lock, so there its ``seq`` is in commit order and needs no txid.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    event,
)

from console.cap import authority as cap_authority
from console.model import authority

#: Bump when the cache layout changes; an older cache is moved aside and rebuilt from the platform.
CACHE_SCHEMA_VERSION = 5
#: The PostgreSQL NOTIFY channel the platform signals writes on (payload: the table's name).
NOTIFY_CHANNEL = "cityops"

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias), not a BIGINT one.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

platform_metadata = MetaData()


def _platform_tables(md: MetaData, platform: bool) -> None:
    """Define the contract's tables on ``md``: the platform's own (``platform``) or the cache's copy."""
    # The writing transaction's id, PostgreSQL only (filled by a column default, see below).
    txid = (lambda: [Column("txid", BigInteger)]) if platform else (lambda: [])
    # -- reference data ---------------------------------------------------------------------
    Table(
        "city", md,  # one row: the city the platform serves (its name is the wall's title)
        Column("id", String, primary_key=True),  # "city"
        Column("name", String, nullable=False),
        Column("name_zh", String),
        Column("attribution", Text),  # the source line its map data must carry (e.g. OpenStreetMap's)
    )
    Table(
        "districts", md,
        Column("id", String, primary_key=True),
        Column("name", String, nullable=False),
        Column("boundary", Text, nullable=False),  # GeoJSON Polygon/MultiPolygon
    )
    Table(
        "indicators", md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("code", String, nullable=False, unique=True),  # e.g. "drainage.level.kluuvi.1"
        Column("name", String, nullable=False),
        Column("name_zh", String),  # the name in Simplified Chinese, where the catalogue gives one
        Column("category", String, nullable=False),
        Column("unit", String, nullable=False),
        Column("district_id", String),  # NULL: city-wide
        Column("warn_low", Float),
        Column("warn_high", Float),
        Column("alarm_low", Float),
        Column("alarm_high", Float),
        Column("bad", String, nullable=False),  # "high", "low" or "both": which way is bad
        Column("interval_s", Float, nullable=False),  # expected reporting interval
        Column("decimals", SmallInteger, nullable=False, default=1),
    )
    Table(
        "buildings", md,
        Column("id", String, primary_key=True),
        Column("district_id", String),
        Column("name", String),
        Column("footprint", Text, nullable=False),  # GeoJSON Polygon/MultiPolygon
        Column("model", Text),  # CityJSON object when a 3D model exists
        Column("height", Float),
        Column("levels", Integer),
        Column("use", String),
        Column("year", Integer),
    )
    Table(
        "map_features", md,  # basemap: streets, water, parks, land use
        Column("id", String, primary_key=True),
        Column("layer", String, nullable=False),
        Column("kind", String, nullable=False),
        Column("name", String),
        Column("geometry", Text, nullable=False),  # GeoJSON
    )
    Table(
        "sensors", md,
        Column("id", String, primary_key=True),
        Column("indicator_id", Integer, nullable=False),
        Column("kind", String, nullable=False),
        Column("district_id", String),
        Column("lon", Float, nullable=False),
        Column("lat", Float, nullable=False),
    )
    Table(
        "units", md,  # patrol cars, ambulances, fire engines, UAVs, utility crews
        Column("id", String, primary_key=True),
        Column("kind", String, nullable=False),
        Column("callsign", String, nullable=False),
        Column("district_id", String),
    )
    Table(
        "plans", md,  # emergency plan repository: incident kind -> steps
        Column("id", String, primary_key=True),
        Column("incident_kind", String, nullable=False),
        Column("title", String, nullable=False),
        Column("steps", Text, nullable=False),  # JSON list of strings
    )
    Table(
        "warnings", md,  # public warnings in force or past (CAP 1.2 alerts, console/cap/model.py): one row per
        # chain (an alert, its updates, its cancellation), the latest alert's; the incident of the same id tells it
        Column("id", String, primary_key=True),  # the incident's id
        Column("identifier", String, nullable=False),  # the latest alert's
        Column("sender", String, nullable=False),
        Column("sent", Float, nullable=False),  # UTC epoch seconds
        Column("status", String, nullable=False),  # Actual, Exercise, System, Test, Draft
        Column("msg_type", String, nullable=False),  # Alert, Update, Cancel
        Column("event", String, nullable=False),  # the hazard, in the first info block's language
        Column("severity", String, nullable=False),  # CAP's words: Extreme .. Unknown
        Column("urgency", String, nullable=False),
        Column("certainty", String, nullable=False),
        Column("onset", Float),
        Column("expires", Float),  # NULL: until cancelled
        Column("alert", Text, nullable=False),  # the whole alert as JSON: infos per language, areas
        Column("chain", Text, nullable=False, default="[]"),  # JSON: how references name each alert it took in
    )
    # -- streams ----------------------------------------------------------------------------
    Table(
        "readings", md,
        Column("seq", SeqType, primary_key=True),
        Column("indicator_id", Integer, nullable=False),
        Column("ts", Float, nullable=False),  # UTC epoch seconds
        Column("value", Float, nullable=False),
        Column("quality", SmallInteger, nullable=False, default=0),  # 0 good, 1 uncertain, 2 bad
        *txid(),
        # The cache holds one reading per indicator and time: a second is quarantined as a duplicate.
        Index("ix_readings_indicator_ts", "indicator_id", "ts", unique=not platform),
    )
    Table(
        "incidents", md,
        Column("id", String, primary_key=True),
        Column("kind", String, nullable=False),
        Column("severity", SmallInteger, nullable=False),  # 1 critical .. 4 minor
        Column("status", String, nullable=False),
        Column("district_id", String),
        Column("lon", Float, nullable=False),
        Column("lat", Float, nullable=False),
        Column("title", String, nullable=False),
        Column("opened_at", Float, nullable=False),
        Column("updated_at", Float, nullable=False),
        Column("rev", BigInteger, nullable=False),  # seq of the latest incident_events row
        Index("ix_incidents_rev", "rev"),
    )
    Table(
        "incident_events", md,
        Column("seq", SeqType, primary_key=True),
        Column("incident_id", String, nullable=False),
        Column("ts", Float, nullable=False),
        Column("event", String, nullable=False),  # opened, dispatched, on_scene, escalated, ...
        Column("actor", String, nullable=False),
        Column("note", Text, nullable=False, default=""),
        *txid(),
        Index("ix_incident_events_incident", "incident_id", "ts"),
    )
    Table(
        "unit_positions", md,
        Column("seq", SeqType, primary_key=True),
        Column("unit_id", String, nullable=False),
        Column("ts", Float, nullable=False),
        Column("lon", Float, nullable=False),
        Column("lat", Float, nullable=False),
        Column("heading", Float, nullable=False),  # degrees clockwise from north
        Column("status", String, nullable=False),
        *txid(),
        Index("ix_unit_positions_unit_ts", "unit_id", "ts"),
    )
    # -- written back by consoles -----------------------------------------------------------
    Table(
        "operator_actions", md,  # a stream too: every console reads the room's actions back
        Column("seq", SeqType, primary_key=True),
        Column("id", String, nullable=False, unique=True),  # UUID made by the console: delivery is idempotent
        Column("console_id", String, nullable=False),
        Column("ts", Float, nullable=False),
        Column("actor", String, nullable=False),
        Column("role", String, nullable=False),
        Column("action", String, nullable=False),  # acknowledge, shelve, comment, status
        Column("target_kind", String, nullable=False),
        Column("target_id", String, nullable=False),
        Column("payload", Text, nullable=False, default="{}"),
        # The platform's (txid, seq) order, kept in the cache too: saved alarm states name how far
        # into the room's actions they are (console/alarms/room.py). 0 where there is no txid (SQLite).
        *(txid() or [Column("txid", BigInteger, nullable=False, default=0)]),
        # The audit chain, filled by the platform (console/model/authority.py, console/audit.py).
        Column("chain", BigInteger),  # position in the chain: 1, 2, 3 ...
        Column("prev_hash", String),
        Column("hash", String),  # sha256 over prev_hash, chain and the row's content
        Index("ux_operator_actions_chain", "chain", unique=True),
    )


_platform_tables(platform_metadata, platform=True)

Table(
    "wall_control", platform_metadata,  # page rotation commands for the nodes of a wall; never cached
    Column("seq", SeqType, primary_key=True),
    Column("id", String, nullable=False, unique=True),  # UUID made by the sender
    Column("layout", String, nullable=False),  # the layout file's stem: the same wall whatever path a node uses
    Column("issued_at", Float, nullable=False),  # platform time, UTC epoch seconds
    Column("effective_at", Float, nullable=False),  # the shared instant every node applies it at
    Column("command", Text, nullable=False),  # RotationCommand as JSON
    Column("actor", String, nullable=False),
    Column("role", String, nullable=False),
    Index("ix_wall_control_layout_seq", "layout", "seq"),
)

Table(
    "audit_head", platform_metadata,  # the end of operator_actions' audit chain: one row, the platform's own
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("chain", BigInteger, nullable=False),  # the last position handed out
    Column("hash", String, nullable=False),  # and its hash
)

REFERENCE_TABLES = ("city", "districts", "indicators", "buildings", "map_features", "sensors", "units", "plans",
                    "warnings")
#: Append-only streams the sync engine copies incrementally, each after its own cursor.
STREAMS = ("readings", "incident_events", "unit_positions", "operator_actions")


def _postgres_extras() -> None:
    """What PostgreSQL platforms get beyond the portable tables: txid defaults and NOTIFY triggers."""
    notify = DDL(
        "CREATE OR REPLACE FUNCTION cityops_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$")
    event.listen(platform_metadata, "before_create", notify.execute_if(dialect="postgresql"))
    for name in (*REFERENCE_TABLES, *STREAMS, "incidents", "wall_control"):
        steps = []
        if name in STREAMS:
            steps += [
                f"ALTER TABLE {name} ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)",
                f"ALTER TABLE {name} ALTER COLUMN txid SET NOT NULL",
                f"CREATE INDEX ix_{name}_txid_seq ON {name} (txid, seq)",
            ]
        steps.append(f"CREATE TRIGGER cityops_notify AFTER INSERT OR UPDATE OR DELETE ON {name} "
                     "FOR EACH STATEMENT EXECUTE FUNCTION cityops_notify()")
        for sql in steps:
            event.listen(platform_metadata.tables[name], "after_create", DDL(sql).execute_if(dialect="postgresql"))


_postgres_extras()
authority.install(platform_metadata)
cap_authority.install(platform_metadata)  # public warnings: drafted by one supervisor, approved by another

# -- the local cache: the platform's tables the console reads, plus its own ---------------
cache_metadata = MetaData()
_platform_tables(cache_metadata, platform=False)

Table(
    "meta", cache_metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
Table(
    "sync_cursors", cache_metadata,
    Column("stream", String, primary_key=True),
    Column("txid", BigInteger, nullable=False, default=0),  # 0 where the platform has no txid (SQLite)
    Column("position", BigInteger, nullable=False),  # the last seq copied
    Column("updated_at", Float, nullable=False),
)
Table(
    "outbox", cache_metadata,  # operator actions waiting for delivery to the platform
    Column("id", String, primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("action", Text, nullable=False),  # JSON of an operator_actions row
    Column("delivered_at", Float),
    Column("attempts", Integer, nullable=False, default=0),
    # Set when the platform refused the action (its reason) or holds its id with other content:
    # never sent again, shown to the operator and logged (console/cache/outbox.py).
    Column("problem", Text),
)
Table(
    "alarm_states", cache_metadata,  # the room's alarm state saved now and then: a console starts from it
    Column("at", Float, primary_key=True),  # the reading time it was evaluated up to
    Column("cursors", Text, nullable=False),  # JSON: the readings and operator_actions cursors it includes
    Column("state", Text, nullable=False),  # JSON (console/alarms/saved.py), never pickle: the cache is data
)
Table(
    "audit_log", cache_metadata,
    Column("id", Integer, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("actor", String, nullable=False),
    Column("role", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target_kind", String, nullable=False),
    Column("target_id", String, nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

Table(
    "quarantine", cache_metadata,  # platform rows that failed validation: kept for inspection, never shown
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False),  # when the console set it aside
    Column("stream", String, nullable=False),
    Column("seq", BigInteger),
    Column("reason", String, nullable=False),
    Column("row", Text, nullable=False),  # the row as JSON, long fields cut short
)
for _name in ("rollup_1m", "rollup_1h"):  # per-minute and per-hour aggregates of readings
    Table(
        _name, cache_metadata,
        Column("indicator_id", Integer, primary_key=True, autoincrement=False),
        Column("bucket", Float, primary_key=True),  # bucket start, UTC epoch seconds
        Column("n", Integer, nullable=False),
        Column("vmin", Float, nullable=False),
        Column("vmax", Float, nullable=False),
        Column("vsum", Float, nullable=False),
        sqlite_with_rowid=False,
    )

P = platform_metadata.tables


def postgres_ddl() -> str:
    """The SQL that creates the contract on PostgreSQL (tables, txid defaults, NOTIFY triggers)."""
    from sqlalchemy import create_mock_engine

    statements: list[str] = []
    engine = create_mock_engine("postgresql+psycopg://",
                                lambda sql, *a, **k: statements.append(str(sql.compile(dialect=engine.dialect)).strip()))
    platform_metadata.create_all(engine, checkfirst=False)
    # DDL text is %-formatted, so the authority's SQL comes out with its % doubled: undo that.
    return "".join(f"{s.replace('%%', '%')};\n\n" for s in statements)


C = cache_metadata.tables
