"""Create the demo central platform: schema, reference data and hours of simulated history.

One transaction: a failed or interrupted run leaves no half-built platform behind (and an
SQLite file it created is removed again).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from console.city import DEFAULT_CITY, City, load_city
from console.errors import UserError
from console.model.schema import P, platform_metadata
from console.databases import parse_url, reason, remove_sqlite, shown_url, sqlite_file
from console.platform.db import bulk_insert, demo_metadata, open_engine, write_state
from console.platform.geo import city_rows, geography_from_rows
from console.platform.catalogue import Entry, apply_catalogue
from console.platform.indicators import entry_of_spec
from console.platform.plans import plan_rows
from console.platform.scenario import Storm, make_scenario
from console.platform.simulation import Simulation
from console.platform.timebase import HOUR

#: Bump when the model changes in a way that changes rows: a feeder refuses an older platform.
MODEL_VERSION = "4"  # 4: operator_actions is a stream (seq, txid) every console reads back
READING_COLUMNS = ("indicator_id", "ts", "value", "quality")
EVENT_COLUMNS = ("incident_id", "ts", "event", "actor", "note")
POSITION_COLUMNS = ("unit_id", "ts", "lon", "lat", "heading", "status")
CHUNK_S = HOUR
MARKER_TABLES = ("demo_state", "indicators", "districts", "readings", "incidents")


def create_platform(url: str, hours: float = 24, seed: int = 7, end: float | None = None,
                    city: City | None = None, progress: Callable[[float], None] | None = None,
                    *, storms: Sequence[Storm] | None = None, catalogue: list[Entry] | None = None,
                    simulate: bool = True, source: str = "the catalogue",
                    reference: dict[str, list[dict]] | None = None) -> dict:
    """Create a simulated platform in ``url`` with ``hours`` of history ending at ``end``.

    ``end`` defaults to now (whole seconds). ``storms`` reuses another platform's storm windows
    (see ``read_scenario``): with the same seed and history start, that rebuilds exactly the
    city a feeder has been extending. ``catalogue`` replaces the simulator's own indicators
    (only its codes get simulated readings; ``source`` names its file in messages).
    ``simulate=False``: the contract's tables with the city's reference data (if ``city``) and
    the catalogue, no history and no demo state: a platform that waits for real data.
    ``reference``: ``city_rows(city)`` where the caller has it already (a big city takes seconds).
    Returns a summary: rows per table, seconds, storms.
    """
    started = time.perf_counter()
    if simulate and not (hours > 0 and math.isfinite(hours)):
        raise UserError(f"--hours must be a positive number of hours, not {hours}")
    end = float(math.floor(time.time())) if end is None else float(end)
    shown = shown_url(url)
    made_file = _new_sqlite_file(url)
    engine = open_engine(url, create=True)
    try:
        with engine.connect() as conn, conn.begin():
            _refuse_if_used(conn, shown)
            platform_metadata.create_all(conn)
            if simulate:
                demo_metadata.create_all(conn)
                summary = _fill(conn, city, hours, seed, end, storms, progress, catalogue, source, reference)
            else:
                summary = _reference_only(conn, city, catalogue, source, reference)
    except DBAPIError as exc:
        engine.dispose()
        _remove(made_file)
        raise UserError(f"cannot create platform in {shown}: {reason(exc)}") from None
    except BaseException:
        engine.dispose()
        _remove(made_file)
        raise
    engine.dispose()
    summary["url"] = shown
    summary["seconds"] = round(time.perf_counter() - started, 2)
    if progress:
        progress(1.0)
    return summary


def _reference_only(conn, city: City | None, catalogue: list[Entry] | None, source: str,
                    reference: dict[str, list[dict]] | None) -> dict:
    """The city's reference rows and catalogue into a new platform, without any simulation."""
    ref = dict(reference or (city_rows(city) if city is not None else
                             {"districts": [], "buildings": [], "map_features": []}))
    ref["city"] = [city_row(city)] if city is not None else []
    counts = {}
    for table in ("city", "districts", "buildings", "map_features"):
        if ref[table]:
            conn.execute(P[table].insert(), ref[table])
        counts[table] = len(ref[table])
    applied = apply_catalogue(conn, catalogue, source) if catalogue else {"new": 0, "sensors": 0}
    counts.update(indicators=applied["new"], sensors=applied["sensors"], warnings=0)
    return {"rows": counts, "districts": counts["districts"], "indicators": counts["indicators"]}


def city_row(city: City) -> dict:
    """The contract's ``city`` row: the name the walls take as their title."""
    return {"id": "city", "name": city.name, "name_zh": None, "attribution": city.attribution or None}


def _fill(conn, city: City | None, hours: float, seed: int, end: float,
          storms: Sequence[Storm] | None, progress: Callable[[float], None] | None,
          catalogue: list[Entry] | None = None, source: str = "the catalogue",
          reference: dict[str, list[dict]] | None = None) -> dict:
    if city is None:
        try:
            city = load_city()
        except FileNotFoundError:
            raise UserError(f"the demo city file {DEFAULT_CITY} is missing "
                            "(make it with: cityops import osm FILE.pbf --out ...)") from None
    ref = dict(reference or city_rows(city))
    ref["city"] = [city_row(city)]
    scenario = make_scenario(seed, end, hours, tuple(storms) if storms else None)
    geo = geography_from_rows(ref["districts"], ref["buildings"],
                              [r for r in ref["map_features"] if r["layer"] == "street"], city.name)
    counts: dict[str, int] = {}
    for table in ("city", "districts"):
        conn.execute(P[table].insert(), ref[table])
        counts[table] = len(ref[table])
    own = Simulation(scenario, geo).specs  # the model's catalogue: its sensors stand on the city's streets
    if catalogue is None:  # the simulator's own catalogue, with the names in Chinese
        catalogue = [entry_of_spec(s) for s in own]
    model = {s.code: s.sensor for s in own if s.sensor is not None}
    applied = apply_catalogue(conn, catalogue, source, model)
    counts.update(indicators=applied["new"], sensors=applied["sensors"], warnings=0)
    sim = Simulation(scenario, geo, [dict(r._mapping) for r in conn.execute(P["indicators"].select())])
    ref["units"] = [u.row(sim.geo) for u in sim.fleet]
    ref["plans"] = plan_rows()
    for table in ("buildings", "map_features", "units", "plans"):
        if ref[table]:
            conn.execute(P[table].insert(), ref[table])
        counts[table] = len(ref[table])

    counts.update(readings=0, incident_events=0, unit_positions=0, operator_actions=0, warnings=0)  # none issued yet
    touched: set[str] = set()
    a = scenario.origin
    while a < end:
        b = min(end, a + CHUNK_S)
        counts["readings"] += bulk_insert(conn, "readings", READING_COLUMNS, sim.readings(a, b).rows())
        events = sim.events(a, b)
        counts["incident_events"] += bulk_insert(conn, "incident_events", EVENT_COLUMNS,
                                                 [tuple(e[c] for c in EVENT_COLUMNS) for e in events])
        touched.update(e["incident_id"] for e in events)
        counts["unit_positions"] += bulk_insert(conn, "unit_positions", POSITION_COLUMNS, sim.positions(a, b))
        a = b
        if progress:
            progress(0.98 * (a - scenario.origin) / (end - scenario.origin))
    counts["incidents"] = write_incidents(conn, sim, touched, end, new=touched)
    write_state(conn, {**scenario.to_state(), "written_to": repr(end), "model_version": MODEL_VERSION,
                       "hours": repr(float(hours))})
    first, second = scenario.storms[0], scenario.storms[-1]
    return {"seed": seed, "hours": hours, "start": scenario.origin, "end": end,
            "storm": _storm(first), "next_storm": _storm(second), "rows": counts,
            "districts": len(sim.geo.district_ids), "indicators": len(sim.specs)}


def write_incidents(conn, sim: Simulation, ids: set[str], at: float, new: set[str]) -> int:
    """Insert (``new``) or update the incident rows for ``ids`` as of ``at``, rev = seq of the newest event."""
    if not ids:
        return 0
    events = P["incident_events"]
    revs: dict[str, int] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        part = id_list[i:i + 500]
        stmt = (events.select().with_only_columns(events.c.incident_id, events.c.seq)
                .where(events.c.incident_id.in_(part)))
        for iid, seq in conn.execute(stmt):
            revs[iid] = max(seq, revs.get(iid, 0))
    rows = [dict(r, rev=revs[r["id"]]) for r in sim.incident_rows(ids, at)]
    inserts = [r for r in rows if r["id"] in new]
    if inserts:
        conn.execute(P["incidents"].insert(), inserts)
    table = P["incidents"]
    for r in rows:
        if r["id"] not in new:
            conn.execute(table.update().where(table.c.id == r["id"]).values(
                status=r["status"], updated_at=r["updated_at"], rev=r["rev"]))
    return len(rows)


def _storm(s: Storm) -> dict:
    return {"start": s.start, "end": s.end, "peak_mm_h": s.peak}


def _refuse_if_used(conn, shown: str) -> None:
    tables = set(inspect(conn).get_table_names())
    for name in MARKER_TABLES:
        if name in tables and conn.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None:
            raise UserError(f"{shown} already holds platform data (table {name} is not empty); "
                            "use a new database or file")


def _new_sqlite_file(url: str) -> Path | None:
    """The SQLite file this run will create, or None (exists already, or not SQLite)."""
    path = sqlite_file(parse_url(url), must_exist=False)
    return None if path is None or path.exists() else path


def _remove(path: Path | None) -> None:
    if path is not None:
        remove_sqlite(path)


def read_scenario(url: str) -> dict:
    """The demo_state of a platform (seed, history start/end, storms, feeder progress)."""
    from console.platform.db import read_state

    engine = open_engine(url, create=False)
    try:
        with engine.connect() as conn:
            state = read_state(conn)
    except DBAPIError as exc:
        raise UserError(f"{shown_url(url)} is not a CityOps demo platform ({reason(exc)})") from None
    finally:
        engine.dispose()
    state["storms"] = [Storm(**s) for s in json.loads(state["storms"])]
    return state
