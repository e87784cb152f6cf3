"""Carries sync batches from the sync thread to the UI thread as queued Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from console.sync.batch import Batch
from console.sync.status import SyncStatus


class SyncBridge(QObject):
    """Emitted from the sync thread; slots run on the UI thread (queued connection)."""

    batch = Signal(object)
    status = Signal(object)

    def post_batch(self, batch: Batch) -> None:
        self.batch.emit(batch)

    def post_status(self, status: SyncStatus) -> None:
        self.status.emit(status)
