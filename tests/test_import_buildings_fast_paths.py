"""Buildings take fast paths where their input is plain: footprints made for the buildings read
together in one vectorised pass, a CityGML building's rings found in one pass and read in one go
where every one is a posList of finite numbers, and only the checks that can still fail made on the
rings the CityGML reader numbered itself. On every real CityGML and CityJSON file, on a file of
varied buildings and on mutated ones, the rows and the report are the same as the general paths give. While files
are read, Python's cycle collector runs less often, and as before once they are."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from console.errors import UserError
from console.importers import batch, cityjson, gml_geometry
from console.importers.buildings import read_buildings
from tests.conftest import SHARED_DATA
from tests.test_import_citygml import sample_copies

GML = SHARED_DATA / "citygml"
pytestmark = pytest.mark.skipif(not GML.is_dir(), reason="real data folder not beside the repository")
JUNK = [b"", b"nan", b"-", b"0", b"1e400", b"<", b"\"#nowhere\"", b"<gml:Polygon>", b"</bldg:Building>",
        b"<bldg:ClosureSurface", b"<bldg:lod1MultiSurface", b"<bldg:interiorRoom"]


def _read(path: Path) -> tuple:
    try:
        rows, report = read_buildings(path)
    except UserError as exc:
        return ("refused", str(exc))
    return rows, report.as_dict(), report.summary()


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    """(fast paths, general paths) of one file."""
    together = _read(path)
    with monkeypatch.context() as m:
        m.setattr(batch, "footprints", lambda lonlat, buildings: None)  # every chunk: one at a time
        m.setattr(gml_geometry.Vertices, "_scan", lambda *_: None)  # every ring on its own
        made = cityjson._Building.__init__
        m.setattr(cityjson._Building, "__init__", lambda self, *a: made(self, *a[:5]))  # every check on every ring
        alone = _read(path)
    return together, alone


def _varied(path: Path) -> None:
    """Forty copies of the building and garage: some without the garage (one ground polygon less),
    some moved apart from it (a footprint of two polygons), one with a bow-tie ground (repaired)."""
    tree, copies = sample_copies(40, "V")
    root = tree.getroot()
    rng = np.random.default_rng(7)
    for n, copy in copies:
        part = next(copy.iter("{*}BuildingPart"))
        if n % 3 == 1:
            holder = part.getparent()
            holder.getparent().remove(holder)
        elif n % 3 == 2:
            for pos in part.iter("{*}posList"):
                pos.text = " ".join(repr(v + 40.0 * (k % 3 == 0)) for k, v in enumerate(map(float, pos.text.split())))
        dx, dy = rng.uniform(-5_000, 5_000, 2)
        for pos in copy.iter("{*}posList"):
            xyz = np.array(pos.text.split(), dtype=float).reshape(-1, 3) + (dx, dy, 0)
            if n == 16 and pos is next(copy.iter("{*}posList")):  # its first ground ring: a bow tie
                xyz[[1, 2]] = xyz[[2, 1]]
            pos.text = " ".join(map(repr, xyz.ravel().tolist()))
        root.append(copy)
    tree.write(str(path))


@pytest.mark.parametrize("name", [*sorted(p.name for p in GML.glob("*.gml")), "delft-3dbag.city.jsonl",
                                  "delft-3dbag-tile901.city.jsonl"])
def test_real_files_by_the_fast_paths_give_the_rows_of_the_general_ones(name, monkeypatch):
    path = (GML if name.endswith(".gml") else SHARED_DATA) / name
    together, alone = _both(path, monkeypatch)
    assert together == alone and len(together[0]) >= 1


def test_varied_buildings_by_the_fast_paths_give_the_rows_of_the_general_ones(tmp_path, monkeypatch):
    path = tmp_path / "varied.gml"
    _varied(path)
    together, alone = _both(path, monkeypatch)
    assert len(together[0]) == 41 and together[1]["repaired"]["building footprint: invalid polygon (repaired)"] == 1
    assert sum(r["footprint"].startswith('{"type":"MultiPolygon"') for r in together[0]) > 10
    assert together == alone


def test_mutated_files_by_the_fast_paths_give_the_rows_of_the_general_ones(tmp_path, monkeypatch):
    varied = tmp_path / "varied.gml"
    _varied(varied)
    source = varied.read_bytes()
    tokens = [m.span() for m in re.finditer(rb"[-\d.]+|<[/\w:]+|\"[^\"]*\"", source)]
    rnd = random.Random(3)
    read = 0
    for n in range(40):
        data = bytearray(source)
        for start, end in sorted((tokens[rnd.randrange(len(tokens))] for _ in range(rnd.randint(1, 8))),
                                 reverse=True):
            data[start:end] = rnd.choice(JUNK)
        path = tmp_path / f"mutated{n}.gml"
        path.write_bytes(bytes(data))
        together, alone = _both(path, monkeypatch)
        assert together == alone, n
        read += together[0] != "refused"
    assert read > 20


def test_the_cycle_collector_runs_less_often_while_files_are_read_and_as_before_after(tmp_path, monkeypatch):
    import gc

    from console.importers import buildings

    seen = []
    read_file = buildings._read_file

    def watched(*args):  # the thresholds in force while a file is read
        seen.append(gc.get_threshold())
        return read_file(*args)

    monkeypatch.setattr(buildings, "_read_file", watched)
    before = gc.get_threshold()
    rows, _ = read_buildings(GML / "Building_LOD2-EPSG25832.gml")
    empty = tmp_path / "empty.gml"
    empty.write_bytes(b'<CityModel xmlns="http://www.opengis.net/citygml/2.0"/>')  # refused: no Building
    with pytest.raises(UserError):
        read_buildings(empty)
    assert rows and len(seen) == 2 and gc.get_threshold() == before
    assert all(t[0] >= buildings.COLLECT_AFTER > before[0] and t[1:] == before[1:] for t in seen)
