"""Recording bundles: one ZIP file that carries a recording to any machine, checked when opened.

``manifest.json`` names the format and its version, what the recording covers, how many rows of
each kind it holds, and the SHA-256 and size of every other member, and carries a SHA-256 of all
of that, so no part of it can be edited unnoticed. Tables travel as JSON, readings and roll-ups
as ``.npy`` arrays (no pickles). This module writes bundles; console/replay/bundle_read.py reads
them back, checking every part.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from console.files import ended_by_sigterm, remove_stale_temporaries
from console.model.schema import REFERENCE_TABLES
from console.replay.bundle_checks import MANIFEST, BundleError
from console.replay.recording import FORMAT, FORMAT_VERSION, ROLLUP_DTYPE, Recording

Progress = Callable[[float], None]
#: JSON members -> the table whose columns their rows carry (reference.json: one list per table).
TABLES = {"incidents.json": "incidents", "incident_events.json": "incident_events",
          "unit_positions.json": "unit_positions", "actions.json": "audit_log"}
READING_DTYPES = {"indicator_id": np.dtype(np.int32), "ts": np.dtype(np.float64),
                  "value": np.dtype(np.float64), "quality": np.dtype(np.int8)}
ARRAYS = {**{f"readings/{name}.npy": dtype for name, dtype in READING_DTYPES.items()},
          "rollups/1m.npy": ROLLUP_DTYPE, "rollups/1h.npy": ROLLUP_DTYPE}
MEMBERS = ("reference.json", *TABLES, *ARRAYS)
#: Every member is deflated. Arrays at level 1: a 3-hour demo bundle shrinks 2.5 times at no
#: measurable cost, and 7 million noisy readings still write in about 2 s (level 6: 5 s for 1 %
#: less). Reading is as fast either way.
ARRAY_LEVEL = 1
JSON_LEVEL = 6


# -- writing ---------------------------------------------------------------------------------

def write_bundle(recording: Recording, path: str | Path, progress: Progress | None = None) -> Path:
    """Write ``recording`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    path = Path(path)
    if recording.drill_title is not None or recording.drill_windows:
        raise BundleError(f"cannot save {path}: this recording has a drill applied, and drill events "
                          "never leave the replay (save the recording before applying the drill)")
    if not path.parent.is_dir():
        raise BundleError(f"cannot write recording bundle {path}: folder {path.parent} does not exist")
    report = progress or (lambda _f: None)
    documents = {"reference.json": recording.reference, "incidents.json": recording.incidents,
                 "incident_events.json": recording.incident_events,
                 "unit_positions.json": recording.unit_positions, "actions.json": recording.actions}
    texts = {name: json.dumps(doc, separators=(",", ":")).encode() for name, doc in documents.items()}
    arrays = {**{f"readings/{name}.npy": getattr(recording.readings, name) for name in READING_DTYPES},
              **{f"rollups/{name}.npy": _rollup(recording, name) for name in ("1m", "1h")}}
    total = sum(map(len, texts.values())) + sum(a.nbytes for a in arrays.values()) or 1
    written = 0

    def step(n: int) -> None:
        nonlocal written
        written += n
        report(min(written / total, 0.999))

    remove_stale_temporaries(path)  # what a writer killed by SIGKILL left
    with ended_by_sigterm():  # a SIGTERM still removes the temporary file
        try:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise BundleError(f"cannot write recording bundle {path}: {exc.strerror}") from None
        _write_file(recording, path, Path(name), fd, texts, arrays, step)
    report(1.0)
    return path


def _write_file(recording: Recording, path: Path, tmp: Path, fd: int, texts: dict[str, bytes],
                arrays: dict[str, np.ndarray], step: Callable[[int], None]) -> None:
    """The bundle into the temporary file ``tmp`` (open as ``fd``), renamed to ``path`` when whole."""
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=ARRAY_LEVEL) as zf:
                _write_members(zf, recording, texts, arrays, step)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o644)  # a bundle is made to be handed on (mkstemp makes it private)
        os.replace(tmp, path)
    except OSError as exc:
        raise BundleError(f"cannot write recording bundle {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _write_members(zf: zipfile.ZipFile, recording: Recording, texts: dict[str, bytes],
                   arrays: dict[str, np.ndarray], step: Callable[[int], None]) -> None:
    """Every member, then the manifest with their checksums (so it is written last)."""
    members = {}
    for member, data in texts.items():
        zf.writestr(member, data, compresslevel=JSON_LEVEL)
        members[member] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        step(len(data))
    for member, array in arrays.items():
        with zf.open(member, "w", force_zip64=True) as out:
            sink = HashingStream(out, step)
            np.save(sink, array, allow_pickle=False)
        members[member] = {"sha256": sink.hash.hexdigest(), "size": sink.size}
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "meta": recording.meta.to_json(),
                "counts": recording_counts(recording), "members": members}
    manifest["sha256"] = manifest_digest(manifest)
    zf.writestr(MANIFEST, json.dumps(manifest, indent=1).encode(), compresslevel=JSON_LEVEL)


def manifest_digest(manifest: dict) -> str:
    """The SHA-256 of everything in the manifest but this digest itself, in a canonical form."""
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _rollup(recording: Recording, name: str) -> np.ndarray:
    found = recording.rollups.get(name)
    return np.empty(0, ROLLUP_DTYPE) if found is None else np.ascontiguousarray(found, dtype=ROLLUP_DTYPE)


def recording_counts(recording: Recording) -> dict[str, int]:
    """Rows of each kind, as the manifest says them (and a bundle read back must hold)."""
    return {**{name: len(recording.reference.get(name, [])) for name in REFERENCE_TABLES},
            "readings": len(recording.readings), "rollups_1m": len(_rollup(recording, "1m")),
            "rollups_1h": len(_rollup(recording, "1h")), "incidents": len(recording.incidents),
            "incident_events": len(recording.incident_events),
            "unit_positions": len(recording.unit_positions), "actions": len(recording.actions)}


class HashingStream:
    """A file object that passes bytes through while taking their SHA-256 and counting them."""

    def __init__(self, inner, step: Callable[[int], None] | None = None):
        self.inner, self.step = inner, step
        self.hash, self.size = hashlib.sha256(), 0

    def write(self, data) -> int:
        self.hash.update(data)
        n = memoryview(data).nbytes
        self.size += n
        if self.step:
            self.step(n)
        return self.inner.write(data)

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.hash.update(data)
        self.size += len(data)
        if self.step:
            self.step(len(data))
        return data
