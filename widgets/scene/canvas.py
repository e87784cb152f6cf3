"""The 3D scene canvas: one VTK renderer behind either surface, drawing only when something changed.

Costs on a 2-core software-GL wall decide the shape: buildings arrive as a few merged chunk
meshes (VTK culls chunks off screen), each with coarser twins drawn while the camera moves
(``actors.Buildings``); recolouring rewrites colour arrays in place; a render is requested, never
done at once, so any number of changes in one event-loop turn cost one frame, and an idle scene
runs no timer at all. Picking reads the building number stored on each triangle, on both surfaces.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from vtkmodules.vtkRenderingCore import vtkCellPicker, vtkRenderer

from console.scene.camera import Flight, Pose, eye, fit
from console.scene.colour import NEUTRAL, SELECTED
from widgets.i18n import tr
from widgets.scene import CANVAS_NAME, actors, backend
from widgets.scene.interaction import Interaction
from widgets.scene.surfaces import SKY, image_rgb, make_surface

FOV_DEG = 30.0
SETTLE_MS = 200  # still this long after the last motion: back to the fine meshes
FLIGHT_FRAME_MS = 33


class SceneCanvas(QWidget):
    """Buildings, ground layers and markers in one view; see the module docstring for the costs."""

    picked = Signal(int)  # building number under a click; -1 for none
    clicked_at = Signal(int, int)  # widget pixel of a click, just before ``picked`` (other layers pick too)
    pose_changed = Signal()
    interaction_started = Signal()
    interaction_finished = Signal()

    def __init__(self, parent: QWidget | None = None, kind: str | None = None):
        """``kind="offscreen"`` renders off screen even where native windows exist; a native
        surface is only ever made where ``backend.choose`` allows it (elsewhere it crashes)."""
        super().__init__(parent)
        self.setObjectName(CANVAS_NAME)
        self.kind = "offscreen" if kind == "offscreen" else backend.choose()
        self.renders = 0  # frames drawn: render-on-demand is tested by counting them
        self.interacting = False
        self.interaction = Interaction(self.pose, self._moved, self._clicked, self.ground_at,
                                       self.height, lambda: self._home, FOV_DEG)
        self._pose = Pose((0.0, 0.0, 0.0), 1000.0, 200.0, 35.0)
        self._home: Pose | None = None
        self._posed = False  # a pose was set: a new geometry keeps it instead of framing itself
        self._geometry = None
        self._buildings: actors.Buildings | None = None
        self._colours = np.zeros((0, 3), dtype=np.uint8)
        self._table = np.zeros((0, 3), dtype=np.uint8)  # shaded colour rows, highlight included
        self._highlight: int | None = None
        self._layers: dict[str, object] = {}  # name -> actor (markers, lines, areas)
        self._ground = None
        self._dirty = False
        self._flight: tuple[Flight, float] | None = None

        self._render_timer = _single_shot(self, 0, self._render_if_dirty)
        self._settle = _single_shot(self, SETTLE_MS, self._settled)
        self._flight_timer = QTimer(self)
        self._flight_timer.setInterval(FLIGHT_FRAME_MS)
        self._flight_timer.timeout.connect(self._fly)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        software = backend.gl_info(self.kind).software  # probed before our window exists: VTK crashes otherwise
        self.surface = make_surface(self.kind, self, self.interaction, self.render_now, self.request_render)
        if self.surface is None:  # no OpenGL at all here: say so instead of crashing the wall
            note = QLabel(tr("scene", "3D scene unavailable: no OpenGL on this machine (EGL or OSMesa)"))
            note.setWordWrap(True)
            box.addWidget(note)
            self.renderer = None
            return
        box.addWidget(self.surface)
        self.window = self.surface.window
        if software:
            self.window.SetMultiSamples(0)  # MSAA costs a multiple of the frame on llvmpipe
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(SKY.redF(), SKY.greenF(), SKY.blueF())
        self.renderer.UseFXAAOff()
        self.window.AddRenderer(self.renderer)
        actors.add_lights(self.renderer)
        self.renderer.GetActiveCamera().SetViewAngle(FOV_DEG)
        self.picker = vtkCellPicker()
        self.picker.PickFromListOn()

    # -- content -------------------------------------------------------------------------
    def set_geometry(self, geometry, buildings: actors.Buildings | None = None) -> None:
        """Show a built scene (console.scene.mesh.SceneGeometry); frames it when no pose was set.

        ``buildings``: ``actors.Buildings(geometry)`` made beforehand on a worker thread (it holds
        no OpenGL yet); for 100,000 buildings that is ~2 s the UI thread need not wait.
        """
        if self.renderer is None:
            return
        old = ([m.actor for m in self._buildings.meshes()] if self._buildings else []) + [self._ground]
        for actor in old:
            self.renderer.RemoveActor(actor)
        self.picker.InitializePickList()
        self._geometry = geometry
        self._buildings = buildings or actors.Buildings(geometry)
        for mesh in self._buildings.meshes():
            self.renderer.AddActor(mesh.actor)
            self.picker.AddPickList(mesh.actor)
        self._ground = actors.ground_actor(geometry.bounds)
        self._ground.SetVisibility(bool(geometry.ids))
        self.renderer.AddActor(self._ground)
        self._highlight = None
        self.set_colours(np.broadcast_to(np.asarray(NEUTRAL, dtype=np.uint8), (len(geometry.ids), 3)))
        x0, x1, y0, y1 = geometry.bounds[:4]
        self.interaction.distance_range = (10.0, max(x1 - x0, y1 - y0, 100.0) * 8)
        self._home = fit(geometry.bounds, fov_deg=FOV_DEG, aspect=max(1, self.width()) / max(1, self.height()))
        if not self._posed:
            self.set_pose(self._home)
        self.request_render()

    def set_colours(self, rgb: np.ndarray) -> None:
        """One colour per building number, (B, 3) uint8; only the colour arrays change."""
        if self._buildings is None:
            return
        self._colours = np.array(rgb, dtype=np.uint8)
        self._table = actors.shaded_table(self._colours)
        if self._highlight is not None:
            actors.paint(self._table, self._highlight, SELECTED)
        self._buildings.recolour(self._table)
        self.request_render()

    def set_highlight(self, building: int | None) -> None:
        """Draw one building in the selection colour (None: none); only its chunk is recoloured."""
        if building == self._highlight or self._buildings is None:
            return
        if self._highlight is not None:
            actors.paint(self._table, self._highlight, self._colours[self._highlight])
        if building is not None:
            actors.paint(self._table, building, SELECTED)
        touched = [b for b in (self._highlight, building) if b is not None]
        self._highlight = building
        self._buildings.recolour(self._table, touched)
        self.request_render()

    def set_points(self, name: str, xyz: np.ndarray, rgb: np.ndarray, shape: str, size_m: float) -> None:
        """A layer of markers: "sphere" (sensors) or "beacon" (incidents); replaces a layer of that name."""
        self._set_layer(name, actors.glyph_actor(xyz, rgb, shape, size_m) if len(xyz) else None)

    def set_lines(self, name: str, points: np.ndarray, segments: np.ndarray, rgb, width: float = 1.0) -> None:
        """Line segments on the ground (streets, waterways, warning areas): one colour, or one per segment."""
        self._set_layer(name, actors.line_actor(points, segments, rgb, width) if len(segments) else None)

    def set_areas(self, name: str, mesh, class_rgb: np.ndarray) -> None:
        """Flat areas on the ground (water, parks): ``mesh.building`` holds each triangle's class."""
        self._set_layer(name, actors.area_actor(mesh, class_rgb) if len(mesh.triangles) else None)

    def _set_layer(self, name: str, actor) -> None:
        if self.renderer is None:
            return
        old = self._layers.pop(name, None)
        if old is not None:
            self.renderer.RemoveActor(old)
        if actor is not None:
            self._layers[name] = actor
            self.renderer.AddActor(actor)
        self.request_render()

    # -- camera ----------------------------------------------------------------------------
    def pose(self) -> Pose:
        return self._pose

    def set_home(self, pose: Pose) -> None:
        """Where the Home key returns to (the view of everything shown), when a layer other than
        the buildings decides what that is."""
        self._home = pose

    def set_pose(self, pose: Pose, moving: bool = False) -> None:
        """Show ``pose``: still (fine meshes at once), or ``moving`` (a tour's flight: coarse
        meshes until the camera has been still a moment)."""
        self._flight_timer.stop()
        self._flight = None
        if moving:
            self._moved(pose)
            return
        if self.interacting:
            self._settle.stop()
            self._settled()
        self._apply(pose)

    def fly_to(self, pose: Pose, duration_s: float = 2.0) -> None:
        """Fly there (eased); coarse meshes on the way, the fine ones once it has arrived."""
        self._flight = (Flight(self._pose, pose, duration_s), time.monotonic())
        self._flight_timer.start()
        self._fly()

    def _fly(self) -> None:
        if self._flight is None:
            return
        flight, began = self._flight
        elapsed = time.monotonic() - began
        self._moved(flight.pose(elapsed))
        if flight.done(elapsed):
            self._flight_timer.stop()
            self._flight = None

    def _apply(self, pose: Pose) -> None:
        self._pose = pose
        self._posed = True
        if self.renderer is not None:
            camera = self.renderer.GetActiveCamera()
            camera.SetFocalPoint(*pose.focal)
            camera.SetPosition(*eye(pose))
            camera.SetViewUp(0.0, 0.0, 1.0)
        self.pose_changed.emit()
        self.request_render()

    def _moved(self, pose: Pose) -> None:
        """A motion (drag, wheel, key, flight): coarse meshes until it has been still a moment."""
        if not self.interacting:
            self.interacting = True
            self.interaction_started.emit()
        self._settle.start()
        self._apply(pose)

    def _settled(self) -> None:
        if self._flight is not None:
            return
        self.interacting = False
        self.request_render()
        self.interaction_finished.emit()

    @property
    def lod(self) -> str:
        """"fine" or "coarse": what the last frame drew (coarse: boxes, or roofs where they are tiny)."""
        return "coarse" if self._buildings is not None and self._buildings.moving else "fine"

    # -- picking -------------------------------------------------------------------------
    def _sync_size(self) -> None:
        """The render window at the canvas's size, shown or not (a hidden canvas runs no layout)."""
        if self.surface.size() != self.size():
            self.surface.resize(self.size())
        self.surface.sync_size()

    def _display(self, x: float, y: float) -> tuple[float, float]:
        """VTK display coordinates of a widget pixel's centre (VTK counts rows from the bottom,
        and its integer coordinates are pixel corners: the rasteriser samples centres)."""
        ratio = self.surface.devicePixelRatioF()
        return (x + 0.5) * ratio, (self.height() - y - 0.5) * ratio

    def pick(self, x: int, y: int) -> int | None:
        """The building number under widget pixel (x, y), or None (sky, ground, a marker)."""
        if self.renderer is None or self._geometry is None:
            return None
        self._sync_size()
        self.renderer.ResetCameraClippingRange()
        if not self.picker.Pick(*self._display(x, y), 0.0, self.renderer):
            return None
        numbers = self.picker.GetDataSet().GetCellData().GetArray("building")
        return int(numbers.GetValue(self.picker.GetCellId()))

    def ground_at(self, x: float, y: float) -> tuple[float, float, float] | None:
        """Where the ray through widget pixel (x, y) meets the ground (z = 0); None above the horizon."""
        if self.renderer is None:
            return None
        self._sync_size()
        ends = []
        for depth in (0.0, 1.0):
            self.renderer.SetDisplayPoint(*self._display(x, y), depth)
            self.renderer.DisplayToWorld()
            wx, wy, wz, w = self.renderer.GetWorldPoint()
            ends.append(np.array([wx, wy, wz]) / w)
        near, far = ends
        if far[2] >= near[2]:
            return None
        t = near[2] / (near[2] - far[2])
        hit = near + (far - near) * t
        return float(hit[0]), float(hit[1]), 0.0

    def project(self, xyz) -> tuple[float, float]:
        """The widget pixel where a point of the scene is drawn (for labels and tests)."""
        if self.renderer is None:
            return -1.0, -1.0
        self._sync_size()
        self.renderer.SetWorldPoint(*map(float, xyz), 1.0)
        self.renderer.WorldToDisplay()
        x, y, _ = self.renderer.GetDisplayPoint()
        ratio = self.surface.devicePixelRatioF()
        return x / ratio - 0.5, self.height() - y / ratio - 0.5

    def building_image(self) -> np.ndarray:
        """(H, W) int32: the building number drawn at each physical pixel, -1 where none.

        One frame with unlit, number-coded colours (exact: no MSAA, no FXAA): what pixel tests
        check against, independent of the picker.
        """
        if self.renderer is None or self._geometry is None:
            return np.full((1, 1), -1, dtype=np.int32)
        others = [a for a in (self._ground, *self._layers.values()) if a.GetVisibility()]
        for actor in others:
            actor.SetVisibility(False)
        self._buildings.recolour(actors.flat_table(actors.number_colours(len(self._geometry.ids))))
        self.renderer.SetBackground(0.0, 0.0, 0.0)
        self.render_now()
        numbers = actors.decode_numbers(image_rgb(self.surface.image()))
        self.renderer.SetBackground(SKY.redF(), SKY.greenF(), SKY.blueF())
        for actor in others:
            actor.SetVisibility(True)
        self._buildings.recolour(self._table)
        self.request_render()  # the frame on show is the number image: draw the scene again
        return numbers

    def _clicked(self, x: int, y: int) -> None:
        self.clicked_at.emit(x, y)
        number = self.pick(x, y)
        self.picked.emit(-1 if number is None else number)

    # -- rendering -----------------------------------------------------------------------
    def request_render(self) -> None:
        """Ask for a frame; all requests of one event-loop turn become one render."""
        self._dirty = True
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _render_if_dirty(self) -> None:
        if self._dirty and self.isVisible():
            self.render_now()

    def render_now(self) -> None:
        """Draw at once (benchmarks, exposure); everything else goes through ``request_render``."""
        if self.renderer is None:
            return
        self._dirty = False
        self._sync_size()
        if self._buildings is not None:
            px_per_m = self.window.GetSize()[1] / (2 * math.tan(math.radians(FOV_DEG) / 2))
            self._buildings.show(self.interacting, eye(self._pose), px_per_m)
        self.renderer.ResetCameraClippingRange()
        self.surface.render_now()
        self.renders += 1

    def grab(self) -> QImage:
        """What the canvas shows, as an image (rendered first if anything changed)."""
        if self.renderer is None:
            return QImage()
        if self._dirty or self.renders == 0:
            self.render_now()
        return self.surface.image()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.request_render()

    def closeEvent(self, event) -> None:
        self._flight_timer.stop()
        self._settle.stop()
        if self.surface is not None:
            self.surface.finalize()
        super().closeEvent(event)


def _single_shot(parent: QWidget, ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer
