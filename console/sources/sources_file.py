"""``sources.toml``: the several sources one console reads (``--sources FILE``).

    [sources.helsinki]                  # a name of letters, digits, '-' and '_': shown in the header
    platform = "postgresql+psycopg://console@hki-platform/cityops"

    [sources.espoo]
    platform = "nats://relay.example:4222?prefix=espoo"
    namespace = "espoo"                 # default: the name; "" keeps the source's ids as they are
    tables = ["districts", "map_features"]  # only these from it (default: everything it has)

The first source keeps its ids unless it names a namespace; every other one is namespaced by its
name unless it says otherwise (console/sources/namespace.py). Two sources may not share a
namespace, except ``namespace = ""`` said on a later source: sources whose ids differ by nature
(SensorThings for air, MQTT for drainage) keep their ids, and a row whose id another source
already gave is quarantined as a duplicate, never merged. Every mistake is one line naming the
file and the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from console.databases import platform_address
from console.errors import UserError
from console.files import read_toml
from console.model.schema import REFERENCE_TABLES, STREAMS
from console.sources.namespace import MAX_SOURCES

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_KEYS = {"platform", "namespace", "tables"}
#: What a source may be limited to (``tables = [...]``): e.g. a platform's map beside live sources.
TABLES = (*REFERENCE_TABLES, *STREAMS)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    platform: str  # a URL (or SQLite path) as --platform takes it
    namespace: str
    slot: int
    tables: tuple[str, ...] = ()  # only these tables from it (empty: everything it has)


def read_sources(path: Path) -> list[SourceSpec]:
    """The sources the file names, in its order; UserError (one line) for anything wrong.

    A plain file path (an SQLite platform) is taken from the sources file's folder."""
    doc = read_toml(path, UserError, f"--sources {path}: no such file")
    table = doc.get("sources")
    if not isinstance(table, dict) or not table:
        raise UserError(f"--sources {path}: no [sources.NAME] tables (each with platform = URL)")
    if len(table) > MAX_SOURCES:
        raise UserError(f"--sources {path}: {len(table)} sources; at most {MAX_SOURCES}")
    specs: list[SourceSpec] = []
    for slot, (name, entry) in enumerate(table.items()):
        where = f"--sources {path}: source {name!r}"
        if not _NAME.fullmatch(name):
            raise UserError(f"{where}: a name is 1 to 32 letters, digits, '-' or '_'")
        if not isinstance(entry, dict):
            raise UserError(f"{where}: expected a table with platform = URL")
        if unknown := sorted(set(entry) - _KEYS):
            raise UserError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_KEYS))})")
        url, namespace = entry.get("platform"), entry.get("namespace", "" if slot == 0 else name)
        if not isinstance(url, str) or not url.strip():
            raise UserError(f"{where}: platform = URL is missing")
        if not isinstance(namespace, str) or namespace and not _NAME.fullmatch(namespace):
            raise UserError(f"{where}: namespace must be \"\" or 1 to 32 letters, digits, '-' or '_'")
        clash = next((s for s in specs if s.namespace == namespace), None)
        if clash and not (namespace == "" and "namespace" in entry):
            shown = repr(namespace) if namespace else "the empty namespace"
            raise UserError(f"{where}: shares {shown} with source {clash.name!r}: their ids would collide "
                            '(namespace = "" said on each keeps sources whose ids differ by nature as they are)')
        tables = entry.get("tables", [])
        if not isinstance(tables, list) or any(t not in TABLES for t in tables):
            raise UserError(f"{where}: tables must be a list of {', '.join(TABLES)}")
        url = url.strip()
        if "://" not in url and not re.match(r"^\s*[a-z_]+\s*=", url):
            url = str((path.parent / url).resolve())
        try:
            url = platform_address(url)
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        specs.append(SourceSpec(name, url, namespace, slot, tuple(tables)))
    return specs
