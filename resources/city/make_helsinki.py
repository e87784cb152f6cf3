"""Derive the shipped demo city (helsinki-centre.geojson) from the real OpenStreetMap extract.

    python resources/city/make_helsinki.py [SOURCE.osm.pbf] [--out FILE]

SOURCE defaults to ../shared/data/helsinki-centre.osm.pbf beside the repository root. The
importer's report is printed, so a change in what was left out shows up in review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "helsinki-centre.osm.pbf"
DEFAULT_OUT = HERE / "helsinki-centre.geojson"
NAME = "Helsinki centre"
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Derive the demo city GeoJSON from an OSM extract.")
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="OSM extract (.osm.pbf)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="GeoJSON file to write")
    args = parser.parse_args(argv)

    from console.errors import UserError
    from console.importers.osm import import_osm, write_city_geojson

    try:
        result = import_osm(args.source)
    except UserError as exc:
        print(f"make_helsinki: {exc}", file=sys.stderr)
        return exc.exit_code
    write_city_geojson(result, args.out, NAME, ATTRIBUTION)
    print(result.report.summary())
    print(f"Wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB).")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))  # runs from a plain checkout too, not only an installed one
    sys.exit(main())
