"""Reading a recording bundle (console/replay/bundle.py writes them), checked on the way in.

Before any member is inflated, the members' names, their declared sizes and what they would cost
in memory are checked against fixed limits (console/replay/budget.py); each member is read straight
into its final buffer while its checksum is taken, so a bundle is read once. Anything wrong with a
file, from a cut-off download to one changed byte, is a BundleError naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from console.model.schema import REFERENCE_TABLES
from console.replay import budget
from console.replay.bundle_checks import (MANIFEST, BundleError, check_density, check_memory, check_names, check_rows,
                                          check_runs, compare, is_sorted, keys)
from console.replay.bundle import (ARRAYS, MEMBERS, READING_DTYPES, TABLES, HashingStream, Progress, manifest_digest,
                                   recording_counts)
from console.replay.recording import FORMAT, FORMAT_VERSION, Readings, Recording, RecordingMeta
from console.values import is_int

_MANIFEST_LIMIT = 1 << 20
_CHUNK = 4 << 20
_DEFLATE_RATIO = 1100


def bundle_info(path: str | Path) -> dict:
    """What a bundle holds, from its manifest only (cheap; members are checked by ``read_bundle``).

    Returns ``path``, ``bytes`` (file size), ``format_version``, ``meta`` (RecordingMeta) and
    ``counts`` (rows per table and readings, roll-ups, incidents, ... as written).
    """
    path = Path(path)
    with _opened(path) as zf:
        manifest = _manifest(zf, path)
    return {"path": path, "bytes": path.stat().st_size, "format_version": manifest["format_version"],
            "meta": manifest["meta"], "counts": manifest["counts"]}


def read_bundle(path: str | Path, progress: Progress | None = None) -> Recording:
    """The recording in ``path``, every member checked against the manifest on the way in."""
    path = Path(path)
    report = progress or (lambda _f: None)
    with _opened(path) as zf:
        manifest = _manifest(zf, path)
        sizes = manifest["members"]
        total, done = sum(m["size"] for m in sizes.values()) or 1, 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            report(min(done / total, 0.999))

        reader = _MemberReader(zf, path, sizes, step)
        documents = {name: reader.json(name) for name in ("reference.json", *TABLES)}
        check_density(path, manifest, documents["reference.json"])
        arrays = {name: reader.array(name, dtype) for name, dtype in ARRAYS.items()}
    recording = _assemble(path, manifest, documents, arrays)
    report(1.0)
    return recording


#: What the zipfile module, zlib and NumPy's header parser raise for bytes that are not what they
#: should be: a damaged or foreign file, never a bug to show as a traceback.
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, struct.error,
           NotImplementedError, RuntimeError, OverflowError)


@contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """The bundle as an open ZipFile; a file that is no ZIP, or a cut-off one, says so."""
    if not path.exists():
        raise BundleError(f"recording bundle {path} does not exist")
    if not path.is_file():
        raise BundleError(f"recording bundle {path} is not a file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BundleError(f"cannot read recording bundle {path}: {exc.strerror or exc}") from None
    try:
        with raw, zipfile.ZipFile(raw) as zf:
            yield zf
    except (*_BROKEN, OSError) as exc:  # OSError: seeks to where a damaged directory points
        raise BundleError(f"{path} is truncated or not a recording bundle ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _manifest(zf: zipfile.ZipFile, path: Path) -> dict:
    """The manifest, checked: our format, a version this console reads, every member listed."""
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise BundleError(f"{path} is not a recording bundle (it has no {MANIFEST})") from None
    if info.file_size > _MANIFEST_LIMIT:
        raise BundleError(f"{path}: {MANIFEST} is too large to be a recording manifest")
    with zf.open(info) as fp:
        data = fp.read(_MANIFEST_LIMIT + 1)
    if len(data) > _MANIFEST_LIMIT:
        raise BundleError(f"{path}: {MANIFEST} is too large to be a recording manifest")
    manifest = _parse_json(data, path, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BundleError(f"{path} is not a CityOps recording bundle (format {found!r}, expected {FORMAT!r})")
    version = manifest.get("format_version")
    if not is_int(version) or version < 1:
        raise BundleError(f"{path}: {MANIFEST} has no valid format_version (found {version!r})")
    if version > FORMAT_VERSION:
        raise BundleError(f"{path} was made by a newer console: format {version}, this console reads "
                          f"{FORMAT_VERSION}")
    if (version >= 2 or "sha256" in manifest) and manifest.get("sha256") != manifest_digest(manifest):
        raise BundleError(f"{path} has been altered or damaged: {MANIFEST} does not match its checksum")
    try:
        manifest["meta"] = RecordingMeta.from_json(manifest["meta"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BundleError(f"{path}: {MANIFEST} does not say what the recording covers (no valid meta)") from None
    meta = manifest["meta"]
    if not (math.isfinite(meta.start) and math.isfinite(meta.end) and meta.start < meta.end):
        raise BundleError(f"{path}: {MANIFEST} gives a recording that ends before it starts")
    if meta.end - meta.start > budget.MAX_SPAN_S:
        raise BundleError(f"{path}: {MANIFEST} gives a recording of {(meta.end - meta.start) / 86400:,.1f} days, "
                          f"longer than a recording can be ({budget.MAX_SPAN_S / 86400:g} days)")
    if meta.district is not None and not isinstance(meta.district, str):
        raise BundleError(f"{path}: {MANIFEST} names its district as {meta.district!r}, not as text")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(is_int(v) for v in counts.values()):
        raise BundleError(f"{path}: {MANIFEST} has no valid row counts")
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise BundleError(f"{path}: {MANIFEST} lists no members")
    check_names(zf, path, MEMBERS)
    for name in MEMBERS:
        entry = members.get(name)
        if not (isinstance(entry, dict) and is_int(entry.get("size")) and entry["size"] >= 0
                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            raise BundleError(f"{path}: {MANIFEST} gives no valid checksum and size for {name}")
        found = zf.getinfo(name).file_size
        if found != entry["size"]:
            raise BundleError(f"{path} has been altered or damaged: {name} holds {found} bytes, "
                              f"its manifest says {entry['size']}")
    manifest["members"] = {name: members[name] for name in MEMBERS}
    check_memory(path, manifest)
    return manifest


def _parse_json(data: bytes, path: Path, name: str):
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BundleError(f"{path}: {name} is not valid JSON ({_why(exc)})") from None


class _MemberReader:
    """Reads members once each, taking their checksums on the way, bounded by their stated sizes."""

    def __init__(self, zf: zipfile.ZipFile, path: Path, members: dict[str, dict], step: Callable[[int], None]):
        self.zf, self.path, self.members, self.step = zf, path, members, step
        self.archive_bytes = path.stat().st_size

    def damaged(self, name: str, why: str = "does not match its checksum") -> BundleError:
        return BundleError(f"{self.path} has been altered or damaged: {name} {why}")

    def _open(self, name: str) -> tuple[HashingStream, int]:
        info, size = self.zf.getinfo(name), self.members[name]["size"]
        # bound what a damaged directory can make us allocate: deflate expands at most ~1032 times
        most = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_RATIO) + 64
        if info.compress_size > self.archive_bytes or info.file_size > most:
            raise self.damaged(name, "has impossible sizes in the ZIP directory")
        return HashingStream(self.zf.open(info), self.step), size

    def _read(self, name: str, fp: HashingStream, n: int) -> bytes:
        try:
            return fp.read(n)
        except zipfile.BadZipFile:  # zipfile's CRC check at the member's end
            raise self.damaged(name) from None
        except (zlib.error, EOFError) as exc:
            raise self.damaged(name, f"cannot be read ({_why(exc)})") from None

    def _finish(self, name: str, fp: HashingStream) -> None:
        """Read to the member's end (zipfile checks its CRC there), then compare the checksum."""
        while self._read(name, fp, _CHUNK):
            pass
        if fp.hash.hexdigest() != self.members[name]["sha256"]:
            raise self.damaged(name)

    def json(self, name: str):
        fp, size = self._open(name)
        with fp.inner:
            data = self._read(name, fp, size)
            self._finish(name, fp)
        return _parse_json(data, self.path, name)

    def array(self, name: str, dtype: np.dtype) -> np.ndarray:
        """A 1-D ``.npy`` array of ``dtype``, read into its buffer in chunks while hashing it."""
        fp, size = self._open(name)
        with fp.inner:
            try:
                array = self._read_npy(name, fp, size, dtype)
            except BundleError:
                self._finish(name, fp)  # a changed byte is reported as such, not as a bad header
                raise
            except Exception as exc:  # NumPy's header parser raises many kinds (even tokenize's) for garbage
                self._finish(name, fp)
                raise BundleError(f"{self.path}: {name} is not a NumPy array ({_why(exc)})") from None
            self._finish(name, fp)
        return array

    def _read_npy(self, name: str, fp: HashingStream, size: int, dtype: np.dtype) -> np.ndarray:
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0)):
            raise BundleError(f"{self.path}: {name} is a NumPy file of unknown version {version}")
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                  np.lib.format.read_array_header_2_0)
        shape, _fortran, found = header(fp)
        if found != dtype or len(shape) != 1:
            raise BundleError(f"{self.path}: {name} holds {found} of shape {shape}, expected a column of "
                              f"{dtype if dtype.names is None else 'roll-ups'}")
        if fp.size + shape[0] * dtype.itemsize != size:
            raise BundleError(f"{self.path}: {name} says it holds {shape[0]} values but is {size} bytes long")
        array = np.empty(shape[0], dtype)
        view = memoryview(array.view(np.uint8))
        pos = 0
        while pos < len(view):
            chunk = fp.read(min(_CHUNK, len(view) - pos))
            if not chunk:
                raise self.damaged(name, "ends early")
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
        return array


def _assemble(path: Path, manifest: dict, documents: dict, arrays: dict) -> Recording:
    """The recording from checked members, after the checks a checksum cannot make."""
    reference = documents["reference.json"]
    if not isinstance(reference, dict):
        raise BundleError(f"{path}: reference.json does not hold the reference tables")
    reference.setdefault("city", [])  # bundles made before the contract named its city
    for row in reference.get("indicators") if isinstance(reference.get("indicators"), list) else []:
        if isinstance(row, dict):  # ... and before indicators had a Chinese name
            row.setdefault("name_zh", None)
    for table in REFERENCE_TABLES:
        check_rows(path, f"reference.json ({table})", reference.get(table), table)
    for name, table in TABLES.items():
        check_rows(path, name, documents[name], table)
    columns = [arrays[f"readings/{name}.npy"] for name in READING_DTYPES]
    if len({len(c) for c in columns}) != 1:
        raise BundleError(f"{path}: the reading columns differ in length "
                          f"({', '.join(f'{n} {len(c)}' for n, c in zip(READING_DTYPES, columns))})")
    ids, ts = columns[0], columns[1]
    if not np.isfinite(ts).all():
        raise BundleError(f"{path}: readings/ts.npy holds times that are not numbers")
    meta = manifest["meta"]
    if len(ts) and (ts.min() < meta.preroll_start or ts.max() > meta.end):
        raise BundleError(f"{path}: readings/ts.npy holds readings outside the recording and its pre-roll")
    for name, (a, b) in {"readings": (ids, ts), "rollups/1m.npy": keys(arrays["rollups/1m.npy"]),
                         "rollups/1h.npy": keys(arrays["rollups/1h.npy"])}.items():
        if not is_sorted(a, b):
            raise BundleError(f"{path}: {name} is not sorted by indicator and time")
    check_runs(path, ids, meta)
    readings = Readings(*columns)
    recording = Recording(manifest["meta"], reference, readings,
                          {"1m": arrays["rollups/1m.npy"], "1h": arrays["rollups/1h.npy"]},
                          documents["incidents.json"], documents["incident_events.json"],
                          documents["unit_positions.json"], documents["actions.json"])
    for what, (stated, found) in compare(manifest["counts"], recording_counts(recording)).items():
        raise BundleError(f"{path}: {MANIFEST} does not match its members ({what}: {stated} stated, "
                          f"{found} found)")
    return recording
