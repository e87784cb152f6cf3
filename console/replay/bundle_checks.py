"""The checks a recording bundle passes on its way in that a checksum cannot make: member names,
what it would cost in memory (console/replay/budget.py), readings no denser than its indicators
can report, rows of the right kinds."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from console.errors import UserError
from console.model.schema import C
from console.replay import budget

MANIFEST = "manifest.json"


class BundleError(UserError):
    """A recording bundle that cannot be read or written: the message names the file and why."""


def check_names(zf: zipfile.ZipFile, path: Path, members: tuple[str, ...]) -> None:
    """Exactly the members a bundle has, each once: nothing else is read, nothing is ambiguous."""
    names = zf.namelist()
    for name in members:
        if name not in names:
            raise BundleError(f"{path} is incomplete: it has no {name}")
    unknown = sorted(set(names) - {MANIFEST, *members})
    if unknown:
        raise BundleError(f"{path} is not a recording bundle as this console writes them: it holds "
                          f"{ascii(unknown[0])[:120]}" + (f" and {len(unknown) - 1} more unknown members"
                                                          if len(unknown) > 1 else ", an unknown member"))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BundleError(f"{path} has been altered: it holds {twice[0]} {names.count(twice[0])} times")


def check_memory(path: Path, manifest: dict) -> None:
    """Refuse, from the declared sizes alone, a bundle that would not fit the memory limit."""
    try:
        limit = budget.memory_limit()
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    meta = manifest["meta"]
    sizes = {name: entry["size"] for name, entry in manifest["members"].items()}
    need = budget.memory_needed(sizes, meta.end - meta.preroll_start, manifest["counts"].get("indicators", 0))
    if need > limit:
        raise BundleError(f"{path} would take about {budget.gigabytes(need)} of memory to open, more than "
                          f"the {budget.gigabytes(limit)} allowed (set {budget.ENV} to allow more)")


def check_density(path: Path, manifest: dict, reference) -> None:
    """No more readings than the recording's indicators can have reported over its span, before
    the readings are inflated (an ``.npy`` column holds 8 bytes a time after a header of 64 or more)."""
    meta = manifest["meta"]
    indicators = reference.get("indicators") if isinstance(reference, dict) else None
    count = len(indicators) if isinstance(indicators, list) else 0
    stated = max(0, manifest["members"]["readings/ts.npy"]["size"] - 64) // 8
    allowed = budget.readings_allowed(meta.preroll_start, meta.end, count)
    if stated > allowed:
        raise BundleError(f"{path} holds {stated:,} readings, more than {count} indicators can report in "
                          f"{(meta.end - meta.preroll_start) / 3600:,.1f} hours "
                          f"(at most {budget.MAX_RATE_HZ:g} a second each: {allowed:,})")


def check_runs(path: Path, ids: np.ndarray, meta) -> None:
    """No indicator with more readings than ``MAX_RATE_HZ`` over the recording (ids are sorted)."""
    if not len(ids):
        return
    starts = np.flatnonzero(np.diff(ids)) + 1
    runs = np.diff(np.concatenate(([0], starts, [len(ids)])))
    most, allowed = int(runs.max()), budget.readings_allowed(meta.preroll_start, meta.end, 1)
    if most > allowed:
        raise BundleError(f"{path}: one indicator has {most:,} readings, more than it can report in "
                          f"{(meta.end - meta.preroll_start) / 3600:,.1f} hours (at most {allowed:,})")


def keys(rollups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rollups["indicator_id"], rollups["bucket"]


def is_sorted(ids: np.ndarray, ts: np.ndarray) -> bool:
    step = np.diff(ids.astype(np.int64))
    return not np.any((step < 0) | ((step == 0) & (np.diff(ts) < 0)))


def compare(stated: dict, found: dict) -> dict[str, tuple]:
    return {k: (stated.get(k), v) for k, v in found.items() if stated.get(k) != v}


#: column type -> the JSON values it may hold
_JSON_TYPES = {float: (int, float), int: (int,), str: (str,)}


def check_rows(path: Path, name: str, rows, table: str) -> None:
    """Rows must be objects carrying the table's columns with values of the right kinds, or the
    replay would fail on them later, far from the file that was wrong."""
    if not isinstance(rows, list):
        raise BundleError(f"{path}: {name} does not hold a list of rows")
    columns = [(c.name, _JSON_TYPES[c.type.python_type], c.nullable)
               for c in C[table].columns if not (table == "audit_log" and c.name == "id")]
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BundleError(f"{path}: {name} row {n + 1} is not an object")
        for column, kinds, nullable in columns:
            value = row.get(column)
            if not (isinstance(value, kinds) and not isinstance(value, bool) or value is None and nullable
                    and column in row):
                raise BundleError(f"{path}: {name} row {n + 1} has {column} = {value!r}, not a valid value")
