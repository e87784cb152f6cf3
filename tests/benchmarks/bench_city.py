"""Your own city: ``city create`` against the OSM importer alone, and readings import against bare pandas.

(a) Seconds per 1,000 buildings: ``create_city`` (the extract read, districts assembled, cut to the
city, the catalogue made and everything written into a new SQLite platform) against
``import_osm`` alone on the same extract. Aim: at most 1.5x.

(b) Readings per second: ``import_readings`` of a wide CSV (the Seattle year, tiled over more
years for the full run) against a bare ``pandas.read_csv`` + melt + ``executemany`` into the
same ``readings`` table of an identical platform. Aim: at least 0.8x. The candidate also checks
every row (times, values, repeats, the platform's own readings) and converts units.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import best_of, report  # noqa: E402

from console.citybuild import create_city  # noqa: E402
from console.importers.osm import import_osm  # noqa: E402
from console.importers.readings import import_readings  # noqa: E402
from console.platform.catalogue import Entry, apply_catalogue  # noqa: E402
from console.platform.create import create_platform  # noqa: E402
from console.platform.db import open_engine  # noqa: E402

DATA = Path(os.environ.get("CITYOPS_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
COLUMNS = {"pressure": ("weather.pressure", "hPa"), "temperature": ("weather.temperature", "°C"),
           "wind": ("weather.wind.speed", "m/s")}


def _platform(path: Path) -> str:
    """An empty platform with the three weather indicators (ids 1, 2, 3)."""
    url = f"sqlite:///{path}"
    create_platform(url, simulate=False)
    engine = open_engine(url, create=False)
    with engine.connect() as conn, conn.begin():
        apply_catalogue(conn, [Entry(code=c, name=c, category="weather", bad="high", interval_s=3600,
                                     unit=u, warn_high=1e6) for c, u in COLUMNS.values()], "bench")
    engine.dispose()
    return url


def bare_import(csv: Path, db: Path) -> int:
    """pandas.read_csv, wide to long, executemany: what a script would do with no checks at all."""
    frame = pd.read_csv(csv)
    ts = (pd.to_datetime(frame["date"]) - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
    rows = []
    for k, column in enumerate(COLUMNS, 1):
        rows += list(zip([k] * len(frame), ts.tolist(), frame[column].tolist(), [0] * len(frame)))
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN")
    con.executemany("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    con.close()
    return len(rows)


def readings_file(folder: Path, years: int) -> Path:
    """The Seattle year, repeated ``years`` times one year apart."""
    src = pd.read_csv(DATA / "seattle-weather-hourly.csv")
    stamps = pd.to_datetime(src["date"])
    parts = [src.assign(date=(stamps + pd.DateOffset(years=k)).dt.strftime("%Y-%m-%dT%H:%M:%S")) for k in range(years)]
    path = folder / f"weather-{years}y.csv"
    pd.concat(parts).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    args = parser.parse_args()
    repeats = 2 if args.quick else 3
    cities = ["liechtenstein-2013-08-03.osm.pbf"] + ([] if args.quick else ["helsinki-centre.osm.pbf"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = iter(range(1000))
        for name in cities:
            pbf = DATA / name
            buildings = len(import_osm(pbf).buildings)
            base = best_of(repeats, lambda: import_osm(pbf))
            made: list[dict] = []
            cand = best_of(repeats, lambda: made.append(create_city(f"sqlite:///{folder / f'c{next(n)}.db'}", pbf)[0]))
            kept = made[-1]["rows"]["buildings"]
            report(f"city create per 1,000 buildings ({name})", "s", base / buildings * 1000, cand / kept * 1000,
                   "lower", buildings=kept, seconds_importer=round(base, 2), seconds_create=round(cand, 2))

        csv = readings_file(folder, 1 if args.quick else 20)
        rows = 0

        def bare() -> None:
            nonlocal rows
            db = folder / f"b{next(n)}.db"
            _platform(db)
            rows = bare_import(csv, db)

        def ours() -> None:
            url = _platform(folder / f"o{next(n)}.db")
            import_readings(csv, url, mapping={k: (c, u) for k, (c, u) in COLUMNS.items()})

        # each run makes its platform first: time that apart and take it off both
        setup = best_of(repeats, lambda: _platform(folder / f"s{next(n)}.db"))
        base = best_of(repeats, bare) - setup
        cand = best_of(repeats, ours) - setup
        report("readings import (wide CSV, SQLite platform)", "rows/s", rows / base, rows / cand, "higher", rows=rows)


if __name__ == "__main__":
    main()
