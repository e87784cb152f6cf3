"""What the sync rules cost: readings with plausible bounds, and reference data checked before it is cached.

readings: ``check_readings`` of a clean 20,000-row batch knowing only the indicators' ids (the
rules before issue 16) vs knowing each one's plausible bounds (now). reference: the demo city's
reference data written into the cache as it came (DELETE + upsert, the old path) vs checked
first (``write_reference``: types, text, geometry valid and on Earth). Same process, best of N.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, report  # noqa: E402

from console.cache import Cache  # noqa: E402
from console.model.plausible import bounds  # noqa: E402
from console.model.schema import REFERENCE_TABLES  # noqa: E402
from console.platform.create import create_platform  # noqa: E402
from console.sync.sql_connector import SqlConnector  # noqa: E402
from console.sync.reference import write_reference  # noqa: E402
from console.sync.validate import check_readings  # noqa: E402

NOW = 1.7e9


def readings(repeats: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(50, 10, 20_000)
    rows = [(i + 1, i % 200 + 1, NOW - 10_000 + i // 200, float(values[i]), 0) for i in range(20_000)]
    ids = frozenset(range(1, 201))
    known = {i: bounds("%", (0.0, 80.0)) for i in ids}
    assert check_readings(rows, known, NOW) == (rows, [])
    report("check_readings, 20,000 clean rows: ids only vs plausible bounds", "ms",
           best_of(repeats, lambda: check_readings(rows, ids, NOW)) * 1e3,
           best_of(repeats, lambda: check_readings(rows, known, NOW)) * 1e3, "lower")


def reference(repeats: int, folder: Path) -> None:
    url = f"sqlite:///{folder / 'platform.db'}"
    create_platform(url, hours=0.05, seed=1, end=NOW)
    ref = SqlConnector(url).reference()
    cache = Cache(folder / "cache.db")

    def unchecked() -> None:
        with cache.engine.begin() as conn:
            for table in REFERENCE_TABLES:
                conn.exec_driver_sql(f"DELETE FROM {table}")
                cache.upsert(conn, table, ref[table])

    def checked() -> None:
        with cache.engine.begin() as conn:
            write_reference(cache, conn, ref, time.time())

    rows = sum(len(ref[t]) for t in REFERENCE_TABLES)
    report(f"reference data into the cache ({rows:,} rows): as it came vs checked", "ms",
           best_of(repeats, unchecked) * 1e3, best_of(repeats, checked) * 1e3, "lower")
    cache.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeats = 3 if parser.parse_args().quick else 10
    readings(repeats)
    with tempfile.TemporaryDirectory() as folder:
        reference(repeats, Path(folder))


if __name__ == "__main__":
    main()
