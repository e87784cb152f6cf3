"""SensorThings entities as the console's reference data: Datastreams become indicators and sensors.

A Datastream (with its Thing, the Thing's Locations and its ObservedProperty) is one indicator:
its fields come, weakest first, from the Thing's properties (a station's district), the
Datastream's properties, the city's catalogue entry for its code, and the sources file's entry
(console/sources/sta_mapping.py). Its Thing's Location, where it is a GeoJSON Point, places
its sensor on the map. A field that is there but wrong (limits out of order, a category that is
a number) is passed on as it is, so the reference checks quarantine that indicator with their
reason; the others land. SensorThings has no districts, buildings, units or plans: those
tables stay empty, and the city's name comes from the sources file or the server's host.
"""

from __future__ import annotations

import re

from console.platform.catalogue import sensor_kind
from console.sources.sta_ids import indicator_id
from console.sources.sta_mapping import FIELDS, Mapping

#: What is asked of the server for each Datastream.
DATASTREAM_QUERY = {"$expand": "Thing($expand=Locations),ObservedProperty"}
_SLUG = re.compile(r"[^A-Za-z0-9_.\-]+")
_LIMITS = ("warn_low", "warn_high", "alarm_low", "alarm_high")


def _props(entity: object) -> dict:
    props = entity.get("properties") if isinstance(entity, dict) else None
    return {k: v for k, v in props.items() if k in FIELDS} if isinstance(props, dict) else {}


def _code(ds: dict, fields: dict) -> object:
    """The indicator's code: set by the file or the properties, else made from the Datastream's name."""
    if "code" in fields:
        return fields["code"]
    slug = _SLUG.sub("_", str(ds.get("name") or "")).strip("_.-")[:100]
    return f"sta.{slug or ds.get('@iot.id')}"


def _point(thing: object) -> tuple[float, float] | None:
    """The first GeoJSON Point among a Thing's Locations (lon, lat)."""
    locations = thing.get("Locations") if isinstance(thing, dict) else None
    for loc in locations if isinstance(locations, list) else ():
        geo = loc.get("location") if isinstance(loc, dict) else None
        if isinstance(geo, dict) and geo.get("type") == "Feature":
            geo = geo.get("geometry")
        coords = geo.get("coordinates") if isinstance(geo, dict) and geo.get("type") == "Point" else None
        if isinstance(coords, list) and len(coords) >= 2:
            return coords[0], coords[1]
    return None


def _bad_way(fields: dict) -> str:
    """Which way is bad, where nothing says: the side that has limits."""
    low = any(fields.get(k) is not None for k in ("warn_low", "alarm_low"))
    high = any(fields.get(k) is not None for k in ("warn_high", "alarm_high"))
    return "both" if low and high else "low" if low else "high"


def _name(name: object, district: object) -> object:
    """The wall's "what, where" form (tiles show the part after ", " as the place, else "city-wide"):
    a Datastream in a district says which, unless its name already does."""
    if isinstance(name, str) and isinstance(district, str) and district and ", " not in name \
            and district.lower() not in name.lower():
        return f"{name}, {district}"
    return name


def indicator_rows(datastreams: list[dict], mapping: Mapping) -> tuple[list[dict], list[dict], dict[str, int]]:
    """Indicators and sensors from Datastreams; and each Datastream's id (as text) -> indicator id."""
    indicators: list[dict] = []
    sensors: list[dict] = []
    ids: dict[str, int] = {}
    for ds in datastreams:
        if not isinstance(ds, dict) or "@iot.id" not in ds:
            continue
        raw_id = ds["@iot.id"]
        mapped = mapping.fields_for(raw_id, ds.get("name"))
        if mapped is None:
            continue
        thing = ds.get("Thing")
        fields = _props(thing) | _props(ds)
        code = _code(ds, mapped | fields)
        entry = mapping.catalogue.get(code) if isinstance(code, str) else None
        if entry is not None:
            fields |= {k: v for k, v in entry.values().items() if k != "district_id"} | {"district": entry.district}
        fields |= mapped
        unit = ds.get("unitOfMeasurement")
        symbol = unit.get("symbol") if isinstance(unit, dict) else None
        ind = indicator_id(raw_id)
        ids[str(raw_id)] = ind
        indicators.append({
            "id": ind, "code": code, "name": _name(fields.get("name", ds.get("name") or str(code)), fields.get("district")),
            "name_zh": fields.get("name_zh"), "category": fields.get("category", "weather"),
            "unit": fields.get("unit", symbol if isinstance(symbol, str) else ""),
            "district_id": fields.get("district"), **{k: fields.get(k) for k in _LIMITS},
            "bad": fields.get("bad", _bad_way(fields)),
            "interval_s": fields.get("interval_s", mapping.interval_s), "decimals": fields.get("decimals", 1),
        })
        where = _point(thing) or (entry.sensor if entry is not None else None)
        if where is not None:
            sensors.append({"id": f"sta:{raw_id}", "indicator_id": ind,
                            "kind": sensor_kind(code) if isinstance(code, str) else "sta",
                            "district_id": fields.get("district"), "lon": where[0], "lat": where[1]})
    return indicators, sensors, ids


def reference_tables(city: str, datastreams: list[dict], mapping: Mapping) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """Every reference table of the contract, filled where SensorThings has the data."""
    indicators, sensors, ids = indicator_rows(datastreams, mapping)
    tables: dict[str, list[dict]] = {t: [] for t in ("districts", "buildings", "map_features", "units", "plans")}
    tables |= {"city": [{"id": "city", "name": city, "name_zh": None, "attribution": None}],
               "indicators": indicators, "sensors": sensors}
    return tables, ids
