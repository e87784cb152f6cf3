"""The city map: pan/zoom frames with many incidents, and the cold basemap draw.

(a) frames: the Helsinki map (basemap, buildings, labels) with 10,000 and 100,000 incident
    markers in a 1280×720 canvas, panned a few pixels per frame at city and at street zoom, and
    zoomed in and out by wheel steps; frames/s (forced repaint + processed events) of ``MapView``
    vs a bare ``pg.PlotWidget`` of the same size holding one ``ScatterPlotItem`` of the same
    points (severity colour and size per point, pxMode), panned and zoomed alike. The map draws
    far more (the whole basemap) and still wins by clustering and the cached basemap.
(b) basemap: the full Helsinki basemap drawn cold into the cache pixmap (view + margins) at city
    and street zoom: our batched paths vs drawing every feature on its own (the naive way); the
    label placement and drawing are reported beside it.
(c) refresh: the cost of one 4 Hz ``refresh`` when nothing changed, with 100,000 incidents.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import best_of, report  # noqa: E402

SIZE = (1280, 720)
NOW = 1_780_000_000.0


def _reference() -> dict:
    """The demo city's reference data as the store holds it (GeoJSON text per row)."""
    import json

    from console.city import DEFAULT_CITY

    ref: dict[str, list[dict]] = {"districts": [], "map_features": [], "buildings": []}
    for feat in json.loads(Path(DEFAULT_CITY).read_text(encoding="utf-8"))["features"]:
        p, g = feat["properties"], json.dumps(feat["geometry"])
        if p["layer"] == "district":
            ref["districts"].append({"id": p["id"], "name": p["name"], "boundary": g})
        elif p["layer"] == "building":
            ref["buildings"].append({"id": p["id"], "footprint": g, "use": p.get("use")})
        else:
            ref["map_features"].append({"id": p["id"], "layer": p["layer"], "kind": p.get("kind"),
                                        "name": p.get("name"), "geometry": g})
    return ref


def _store(n: int, ref: dict):
    """``n`` open incidents over the city: a third around a few hot spots, the rest anywhere."""
    from console.map.features import reference_bounds
    from console.model.vocab import INCIDENT_KINDS
    from console.store import Store

    west, south, east, north = reference_bounds(ref)
    rng = np.random.default_rng(11)
    hot = rng.uniform((west, south), (east, north), (8, 2))
    k = n // 3
    pick = rng.integers(0, len(hot), k)
    lon = np.concatenate([hot[pick, 0] + rng.normal(0, 0.0015, k), rng.uniform(west, east, n - k)])
    lat = np.concatenate([hot[pick, 1] + rng.normal(0, 0.0008, k), rng.uniform(south, north, n - k)])
    kinds, sev = list(INCIDENT_KINDS), rng.integers(1, 5, n)
    opened = NOW - rng.uniform(3600, 7200, n)  # none new: no pulse in the frames
    store = Store()
    store.load_reference(ref)
    store.add_incidents([dict(id=f"INC-{i:06d}", kind=kinds[i % len(kinds)], severity=int(sev[i]), status="on_scene",
                              district_id=None, lon=float(lon[i]), lat=float(lat[i]), title=f"bench {i}",
                              opened_at=float(opened[i]), updated_at=float(opened[i]), rev=i) for i in range(n)])
    return store


def _frames(app, steps: list, frames: int, rounds: int, cpu: list | None = None) -> list[float]:
    """Frames/s per widget: ``step(i)`` moves its view, then a forced repaint and pending events.
    Best round of each; rounds alternate between the widgets so load changes hit them alike.
    ``cpu``, when given, receives the same per widget counted in this process's CPU time (on a
    shared machine a frame of a few milliseconds waits for a core about as long as it runs)."""
    best = [0.0] * len(steps)
    best_cpu = [0.0] * len(steps)
    for _ in range(rounds):
        for k, (widget, step) in enumerate(steps):
            began, began_cpu = time.perf_counter(), time.process_time()
            for i in range(frames):
                step(i)
                widget.repaint()
                app.processEvents()
            best[k] = max(best[k], frames / (time.perf_counter() - began))
            best_cpu[k] = max(best_cpu[k], frames / max(time.process_time() - began_cpu, 1e-9))
    if cpu is not None:
        cpu[:] = best_cpu
    return best


def case_frames(args: argparse.Namespace) -> None:
    import pyqtgraph as pg

    from console.shell.qt_setup import qt_app
    from widgets import theme
    from widgets.base import ViewContext
    from widgets.map import MapView
    from widgets.map.view import STREET_SCALE

    pg.setConfigOptions(antialias=False, useOpenGL=False)  # DESIGN.md §4: raster on software GL
    app = qt_app()
    ref = _reference()
    frames, rounds = (20, 2) if args.quick else (60, 4)
    for n in (10_000,) if args.quick else (10_000, 100_000):
        store = _store(n, ref)
        view = MapView(ViewContext(store), {"layers": ["incidents", "buildings", "labels"]})
        view.resize(*SIZE)
        view.show()
        app.processEvents()
        extra = view.size() - view.canvas.size()
        view.resize(SIZE[0] + extra.width(), SIZE[1] + extra.height())
        app.processEvents()
        view.refresh(NOW)
        canvas = view.canvas
        canvas.go_home()
        inc = view.incidents
        colours = {s: pg.mkBrush(theme.SEVERITY_COLOURS[s]) for s in (1, 2, 3, 4)}
        bare = pg.PlotWidget()
        scatter = pg.ScatterPlotItem(x=inc.x, y=inc.y, size=[2 * (9 + 2 * (4 - s)) for s in inc.severity],
                                     brush=[colours[int(s)] for s in inc.severity], pen=pg.mkPen("k"), symbol="o",
                                     pxMode=True)
        bare.addItem(scatter)
        bare.resize(*SIZE)
        bare.show()
        app.processEvents()
        assert (canvas.width(), canvas.height()) == (bare.width(), bare.height()) == SIZE
        vb = bare.getViewBox()

        def home_bare(scale: float) -> None:
            w, h = SIZE[0] / scale / 2, SIZE[1] / scale / 2
            vb.setRange(xRange=(canvas.cx - w, canvas.cx + w), yRange=(canvas.cy - h, canvas.cy + h), padding=0)

        for zoom in ("city", "street"):
            canvas.go_home()
            if zoom == "street":
                canvas.set_view(canvas.cx, canvas.cy, STREET_SCALE)
            home_bare(canvas.scale)
            app.processEvents()
            d = 6.0  # pixels per frame, back and forth so both stay over the city

            def pan_map(i: int) -> None:
                canvas.pan_by(d if (i // 20) % 2 == 0 else -d, 0)

            def pan_bare(i: int) -> None:
                vb.translateBy(x=-(d if (i // 20) % 2 == 0 else -d) / canvas.scale)

            cpu: list[float] = []
            ours, base = _frames(app, [(canvas, pan_map), (bare, pan_bare)], frames, rounds, cpu)
            report(f"map {n:,} incidents: pan at {zoom} zoom", "frames/s", base, ours, "higher", incidents=n,
                   size=f"{SIZE[0]}x{SIZE[1]}", basemap_redraws=canvas.cache_draws)
            report(f"map {n:,} incidents: pan at {zoom} zoom, per CPU second of the process", "frames/s",
                   cpu[1], cpu[0], "higher", incidents=n, size=f"{SIZE[0]}x{SIZE[1]}")

        canvas.go_home()
        home_bare(canvas.scale)

        def zoom_map(i: int) -> None:
            canvas.zoom_by(1.25 if (i // 8) % 2 == 0 else 1 / 1.25)

        def zoom_bare(i: int) -> None:
            f = 1.25 if (i // 8) % 2 == 0 else 1 / 1.25
            vb.scaleBy((1 / f, 1 / f))

        ours, base = _frames(app, [(canvas, zoom_map), (bare, zoom_bare)], frames, rounds)
        report(f"map {n:,} incidents: wheel zoom in and out", "frames/s", base, ours, "higher", incidents=n,
               size=f"{SIZE[0]}x{SIZE[1]}", note="the map shows the scaled cache until the zoom settles")

        def settled_map(i: int) -> None:  # every step drawn crisp: basemap again, clusters again
            zoom_map(i)
            canvas._settled()

        ours, base = _frames(app, [(canvas, settled_map), (bare, zoom_bare)], max(8, frames // 4), rounds)
        report(f"map {n:,} incidents: zoom step drawn crisp at once", "frames/s", base, ours, "higher",
               incidents=n, size=f"{SIZE[0]}x{SIZE[1]}", note="worst case: no scaled preview, every step redrawn")

        # (c) an idle tick: nothing changed, nothing drawn
        paints = canvas.paints
        per = best_of(5, lambda: [view.refresh(NOW) for _ in range(20)]) / 20
        assert canvas.paints == paints
        report(f"map {n:,} incidents: idle refresh", "ms", 250.0, per * 1000, "lower",
               incidents=n, note="baseline: the 250 ms budget of one 4 Hz tick")
        view.close()
        bare.close()


def _naive_basemap(painter, geo, view) -> None:
    """Every feature drawn on its own, with its own pen and brush (how a first map is written)."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QPen, QPolygonF

    from console.map.features import STREET_RANK
    from widgets.map import style

    painter.setTransform(view.transform())
    for i, d in enumerate(geo.districts):
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.DISTRICT_FILLS[i % 6])
        for part in d.shape.parts:
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in part.tolist()]))
    fills = {"landuse": style.LANDUSE, "park": style.PARK, "water": style.WATER}
    for s in [*geo.shapes, *geo.buildings]:
        polys = [QPolygonF([QPointF(x, y) for x, y in part.tolist()]) for part in s.parts]
        if s.polygon:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fills.get(s.layer, style.BUILDING))
            for poly in polys:
                painter.drawPolygon(poly)
        else:
            colour, metres, lo, hi = style.STREETS[STREET_RANK.get(s.kind, 2)] if s.layer == "street" else \
                (style.WATER_LINE, 2.0, 1.5, 3.0)
            pen = QPen(colour, min(hi, max(lo, metres * view.scale)))
            pen.setCosmetic(True)
            painter.setPen(pen)
            for poly in polys:
                painter.drawPolyline(poly)


def case_basemap(args: argparse.Namespace) -> None:
    from PySide6.QtGui import QPainter

    from console.map.features import city_geometry
    from console.shell.qt_setup import qt_app
    from widgets.map import style
    from PySide6.QtCore import QRectF

    from widgets.map.basemap import Basemap, View, _image
    from widgets.map.frame import Extent, fit_scale
    from widgets.map.canvas import MARGIN
    from widgets.map.view import STREET_SCALE

    qt_app()
    ref = _reference()
    began = time.perf_counter()
    geo = city_geometry(ref)
    parse_ms = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    basemap = Basemap(geo)
    paths_ms = (time.perf_counter() - began) * 1000
    repeats = 3 if args.quick else 7
    w, h = round(SIZE[0] * (1 + 2 * MARGIN)), round(SIZE[1] * (1 + 2 * MARGIN))
    x0, y0, x1, y1 = geo.bounds
    for zoom, scale in (("city", fit_scale(Extent(geo.bounds), QRectF(0, 0, *SIZE))), ("street", STREET_SCALE)):
        view = View((x0 + x1) / 2, (y0 + y1) / 2, scale, w, h)

        def ours() -> None:
            pix = _image(view, 1.0, style.LAND)
            p = QPainter(pix)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            basemap.paint(p, view)
            p.end()

        def naive() -> None:
            pix = _image(view, 1.0, style.LAND)
            p = QPainter(pix)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            _naive_basemap(p, geo, view)
            p.end()

        candidate, baseline = best_of(repeats, ours) * 1000, best_of(repeats, naive) * 1000
        with_labels = best_of(repeats, lambda: basemap.render(view)) * 1000
        report(f"basemap cold draw at {zoom} zoom ({w}x{h} cache)", "ms", baseline, candidate, "lower",
               with_labels_ms=round(with_labels, 1), parse_ms=round(parse_ms, 1), paths_ms=round(paths_ms, 1),
               features=len(geo.shapes) + len(geo.buildings) + len(geo.districts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 markers only, fewer frames")
    parser.add_argument("--only", choices=("frames", "basemap"))
    args = parser.parse_args()
    if args.only in (None, "basemap"):
        case_basemap(args)
    if args.only in (None, "frames"):
        case_frames(args)


if __name__ == "__main__":
    main()
