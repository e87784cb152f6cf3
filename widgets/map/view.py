"""The city map view ("map" in layouts): an offline basemap with incidents, units and sensors.

Layout parameters: ``zoom`` "city" (the whole city, default), "street", or a web-map zoom
level (15 ≈ the city centre, 17 ≈ a few blocks); ``center`` [lon, lat]; ``layers`` the layers
shown at start (incidents, heat, units, sensors, buildings, labels); ``heat_window`` how far
back the heat map sums incidents ("1h").

``refresh(now)`` works out what the live layers would show (which incidents are open, which
are new and pulsing, the selection, unit positions, sensor values, the heat window) and
repaints only when that differs from what was drawn; a pulse tick repaints only the rings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtWidgets import QWidget

from console.cap.live import LiveWarnings
from console.cap.model import INCIDENT_KIND
from console.map.features import CityGeometry
from console.map.heat import heat_grid, in_window, parse_window
from console.map.live import (IncidentArrays, SensorMark, SensorPositions, UnitMark, incident_arrays,
                              sensor_marks, sensor_positions, unit_marks)
from widgets.base import View, ViewContext, register
from widgets.i18n import duration, tr
from widgets.map import layers as paint
from widgets.map import style
from widgets.map.basemap import Basemap
from widgets.map.canvas import LAYERS, MapCanvas
from widgets.map.render import build_basemap, in_event_loop
from widgets.map.warnings import warning_areas

STREET_SCALE = 2.0  # "street" zoom: pixels per metre (a 1,000-pixel map spans 500 m)
NEW_S = 600.0  # an incident opened this recently, and not yet selected, pulses
PULSE_STEPS = 4  # pulse phases per second (the wall refreshes 4 times a second)
SENSOR_EVERY_S = 5.0  # sensor values (and staleness) are looked at this often, and on new data
HEAT_STEP_S = 60.0  # the heat window slides in steps of this
HEAT_BANDWIDTH = 90.0  # metres: about a block
SEVERITY_WEIGHT = {1: 3.0, 2: 2.0, 3: 1.5, 4: 1.0}


def web_zoom_scale(level: float, lat: float) -> float:
    """Pixels per metre at a web-map zoom level (256-pixel tiles) at latitude ``lat``."""
    return 2 ** level / (156543.03392 * math.cos(math.radians(lat)))


@dataclass(frozen=True)
class Shown:
    """What the live layers show; a repaint happens only when this changes."""

    active: tuple  # (incidents version, opened by now, finished by now)
    new: tuple[str, ...]
    selected: str | None
    units: tuple[UnitMark, ...]
    sensors: tuple[SensorMark, ...]
    heat: tuple | None


@register("map")
class MapView(View):
    PARAMS = {"title": str, "zoom": (str, int, float), "center": tuple[float, float], "layers": list[str], "heat_window": str}

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        self.zoom = params.get("zoom", "city")
        if not (isinstance(self.zoom, (int, float)) or self.zoom in ("city", "street")):
            raise ValueError(f"map zoom {self.zoom!r} is not \"city\", \"street\" or a zoom level")
        centre = params.get("center")
        if centre is not None and (len(centre) != 2 or not all(isinstance(v, (int, float)) for v in centre)):
            raise ValueError(f"map center {centre!r} is not [lon, lat]")
        self.centre = tuple(centre) if centre is not None else None
        shown = params.get("layers", ["incidents", "units", "buildings", "labels"])
        unknown = [name for name in shown if name not in LAYERS]
        if unknown:
            raise ValueError(f"unknown map layers {unknown} (expected some of {', '.join(LAYERS)})")
        self.heat_s = parse_window(params.get("heat_window", "1h"))
        self.canvas = MapCanvas(self)
        self.canvas.layers = set(shown)
        self.canvas.heat_label = tr("map", "Heat · {window}").format(window=duration(self.heat_s))
        self.canvas.incident_clicked.connect(self.ctx.selection.select)
        self.canvas.layers_changed.connect(self._layers_changed)
        self.canvas.renderer.built.connect(self._built)
        self.body.addWidget(self.canvas, 1)
        self.geo: CityGeometry | None = None
        self.incidents: IncidentArrays | None = None
        self.sensor_xy: SensorPositions | None = None
        self.seen: set[str] = set()  # incidents selected once no longer pulse
        self.shown: Shown | None = None
        self._ref = self._inc = -1
        self._sensor_key: tuple = ()
        self._sensors: tuple[SensorMark, ...] = ()
        self._heat_key: tuple | None = None
        self._index: dict[str, int] = {}
        self._now: float | None = None
        self.live_warnings = LiveWarnings()
        self._warning_rows = np.zeros(0, dtype=np.int64)
        self._warnings_key: tuple = ()

    def default_title(self) -> str:
        return tr("map", "City map")

    def keyboard_target(self) -> QWidget:
        return self.canvas

    def _layers_changed(self) -> None:
        self.shown = None  # a layer switched on shows current content at once
        if self._now is not None:
            self.refresh(self._now)

    def _load_reference(self) -> None:
        """The reference data as a basemap: built on the worker while the event loop runs (the map
        keeps what it shows until it lands: seconds for a city on a loaded machine), else in place."""
        self._ref = self.store.reference_version
        projection = self.geo.projection if self.geo else None
        if in_event_loop():
            self.canvas.renderer.build(self.store.reference, projection, self._ref)
        else:
            self._built((self._ref, *build_basemap(self.store.reference, projection)))

    def _built(self, result: tuple[int, CityGeometry | None, Basemap | None]) -> None:
        version, geo, basemap = result
        if geo is None or basemap is None or version != self.store.reference_version:
            return  # nothing to draw, or a newer one is on its way
        first = self.geo is None
        self.geo = geo
        self.sensor_xy = sensor_positions(self.store, geo.projection)
        self._inc = -1
        self.shown = None
        if first:  # no centre: the fitted one (the city's middle in the map's area)
            x0, y0, x1, y1 = geo.bounds
            cx = cy = None
            if self.centre is not None:
                cx, cy = (float(v) for v in geo.projection.forward(*self.centre))
            lat = self.centre[1] if self.centre else float(geo.projection.inverse((x0 + x1) / 2, (y0 + y1) / 2)[1])
            scale = None if self.zoom == "city" else STREET_SCALE if self.zoom == "street" else \
                web_zoom_scale(float(self.zoom), lat)
            self.canvas.home = (cx, cy, scale)
        self.canvas.set_basemap(basemap)
        if self._now is not None and in_event_loop():
            self.refresh(self._now)  # what is live goes on the new map now, not at the next tick

    def refresh(self, now: float) -> None:
        self._now = now
        if self._ref != self.store.reference_version:
            self._load_reference()
        if self.geo is None:
            return
        store, c = self.store, self.canvas
        if self._inc != store.incidents_version:
            self.incidents = incident_arrays(store, self.geo.projection)
            self._inc = store.incidents_version
            self._index = {iid: i for i, iid in enumerate(self.incidents.ids)}
            # a public warning is drawn as its area (widgets/map/warnings.py), not as an incident marker
            self._warning_rows = np.array([i for i, iid in enumerate(self.incidents.ids)
                                           if store.incidents[iid].get("kind") == INCIDENT_KIND], dtype=np.int64)
        self._warnings(now)
        inc = self.incidents
        selected = self.ctx.selection.incident_id
        if selected is not None:
            self.seen.add(selected)
        k = inc.opened_by(now)
        active_key = (self._inc, k, int(np.count_nonzero(inc.finished_at[:k] <= now)))
        active = inc.active(now) if active_key != c.active_key else c.active
        if len(self._warning_rows) and active_key != c.active_key:
            active = active[~np.isin(active, self._warning_rows)]
        fresh = [i for i in active[inc.opened[active] > now - NEW_S].tolist() if inc.ids[i] not in self.seen]
        units = unit_marks(store, self.geo.projection, now) if "units" in c.layers else ()
        shown = Shown(active_key, tuple(inc.ids[i] for i in fresh), selected, tuple(units),
                      self._sensor_marks(now) if "sensors" in c.layers else (),
                      self._heat(now) if "heat" in c.layers else None)
        phase = (math.floor(now * PULSE_STEPS) % PULSE_STEPS) / PULSE_STEPS if fresh else None
        if shown != self.shown:
            self.shown = shown
            c.incidents, c.active, c.active_key = inc, active, active_key
            c.selected = self._index.get(selected) if selected is not None else None
            c.new, c.phase, c.units, c.sensors = set(fresh), phase, shown.units, shown.sensors
            c.summary = tr("map", "{active} active · {new} new").format(active=len(active), new=len(fresh))
            c.content_changed()
            c.update()
        elif phase != c.phase:
            c.phase = phase
            for rect in paint.pulse_rects(c.hits, set(shown.new)):
                c.update(rect.toAlignedRect())

    def _warnings(self, now: float) -> None:
        """Outline the public warnings in force at ``now``; repaint only when which ones changed."""
        self.live_warnings.load(self.store.reference, self.store.reference_version)
        shown = self.live_warnings.at(now, self.store.names_in)
        key = (self.store.reference_version, id(self.geo), tuple(w.id for w in shown))
        if key != self._warnings_key:
            self._warnings_key = key
            self.canvas.warnings = warning_areas(shown, self.geo.projection)
            self.canvas.update()

    def _sensor_marks(self, now: float) -> tuple[SensorMark, ...]:
        key = (self.store.version, math.floor(now / SENSOR_EVERY_S))
        if key != self._sensor_key and self.sensor_xy is not None:
            self._sensor_key = key
            self._sensors = sensor_marks(self.store, self.sensor_xy, now)
        return self._sensors

    def _heat(self, now: float) -> tuple:
        """The heat grid over the window ending at ``now`` (in steps), rebuilt when it moved."""
        inc = self.incidents
        key = (self._inc, math.floor(now / HEAT_STEP_S), inc.opened_by(now))  # slides, and takes new ones at once
        if key != self._heat_key:
            self._heat_key = key
            pick = in_window(inc.opened, now, self.heat_s)
            x0, y0, x1, y1 = self.geo.bounds
            pad = 4 * HEAT_BANDWIDTH
            grid = heat_grid(inc.x[pick], inc.y[pick], (x0 - pad, y0 - pad, x1 + pad, y1 + pad), 20.0,
                             HEAT_BANDWIDTH, np.array([SEVERITY_WEIGHT.get(int(s), 1.0) for s in inc.severity[pick]]))
            floor = 3 * 1e6 / (2 * math.pi * HEAT_BANDWIDTH ** 2)  # three incidents on one spot: full heat
            self.canvas.heat = (grid, paint.heat_image(grid, floor, style.heat_colour_table()))
        return key
