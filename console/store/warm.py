"""Fill a fresh store from the cache, so the wall shows the last known city at once."""

from __future__ import annotations

from console.cache import Cache
from console.store.store import CLOSED_INCIDENT_KEEP_S, Store
from console.sync.batch import Batch

#: How much of the units' recent movement a fresh wall shows.
UNIT_TRAIL_S = 900.0


#: The incidents a wall shows: open ones, and those closed lately.
_SHOWN = "SELECT id FROM incidents WHERE status != 'closed' OR updated_at >= ?"


def warm_store(store: Store, cache: Cache, now: float) -> None:
    """Reference data, the store's horizon of readings, recent incidents with their events (the
    timelines and SLA timers need them), and where the units are, read from the cache."""
    store.load_reference(cache.reference())
    t0 = now - store.horizon_s
    for iid in store.indicators:
        ts, values = cache.read_range(iid, t0, now)
        store.add_readings(iid, ts, values)
    since = (now - CLOSED_INCIDENT_KEEP_S,)
    with cache.engine.connect() as conn:
        incidents = conn.exec_driver_sql(f"SELECT * FROM incidents WHERE id IN ({_SHOWN})", since).mappings().all()
        events = conn.exec_driver_sql(
            "SELECT seq, incident_id, ts, event, actor, note FROM incident_events "
            f"WHERE incident_id IN ({_SHOWN}) ORDER BY seq", since).mappings().all()
        positions = conn.exec_driver_sql("SELECT * FROM unit_positions WHERE ts >= ? AND ts <= ? ORDER BY ts",
                                         (now - UNIT_TRAIL_S, now)).mappings().all()
    store.add_incidents([dict(r) for r in incidents], [dict(e) for e in events])
    store.apply(Batch(unit_positions=[dict(p) for p in positions]))
