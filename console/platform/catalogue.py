"""The indicator catalogue: the file a city's analysts keep of what the wall measures.

One row per indicator, in TOML (``[[indicator]]`` tables) or CSV (a header row), with the same
fields either way: code, name, name_zh, category, unit, district, sensor_lon/sensor_lat (where
its field sensor stands), warn_low/warn_high/alarm_low/alarm_high, bad (which way is bad),
interval_s (expected reporting interval), decimals, and column (the column of a readings file
that carries it, for ``cityops import readings``). A file is checked whole before anything is
written; every problem is one line naming the file, the row and the field, as layouts do.

Applying a catalogue to a platform (``apply_catalogue``) upserts by code: an indicator keeps
its id for life, so readings already stored, alarms and layouts keep pointing at it, while its
names and limits follow the file. The walls pick the change up with the reference data.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from sqlalchemy import Connection, bindparam, select

from console.errors import UserError
from console.model.schema import P
from console.model.vocab import CATEGORIES

CODE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,119}")
BAD_WAYS = ("high", "low", "both")
MAX_INTERVAL_S = 7 * 86400.0
LIMITS = ("alarm_low", "warn_low", "warn_high", "alarm_high")  # in the order they must rise
#: Indicator columns the catalogue sets; the id is the platform's, kept for life.
ROW_COLUMNS = ("code", "name", "name_zh", "category", "unit", "district_id", *LIMITS, "bad", "interval_s",
               "decimals")


class CatalogueError(UserError):
    """A catalogue that cannot be used; one line per problem, each naming file, row and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One indicator as the catalogue describes it."""

    code: str
    name: str
    category: str
    bad: str
    interval_s: float
    unit: str = ""
    name_zh: str | None = None
    district: str | None = None  # None: city-wide
    sensor_lon: float | None = None
    sensor_lat: float | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    alarm_low: float | None = None
    alarm_high: float | None = None
    decimals: int = 1
    column: str | None = None  # the readings files' column that carries it
    row: str = ""  # where it stands in its file, for messages ("row 4")

    @property
    def sensor(self) -> tuple[float, float] | None:
        return None if self.sensor_lon is None else (self.sensor_lon, self.sensor_lat)

    def values(self) -> dict:
        """The indicators row's columns (without the id)."""
        limits = {k: getattr(self, k) for k in LIMITS}
        return {"code": self.code, "name": self.name, "name_zh": self.name_zh, "category": self.category,
                "unit": self.unit, "district_id": self.district, **limits, "bad": self.bad,
                "interval_s": self.interval_s, "decimals": self.decimals}


FIELDS = tuple(f.name for f in fields(Entry) if f.name != "row")
REQUIRED = ("code", "name", "category", "bad", "interval_s")


# -- reading -------------------------------------------------------------------------------------

def read_catalogue(path: Path) -> list[Entry]:
    """The entries of a TOML or CSV catalogue, checked whole; CatalogueError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's CSV often starts with a BOM
    except FileNotFoundError:
        raise UserError(f"{path}: no such catalogue file") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot be read as UTF-8 text: {' '.join(str(exc).split())}") from None
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _toml_rows(path, text)
    problems: list[str] = []
    entries: list[Entry] = []
    first: dict[str, str] = {}
    for where, raw in rows:
        try:
            entry = _entry(where, raw)
        except ValueError as exc:
            problems.extend(f"{path}: {where}: {p}" for p in exc.args[0])
            continue
        if entry.code in first:
            problems.append(f"{path}: {where}: code: {entry.code!r} is already in {first[entry.code]}")
            continue
        first[entry.code] = where
        entries.append(entry)
    if not rows:
        problems.append(f"{path}: holds no indicators")
    if problems:
        raise CatalogueError(problems)
    return entries


def _toml_rows(path: Path, text: str) -> list[tuple[str, dict]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError([f"{path}: not valid TOML: {' '.join(str(exc).split())}"]) from None
    extra = [k for k in doc if k != "indicator"]
    if extra:
        raise CatalogueError([f"{path}: {extra[0]}: unknown key (a catalogue holds [[indicator]] tables)"])
    items = doc.get("indicator", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CatalogueError([f"{path}: indicator: expected [[indicator]] tables"])
    return [(f"indicator {n}", item) for n, item in enumerate(items, 1)]


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict]]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip() for h in header]
        if unknown := [h for h in header if h not in FIELDS]:
            raise CatalogueError([f"{path}: row 1: {unknown[0] or '(empty)'}: unknown column "
                                  f"(columns: {', '.join(FIELDS)})"])
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            where = f"row {reader.line_num}"
            if len(cells) > len(header):
                raise CatalogueError([f"{path}: {where}: {len(cells)} cells under {len(header)} columns"])
            rows.append((where, {h: c.strip() for h, c in zip(header, cells) if c.strip() != ""}))
        return rows
    except csv.Error as exc:
        raise CatalogueError([f"{path}: row {reader.line_num}: not valid CSV: {exc}"]) from None


def _entry(where: str, raw: dict) -> Entry:
    """The entry of one row, or ValueError([problems, each 'field: what is wrong'])."""
    problems: list[str] = []
    values: dict = {}
    for key in raw:
        if key not in FIELDS:
            problems.append(f"{key}: unknown field (fields: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in raw or raw[key] in ("", None):
            problems.append(f"{key}: missing")
    for key, value in raw.items():
        if key not in FIELDS or value in ("", None):
            continue
        try:
            values[key] = _value(key, value)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    if not problems:
        problems += _consistent(values)
    if problems:
        raise ValueError(problems)
    return Entry(**values, row=where)


def _value(key: str, value: object) -> object:
    """One field's value, checked and typed (CSV gives text, TOML typed values)."""
    if key in ("sensor_lon", "sensor_lat", "interval_s", *LIMITS):
        number = _number(value)
        if key == "interval_s" and not 0 < number <= MAX_INTERVAL_S:
            raise ValueError(f"{number:g} is not a reporting interval (seconds, more than 0, at most a week)")
        if key == "sensor_lon" and not -180 <= number <= 180:
            raise ValueError(f"{number:g} is not a longitude (-180 to 180)")
        if key == "sensor_lat" and not -90 <= number <= 90:
            raise ValueError(f"{number:g} is not a latitude (-90 to 90)")
        return number
    if key == "decimals":
        number = _number(value)
        if number != int(number) or not 0 <= number <= 6:
            raise ValueError(f"{value!r} is not a whole number of decimals from 0 to 6")
        return int(number)
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {value!r}")
    text = value.strip()
    if any(ord(c) < 32 or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in text):
        raise ValueError("holds control or text-direction characters")
    if len(text) > 200:
        raise ValueError("longer than 200 characters")
    if key == "code" and not CODE.fullmatch(text):
        raise ValueError(f"{text!r} is not a code (letters, digits, '_', '.', '-'; at most 120)")
    if key == "category" and text not in CATEGORIES:
        raise ValueError(f"{text!r} is not a category ({', '.join(CATEGORIES)})")
    if key == "bad" and text not in BAD_WAYS:
        raise ValueError(f"{text!r} is not high, low or both")
    return text


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > 1e12:
        raise ValueError(f"{value!r} is not a finite number of sensible size")
    return number


def _consistent(values: dict) -> list[str]:
    """Problems between fields: a sensor half placed, limits out of order, a bad side without limits."""
    problems = []
    if ("sensor_lon" in values) != ("sensor_lat" in values):
        given, other = ("sensor_lon", "sensor_lat") if "sensor_lon" in values else ("sensor_lat", "sensor_lon")
        problems.append(f"{other}: missing ({given} is given: a sensor needs both)")
    limits = [(k, values[k]) for k in LIMITS if k in values]
    for (ka, a), (kb, b) in zip(limits, limits[1:]):
        if a > b:
            problems.append(f"{kb}: {b:g} is below {ka} {a:g} (limits rise: alarm_low, warn_low, "
                            "warn_high, alarm_high)")
    bad = values.get("bad")
    high = any(k in values for k in ("warn_high", "alarm_high"))
    low = any(k in values for k in ("warn_low", "alarm_low"))
    if bad in ("high", "both") and not high:
        problems.append(f"bad: {bad!r} needs warn_high or alarm_high")
    if bad in ("low", "both") and not low:
        problems.append(f"bad: {bad!r} needs warn_low or alarm_low")
    return problems


# -- writing -------------------------------------------------------------------------------------

def write_catalogue(path: Path, entries: list[Entry]) -> None:
    """Write entries as TOML, or CSV when ``path`` ends in .csv (UTF-8, opens in a spreadsheet)."""
    from console.files import replace_file

    path = Path(path)
    if path.suffix.lower() == ".csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for e in entries:
            writer.writerow(["" if v is None else _plain(v) for v in (getattr(e, f) for f in FIELDS)])
        text = out.getvalue()
    else:
        parts = ["# CityOps indicator catalogue: one [[indicator]] per vital sign. Apply it with\n"
                 "#   cityops city catalogue --apply FILE --platform URL\n"
                 "# Limits rise alarm_low <= warn_low <= warn_high <= alarm_high; bad is high, low or both;\n"
                 "# district empty or left out: city-wide; column: the readings files' column for it.\n"]
        for e in entries:
            lines = ["[[indicator]]"]
            for key, value in asdict(e).items():
                if key != "row" and value is not None and value != "":
                    lines.append(f"{key} = {_toml(value)}")
            parts.append("\n".join(lines) + "\n")
        text = "\n".join(parts)
    try:
        replace_file(path, text)
    except OSError as exc:
        raise UserError(f"cannot write catalogue {path}: {exc.strerror or exc}") from None


def _plain(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value) if isinstance(value, float) else str(value)


def entries_from_platform(rows: list[dict], sensors: list[dict]) -> list[Entry]:
    """The catalogue of a platform's indicators rows (and their sensors), to edit and apply again."""
    where = {s["indicator_id"]: (s["lon"], s["lat"]) for s in sensors}
    out = []
    for r in sorted(rows, key=lambda r: r["id"]):
        lon, lat = where.get(r["id"], (None, None))
        out.append(Entry(code=r["code"], name=r["name"], name_zh=r.get("name_zh"), category=r["category"],
                         unit=r["unit"], district=r["district_id"], sensor_lon=lon, sensor_lat=lat,
                         **{k: r[k] for k in LIMITS}, bad=r["bad"], interval_s=float(r["interval_s"]),
                         decimals=int(r["decimals"])))
    return out


# -- applying ------------------------------------------------------------------------------------

def check_districts(entries: list[Entry], districts: set[str], source: Path | str) -> None:
    """Every entry's district must be one of the platform's; one line per entry that is not."""
    shown = ", ".join(sorted(districts)[:12]) + (", ..." if len(districts) > 12 else "")
    problems = [f"{source}: {e.row}: district: no district {e.district!r} in the platform "
                f"(its districts: {shown or 'none'})" for e in entries
                if e.district is not None and e.district not in districts]
    if problems:
        raise CatalogueError(problems)


def apply_catalogue(conn: Connection, entries: list[Entry], source: Path | str,
                    sensors: dict[str, tuple[float, float]] | None = None) -> dict[str, int]:
    """Upsert the entries by code into the platform's indicators (and sensors), in ``conn``'s transaction.

    Known codes keep their ids and are updated where anything differs; new codes get the next
    free ids in file order. ``sensors`` places entries that give no position themselves (the
    simulator's street spots). Indicators the file lacks are kept. Returns counts.
    """
    check_districts(entries, {r.id for r in conn.execute(select(P["districts"].c.id))}, source)
    table = P["indicators"]
    old = {r["code"]: dict(r) for r in (row._mapping for row in conn.execute(select(table)))}
    next_id = max((r["id"] for r in old.values()), default=0) + 1
    new_rows, changed = [], []
    ids: dict[str, int] = {}
    for e in entries:
        values = e.values()
        if e.code in old:
            ids[e.code] = old[e.code]["id"]
            if any(old[e.code].get(k) != v for k, v in values.items()):
                changed.append({"_id": ids[e.code], **values})
        else:
            ids[e.code] = next_id
            new_rows.append({"id": next_id, **values})
            next_id += 1
    if new_rows:
        conn.execute(table.insert(), new_rows)
    if changed:
        conn.execute(table.update().where(table.c.id == bindparam("_id"))
                     .values({c: bindparam(c) for c in ROW_COLUMNS}), changed)
    placed = _sensors(conn, entries, ids, sensors or {})
    return {"new": len(new_rows), "changed": len(changed), "unchanged": len(entries) - len(new_rows) - len(changed),
            "kept": len(set(old) - set(ids)), "sensors": placed}


def sensor_kind(code: str) -> str:
    """The kind of field sensor behind a code: its first two parts ("drainage.level")."""
    return ".".join(code.split(".")[:2])


def _sensors(conn: Connection, entries: list[Entry], ids: dict[str, int],
             fallback: dict[str, tuple[float, float]]) -> int:
    table = P["sensors"]
    old = {r.id: (r.lon, r.lat, r.district_id, r.kind) for r in conn.execute(select(table))}
    inserts, updates = [], []
    for e in entries:
        where = e.sensor or fallback.get(e.code)
        if where is None:
            continue
        sid = f"SEN-{ids[e.code]:04d}"
        row = {"id": sid, "indicator_id": ids[e.code], "kind": sensor_kind(e.code), "district_id": e.district,
               "lon": round(where[0], 7), "lat": round(where[1], 7)}
        if sid not in old:
            inserts.append(row)
        elif old[sid] != (row["lon"], row["lat"], row["district_id"], row["kind"]):
            updates.append({"_id": sid, **row})
    if inserts:
        conn.execute(table.insert(), inserts)
    if updates:
        conn.execute(table.update().where(table.c.id == bindparam("_id")).values(
            {c: bindparam(c) for c in ("indicator_id", "kind", "district_id", "lon", "lat")}), updates)
    return len(inserts) + len(updates)
