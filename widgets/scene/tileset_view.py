"""`cityops scene TILESET.json [FILES]`: a 3D Tiles tileset in the wall's 3D canvas, with building files
beside it, for a supervisor checking what a Real-Scene 3D or photogrammetry provider delivered.

The buildings are meshed on a worker thread (as the wall's view does, and stopped with the view as
its build is) in a frame centred on the tileset; the tileset is a ``TilesetLayer`` refined as the
camera moves. A click shows the building or the tile feature under it (the nearer of the two), with
its properties on the card.
"""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from console.errors import UserError
from console.scene.camera import eye, fit, fit_points
from console.scene.frame import Frame
from console.scene.mesh import Cancelled, SceneGeometry, build_scene
from console.scene.tileset import Tileset, frame_mapping
from widgets.i18n import tr
from widgets.scene.loader import Jobs
from widgets.scene.overlay import InfoCard, StatusLine
from widgets.scene.tiles3d import FOV_DEG, TilesetLayer

MAX_FITS = 4  # refinement changes what is drawn, and so the framing: it settles within a few rounds


def tileset_frame(tileset: Tileset, with_buildings: bool) -> Frame | None:
    """The scene's frame: centred on a placed tileset; None (its own metres) for a local one, which
    cannot stand beside buildings (UserError then)."""
    if tileset.geographic:
        return Frame.around(*tileset.lon_lat_box()[:4])
    if with_buildings:
        raise UserError(f"{tileset.path}: a tileset with no place on the Earth (a local box, no transform to "
                        "ECEF) cannot be shown beside buildings; show it alone")
    return None


class _Relay(QObject):
    """Carries the buildings from the worker to the view (queued). Unparented: the worker may still
    hold it after the view is deleted, and a signal emitted on a deleted view raises on the worker."""

    built = Signal(object)  # SceneGeometry


class TilesetView(QWidget):
    def __init__(self, tileset: Tileset, rows: list[dict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from widgets.scene.canvas import SceneCanvas

        self.tileset = tileset
        self.frame = tileset_frame(tileset, bool(rows))
        to_frame, _ = frame_mapping(tileset, self.frame)
        tileset.place(to_frame)
        box = QVBoxLayout(self)
        row = QHBoxLayout()
        self.canvas, self.card = SceneCanvas(self), InfoCard(self)
        row.addWidget(self.canvas, 1)
        row.addWidget(self.card, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(row, 1)
        self.status = StatusLine()
        box.addWidget(self.status)
        self.geometry_: SceneGeometry | None = None
        self.layer = TilesetLayer(self.canvas, tileset, to_frame)
        self.layer.changed.connect(self._status)
        self.layer.changed.connect(self._frame_drawn)
        self.fits_left = MAX_FITS
        self.canvas.interaction_started.connect(self._stop_framing)
        self.canvas.clicked_at.connect(self._clicked)
        self.jobs = Jobs()
        self.destroyed.connect(self.jobs.cancel)  # a closed view stops its build
        self._relay = _Relay()
        self._relay.built.connect(self._built)
        thread = threading.Thread(target=_build, args=(rows, self.frame, self._relay, self.jobs.new()),
                                       daemon=True, name="tileset-buildings")
        thread.start()

    def _built(self, geometry: SceneGeometry) -> None:
        self.geometry_ = geometry
        lo, hi = self.tileset.root.box
        bounds = (min(lo[0], geometry.bounds[0]) if geometry.ids else lo[0],
                  max(hi[0], geometry.bounds[1]) if geometry.ids else hi[0],
                  min(lo[1], geometry.bounds[2]) if geometry.ids else lo[1],
                  max(hi[1], geometry.bounds[3]) if geometry.ids else hi[1], 0.0,
                  max(hi[2], geometry.bounds[5]) if geometry.ids else hi[2])
        shown = SceneGeometry(geometry.frame, geometry.ids, geometry.rows, geometry.centres, geometry.footprints_xy,
                              geometry.chunks, tuple(float(v) for v in bounds), Counter(geometry.skipped),
                              Counter(geometry.repaired))
        self.canvas.set_geometry(shown)
        self.canvas.set_pose(fit(shown.bounds, fov_deg=FOV_DEG,
                                 aspect=max(1, self.canvas.width()) / max(1, self.canvas.height())))
        self.layer.update()

    def _frame_drawn(self) -> None:
        """The camera on what is drawn (tile meshes and buildings), filling the panel, until the
        operator moves it: the root's bounding volume alone frames empty corners too, and left the
        content in the middle half of the window."""
        if self.fits_left <= 0 or not self.layer.shown or self.layer.pending:
            return
        points = [self.layer.models[n][1].points for n in self.layer.shown if n in self.layer.models]
        if self.geometry_ is not None and self.geometry_.ids:
            x0, x1, y0, y1, z0, z1 = self.geometry_.bounds
            points.append(np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]))
        if not points:
            return
        self.fits_left -= 1
        pose = fit_points(np.concatenate(points), fov_deg=FOV_DEG,
                          aspect=max(1, self.canvas.width()) / max(1, self.canvas.height()))
        self.canvas.set_home(pose)
        if pose != self.canvas.pose():
            self.canvas.set_pose(pose)

    def _stop_framing(self) -> None:
        self.fits_left = 0

    def _clicked(self, x: int, y: int) -> None:
        """The nearer of the building and the tile feature under the click goes on the card."""
        tile = self.layer.pick(x, y)
        building = self.canvas.pick(x, y) if self.geometry_ is not None and self.geometry_.ids else None
        if building is not None:
            centre = self.geometry_.centres[building]
            if tile is None or np.linalg.norm(np.asarray(eye(self.canvas.pose())) - centre) < tile[0]:
                r = self.geometry_.rows[building]
                facts = [(tr("scene", "height"), f"{r['height']:.1f} m" if r.get("height") else "—")]
                facts += [(k, str(r[k])) for k in ("use", "year", "levels") if r.get(k) is not None]
                self.card.show_facts(r.get("name") or r["id"], facts)
                self.canvas.set_highlight(building)
                return
        self.canvas.set_highlight(None)
        if tile is None:
            self.card.close_card()
            return
        self.card.show_facts(*self.layer.facts(tile[1], tile[2]))

    def _status(self) -> None:
        parts = [tr("scene", "tiles shown: {n}").format(n=len(self.layer.shown)),
                 tr("scene", "triangles: {n:,}").format(n=self.layer.triangles_shown())]
        if self.geometry_ is not None and self.geometry_.ids:
            parts.append(tr("scene", "buildings: {n}").format(n=len(self.geometry_.ids)))
        if failed := sum(self.layer.failed.values()):
            parts.append(tr("scene", "left out: {n} ({why})").format(n=failed, why="; ".join(self.layer.failed)))
        self.status.show_text("  ·  ".join(parts))


def _build(rows: list[dict], frame: Frame | None, relay: _Relay, stop: threading.Event) -> None:
    """The buildings' meshes, on the worker; nothing once the view is gone."""
    try:
        geometry = build_scene(rows, frame or Frame(0.0, 0.0), cancelled=stop.is_set)
    except Cancelled:
        return
    if not stop.is_set():
        relay.built.emit(geometry)
