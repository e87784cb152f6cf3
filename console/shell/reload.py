"""Hot reload: notice when an edit of the layout file has settled, so the wall can rebuild itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer

#: An editor saves in bursts (truncate, write, rename): the layout is read again once it is quiet this long.
RELOAD_QUIET_MS = 300


class LayoutWatcher(QObject):
    """Calls ``on_change`` once an edit of the layout file has settled and changed its text.

    Editors that save by writing a new file and renaming it over the old one make the watcher
    lose the path; the folder is watched too, and the path added back once the file is there.
    """

    def __init__(self, path: Path, on_change: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.path = path.resolve()
        self.on_change = on_change
        self.text = self._read()
        self.watcher = QFileSystemWatcher([str(self.path), str(self.path.parent)], self)
        self.quiet = QTimer(self)
        self.quiet.setSingleShot(True)
        self.quiet.setInterval(RELOAD_QUIET_MS)
        self.quiet.timeout.connect(self._settled)
        self.watcher.fileChanged.connect(self.quiet.start)
        self.watcher.directoryChanged.connect(self.quiet.start)

    def _read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except OSError:
            return None

    def _settled(self) -> None:
        if self.path.exists() and str(self.path) not in self.watcher.files():
            self.watcher.addPath(str(self.path))
        text = self._read()
        if text is not None and text != self.text:  # the folder's other files, or a save of the same text
            self.text = text
            self.on_change()
