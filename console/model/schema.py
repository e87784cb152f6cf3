"""The central-platform contract as SQLAlchemy Core tables, and the local cache built from it.

One set of definitions serves both sides: the platform (PostgreSQL in production, an SQLite
file for the demo) and the console's cache (SQLite), so a row means the same thing wherever it
lives. Geometry travels as GeoJSON text in WGS84 (lon/lat): every database reads it, no
spatial extension is needed.

Streams are append-only and carry a platform-assigned sequence number (``seq``) that the sync
engine uses as its cursor; incidents are mutable and carry ``rev``, the sequence number of
their latest event.
"""

from __future__ import annotations

from sqlalchemy import (
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
)

#: Bump when the cache layout changes; an older cache is rebuilt from the platform.
CACHE_SCHEMA_VERSION = 1

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias), not a BIGINT one.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

platform_metadata = MetaData()


def _platform_tables(md: MetaData) -> None:
    """Define the platform contract's tables on ``md``."""
    # -- reference data ---------------------------------------------------------------------
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
    # -- streams ----------------------------------------------------------------------------
    Table(
        "readings", md,
        Column("seq", SeqType, primary_key=True),
        Column("indicator_id", Integer, nullable=False),
        Column("ts", Float, nullable=False),  # UTC epoch seconds
        Column("value", Float, nullable=False),
        Column("quality", SmallInteger, nullable=False, default=0),  # 0 good, 1 uncertain, 2 bad
        Index("ix_readings_indicator_ts", "indicator_id", "ts"),
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
        Index("ix_unit_positions_unit_ts", "unit_id", "ts"),
    )
    # -- written back by consoles -----------------------------------------------------------
    Table(
        "operator_actions", md,
        Column("id", String, primary_key=True),  # UUID made by the console: delivery is idempotent
        Column("console_id", String, nullable=False),
        Column("ts", Float, nullable=False),
        Column("actor", String, nullable=False),
        Column("role", String, nullable=False),
        Column("action", String, nullable=False),  # acknowledge, shelve, comment, status
        Column("target_kind", String, nullable=False),
        Column("target_id", String, nullable=False),
        Column("payload", Text, nullable=False, default="{}"),
    )


_platform_tables(platform_metadata)

REFERENCE_TABLES = ("districts", "indicators", "buildings", "map_features", "sensors", "units", "plans")
#: stream name -> (cursor column, ordering): the sync engine copies these incrementally.
STREAMS = {
    "readings": "seq",
    "incident_events": "seq",
    "unit_positions": "seq",
    "incidents": "rev",
}

# -- the local cache: the platform's tables the console reads, plus its own ---------------
cache_metadata = MetaData()
_platform_tables(cache_metadata)
cache_metadata.remove(cache_metadata.tables["operator_actions"])  # written back, never cached

Table(
    "meta", cache_metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
Table(
    "sync_cursors", cache_metadata,
    Column("stream", String, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Table(
    "outbox", cache_metadata,  # operator actions waiting for delivery to the platform
    Column("id", String, primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("action", Text, nullable=False),  # JSON of an operator_actions row
    Column("delivered_at", Float),
    Column("attempts", Integer, nullable=False, default=0),
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

P = platform_metadata.tables
C = cache_metadata.tables
