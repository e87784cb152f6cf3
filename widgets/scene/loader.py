"""Builds the scene's geometry on a worker thread, so the wall never freezes while a city loads.

Meshing a city's buildings takes seconds (14,000 San Francisco buildings, more on a big city);
the UI thread must keep painting the rest of the wall. A plain Python thread runs
``console.scene.mesh.build_scene``, the ground layers and the buildings' VTK meshes and actors
(``actors.Buildings``: data only, no OpenGL until the canvas renders them; ~2 s for 100,000
buildings, several times that on a loaded wall PC, that the UI thread used to spend); progress
and the result come back by queued signal. It also tells a reload of the same city by the
``fingerprint`` of every building (O(buildings)), and then builds nothing. A newer request
(reference data changed) or the view going away cancels the running one: ``build_scene`` checks
a flag about every 500 buildings and stops, and whatever it had built is dropped, never shown.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from PySide6.QtCore import QObject, Signal, Slot

from console.scene import ground
from console.scene.mesh import SCENE_XY_M, SCENE_Z_M, BuildingMesh, Cancelled, SceneGeometry, build_scene
from console.sync.rules.geometry import MAX_DEPTH, depths

if TYPE_CHECKING:
    from widgets.scene.actors import Buildings

log = logging.getLogger("cityops.scene")

MIN_PRESET_HEIGHT_M = 20.0  # a district preset frames at least this much height (flat districts)
AREA_MARGIN_M = 60.0  # a one-district scene shows this much of its surroundings


@dataclass
class District:
    id: str
    name: str
    bounds: tuple[float, float, float, float, float, float]  # in the scene's frame, roofs included
    anchor: tuple[float, float, float]  # where its name is written


@dataclass
class Scene:
    """Everything the view draws that does not change with live data."""

    geometry: SceneGeometry
    streets: tuple[np.ndarray, np.ndarray]  # points (N, 3), segments (S, 2)
    areas: BuildingMesh  # water (class 0) and parks (class 1)
    districts: list[District]  # in the layout's key order: 1..9
    area: object = None  # a one-district scene: what it shows (shapely, in the frame); None: everything
    buildings: Buildings | None = None  # the geometry's actors, made on the loader's thread (not rendered yet)
    fingerprint: str = ""  # of the reference rows it was built from (``fingerprint``)


def fingerprint(reference: dict, district: str | None) -> str:
    """What the geometry depends on; a reference reload that changed none of it keeps the scene."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(district).encode())
    for table, keys in (("buildings", ("id", "district_id", "footprint", "model", "height", "levels")),
                        ("districts", ("id", "name", "boundary")), ("map_features", ("id", "layer", "geometry"))):
        for row in reference.get(table, ()):
            digest.update(json.dumps([row.get(k) for k in keys], default=str).encode())
    return digest.hexdigest()


def build(reference: dict, district: str | None, progress=None, cancelled=None) -> Scene:
    """The scene of one district (or, with None, the whole city) from the store's reference rows.

    Whatever the rows hold, what comes out is drawable: GEOS never reads a text nested deep
    enough to crash it, and every point handed on is finite and near the city (``_check``)."""
    reference = {table: _readable(reference.get(table, ()), column)
                 for table, column in (("buildings", "footprint"), ("districts", "boundary"), ("map_features", "geometry"))}
    rows = [r for r in reference.get("buildings", ()) if district is None or r.get("district_id") == district]
    geometry = build_scene(rows, progress=progress, cancelled=cancelled)
    if cancelled is not None and cancelled():
        raise Cancelled()
    shown = [d for d in reference.get("districts", ()) if district is None or d["id"] == district]
    features, area = reference.get("map_features", []), None
    if district is not None and shown:
        area, features = _clipped(shown[0], features, geometry.frame)
    streets = ground.street_lines(features, geometry.frame)
    areas = ground.flat_areas(features, geometry.frame)
    scene = Scene(geometry, streets, areas, district_presets(shown, geometry), area)
    _check(scene)
    return scene


def _readable(rows, column: str) -> list[dict]:
    """The rows whose geometry text GEOS can read without harm (nesting no deeper than any geometry's)."""
    rows = list(rows)
    texts = [r.get(column) if isinstance(r.get(column), str) else "" for r in rows]
    deep = depths(texts) > MAX_DEPTH
    return [r for r, bad in zip(rows, deep.tolist()) if not bad] if deep.any() else rows


def _check(scene: Scene) -> None:
    """ValueError unless every point VTK will get is finite and within the scene's extent: the
    last check before native code, so a bad point costs the panel a message, never the wall."""
    clouds = [c.points for chunk in scene.geometry.chunks for c in (chunk.fine, chunk.coarse)]
    for points in (*clouds, scene.streets[0], scene.areas.points):
        with np.errstate(invalid="ignore"):
            if len(points) and not (np.isfinite(points).all() and np.abs(points[:, :2]).max() <= SCENE_XY_M
                                    and np.abs(points[:, 2]).max() <= SCENE_Z_M):
                raise ValueError("the scene holds a point that is not finite or far beyond the city")


def _clipped(district: dict, features: list[dict], frame) -> tuple[object, list[dict]]:
    """A district with a margin round it (in the frame), and the ground features cut to it: the
    streets of the rest of the city would only be clutter round one district's buildings."""
    boundary = shapely.from_geojson(district.get("boundary") or "null", on_invalid="ignore")
    if boundary is None or boundary.is_empty:
        return None, features
    area = shapely.transform(boundary, frame.forward_xy).buffer(AREA_MARGIN_M)
    area_ll = shapely.transform(area, lambda xy: np.column_stack(frame.inverse(xy[:, 0], xy[:, 1])))
    texts = np.array([f.get("geometry") if isinstance(f.get("geometry"), str) else None for f in features] + [None],
                     dtype=object)[:-1]
    cut = shapely.intersection(shapely.from_geojson(texts, on_invalid="ignore"), area_ll)
    keep = np.flatnonzero(~shapely.is_missing(cut) & ~shapely.is_empty(cut))
    return area, [{**features[i], "geometry": shapely.to_geojson(cut[i])} for i in keep.tolist()]


def district_presets(rows: list[dict], geometry: SceneGeometry) -> list[District]:
    """Each district's box in the frame: its boundary on the ground, up to its tallest roof."""
    found = []
    building_district = np.array([r.get("district_id") for r in geometry.rows], dtype=object)
    for row in sorted(rows, key=lambda r: r["id"]):
        text = row.get("boundary")
        shape = shapely.from_geojson(text, on_invalid="ignore") if isinstance(text, str) else None
        if shape is None or shape.is_empty:
            continue
        shape = shapely.transform(shape, geometry.frame.forward_xy)
        x0, y0, x1, y1 = shape.bounds
        if not np.isfinite([x0, y0, x1, y1]).all():
            continue
        mine = building_district == row["id"]
        top = float(geometry.centres[mine, 2].max()) if mine.any() else 0.0
        spot = shape.representative_point()
        found.append(District(row["id"], row.get("name") or row["id"],
                              (x0, x1, y0, y1, 0.0, max(top, MIN_PRESET_HEIGHT_M)), (spot.x, spot.y, top + 10.0)))
    return found


class SceneLoader(QObject):
    """Runs one build at a time; ``start`` cancels the one before. Signals arrive on the UI thread."""

    progressed = Signal(int, int)  # buildings done, of total
    loaded = Signal(object)  # Scene
    unchanged = Signal()  # the reference's geometry is the ``known`` one: nothing was built
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs = Jobs()
        self.thread: threading.Thread | None = None  # the latest build's
        self._bridge: _Bridge | None = None
        self.running = False

    def start(self, reference: dict, district: str | None, known: str = "") -> None:
        """Build the scene; ``unchanged`` instead when the reference's ``fingerprint`` is ``known``."""
        stop = self.jobs.new()
        bridge = self._bridge = _Bridge()  # this run's signals: a superseded run's late ones are dropped
        bridge.progressed.connect(self._progress)  # queued: the loader lives on the UI thread
        bridge.loaded.connect(self._loaded)
        bridge.unchanged.connect(self._unchanged)
        bridge.failed.connect(self._failed)
        self.running = True
        self.thread = threading.Thread(target=_run, args=(bridge, reference, district, known, stop), daemon=True,
                                       name="scene-loader")
        self.thread.start()

    def _current(self) -> bool:
        return self.sender() is self._bridge and self.running

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        if self._current():
            self.progressed.emit(done, total)

    @Slot(object)
    def _loaded(self, scene: Scene) -> None:
        if self._current():
            self.running = False
            self.loaded.emit(scene)

    @Slot()
    def _unchanged(self) -> None:
        if self._current():
            self.running = False
            self.unchanged.emit()

    @Slot(str)
    def _failed(self, why: str) -> None:
        if self._current():
            self.running = False
            self.failed.emit(why)


class Jobs:
    """The running build's stop flag. Plain Python: a view's ``destroyed`` signal may call
    ``cancel`` after the Qt objects are gone."""

    def __init__(self) -> None:
        self._stop: threading.Event | None = None

    def new(self) -> threading.Event:
        self.cancel()
        self._stop = threading.Event()
        return self._stop

    def cancel(self, *_) -> None:
        if self._stop is not None:
            self._stop.set()


class _Bridge(QObject):
    progressed = Signal(int, int)
    loaded = Signal(object)
    unchanged = Signal()
    failed = Signal(str)


def _run(bridge: _Bridge, reference: dict, district: str | None, known: str, stop: threading.Event) -> None:
    try:
        fp = fingerprint(reference, district)
        if fp == known:  # a reload of the same city: nothing to build
            if not stop.is_set():
                bridge.unchanged.emit()
            return
        scene = build(reference, district, progress=lambda done, total: None if stop.is_set()
                      else bridge.progressed.emit(done, total), cancelled=stop.is_set)
        if not stop.is_set():
            from widgets.scene.actors import Buildings  # VTK: the canvas imported it before any load
            from widgets.scene.labels import label_font

            scene.buildings, scene.fingerprint = Buildings(scene.geometry), fp
            label_font()  # asks fontconfig once (a process: slow on a loaded PC) before the labels need it
    except Cancelled:
        return
    except Exception as exc:  # a bad city must cost the panel, not the wall: the view shows why
        log.exception("building the 3D scene failed")
        if not stop.is_set():
            bridge.failed.emit(f"{type(exc).__name__}: {exc}")
        return
    if not stop.is_set():
        bridge.loaded.emit(scene)
