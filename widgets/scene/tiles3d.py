"""A 3D Tiles tileset as a layer of the scene canvas: beside, and under, the platform's buildings.

A photogrammetry or Real-Scene 3D tileset is the backdrop, the platform's buildings the data: so
the tiles are drawn a shade darker than a quiet building, unlit with the sun baked in as the
buildings are, and never coloured by live data. As the camera moves (``pose_changed``, settled
for a moment) ``console.scene.tileset.select`` names the tiles it needs by screen-space error
(those in view: outside the camera's view cone none is loaded);
contents not yet loaded are decoded on a worker thread and arrive by queued signal, and what
was shown stays until its replacement has arrived, so the view never has holes. A content with
more triangles than it can show from afar gets coarser twins on the worker (``simplify``); at
each camera pose a tile is drawn by the coarsest of its meshes whose error spans at most
``TWIN_PX`` pixels (the tileset's own refinement allows ``MAX_SSE``, 16). A click that
hits a tile rather than a building shows that feature's batch-table or metadata properties.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkRenderingCore import vtkActor, vtkCellPicker

from console.errors import UserError
from console.scene import simplify
from console.scene.camera import eye
from console.scene.gltf import ContentError, Model
from console.scene.tileset import Tileset, select
from widgets.scene import actors

log = logging.getLogger("cityops.scene")

TILE_RGB = (58, 66, 78)  # a shade under NEUTRAL (#4b5c72) and greyer: the backdrop, not the data
SETTLE_MS = 150  # the camera still this long: tiles chosen again
MAX_LOADED_TRIANGLES = 4_000_000  # beyond this, tiles not wanted are dropped, least recently wanted first
FOV_DEG = 30.0
TWIN_PX = 2.0  # a coarser twin stands in for a content where its error spans at most this on screen


class TilesetLayer(QObject):
    """One tileset in one canvas; ``to_frame`` maps its world coordinates into the canvas's frame."""

    arrived = Signal(int, object)  # tile number, Model or the reason it cannot be drawn
    changed = Signal()  # tiles shown changed (the status line counts them)

    def __init__(self, canvas, tileset: Tileset, to_frame) -> None:
        super().__init__(canvas)
        self.canvas, self.tileset, self.to_frame = canvas, tileset, to_frame
        self.models: dict[int, tuple[vtkActor, Model]] = {}
        self.twins: dict[int, list[tuple[float, vtkActor, Model]]] = {}  # (error m, actor, mesh), finest first
        self.drawn: dict[int, vtkActor] = {}  # per tile shown: the actor of the mesh drawn for it
        self.pending: set[int] = set()
        self.failed: dict[str, int] = dict(tileset.skipped)
        self.used: dict[int, int] = {}  # tile number -> the update it was last wanted in
        self.generation = 0
        self.shown: set[int] = set()
        self.failed_tiles: set[int] = set()
        self.clicked: tuple[int, int] | None = None  # widget pixel of the canvas's last click
        self._closed = threading.Event()
        self.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiles3d")
        self.picker = vtkCellPicker()
        self.picker.PickFromListOn()
        self.arrived.connect(self._arrived)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SETTLE_MS)
        self.timer.timeout.connect(self.update)
        canvas.pose_changed.connect(self.timer.start)
        canvas.pose_changed.connect(self._detail)
        canvas.destroyed.connect(self.close)

    def close(self) -> None:
        self._closed.set()
        self.jobs.shutdown(wait=False, cancel_futures=True)

    # -- choosing and loading --------------------------------------------------------------------
    def wanted(self) -> list:
        """The tiles the camera needs now, by screen-space error."""
        height, width = self.canvas.height() or 900, self.canvas.width() or 1600
        pose = self.canvas.pose()
        return select(self.tileset, np.asarray(eye(pose), dtype=float), height, FOV_DEG,
                      focal=np.asarray(pose.focal, dtype=float), aspect=width / height)

    def update(self) -> None:
        """Choose the tiles for the camera; load the missing ones; show what is there."""
        if self.canvas.renderer is None:
            return
        self.generation += 1
        wanted = self.wanted()
        for tile in wanted:
            self.used[tile.number] = self.generation
            if tile.number not in self.models and tile.number not in self.pending | self.failed_tiles:
                self.pending.add(tile.number)
                self.jobs.submit(self._load, tile)
        numbers = {t.number for t in wanted}
        ready = {n for n in numbers if n in self.models}
        # what was shown stays until every tile wanted has arrived or failed: no holes while loading
        keep = self.shown - numbers if numbers - ready - self.failed_tiles else set()
        self._show(ready | keep)
        self._trim(numbers)

    def _load(self, tile) -> None:
        if self._closed.is_set():
            return
        try:
            model = self.tileset.load(tile, self.to_frame)
            result: object = (model, simplify.twins(model))
        except (ContentError, UserError) as exc:
            result = str(exc)
        except Exception as exc:  # noqa: BLE001 - a hostile content must cost its tile, never the wall
            log.warning("tile %s: %s", tile.content, exc)
            result = f"unreadable ({type(exc).__name__})"
        if not self._closed.is_set():
            self.arrived.emit(tile.number, result)

    def _arrived(self, number: int, result: object) -> None:
        self.pending.discard(number)
        if not isinstance(result, tuple):
            reason = f"tile content: {result} (left out)"
            self.failed[reason] = self.failed.get(reason, 0) + 1
            self.failed_tiles.add(number)
        elif self.canvas.renderer is not None and len(result[0].triangles):
            model, twins = result
            self.models[number] = (self._actor(model), model)
            self.twins[number] = [(error, self._actor(twin), twin) for error, twin in twins]
        if not self.pending:
            self.update()

    def _actor(self, model: Model) -> vtkActor:
        actor = tile_actor(model)
        actor.SetVisibility(False)
        self.canvas.renderer.AddActor(actor)
        self.picker.AddPickList(actor)
        return actor

    def _show(self, numbers: set[int]) -> None:
        if numbers == self.shown:
            return
        for number in set(self.drawn) - numbers:
            self.drawn.pop(number).SetVisibility(False)
        for number in numbers - set(self.drawn):
            self.drawn[number] = self.models[number][0]
            self.drawn[number].SetVisibility(True)
        self.shown = numbers
        self._detail()
        self.canvas.request_render()
        self.changed.emit()

    def _detail(self) -> None:
        """Per tile shown, the coarsest of its meshes whose error spans at most ``TWIN_PX`` pixels
        from the camera (at the tile's nearest point), as ``select`` measures a tile's error."""
        shown = [n for n in self.drawn if self.twins.get(n)]
        if not shown:
            return
        px_per_m = (self.canvas.height() or 900) / (2.0 * math.tan(math.radians(FOV_DEG) / 2.0))
        at = np.asarray(eye(self.canvas.pose()), dtype=float)
        for number in shown:
            box = self.tileset.tiles[number].box
            distance = max(float(np.linalg.norm(at - np.clip(at, box[0], box[1]))), 1e-3)
            actor = self.models[number][0]
            for error, twin, _ in self.twins[number]:
                if error * px_per_m / distance <= TWIN_PX:
                    actor = twin
            if self.drawn[number] is not actor:
                self.drawn[number].SetVisibility(False)
                actor.SetVisibility(True)
                self.drawn[number] = actor
                self.canvas.request_render()

    def _trim(self, wanted: set[int]) -> None:
        """Drop loaded tiles not wanted, least recently wanted first, while over the triangle budget."""
        total = sum(len(m.triangles) for _, m in self.models.values())
        for number in sorted(set(self.models) - wanted - self.shown, key=lambda n: self.used.get(n, 0)):
            if total <= MAX_LOADED_TRIANGLES:
                break
            actor, model = self.models.pop(number)
            for gone in (actor, *(twin for _, twin, _ in self.twins.pop(number, []))):
                self.canvas.renderer.RemoveActor(gone)
                self.picker.DeletePickList(gone)
            total -= len(model.triangles)

    def triangles_shown(self) -> int:
        return sum(len(self.models[n][1].triangles) for n in self.shown if n in self.models)

    # -- picking ---------------------------------------------------------------------------------
    def pick(self, x: int, y: int) -> tuple[float, int, int] | None:
        """(distance from the camera, tile number, feature number) of the tile under widget pixel (x, y)."""
        canvas = self.canvas
        if canvas.renderer is None or not self.shown:
            return None
        display = canvas._display(x, y)
        canvas.renderer.ResetCameraClippingRange()
        if not self.picker.Pick(*display, 0.0, canvas.renderer):
            return None
        actor = self.picker.GetActor()
        number, model = next(((n, m) for n, (a, m) in self.models.items() if a is actor), (None, None))
        if number is None:
            number, model = next(((n, m) for n, twins in self.twins.items() for _, a, m in twins if a is actor),
                                 (None, None))
        if number is None:
            return None
        feature = int(model.feature[self.picker.GetCellId()])
        distance = float(np.linalg.norm(np.asarray(self.picker.GetPickPosition()) - eye(canvas.pose())))
        return distance, number, feature

    def facts(self, number: int, feature: int) -> tuple[str, list[tuple[str, str]]]:
        """A card's title and rows for a picked feature: its properties, then its tile's metadata."""
        tile = self.tileset.tiles[number]
        model = self.models[number][1]
        props = model.properties[feature] if 0 <= feature < len(model.properties) else {}
        rows = [(str(k), _text(v)) for k, v in props.items()]
        rows += [(str(k), _text(v)) for k, v in tile.metadata.items() if k not in props]
        rows.append(("content", tile.content.name if tile.content else ""))
        name = next((str(props[k]) for k in ("name", "Name", "gml_id") if k in props),
                    f"{tile.content.name} · feature {feature}" if feature >= 0 else tile.content.name)
        return name, rows[:14]


def open_tileset(path: str) -> Tileset:
    """A layout's ``tileset`` parameter read; ValueError (the layout's kind of error) if it cannot be."""
    try:
        tileset = Tileset(path)
    except UserError as exc:
        raise ValueError(f"scene3d tileset: {exc}") from None
    if not tileset.geographic:
        raise ValueError(f"scene3d tileset: {path} has no place on the Earth (a local box): it cannot stand "
                         "beside the city's buildings")
    return tileset


def attach(view, tileset: Tileset) -> TilesetLayer:
    """The tileset as a layer of a scene view's canvas, in its scene's frame; a click on the sky or the
    ground that hits a tile feature opens that feature's card."""
    from console.scene.tileset import frame_mapping

    to_frame, _ = frame_mapping(tileset, view.scene.geometry.frame)
    tileset.place(to_frame)
    layer = TilesetLayer(view.canvas, tileset, to_frame)
    view.canvas.clicked_at.connect(lambda x, y: setattr(layer, "clicked", (x, y)))
    layer.update()
    return layer


def show_picked_feature(layer: TilesetLayer, card) -> bool:
    """After a click that hit no building: the tile feature under it on ``card``; whether there was one."""
    if layer.clicked is None or (hit := layer.pick(*layer.clicked)) is None:
        return False
    card.show_facts(*layer.facts(hit[1], hit[2]))
    return True


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)[:60]


def tile_actor(model: Model) -> vtkActor:
    """One content as one unlit actor: TILE_RGB with the scene's sun baked in per face.

    Colours are per corner, each triangle with corners of its own (as actors.MeshActor's faces are
    split where the shade changes): per-cell colours make VTK fetch a texel per pixel, ~10 % of a
    frame on llvmpipe. The picker's cell numbers stay the triangles' numbers.
    """
    triangles = np.asarray(model.triangles, dtype=np.int64)
    points = np.asarray(model.points, dtype=np.float32)[triangles.ravel()]
    corners = np.arange(len(points), dtype=np.int64).reshape(-1, 3)
    shades = actors.SHADES[actors.shade_levels(points, corners)]
    rgb = np.clip(np.asarray(TILE_RGB, dtype=float)[None, :] * shades[:, None] * 1.4, 0, 255).astype(np.uint8)
    poly = actors.polydata(points, corners)
    colours = numpy_to_vtk(np.repeat(rgb, 3, axis=0), deep=True)
    colours.SetName("colour")
    poly.GetPointData().SetScalars(colours)
    actor = vtkActor()
    actor.SetMapper(actors._direct_colour_mapper(poly, cell=False))
    actor.GetProperty().LightingOff()
    return actor
