"""Hostile recording bundles, made from a genuine one the way a forger would: members replaced,
sizes and checksums made to fit (and the manifest's own checksum, where ``forge`` says so).

Shared by tests/test_bundle_budget.py and tests/benchmarks/bundle_memory.py (which measures the
peak memory of opening each against its file size).
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"


def npy_header(dtype: np.dtype, count: int) -> bytes:
    """The ``.npy`` header of a 1-D array of ``count`` values (what np.save writes before the data)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                              "fortran_order": False, "shape": (count,)})
    return out.getvalue()


def seal(doc: dict) -> dict:
    """The manifest with its own checksum recomputed (console/replay/bundle.py ``manifest_digest``)."""
    from console.replay.bundle import manifest_digest

    doc["sha256"] = manifest_digest(doc)
    return doc


def rewrite(src: Path, dst: Path, members: dict[str, bytes | Callable[[], object] | None] | None = None,
            manifest: Callable[[dict], None] | None = None, forge: bool = True,
            extra: list[tuple[str, bytes]] | None = None, version: int | None = None) -> Path:
    """Copy the bundle ``src`` to ``dst``: members replaced (bytes, or a callable giving an iterable of
    byte chunks, streamed so a 1 GB member costs no 1 GB here) or dropped (None); ``manifest`` edits
    the manifest dict; ``forge`` makes sizes and checksums (the manifest's own too) fit the new content;
    ``extra`` adds members (duplicates included); ``version`` 1 writes the manifest as format 1,
    which had no checksum of its own (what consoles before it read)."""
    with zipfile.ZipFile(src) as zin:
        content = {i.filename: zin.read(i) for i in zin.infolist()}
    doc = json.loads(content.pop(MANIFEST))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for name, data in {**content, **(members or {})}.items():
            if data is None:
                continue
            digest, size = hashlib.sha256(), 0
            with zout.open(name, "w", force_zip64=True) as out:
                for chunk in ([data] if isinstance(data, bytes) else data()):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if forge and name in doc["members"]:
                doc["members"][name] = {"sha256": digest.hexdigest(), "size": size}
        for name, data in extra or []:
            with warnings.catch_warnings():  # "Duplicate name": the point of some cases
                warnings.simplefilter("ignore", UserWarning)
                zout.writestr(name, data)
        if manifest is not None:
            manifest(doc)
        if version == 1:
            doc["format_version"] = 1
            doc.pop("sha256", None)
        elif forge:
            seal(doc)
        zout.writestr(MANIFEST, json.dumps(doc, indent=1))
    return dst


def repeated(head: bytes, chunk: bytes, total: int, tail: bytes = b"") -> Callable[[], object]:
    """``head``, then ``chunk`` repeated to ``total`` bytes, then ``tail``: a member that deflates ~1000x."""
    def chunks():
        yield head
        left = total - len(head) - len(tail)
        while left > 0:
            piece = chunk[:left]
            yield piece
            left -= len(piece)
        yield tail
    return chunks


def constant_array(dtype, count: int, value) -> Callable[[], object]:
    """A ``.npy`` member of ``count`` equal values, streamed."""
    one = np.full(1 << 16, value, dtype=dtype).tobytes()
    header = npy_header(dtype, count)
    return repeated(header, one, len(header) + count * np.dtype(dtype).itemsize)


def hostile_bundles(genuine: Path, folder: Path, scale: float = 1, version: int | None = None) -> dict[str, Path]:
    """Every hostile case, made from ``genuine`` into ``folder``: name -> file. ``scale`` multiplies
    the sizes (1: 1 GB bombs and 50 M readings, as the issue measured them); ``version`` 1 makes
    them as format 1 (for consoles from before format 2, whose manifest had no checksum)."""
    with zipfile.ZipFile(genuine) as zf:
        doc = json.loads(zf.read(MANIFEST))
    meta = doc["meta"]
    gigabyte = int(1e9 * scale)
    readings = int(50e6 * scale)
    first_id = json.loads(_member(genuine, "reference.json"))["indicators"][0]["id"]
    cases: dict[str, Path] = {}

    def case(name: str, **kw) -> None:
        cases[name] = rewrite(genuine, folder / f"{name}.cityrec", version=version, **kw)

    # the manifest's meta edited by hand, nothing else touched
    case("span-edited", manifest=lambda m: m["meta"].update(end=meta["start"] + 30 * 365 * 86400.0), forge=False)
    # the same with every checksum made to fit
    case("span-forged", manifest=lambda m: m["meta"].update(end=meta["start"] + 30 * 365 * 86400.0))
    # a member that inflates to a gigabyte, its size and checksum declared
    case("bomb-json", members={"reference.json": repeated(b'{"pad": "', b"a" * (1 << 16), gigabyte, b'"}')})
    case("bomb-npy", members={"readings/value.npy": constant_array(np.float64, gigabyte // 8, 0.0)})
    # a gigabyte member whose manifest still gives the genuine size
    case("bomb-undeclared", members={"incidents.json": repeated(b"[", b" " * (1 << 16), gigabyte, b"]")},
         forge=False)
    # 50 M readings of one indicator at one moment: valid-looking, 1 MB on disk
    dense = {"readings/indicator_id.npy": constant_array(np.int32, readings, first_id),
             "readings/ts.npy": constant_array(np.float64, readings, meta["start"]),
             "readings/value.npy": constant_array(np.float64, readings, 1.0),
             "readings/quality.npy": constant_array(np.int8, readings, 0)}
    case("dense", members=dense, manifest=lambda m: m["counts"].update(readings=readings))
    # within every limit but large: readings spread over every indicator and the whole span (values
    # random, so they inflate only ~1.1x), and the genuine data stretched over a week
    ids = sorted(row["id"] for row in json.loads(_member(genuine, "reference.json"))["indicators"])
    per = int(len(ids) and readings / 4 / len(ids))
    start = meta["start"] - 7200.0
    spread = {"readings/indicator_id.npy": lambda: [_npy(np.repeat(np.array(ids, np.int32), per))],
              "readings/ts.npy": lambda: [_npy(np.tile(np.linspace(start, meta["end"], per), len(ids)))],
              "readings/value.npy": lambda: [_npy(np.random.default_rng(1).normal(size=per * len(ids)))],
              "readings/quality.npy": lambda: [_npy(np.zeros(per * len(ids), np.int8))]}
    case("many-readings", members=spread, manifest=lambda m: m["counts"].update(readings=per * len(ids)))
    case("week", manifest=lambda m: m["meta"].update(end=meta["start"] + 7 * 86400.0))
    # member names: one outside the bundle's set, one given twice
    case("names-extra", extra=[("../../outside.txt", b"x")])
    case("genuine-copy")
    case("names-duplicate", extra=[("reference.json", b"{}")])
    return cases


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def _member(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)
