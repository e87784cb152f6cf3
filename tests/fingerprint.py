"""Compare what the platform holds with what the cache holds: row counts and a checksum of the rows."""

from __future__ import annotations

import hashlib

from sqlalchemy import create_engine, text

COLUMNS = {
    "readings": "seq, indicator_id, ts, value, quality",
    "incident_events": "seq, incident_id, ts, event, actor, note",
    "unit_positions": "seq, unit_id, ts, lon, lat, heading, status",
    "incidents": "id, status, rev",
    "operator_actions": "seq, id, console_id, ts, actor, role, action, target_kind, target_id, payload",
}


def fingerprint(url: str, table: str) -> tuple[int, str]:
    """(row count, sha256 of every row in key order) of ``table`` in the database at ``url``."""
    key = "id" if table == "incidents" else "seq"
    digest = hashlib.sha256()
    n = 0
    engine = create_engine(url)
    with engine.connect() as conn:
        for row in conn.execute(text(f"SELECT {COLUMNS[table]} FROM {table} ORDER BY {key}")):
            # SQLite keeps a REAL that is a whole number as an integer, so -0.0 comes back as 0.0
            digest.update(repr(tuple(v + 0.0 if isinstance(v, float) else v for v in row)).encode())
            n += 1
    engine.dispose()
    return n, digest.hexdigest()


def same_rows(platform_url: str, cache_path) -> dict[str, int]:
    """Assert the cache holds exactly the platform's stream rows and incidents; returns the counts."""
    counts = {}
    for table in COLUMNS:
        want, got = fingerprint(platform_url, table), fingerprint(f"sqlite:///{cache_path}", table)
        assert got == want, f"{table}: cache {got[0]} rows, platform {want[0]} (or their contents differ)"
        counts[table] = want[0]
    return counts
