"""Events of the incidents a fresh store holds, read from the cache when the wall starts.

``warm_store`` loads incident rows but not their events, which arrive only with new sync
batches; without them a restarted wall would show timelines and SLA timers from the rows alone.
Call ``warm_incident_events`` right after ``warm_store``.
"""

from __future__ import annotations

from console.cache import Cache
from console.store import Store

_CHUNK = 500  # SQLite's bound-parameter limit is far above; keeps statements short


def warm_incident_events(store: Store, cache: Cache) -> int:
    """Add the cached events of the store's incidents (skipping any it already has); returns how many."""
    ids = sorted(store.incidents)
    known = {ev.get("seq") for evs in store.incident_events.values() for ev in evs}
    found: list[dict] = []
    with cache.engine.connect() as conn:
        for k in range(0, len(ids), _CHUNK):
            chunk = ids[k:k + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.exec_driver_sql(
                f"SELECT seq, incident_id, ts, event, actor, note FROM incident_events "
                f"WHERE incident_id IN ({marks}) ORDER BY seq", tuple(chunk)).mappings().all()
            found.extend(dict(r) for r in rows if r["seq"] not in known)
    if found:
        store.add_incidents([], found)
    return len(found)
