"""Fill a fresh store from the cache, so the wall shows the last known city at once."""

from __future__ import annotations

from console.cache import Cache
from console.store.store import CLOSED_INCIDENT_KEEP_S, Store
from console.sync.batch import Batch

#: How much of the units' recent movement a fresh wall shows.
UNIT_TRAIL_S = 900.0


def warm_store(store: Store, cache: Cache, now: float) -> None:
    """Reference data, the store's horizon of readings, and recent incidents, read from the cache."""
    store.load_reference(cache.reference())
    t0 = now - store.horizon_s
    for iid in store.indicators:
        ts, values = cache.read_range(iid, t0, now)
        store.add_readings(iid, ts, values)
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT * FROM incidents WHERE status != 'closed' OR updated_at >= ?",
            (now - CLOSED_INCIDENT_KEEP_S,)).mappings().all()
    store.add_incidents(dict(r) for r in rows)
    with cache.engine.connect() as conn:  # where the units are, with a short trail behind them
        positions = conn.exec_driver_sql("SELECT * FROM unit_positions WHERE ts >= ? AND ts <= ? ORDER BY ts",
                                         (now - UNIT_TRAIL_S, now)).mappings().all()
    store.apply(Batch(unit_positions=[dict(p) for p in positions]))
