"""Fill a fresh store from the cache, so the wall shows the last known city at once."""

from __future__ import annotations

import logging

from console.cache import Cache
from console.store.store import CLOSED_INCIDENT_KEEP_S, Store
from console.sync.batch import Batch
from console.sync.validate import check_reference, check_rows, summary

log = logging.getLogger(__name__)

#: How much of the units' recent movement a fresh wall shows.
UNIT_TRAIL_S = 900.0


#: The incidents a wall shows: open ones, and those closed lately.
_SHOWN = "SELECT id FROM incidents WHERE status != 'closed' OR updated_at >= ?"


def warm_store(store: Store, cache: Cache, now: float) -> None:
    """Reference data, the store's horizon of readings, recent incidents with their events (the
    timelines and SLA timers need them), and where the units are, read from the cache.

    What the cache holds passes the sync rules again on the way (a cache written by an older
    console may hold a district at 1e308): a view never receives what it cannot draw."""
    reference, refused = check_reference(cache.reference(), now)
    store.load_reference(reference)
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
    incidents, more = check_rows("incidents", [dict(r) for r in incidents], now)
    refused += more
    events, more = check_rows("incident_events", [dict(e) for e in events], now)
    refused += more
    positions, more = check_rows("unit_positions", [dict(p) for p in positions], now)
    refused += more
    if refused:  # rows cached before the rules existed, or under older ones
        count, detail = summary(refused).removeprefix("quarantined ").split(": ", 1)
        log.warning("the cache holds %s the sync rules refuse, not shown: %s", count, detail)
    store.add_incidents(incidents, events)
    store.apply(Batch(unit_positions=positions))
