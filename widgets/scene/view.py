"""The 3D district scene ("scene3d" in layouts): the city's buildings coloured by live data, sensors
and incident beacons, camera presets per district and an unattended tour for the wall.

Layout parameters: ``district`` one district id (absent: the whole city); ``colour`` "risk"
(building-safety alerts, the default) or an indicator code pattern ("drainage.level.*"): each
building takes the value of the nearest sensor of that family; ``tour`` cycle the district
presets with a slow orbit; ``dwell`` time per stop ("20s"); ``layers`` some of streets, water,
sensors, incidents, labels; ``tileset`` a 3D Tiles tileset.json drawn under the buildings (a
Real-Scene 3D or photogrammetry backdrop: ``widgets.scene.tiles3d``).

The geometry is built on a worker thread (``loader``); ``refresh(now)`` only reads the store and
``now`` (so replay works unchanged) and hands the canvas what changed: it renders only then. Where
the camera goes (presets, flights, the tour) is ``widgets.scene.camera_moves``.
Keys: 0 / Home the whole city, 1..9 the districts, Esc closes the building card.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QStackedLayout, QWidget

from console.map.heat import parse_window
from console.scene import colour
from console.scene.camera import towards
from widgets.base import View, ViewContext, register
from widgets.i18n import tr
from widgets.scene import live
from widgets.scene.camera_moves import FLY_S, FOV_DEG, CameraMoves
from widgets.scene.loader import SceneLoader
from widgets.scene.labels import SceneLabels
from widgets.scene.legend import LegendStrip, dock_legend
from widgets.scene.overlay import InfoCard, LoadingPage, StatusLine
from widgets.scene.warnings import SceneWarnings, without_warnings

LAYERS = ("streets", "water", "sensors", "incidents", "labels")
INCIDENT_VIEW_M = 450.0  # camera distance when flying to an incident
LIVE_EVERY_S = 5.0  # statuses age (stale) with time: looked at again this often without new data
STREET_RGB, WATER_RGB, PARK_RGB = (52, 63, 78), (18, 50, 81), (23, 49, 36)
GLYPH_PX = 12.0  # a sensor's width on screen at the focal distance, whatever the zoom
#: marker layers: shape, size in sensor widths, height of its top in sizes (a beacon's pin is 4.7 sizes)
GLYPHS = {"sensors": ("sphere", 1.0, 0.5), "beacons": ("beacon", 1.4, 4.7), "selected": ("beacon", 2.2, 4.7)}
LABEL_GAP_PX = 6
LABEL_AREA_PX = 80_000  # one text label per this many pixels of scene, at most


@register("scene3d")
class SceneView(CameraMoves, View):
    PARAMS = {"title": str, "district": str, "colour": str, "tour": bool, "dwell": (str, int, float),
              "layers": list, "tileset": str}

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        self.mode = params.get("colour", "risk").strip()
        if not self.mode:
            raise ValueError("scene3d colour is empty (expected risk or an indicator pattern like drainage.level.*)")
        self.layers = set(params.get("layers", LAYERS))
        if unknown := sorted(self.layers - set(LAYERS)):
            raise ValueError(f"unknown scene3d layers {unknown} (expected some of {', '.join(LAYERS)})")
        try:
            self.dwell_s = parse_window(params.get("dwell", "20s"))
        except ValueError:
            raise ValueError(f"scene3d dwell {params.get('dwell')!r} is not like 20s or 1m") from None
        self.district, self.touring = params.get("district"), bool(params.get("tour", False))
        from widgets.scene import tiles3d
        from widgets.scene.canvas import SceneCanvas  # VTK loads only when a scene is actually shown

        self.tileset = tiles3d.open_tileset(params["tileset"]) if params.get("tileset") else None
        self.tiles: tiles3d.TilesetLayer | None = None  # the tileset under the buildings, once the scene is in

        self._build(SceneCanvas)
        self.loader = SceneLoader(self)
        self.loader.progressed.connect(self.loading.progress)
        self.loader.loaded.connect(self._loaded)
        self.loader.unchanged.connect(self._unchanged)
        self.loader.failed.connect(lambda why: self.loading.message(tr("scene", "3D scene failed: {why}")
                                                                    .format(why=why)))
        self.destroyed.connect(self.loader.jobs.cancel)  # a closed view stops its build
        self.scene = self.links = self.incidents = None
        self.presets: list[tuple[str, tuple]] = []  # (name, bounds in the frame)
        self.family: list = []  # the indicators of the colour pattern
        self.source = np.zeros(0, dtype=np.int64)  # the indicator colouring each building
        self.levels = np.zeros(0, dtype=np.int8)  # each building's risk level (risk mode)
        self.districts = np.zeros(0, dtype=object)  # each building's district id (for a rain scenario)
        self.colours: np.ndarray | None = None  # (B, 3) uint8 as last handed to the canvas
        self.markers: dict[str, live.Markers] = {}  # "sensors", "beacons" as last drawn
        self.glyph_m = 1.0  # a sensor's size in metres: kept near GLYPH_PX on screen as the camera moves
        self._ref = self._inc = self._sel = -1
        self._fp, self._live_key, self._now = "", (), None
        self.warnings = SceneWarnings()
        self._init_camera()

    def default_title(self) -> str:
        return tr("scene", "3D city")

    def keyboard_target(self) -> QWidget:
        return self.canvas.surface or self.canvas

    def _build(self, canvas_class) -> None:
        """Title and preset chooser; the loading page or the canvas with its card; legend; status."""
        self.body.removeWidget(self.title_label)
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        self.preset_box = QComboBox()
        self.preset_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the scene
        self.preset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.preset_box.activated.connect(lambda i: self.go_to_preset(i, by_user=True))
        header.addWidget(self.preset_box)
        self.body.addLayout(header)
        self.stack = QStackedLayout()
        self.loading = LoadingPage()
        self.stack.addWidget(self.loading)
        page = QWidget()
        self.beside = row = QHBoxLayout(page)  # the canvas, then (on a far-read wall) the legend, the card
        row.setContentsMargins(0, 0, 0, 0)
        self.canvas, self.card = canvas_class(page), InfoCard(page)
        row.addWidget(self.canvas, 1)
        row.addWidget(self.card, 0, Qt.AlignmentFlag.AlignTop)
        self.stack.addWidget(page)
        self.body.addLayout(self.stack, 1)
        self.legend, self.status = LegendStrip(), StatusLine()
        self.dock_timer = QTimer(self)
        self.dock_timer.setSingleShot(True)
        self.dock_timer.timeout.connect(self._place_legend)
        self.body.addWidget(self.legend)
        self.body.addWidget(self.status)
        self.labels = SceneLabels(self.canvas.renderer, self.canvas.request_render, self.devicePixelRatioF)
        self.canvas.picked.connect(self._picked)
        self.canvas.pose_changed.connect(self._pose_changed)
        if self.canvas.surface is not None:
            self.canvas.surface.installEventFilter(self)

    # -- loading -------------------------------------------------------------------------------
    def _reference_changed(self) -> None:
        self._ref = self.store.reference_version
        ref = self.store.reference
        if self.district is not None and self.district not in {d["id"] for d in ref.get("districts", ())}:
            self.loading.message(tr("scene", "No district {district} in the reference data")
                                 .format(district=self.district))
            return
        if not ref.get("buildings"):  # reference data not synced yet, or a city without buildings
            self.loading.message(tr("scene", "No buildings in the reference data yet"))
            return
        if self.scene is None:  # the first scene: the loading page until it lands; later ones replace it
            self.stack.setCurrentIndex(0)
            self.loading.progress(0, 0)
        # the loader's thread tells a changed city (fingerprinting every building is O(buildings))
        self.loader.start(ref, self.district, known=self._fp)

    def _unchanged(self) -> None:
        """A reference reload that changed none of the geometry: the scene stays, its links are renewed."""
        if self.scene is not None:
            self._relink()

    def _loaded(self, scene) -> None:
        self.scene, self._fp = scene, scene.fingerprint
        self.canvas.set_geometry(scene.geometry, scene.buildings)  # made on the loader's thread
        if "streets" in self.layers:
            self.canvas.set_lines("streets", *scene.streets, STREET_RGB)
        if "water" in self.layers:
            self.canvas.set_areas("water", scene.areas, np.array([WATER_RGB, PARK_RGB], dtype=np.uint8))
        if "labels" in self.layers:
            self.labels.set("districts", tuple((d.anchor, d.name, (0, 0, 0)) for d in scene.districts), 0, False, 3)
        city = [(tr("scene", "Whole city"), scene.geometry.bounds)] if self.district is None else []
        self.presets = city + [(d.name, d.bounds) for d in scene.districts]
        self.preset_box.clear()
        for i, (name, _) in enumerate(self.presets):
            self.preset_box.addItem(f"{i + 1 - len(city)}  {name}")
        self.tour, self.colours, self._live_key, self._inc = None, None, (), -1
        self.districts = np.array([r.get("district_id") for r in scene.geometry.rows] + [None], dtype=object)[:-1]
        self.markers.clear()
        self.close_card()
        self._relink()
        if self.tileset is not None and self.tiles is None:
            from widgets.scene.tiles3d import attach

            self.tiles = attach(self, self.tileset)
        self.stack.setCurrentIndex(1)
        self.go_to_preset(0, fly=False)
        if self._now is not None:
            self.refresh(self._now)

    def _relink(self) -> None:
        self.links = live.scene_links(self.scene.geometry, self.store, self.scene.area)
        self.family = [] if self.mode == "risk" else self.store.select([self.mode])
        self.source = live.family_sources(self.scene.geometry, self.links, self.family)
        self._live_key = ()
        self._legend()

    def _legend(self) -> None:
        """What the buildings' colours mean: the rain scenario's steps while one is in force."""
        if self.ctx.scenario.active:
            content = live.scenario_legend(self.ctx.scenario.label)
        else:
            used = [ind for ind in self.family if ind.id in set(self.source.tolist())]  # whose limits are shown
            content = live.legend_content(self.mode, used or self.family)
        self.legend.set_content(*content, "incidents" in self.layers, "sensors" in self.layers)
        self._place_legend()

    def _place_legend(self) -> None:
        under = 0 if self.legend.column else self.legend.height() + max(0, self.body.spacing())
        dock_legend(self.legend, self.body, self.status, self.beside, self.width(),
                    self.stack.currentWidget().height() + under)

    # -- refresh -------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        self._now = now
        if self._ref != self.store.reference_version:
            self._reference_changed()
        if self.scene is None:
            return
        store, geo = self.store, self.scene.geometry
        if self._inc != store.incidents_version:
            self._inc = store.incidents_version
            self.incidents = live.incident_arrays(store, geo.frame)
        self.warnings.refresh(self, now)  # the public warnings' areas outlined on the ground
        active = without_warnings(store, self.incidents, self.incidents.active(now))
        if self.scene.area is not None:  # one district: its incidents
            active = active[shapely.contains_xy(self.scene.area, self.incidents.x[active], self.incidents.y[active])]
        key = (store.version, self._inc, math.floor(now / LIVE_EVERY_S), active.tobytes(),
               self.ctx.selection.version, self.ctx.scenario.version)
        if key != self._live_key:
            if key[-1:] != self._live_key[-1:]:
                self._legend()
            self._live_key = key
            self._colour(now, active)
            if "sensors" in self.layers:
                self._markers("sensors", live.sensor_markers(store, self.links, now), 2)
            if "incidents" in self.layers:
                self._markers("beacons", live.beacon_markers(self.links, geo, self.incidents, active,
                                                             self.ctx.selection.incident_id), 1)
        self._selection()
        if self.card.building is not None:
            b = self.card.building
            self.card.show_building(b, *live.card_content(geo, self.links, store, b, now))
        self._tour_state()
        self._status_line(len(active))

    def _colour(self, now: float, active: np.ndarray) -> None:
        if self.mode == "risk":
            self.levels = live.risk_levels(self.links, self.store, self.incidents, active, now,
                                           len(self.scene.geometry.ids))
            rgb = colour.risk_colours(self.levels)
        else:
            rgb = live.value_colours(self.store, self.source, now)
        if self.ctx.scenario.active:  # a rain scenario in force: its expected steps, by district
            rgb = colour.expected_colours(live.expected_levels(self.districts, self.ctx.scenario.districts))
        if self.colours is None or not np.array_equal(self.colours, rgb):  # the canvas renders only then
            self.colours = rgb
            self.canvas.set_colours(rgb)

    def _markers(self, name: str, markers: live.Markers, rank: int) -> None:
        old = self.markers.get(name)
        if old is None or old.key() != markers.key():
            self.markers[name] = markers
            self._draw(name)
            if "labels" in self.layers:
                self.labels.set(name, markers.labels, LABEL_GAP_PX, True, rank)
                self._declutter()

    def _draw(self, name: str) -> None:
        shape, scale, top = GLYPHS[name]
        m = self.markers[name]
        self.canvas.set_points(name, m.xyz, m.rgb, shape, self.glyph_m * scale)
        self.labels.lift(name, self.glyph_m * scale * top)

    def _pose_changed(self) -> None:
        """Markers keep their size on screen: redrawn when the camera's distance changed a step."""
        surface = self.canvas.surface
        f = surface.height() / 2 / math.tan(math.radians(FOV_DEG) / 2) if surface is not None else 1.0
        size = 2 ** (round(4 * math.log2(max(1e-3, GLYPH_PX * self.canvas.pose().distance / max(f, 1.0)))) / 4)
        if size != self.glyph_m:
            self.glyph_m = size
            for name in self.markers:
                self._draw(name)
        self._declutter()

    def _selection(self) -> None:
        """The incident selected on any view: a white beacon here, and the camera flies to it once."""
        sel = self.ctx.selection
        if sel.version == self._sel:
            return
        self._sel = sel.version
        at = self.incidents.ids.index(sel.incident_id) if sel.incident_id in self.incidents.ids else None
        chosen = live.Markers(np.zeros((0, 3)), np.zeros((0, 3), np.uint8), ())
        if at is not None:
            base = (float(self.incidents.x[at]), float(self.incidents.y[at]), 0.0)
            chosen = live.Markers(np.array([base]), np.array([colour.SELECTED], dtype=np.uint8),
                                  ((base, self.incidents.titles[at], colour.SELECTED),))
        self.markers["selected"] = chosen
        self._draw("selected")
        if "labels" in self.layers:
            self.labels.set("selected", chosen.labels, LABEL_GAP_PX, True, 0)
            self._declutter()
        if at is not None:
            self.hold_tour()
            self.fly(towards(self.canvas.pose(), base, distance=INCIDENT_VIEW_M))

    def _declutter(self) -> None:
        """Hide the labels that would overlap more important ones, seen from where the camera is."""
        surface = self.canvas.surface
        if surface is not None:
            w, h = surface.width(), surface.height()
            budget = int(np.clip(w * h / LABEL_AREA_PX, 4, 30))  # a small panel shows fewer words
            self.labels.declutter(lambda xyz: live.screen_points(self.canvas.pose(), xyz, w, h, FOV_DEG),
                                  budget, w, h)

    # -- the picked building -------------------------------------------------------------------
    def _picked(self, building: int) -> None:
        self.hold_tour()
        if building < 0:  # the sky, the ground, or a tile of the tileset
            self.close_card()
            if self.tiles is not None:
                from widgets.scene.tiles3d import show_picked_feature

                show_picked_feature(self.tiles, self.card)
            return
        self.canvas.set_highlight(building)
        self.card.show_building(building, *live.card_content(self.scene.geometry, self.links, self.store, building,
                                                             self._now or 0.0))

    def close_card(self) -> None:
        self.card.close_card()
        self.canvas.set_highlight(None)

    # -- input ---------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:  # noqa: N802 (the canvas passes up the keys it does not use)
        key, k = event.key(), Qt.Key
        if k.Key_0 <= key <= k.Key_9:
            self.go_to_preset(key - k.Key_0 - (self.district is not None), by_user=True)
        elif key == k.Key_Home:
            self.go_to_preset(0, by_user=True)
        elif key == k.Key_Escape and self.card.building is not None:
            self.close_card()
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """The canvas's input: any touch holds the tour; Home is the city preset here (not the
        canvas's own framing); a double-click flies to the building under it."""
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.KeyPress):
            self.hold_tour()
            if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Home:
                self.go_to_preset(0)
                return True
        elif kind == QEvent.Type.MouseButtonDblClick and self.scene is not None:
            b = self.canvas.pick(int(event.position().x()), int(event.position().y()))
            if b is not None:
                self.show_building(b)
        return False

    def show_building(self, b: int, fly_s: float = FLY_S) -> None:
        """Building ``b`` picked, its card open, and the camera gone to it."""
        self._picked(b)
        x, y, top = self.scene.geometry.centres[b]
        self.fly(towards(self.canvas.pose(), (x, y, top / 2), distance=max(180.0, 5 * top)), fly_s)

    def _status_line(self, open_count: int) -> None:
        parts = []
        if self.touring and self.paused_for == "alarm":
            parts.append(tr("scene", "TOUR PAUSED · alarm active"))
        elif self.touring and self.paused_for == "user":
            left = max(0, math.ceil(self._held_until - self.clock()))
            parts.append(tr("scene", "TOUR PAUSED · resumes in {seconds} s").format(seconds=left))
        elif self.touring and self.tour is not None:
            parts.append(tr("scene", "TOUR {n}/{count}").format(n=self.tour.stop(self.tour_elapsed)[0] + 1,
                                                               count=len(self.tour.stops)))
        parts.append(self.preset_box.currentText().split("  ", 1)[-1])
        parts.append(tr("scene", "open incidents: {count}").format(count=open_count))
        if self.ctx.scenario.active:
            parts.append(tr("scene", "rain scenario: {what}").format(what=self.ctx.scenario.label))
        elif self.mode == "risk":
            parts.append(tr("scene", "buildings at risk: {count}").format(count=int(np.count_nonzero(self.levels))))
        self.status.show_text(self.status.SEPARATOR.join(parts), warn=self.touring and self.paused_for == "alarm")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.dock_timer.start()  # once the layout has given the scene its height
        if self.tour_timer.isActive():  # the stops framed for the new shape
            self._start_tour(fly_back=False)
