"""A workstation's named panel arrangements (Qt's dock state and window geometry), kept per layout in
one JSON file beside the cache, so a supervisor's desk opens as they left it."""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QByteArray

from console.files import replace_file
from widgets.i18n import tr


class Arrangements:
    """Named dock arrangements of each layout in one JSON file:
    ``{layout: {name: {"state", "geometry": base64, "saved_at", "used_at": ts}}}``.

    Written whole to a temporary file and renamed, so a crash never leaves half a file; a file
    that cannot be used is moved aside rather than stopping the workstation from opening.
    """

    def __init__(self, path: Path, layout: str):
        self.path = path
        self.layout = layout
        self.data: dict[str, dict[str, dict]] = {}

    def load(self) -> str:
        """Read the file; returns a one-line problem ("" when it is fine or absent)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            _check(data)
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            aside = self.path.with_name(f"{self.path.name}.unusable-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                os.replace(self.path, aside)
            except OSError as move:
                return tr("workstation", "arrangements file {path} is unusable ({why}) and could not be moved "
                                         "aside ({move}); starting with none").format(path=self.path, why=exc,
                                                                                     move=move)
            return tr("workstation", "arrangements file {path} is unusable ({why}); moved aside to {aside}, "
                                     "starting with none").format(path=self.path, why=exc, aside=aside.name)
        self.data = data
        return ""

    def names(self) -> list[str]:
        return sorted(self.data.get(self.layout, {}))

    def get(self, name: str) -> tuple[QByteArray, QByteArray] | None:
        entry = self.data.get(self.layout, {}).get(name)
        if entry is None:
            return None
        return (QByteArray(base64.b64decode(entry["state"])), QByteArray(base64.b64decode(entry["geometry"])))

    def last_used(self) -> str | None:
        entries = self.data.get(self.layout, {})
        return max(entries, key=lambda n: entries[n].get("used_at", entries[n]["saved_at"]), default=None)

    def put(self, name: str, state: QByteArray, geometry: QByteArray) -> None:
        now = time.time()
        self.data.setdefault(self.layout, {})[name] = {
            "state": base64.b64encode(state.data()).decode("ascii"),
            "geometry": base64.b64encode(geometry.data()).decode("ascii"), "saved_at": now, "used_at": now}
        self._write()

    def touch(self, name: str) -> None:
        """Mark ``name`` as the one to restore at the next start."""
        self.data[self.layout][name]["used_at"] = time.time()
        self._write()

    def delete(self, name: str) -> None:
        del self.data[self.layout][name]
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(self.path, json.dumps(self.data, indent=1, sort_keys=True))


def _check(data: object) -> None:
    """Raise ValueError unless ``data`` has the arrangements file's shape."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    for layout, entries in data.items():
        if not isinstance(entries, dict):
            raise ValueError(f"{layout}: expected an object of arrangements")
        for name, entry in entries.items():
            if not (isinstance(entry, dict) and isinstance(entry.get("saved_at"), (int, float))
                    and all(isinstance(entry.get(k), str) for k in ("state", "geometry"))):
                raise ValueError(f"{layout}.{name}: expected state, geometry and saved_at")
            try:
                base64.b64decode(entry["state"], validate=True)
                base64.b64decode(entry["geometry"], validate=True)
            except binascii.Error:
                raise ValueError(f"{layout}.{name}: state or geometry is not base64") from None
