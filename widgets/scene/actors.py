"""VTK actors made from the core's numpy meshes; recolouring rewrites one uint8 array in place.

Measured on llvmpipe (SF, 13,167 buildings, 1280×720): per-triangle colours make VTK fetch a
texel per pixel and lighting costs a shader per pixel; together ~40% of a frame. So buildings
are drawn unlit with the light baked in: each triangle gets one of SHADES by how it faces a
fixed sun (roofs brightest, walls turned away darkest), corners are split only where the
colour or shade changes, and a corner's colour is ``table[(building + roof * B) * K + shade]``.
Recolouring is that one fancy-index, written into the array VTK already holds. The sun does not
move with the camera, so a building keeps its look while the view turns round it. Ground,
areas and streets are unlit too, so their colours stay exactly as chosen on the dark wall.
"""

from __future__ import annotations

import numpy as np
import shapely
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (registers the OpenGL mappers and windows)
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import VTK_UNSIGNED_CHAR, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkCommonTransforms import vtkTransform
from vtkmodules.vtkFiltersCore import vtkAppendPolyData
from vtkmodules.vtkFiltersGeneral import vtkTransformFilter
from vtkmodules.vtkFiltersSources import vtkCylinderSource, vtkSphereSource
from vtkmodules.vtkRenderingCore import vtkActor, vtkGlyph3DMapper, vtkLight, vtkPolyDataMapper, vtkRenderer

from console.scene.colour import lighter

GROUND_RGB = (22, 29, 38)  # a shade above the #10151c sky: the city stands on something


def _cells(index: np.ndarray, size: int) -> vtkCellArray:
    count = len(index)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(np.arange(0, (count + 1) * size, size, dtype=np.int64), deep=True),
                  numpy_to_vtkIdTypeArray(np.ascontiguousarray(index, dtype=np.int64).ravel(), deep=True))
    return cells


def polydata(points: np.ndarray, triangles: np.ndarray | None = None, lines: np.ndarray | None = None) -> vtkPolyData:
    poly = vtkPolyData()
    pts = vtkPoints()
    pts.SetData(numpy_to_vtk(np.ascontiguousarray(points, dtype=np.float32), deep=True))
    poly.SetPoints(pts)
    if triangles is not None:
        poly.SetPolys(_cells(triangles, 3))
    if lines is not None:
        poly.SetLines(_cells(lines, 2))
    return poly


def _colour_array(rgb: np.ndarray, deep: bool = True):
    """RGB as VTK cell or point scalars; ``deep=False`` is a view (the caller keeps ``rgb`` alive):
    writing into ``rgb`` then Modified() recolours."""
    array = numpy_to_vtk(np.ascontiguousarray(rgb, dtype=np.uint8), deep=deep, array_type=VTK_UNSIGNED_CHAR)
    array.SetName("rgb")
    return array


def _direct_colour_mapper(poly: vtkPolyData, cell: bool = True) -> vtkPolyDataMapper:
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    if cell:
        mapper.SetScalarModeToUseCellData()
    mapper.SetColorModeToDirectScalars()
    mapper.ScalarVisibilityOn()
    return mapper


SUN = np.array([-0.45, -0.62, 0.64])  # towards the sun: high in the south-west
SHADES = np.linspace(0.5, 1.0, 11)  # share of a colour kept, facing away from the sun .. into it


def shade_levels(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T,) index into SHADES: a third of the light is ambient, the rest falls as the sun sees the face."""
    p = points.astype(np.float64)
    normal = np.cross(p[triangles[:, 1]] - p[triangles[:, 0]], p[triangles[:, 2]] - p[triangles[:, 0]])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    lit = np.clip(np.abs(normal @ (SUN / np.linalg.norm(SUN))), 0.0, 1.0)  # either winding: sides alike
    return np.rint(lit * (len(SHADES) - 1)).astype(np.int64)


def outward(points: np.ndarray, triangles: np.ndarray, building: np.ndarray) -> np.ndarray:
    """The triangles, each building's turned over where they enclose a negative volume.

    The core winds every surface about its polygon's normal, so a building is consistent but
    may face inwards where its source did. Its signed volume (the floor at z = 0 adds nothing)
    says which way: positive is outward, and only then may back faces be culled.
    """
    p = np.asarray(points, dtype=np.float64)
    tri = np.asarray(triangles, dtype=np.int64)
    signed = np.einsum("ij,ij->i", p[tri[:, 0]], np.cross(p[tri[:, 1]], p[tri[:, 2]]))
    volume = np.bincount(building, weights=signed, minlength=int(building.max(initial=-1)) + 1)
    inward = volume[building] < 0
    return np.where(inward[:, None], tri[:, [0, 2, 1]], tri)


class MeshActor:
    """One merged building mesh (a chunk at one level of detail) as one unlit actor, colour per corner.

    Faces turned away from the camera are culled (a third of a frame on llvmpipe), after
    ``outward`` has made every building face out.
    """

    def __init__(self, mesh, buildings: int):
        shades = len(SHADES)
        building = np.asarray(mesh.building, dtype=np.int64)
        triangles = outward(mesh.points, mesh.triangles, building)
        face = (building + np.asarray(mesh.roof, dtype=np.int64) * buildings) * shades
        face += shade_levels(mesh.points, triangles)
        # a corner per (point, colour row): shared by the faces of one wall or one roof, split at edges
        key = triangles * (2 * buildings * shades) + face[:, None]
        corners, inverse = np.unique(key.ravel(), return_inverse=True)
        self.index = corners % (2 * buildings * shades)
        self.rgb = np.zeros((len(corners), 3), dtype=np.uint8)
        self.poly = polydata(np.asarray(mesh.points)[corners // (2 * buildings * shades)], inverse.reshape(-1, 3))
        self.colours = _colour_array(self.rgb, deep=False)
        self.poly.GetPointData().SetScalars(self.colours)
        numbers = numpy_to_vtk(building.astype(np.int32), deep=True)
        numbers.SetName("building")
        self.poly.GetCellData().AddArray(numbers)  # what the picker reads back
        self.buildings = np.unique(building)
        self.actor = vtkActor()
        self.actor.SetMapper(_direct_colour_mapper(self.poly, cell=False))
        self.actor.GetProperty().LightingOff()
        self.actor.GetProperty().BackfaceCullingOn()

    def recolour(self, table: np.ndarray) -> None:
        """``table``: (2 B K, 3) uint8 from ``shaded_table``."""
        np.take(table, self.index, axis=0, out=self.rgb)
        self.colours.Modified()


def shaded_table(rgb: np.ndarray, roof_rgb: np.ndarray | None = None) -> np.ndarray:
    """(2 B K, 3) uint8: each building's wall colour, then its roof colour (``lighter`` unless
    given), each at every shade of SHADES."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    roofs = lighter(rgb) if roof_rgb is None else np.asarray(roof_rgb, dtype=np.uint8)
    scale = np.rint(SHADES * 256).astype(np.uint16)
    both = np.concatenate([rgb, roofs]).astype(np.uint16)
    return ((both[:, None, :] * scale[None, :, None]) >> 8).clip(0, 255).astype(np.uint8).reshape(-1, 3)


def paint(table: np.ndarray, building: int, rgb) -> None:
    """Set one building's rows of a ``shaded_table`` (walls, roofs) for colour ``rgb``, in place."""
    shades, count = len(SHADES), len(table) // (2 * len(SHADES))
    rows = shaded_table(np.asarray([rgb], dtype=np.uint8))
    table[building * shades:(building + 1) * shades] = rows[:shades]
    table[(building + count) * shades:(building + count + 1) * shades] = rows[shades:]


def flat_table(rgb: np.ndarray) -> np.ndarray:
    """Like ``shaded_table`` with no shading and roofs as walls: exact colours (the number image)."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    return np.repeat(np.concatenate([rgb, rgb]), len(SHADES), axis=0)


class Buildings:
    """The scene's buildings as actors: per chunk a fine mesh, the core's coarse boxes, and their
    roofs alone; one level per chunk is shown. Still: fine. Moving: boxes, or roofs alone where
    the chunk's buildings are under TOPS_PX on screen (walls of a few pixels are not missed for
    the moment the camera moves, and they are half a coarse frame's cost on llvmpipe).
    """

    TOPS_PX = 8.0

    def __init__(self, geometry):
        count = len(geometry.ids)
        self.fine = [MeshActor(chunk.fine, count) for chunk in geometry.chunks]
        self.coarse = [MeshActor(chunk.coarse, count) for chunk in geometry.chunks]
        self.tops = [MeshActor(_roofs(chunk.coarse), count) for chunk in geometry.chunks]
        self.chunk_of = np.zeros(count, dtype=np.int64)  # building number -> its chunk
        for number, mesh in enumerate(self.fine):
            self.chunk_of[mesh.buildings] = number
        size = np.sqrt(shapely.area(np.asarray(geometry.footprints_xy, dtype=object)).astype(np.float64))
        self.size_m = [float(np.median(size[m.buildings])) if len(m.buildings) else 0.0 for m in self.fine]
        self.boxes = [np.asarray(m.poly.GetBounds()).reshape(3, 2) for m in self.fine]
        self.moving = False

    def meshes(self) -> list[MeshActor]:
        return self.fine + self.coarse + self.tops

    def show(self, moving: bool, eye, px_per_m_at_1m: float) -> None:
        """Pick each chunk's level for a camera at ``eye``: a metre at 1 m is ``px_per_m_at_1m`` pixels."""
        self.moving = moving
        for k, box in enumerate(self.boxes):
            distance = float(np.linalg.norm(np.asarray(eye) - np.clip(eye, box[:, 0], box[:, 1])))
            small = self.size_m[k] * px_per_m_at_1m / max(distance, 1.0) < self.TOPS_PX
            level = "fine" if not moving else "tops" if small else "coarse"
            for name in ("fine", "coarse", "tops"):
                getattr(self, name)[k].actor.SetVisibility(name == level)

    def recolour(self, table: np.ndarray, buildings: list[int] | None = None) -> None:
        """All chunks, or only those holding ``buildings``."""
        chunks = range(len(self.fine)) if buildings is None else sorted({int(self.chunk_of[b]) for b in buildings})
        for k in chunks:
            for level in (self.fine, self.coarse, self.tops):
                level[k].recolour(table)


def _roofs(mesh):
    """The roof triangles of a mesh alone (same points)."""
    roof = np.asarray(mesh.roof, dtype=bool)
    return type(mesh)(mesh.points, np.asarray(mesh.triangles)[roof], np.asarray(mesh.building)[roof], roof[roof])


def unlit(actor: vtkActor) -> vtkActor:
    prop = actor.GetProperty()
    prop.LightingOff()
    actor.PickableOff()
    return actor


def ground_actor(bounds: tuple, margin: float = 0.15) -> vtkActor:
    """A plane under the scene's footprint (a little wider), just below z = 0."""
    xmin, xmax, ymin, ymax = bounds[:4]
    pad = max(xmax - xmin, ymax - ymin, 100.0) * margin
    x0, x1, y0, y1, z = xmin - pad, xmax + pad, ymin - pad, ymax + pad, -0.5
    poly = polydata(np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]), np.array([[0, 1, 2], [0, 2, 3]]))
    actor = vtkActor()
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*(c / 255 for c in GROUND_RGB))
    return unlit(actor)


def area_actor(mesh, class_rgb: np.ndarray) -> vtkActor:
    """Flat areas (water, parks) on the ground, coloured by class; drawn over the ground plane."""
    poly = polydata(mesh.points, mesh.triangles)
    rgb = np.asarray(class_rgb, dtype=np.uint8)[np.asarray(mesh.building)]
    poly.GetCellData().SetScalars(_colour_array(rgb))
    actor = vtkActor()
    mapper = _direct_colour_mapper(poly)
    mapper.SetResolveCoincidentTopologyToPolygonOffset()
    actor.SetMapper(mapper)
    actor.SetPosition(0, 0, -0.2)
    return unlit(actor)


def line_actor(points: np.ndarray, segments: np.ndarray, rgb, width: float = 1.0) -> vtkActor:
    """Streets and the like: one actor of line segments, one colour or one per segment."""
    poly = polydata(points, lines=segments)
    colours = np.asarray(rgb, dtype=np.uint8)
    if colours.ndim == 1:
        colours = np.broadcast_to(colours, (len(segments), 3))
    poly.GetCellData().SetScalars(_colour_array(colours))
    actor = vtkActor()
    actor.SetMapper(_direct_colour_mapper(poly))
    actor.GetProperty().SetLineWidth(width)
    return unlit(actor)


def _beacon(size: float) -> vtkPolyData:
    """An upright pin: a thin mast with a ball on top, base at the origin, ``size`` the ball's width."""
    mast = vtkCylinderSource()
    mast.SetRadius(size * 0.12)
    mast.SetHeight(size * 4)
    mast.SetResolution(8)
    mast.SetCenter(0, size * 2, 0)  # along +y from 0 to 4 * size; turned upright below
    ball = vtkSphereSource()
    ball.SetRadius(size * 0.5)
    ball.SetCenter(0, size * 4.2, 0)
    ball.SetThetaResolution(14)
    ball.SetPhiResolution(10)
    both = vtkAppendPolyData()
    both.AddInputConnection(mast.GetOutputPort())
    both.AddInputConnection(ball.GetOutputPort())
    upright = vtkTransform()
    upright.RotateX(90)  # +y becomes +z
    turn = vtkTransformFilter()
    turn.SetTransform(upright)
    turn.SetInputConnection(both.GetOutputPort())
    turn.Update()
    return turn.GetOutput()


def _sphere(size: float) -> vtkPolyData:
    ball = vtkSphereSource()
    ball.SetRadius(size * 0.5)
    ball.SetThetaResolution(14)
    ball.SetPhiResolution(10)
    ball.Update()
    return ball.GetOutput()


SHAPES = {"sphere": _sphere, "beacon": _beacon}


def glyph_actor(xyz: np.ndarray, rgb: np.ndarray, shape: str, size_m: float) -> vtkActor:
    """One actor for a whole layer of markers (sensors, incident beacons), coloured per point."""
    poly = polydata(xyz)
    poly.GetPointData().SetScalars(_colour_array(rgb))
    mapper = vtkGlyph3DMapper()
    mapper.SetInputData(poly)
    mapper.SetSourceData(SHAPES[shape](size_m))
    mapper.ScalingOff()
    mapper.OrientOff()
    mapper.SetScalarModeToUsePointData()
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor()
    actor.SetMapper(mapper)
    if shape == "beacon":  # a flat, full-strength symbol: an incident must not sit in shadow
        return unlit(actor)
    prop = actor.GetProperty()
    prop.SetAmbient(0.5)
    prop.SetDiffuse(0.6)
    actor.PickableOff()
    return actor


def add_lights(renderer: vtkRenderer) -> None:
    """A sun high in the south-west and a faint headlight: walls facing away stay readable."""
    renderer.RemoveAllLights()
    renderer.AutomaticLightCreationOff()
    sun = vtkLight()
    sun.SetLightTypeToSceneLight()
    sun.SetPositional(False)
    sun.SetPosition(-0.5, -0.7, 1.2)
    sun.SetFocalPoint(0.0, 0.0, 0.0)
    sun.SetIntensity(0.75)
    head = vtkLight()
    head.SetLightTypeToHeadlight()
    head.SetIntensity(0.3)
    renderer.AddLight(sun)
    renderer.AddLight(head)


def number_colours(count: int) -> np.ndarray:
    """(count, 3) uint8: building n drawn as the 24-bit number n + 1 (0 stays "none")."""
    code = np.arange(1, count + 1, dtype=np.int64)
    return np.stack([(code >> 16) & 255, (code >> 8) & 255, code & 255], axis=1).astype(np.uint8)


def decode_numbers(rgb: np.ndarray) -> np.ndarray:
    """The inverse of ``number_colours`` for an (H, W, 3) image: building numbers, -1 for none."""
    rgb = rgb.astype(np.int32)
    return ((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]) - 1
