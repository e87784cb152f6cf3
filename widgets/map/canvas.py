"""The map canvas: one painted widget holding the view (centre, zoom), the basemap cache and input.

Panning blits the cached basemap (drawn a margin larger than the view) and the live layers;
the cache is drawn again only when the zoom changes or the view leaves it. While the wheel
turns, frames show the old cache scaled (cheap) and the crisp redraw follows once the zoom has
settled. Mouse: wheel zooms around the cursor, drag pans, click selects an incident (or zooms
into a cluster). Keyboard (walls have no mouse): 1–6 toggle layers, +/− zoom, arrows pan,
Home returns to the layout's view.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QWidget

from console.map.heat import HeatGrid
from console.map.labels import Placed
from console.map.live import IncidentArrays, SensorMark, UnitMark
from widgets import theme
from widgets.i18n import tr
from widgets.map import frame as framing, layers as paint, overlay, pins, style
from widgets.map.warnings import WarningArea, paint_warnings
from widgets.map.basemap import Basemap, View
from widgets.map.render import Cached, Renderer, in_event_loop

LAYERS = ("incidents", "heat", "units", "sensors", "buildings", "labels")
LAYER_TEXT = {"incidents": QT_TRANSLATE_NOOP("map", "Incidents"), "heat": QT_TRANSLATE_NOOP("map", "Heat"),
              "units": QT_TRANSLATE_NOOP("map", "Units"), "sensors": QT_TRANSLATE_NOOP("map", "Sensors"),
              "buildings": QT_TRANSLATE_NOOP("map", "Buildings"), "labels": QT_TRANSLATE_NOOP("map", "Labels")}
MARGIN = 0.4  # the basemap cache reaches this share of the view beyond each edge
SETTLE_MS = 160  # the crisp basemap is drawn this long after the last zoom step
WHEEL_STEP = 1.25
MIN_FIT = 0.35  # the furthest zoom: this share of the city-fitting scale
REFIT = 1.15  # the home view zooms in again once what it must show fits this much larger
MAX_SCALE = 8.0  # the closest zoom, pixels per metre


class MapCanvas(QWidget):
    incident_clicked = Signal(str)
    layers_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.basemap: Basemap | None = None
        self.cx = self.cy = 0.0
        self.scale = 1.0
        # the layout's view: a centre (None: the fitted one) and a scale (None: fit what matters)
        self.home: tuple[float | None, float | None, float | None] = (None, None, None)
        self.moved = False  # the operator has panned or zoomed since home
        self.layers: set[str] = {"incidents", "units", "buildings", "labels"}
        self.heat_label = tr("map", "Heat")
        # live content, set by the view
        self.incidents: IncidentArrays | None = None
        self.active = np.zeros(0, dtype=np.int64)
        self.active_key: tuple = ()
        self.selected: int | None = None
        self.new: set[int] = set()
        self.phase: float | None = None
        self.units: tuple[UnitMark, ...] = ()
        self.sensors: tuple[SensorMark, ...] = ()
        self.heat: tuple[HeatGrid, object] | None = None  # grid and its image
        self.summary = ""
        self.warnings: list[WarningArea] = []  # public warnings in force: outlined under the live layers
        # caches and bookkeeping
        self.paints = 0
        self.cache_draws = 0
        self._hits_shown = False  # the last paint drew incidents: their hits are the map's
        self.district_labels: list[Placed] = []  # where the district names went on the last paint
        self.no_data_note: Placed | None = None  # and "No map data", on the ground beyond the city's data
        self.warning_labels: list[tuple[float, float, float, float]] = []  # and the warnings' names
        self._chips: list[tuple[QRectF, str]] = []
        self._overlay_boxes: list[tuple[float, float, float, float]] = []  # live labels keep clear
        self._overlay: tuple[tuple, QPixmap, list[QRectF]] | None = None  # what the overlays said, drawn
        self._frame: tuple[tuple, framing.Frame] | None = None
        self._homed: framing.Extent | None = None  # what the last fit to the panel took in
        self._cache: Cached | None = None
        self.renderer = Renderer(self)  # draws the basemap on a worker while the event loop runs
        self.renderer.landed.connect(self._landed)
        self._clusters: paint.ClusterCache | None = None
        self._markers = pins.Incidents()
        self._text = style.TextPaths()
        self._zoomed_at = 0.0
        self._press: QPointF | None = None
        self._dragging = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self._settled)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(240, 140)  # a wall screen read from afar is short: the map still fits it

    # -- the view ----------------------------------------------------------------------------
    def view(self) -> View:
        return View(self.cx, self.cy, self.scale, self.width(), self.height())

    def extent(self) -> framing.Extent:
        """What the city view must show whole: the districts, the open incidents and the units."""
        xs, ys = [np.zeros(0)], [np.zeros(0)]
        if self.incidents is not None and "incidents" in self.layers:
            xs.append(self.incidents.x[self.active])
            ys.append(self.incidents.y[self.active])
        xs.append(np.array([u.x for u in self.units], dtype=np.float64))
        ys.append(np.array([u.y for u in self.units], dtype=np.float64))
        return framing.extent_of(self.basemap.geo.bounds, np.concatenate(xs), np.concatenate(ys))

    def furniture(self) -> framing.Furniture:
        heat = self.heat_label if "heat" in self.layers and self.heat is not None else None
        return overlay.furniture([overlay.chip_label(i, text) for i, (_, text, _) in enumerate(self._chip_texts())],
                                 self.summary, heat)

    def _chip_texts(self) -> list[tuple[str, str, bool]]:
        return [(name, self.heat_label if name == "heat" else tr("map", LAYER_TEXT[name]), name in self.layers)
                for name in LAYERS]

    def frame(self) -> framing.Frame:
        """Where the furniture goes in this panel and the area the map is fitted into (kept while
        neither the panel, the furniture nor the city changed)."""
        # arranged for the city (not for every move of a unit): the fit then takes the units in
        extent = framing.Extent(self.basemap.geo.bounds if self.basemap is not None else (0.0, 0.0, 1.0, 1.0))
        f = self.furniture()
        key = (f, self.width(), self.height(), extent, theme.look.name)
        if self._frame is None or self._frame[0] != key:
            self._frame = (key, framing.frame(f, self.width(), self.height(), extent))
        return self._frame[1]

    def fit(self) -> float:
        return framing.fit_scale(self.extent(), self.frame().area) if self.basemap else 1.0

    def fitted_centre(self, scale: float) -> tuple[float, float]:
        """The centre that puts the middle of the extent in the middle of the frame's area."""
        x, y = self.extent().centre()
        area = self.frame().area
        dx, dy = area.center().x() - self.width() / 2, area.center().y() - self.height() / 2
        return x - dx / scale, y + dy / scale

    def set_basemap(self, basemap: Basemap | None) -> None:
        """A new basemap (reference data changed); the operator's pan and zoom are kept."""
        self.basemap, self._cache, self._clusters = basemap, None, None
        if self.moved:
            self.update()
        else:
            self.go_home()

    def go_home(self) -> None:
        cx, cy, scale = self.home
        self.scale = self._clamp(scale if scale is not None else self.fit())
        if cx is None or cy is None:
            cx, cy = self.fitted_centre(self.scale) if self.basemap else (0.0, 0.0)
        self.cx, self.cy = cx, cy
        self.moved = False
        self._homed = self.extent() if self.basemap else None
        self.update()

    def content_changed(self) -> None:
        """Incidents or units moved: the home view fits again when something it must show would
        be cut off, or would show much larger (not on every small move: the map must not twitch)."""
        if self.moved or self.basemap is None or self.home[2] is not None:
            return
        extent, t = self.extent(), self.view().transform()
        if extent == self._homed:
            return
        if self._homed is None or self._homed.points is None:  # the first markers: fit them in
            self.go_home()
            return
        area = self.frame().area
        inner = area.adjusted(framing.PAD / 2, framing.PAD / 2, -framing.PAD / 2, -framing.PAD / 2)
        cut = [not room.contains(QRectF(QPointF(*t.map(b[0], b[3])), QPointF(*t.map(b[2], b[1]))))
               for room, b in ((area.adjusted(-1, -1, 1, 1), extent.city), (inner, extent.points)) if b is not None]
        if any(cut) or self.fit() > self.scale * REFIT:
            self.go_home()

    def _clamp(self, scale: float) -> float:
        return float(min(MAX_SCALE, max(self.fit() * MIN_FIT, scale)))

    def set_view(self, cx: float, cy: float, scale: float) -> None:
        self.cx, self.cy, self.scale = cx, cy, self._clamp(scale)
        self.moved = True
        self.update()

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom keeping the world point under ``at`` (default: the centre) where it is."""
        at = at if at is not None else QPointF(self.width() / 2, self.height() / 2)
        dx, dy = at.x() - self.width() / 2, at.y() - self.height() / 2
        wx, wy = self.cx + dx / self.scale, self.cy - dy / self.scale
        new = self._clamp(self.scale * factor)
        if new == self.scale:
            return
        self.scale, self.cx, self.cy = new, wx - dx / new, wy + dy / new
        self.moved = True
        self._zoomed_at = time.monotonic()
        self._settle.start(SETTLE_MS)
        self.update()

    def pan_by(self, dx_px: float, dy_px: float) -> None:
        """Move the map by pixels (positive dx: the map moves right, i.e. we look further west)."""
        self.cx -= dx_px / self.scale
        self.cy += dy_px / self.scale
        self.moved = True
        self.update()

    def toggle(self, layer: str) -> None:
        self.layers ^= {layer}
        self.layers_changed.emit()
        self.update()

    def _settled(self) -> None:
        self._zoomed_at = 0.0
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if not self.moved and self.basemap is not None:
            self.go_home()  # keep the layout's view (e.g. the whole city) as the panel resizes
        super().resizeEvent(event)

    # -- painting ----------------------------------------------------------------------------
    def _basemap(self, p: QPainter, view: View) -> None:
        """Blit the drawn basemap, asking for it again when it no longer serves this view: from the
        worker while the event loop runs (meanwhile the last one shows, or the districts alone)."""
        dpr = self.devicePixelRatioF()
        flags = (id(self.basemap), "buildings" in self.layers, "labels" in self.layers, "heat" in self.layers, dpr,
                 self.width(), self.height())
        c = self._cache
        settling = self.settling() and c is not None and c.flags == flags
        if c is None or c.flags != flags or (c.view.scale != view.scale and not settling) or \
                (c.view.scale == view.scale and not c.serves(view, flags)):
            mx, my = round(view.width * MARGIN), round(view.height * MARGIN)
            cv = View(view.cx, view.cy, view.scale, view.width + 2 * mx, view.height + 2 * my)
            if not in_event_loop():  # a direct paint (a screenshot): nothing else runs meanwhile
                self.renderer.cancel()
                c = self._cache = Cached(*self.basemap.render(cv, flags[1], flags[2], dpr, flags[3]), cv, flags)
                self.cache_draws += 1
            elif not self.renderer.pending_serves(view, flags):
                self.renderer.request(self.basemap, cv, flags)
        if c is None:
            p.fillRect(self.rect(), style.LAND)
            self.basemap.paint_districts(p, view)
            return
        if not c.serves(view, c.flags):  # scaled while zooming, or not yet drawn this far
            p.fillRect(self.rect(), style.LAND)
        c.blit(p, view, labels=False)

    def _landed(self, cached: Cached) -> None:
        if self.basemap is not None and cached.flags[0] == id(self.basemap):
            self._cache = cached
            self.cache_draws += 1
            self.update()

    def settling(self) -> bool:
        """Whether the wheel is still turning: frames then reuse what the last zoom level drew."""
        return bool(self._zoomed_at) and time.monotonic() - self._zoomed_at < SETTLE_MS / 1000 + 0.5

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        self.paints += 1
        p = QPainter(self)
        if self.basemap is None:
            p.fillRect(self.rect(), style.LAND)
            paint.no_data(p, QRectF(self.rect()), tr("map", "Waiting for map data…"))
            return
        view = self.view()
        self._basemap(p, view)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if "heat" in self.layers and self.heat is not None:
            paint.paint_heat(p, view, *self.heat)
        furniture = self.furniture_boxes()
        warned = self.warning_labels = paint_warnings(p, view, self.warnings, self._text, furniture)
        if self._cache is not None:
            self._cache.blit(p, view, labels=True)
        if self.incidents is not None:  # the selection shows even with the incident layer off
            self._cluster(view, only_selected="incidents" not in self.layers)
        markers = paint.marker_boxes(view, self._clusters, self.incidents, self.selected)
        marks = (paint.mark_boxes(view, self.units) if "units" in self.layers else []) + \
            (paint.mark_boxes(view, self.sensors, paint.SENSOR_BOX) if "sensors" in self.layers else [])
        taken = markers + marks + furniture + warned
        if "labels" in self.layers:  # district names keep clear of what is on them
            self.district_labels = self.basemap.paint_district_labels(p, view, taken)
            taken += [(*pl.corners.min(axis=0), *pl.corners.max(axis=0)) for pl in self.district_labels]
        self.no_data_note = paint.paint_no_data(p, view, self.basemap.geo.bounds, tr("map", "No map data"), taken)
        if "sensors" in self.layers:
            paint.paint_sensors(p, view, self.sensors, self._text, markers + furniture)
        self._hits_shown = self.incidents is not None
        if self.incidents is not None:
            self._markers.paint(p, view, self.incidents, self._clusters, self.selected, self.new, self.phase,
                                self.devicePixelRatioF())
        if "units" in self.layers and self.units:
            paint.paint_units(p, view, self.units, self._text, self.hits, furniture)
        self._overlays(p, view)

    @property
    def hits(self) -> list[paint.Hit]:
        """The incident markers and bubbles of the last paint, where a click finds them, topmost last."""
        return self._markers.hits() if self._hits_shown else []

    def _cluster(self, view: View, only_selected: bool) -> None:
        """The incidents to draw (all active but the selected one, which is drawn on top), clustered."""
        points = self.active if self.selected is None else self.active[self.active != self.selected]
        if only_selected:
            points = points[:0]
        closest = view.scale >= MAX_SCALE * 0.999
        key = (self.active_key, self.selected, view.scale, only_selected)
        old = self._clusters
        if old is not None and self.settling() and old.key[:2] == key[:2] and old.key[3:] == key[3:]:
            return  # mid-zoom: the last level's clusters move with the map; re-clustered once it settles
        self._clusters = paint.clustered(old, key, view, self.incidents, points, closest)

    def _overlays(self, p: QPainter, view: View) -> None:
        """The layer bar, scale bar, north arrow and keys where the frame puts them: drawn once into a
        pixmap while what they say stays the same (a pan changes none of it), then each frame blits
        just their boxes."""
        chips = self._chip_texts()
        heat = "heat" in self.layers and self.heat is not None
        dpr = self.devicePixelRatioF()
        fr = self.frame()
        key = (tuple(chips), view.scale, view.width, view.height, heat, self.summary, dpr, theme.look.name, fr)
        if self._overlay is None or self._overlay[0] != key:
            pixmap, self._chips, boxes = overlay.drawn(fr, chips, view.scale, self.summary,
                                                       self.heat_label if heat else None, view.width, view.height, dpr)
            self._overlay = (key, pixmap, boxes)
            self._overlay_boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in boxes]
        overlay.blit(p, self._overlay[1], self._overlay[2], dpr)

    def furniture_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where the chips, arrow, scale bar and keys are: known before the overlays are drawn."""
        return overlay.boxes(self.frame()) + self._overlay_boxes

    # -- input -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._dragging = event.position(), False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            return
        delta = event.position() - self._press
        if self._dragging or abs(delta.x()) + abs(delta.y()) > 4:
            self._dragging = True
            self.pan_by(delta.x(), delta.y())
            self._press = event.position()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is not None and not self._dragging:
            self.click(event.position())
        self._press, self._dragging = None, False

    def click(self, pos: QPointF) -> None:
        """A layer chip toggles its layer; an incident is selected; a cluster is zoomed into."""
        for rect, name in self._chips:
            if rect.contains(pos):
                self.toggle(name)
                return
        for hit in reversed(self.hits):  # topmost first
            if (hit.x - pos.x()) ** 2 + (hit.y - pos.y()) ** 2 <= (hit.r + 3) ** 2:
                if hit.incident is not None:
                    self.incident_clicked.emit(hit.incident)
                elif hit.cluster is not None:
                    self.cx, self.cy = hit.cluster
                    self.zoom_by(2.5)
                return

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(WHEEL_STEP ** steps, event.position())

    def event(self, event) -> bool:  # noqa: D102
        if event.type() == QKeyEvent.Type.ShortcutOverride and not event.modifiers() and event.key() in _KEYS:
            event.accept()  # the map's own keys win while it has the keyboard (a replay binds some of them)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, k = event.key(), Qt.Key
        if k.Key_1 <= key <= k.Key_6:
            self.toggle(LAYERS[key - k.Key_1])
        elif key in (k.Key_Plus, k.Key_Equal):
            self.zoom_by(WHEEL_STEP ** 2)
        elif key == k.Key_Minus:
            self.zoom_by(WHEEL_STEP ** -2)
        elif key in (k.Key_Home, k.Key_0):
            self.go_home()
        elif key in (k.Key_Left, k.Key_Right, k.Key_Up, k.Key_Down):
            step = min(self.width(), self.height()) / 4
            dx = {k.Key_Left: step, k.Key_Right: -step}.get(key, 0)
            dy = {k.Key_Up: step, k.Key_Down: -step}.get(key, 0)
            self.pan_by(dx, dy)
        else:
            super().keyPressEvent(event)


_KEYS = {Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus, Qt.Key.Key_Home, Qt.Key.Key_0, Qt.Key.Key_Left,
         Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down}

