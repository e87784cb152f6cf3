"""Drawing the basemap off the UI thread, newest request first, and blitting what was drawn.

A cold basemap draw takes a tenth of a second on an idle machine and seconds on a loaded one
(the watchdog caught the UI thread frozen 2–5 s in it on a fresh demo). While the event loop
runs, the canvas asks a worker for it: the worker paints into QImages (a QPixmap belongs to the
UI thread; a QImage may be painted anywhere), and the canvas keeps showing what it has (the
last basemap, scaled, or the districts alone) until the new one lands. Like the charts' history
(widgets/trend_history.py), a request supersedes the ones before it: one not yet started is
skipped, and an answer to an old one is dropped. Called outside an event loop (a screenshot, a
test painting directly), the canvas draws in place: nothing else would run meanwhile anyway.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPointF, QRectF, QThread, Signal
from PySide6.QtGui import QImage, QPainter

from console.map.features import CityGeometry, city_geometry
from console.map.projection import Projection
from widgets.map.basemap import Basemap, View
from widgets import workers

log = logging.getLogger(__name__)


def pool() -> workers.Pool:
    """The maps' own worker thread (one: basemaps are drawn one after the other)."""
    return workers.pool("maps", 1)


def wait_for_renders(ms: int = 10_000) -> bool:
    """Block until no basemap is being drawn (tests and shutdown)."""
    return workers.wait_for("maps", ms)


def in_event_loop() -> bool:
    """Whether the UI thread is running its event loop (the app, not a direct paint)."""
    return QThread.currentThread().loopLevel() > 0


@dataclass
class Cached:
    """A drawn basemap: the opaque image, its labels (when apart) and what it shows."""

    image: QImage
    labels: QImage | None
    view: View
    flags: tuple

    def blit(self, p: QPainter, view: View, labels: bool) -> None:
        """Draw the basemap (or its labels) where ``view`` has it: 1:1, or scaled while zooming."""
        image = self.labels if labels else self.image
        if image is None:
            return
        f = view.scale / self.view.scale
        left = view.width / 2 + (self.view.cx - view.cx) * view.scale - self.view.width * f / 2
        top = view.height / 2 - (self.view.cy - view.cy) * view.scale - self.view.height * f / 2
        if f != 1.0:
            p.drawImage(QRectF(left, top, self.view.width * f, self.view.height * f), image,
                        QRectF(0, 0, image.width(), image.height()))
        else:
            p.drawImage(QPointF(round(left), round(top)), image)

    def serves(self, view: View, flags: tuple) -> bool:
        """Whether it shows ``view`` whole, at its scale, as ``flags`` ask."""
        a, b = self.view.world_rect(), view.world_rect()
        return self.flags == flags and self.view.scale == view.scale and \
            a[0] <= b[0] and a[1] <= b[1] and b[2] <= a[2] and b[3] <= a[3]


def build_basemap(reference: dict, projection: Projection | None) -> tuple[CityGeometry | None, Basemap | None]:
    """The reference data projected and made drawable (any thread: no pixmap, no widget)."""
    geo = city_geometry(reference, projection)
    return geo, Basemap(geo) if geo is not None else None


class _Relay(QObject):
    """Carries a worker's results to the UI thread (a queued signal: the renderer lives there)."""

    done = Signal(object)
    built = Signal(object)


class _Build:
    def __init__(self, reference: dict, projection: Projection | None, version: int, relay: _Relay):
        self.reference, self.projection, self.version, self.relay = reference, projection, version, relay

    def run(self) -> None:
        try:
            result = (self.version, *build_basemap(self.reference, self.projection))
        except Exception as exc:  # the map keeps what it has, and says why in the log
            log.warning("basemap build failed: %s", exc)
            return
        try:
            self.relay.built.emit(result)
        except RuntimeError:  # the map was closed meanwhile
            pass


class _Job:
    def __init__(self, seq: int, latest: list[int], lock: threading.Lock, basemap: Basemap, view: View,
                 flags: tuple, relay: _Relay):
        self.seq, self.latest, self.lock = seq, latest, lock
        self.basemap, self.view, self.flags, self.relay = basemap, view, flags, relay

    def run(self) -> None:
        with self.lock:
            if self.seq != self.latest[0]:  # superseded before it started
                return
        _, buildings, labels, separate, dpr = self.flags[:5]
        try:
            image, text = self.basemap.render(self.view, buildings, labels, dpr, separate)
        except Exception as exc:  # a worker must not die silently: the map keeps its last basemap
            log.warning("basemap draw failed: %s", exc)
            return
        try:
            self.relay.done.emit((self.seq, Cached(image, text, self.view, self.flags)))
        except RuntimeError:  # the map was closed meanwhile
            pass


class Renderer(QObject):
    """Draws one canvas's basemaps on the worker; ``landed`` carries the newest request's result."""

    landed = Signal(object)  # Cached
    built = Signal(object)  # (reference version, CityGeometry | None, Basemap | None)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest = [0]
        self.pending: tuple[View, tuple] | None = None  # what the worker is drawing, if anything
        self._relay = _Relay()  # unparented: the worker may still hold it after the map is gone
        self._relay.done.connect(self._on_done)
        self._relay.built.connect(self.built)

    def build(self, reference: dict, projection: Projection | None, version: int) -> None:
        """Project the reference data and make its basemap on the worker; ``built`` carries it."""
        pool().start(_Build(reference, projection, version, self._relay).run)

    def request(self, basemap: Basemap, view: View, flags: tuple) -> None:
        """Draw ``view``; every earlier request is superseded."""
        with self._lock:
            self._latest[0] += 1
            seq = self._latest[0]
        self.pending = (view, flags)
        pool().start(_Job(seq, self._latest, self._lock, basemap, view, flags, self._relay).run)

    def cancel(self) -> None:
        """Whatever is asked or under way is no longer wanted (the canvas drew in place)."""
        with self._lock:
            self._latest[0] += 1
        self.pending = None

    def pending_serves(self, view: View, flags: tuple) -> bool:
        """Whether the drawing under way will show ``view`` (no need to ask again)."""
        if self.pending is None:
            return False
        want, got = self.pending
        return Cached(QImage(), None, want, got).serves(view, flags)

    def _on_done(self, result: tuple[int, Cached]) -> None:
        seq, cached = result
        if seq != self._latest[0]:
            return  # an answer to a request already superseded
        self.pending = None
        self.landed.emit(cached)
