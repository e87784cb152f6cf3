"""The health index: the roll-up rule on hand-made stores, and its two views on the demo city in a storm."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtGui import QImage

from console.cache import Cache
from console.layout.parse import load_layout
from console.model.health import CITY_ROW, band, health
from console.model.indicator import Status
from console.platform.create import read_scenario
from console.store import Store
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets import theme
from widgets.base import ViewContext, view_params
from widgets.health import GridCanvas, HealthGrid, HealthTile

AT = 10_000.0
VALUES = {Status.NORMAL: 50.0, Status.WARNING: 80.0, Status.ALARM: 95.0}


def _row(iid: int, district: str | None, category: str) -> dict:
    return {"id": iid, "code": f"{category}.{district}.{iid}", "name": f"Gauge {iid}", "category": category,
            "unit": "%", "interval_s": 60.0, "district_id": district, "warn_high": 70.0, "alarm_high": 90.0}


def _store(spec: list[tuple[str | None, str, Status]]) -> Store:
    """One indicator per (district, category, status); STALE ones last reported an hour ago."""
    store = Store()
    store.load_reference({"indicators": [_row(n + 1, d, c) for n, (d, c, _) in enumerate(spec)],
                          "districts": [{"id": "a", "name": "Alpha"}, {"id": "b", "name": "Beta"}]})
    for n, (_, _, status) in enumerate(spec):
        if status is not Status.NODATA:
            t = AT - 3600 if status is Status.STALE else AT - 30
            store.add_readings(n + 1, np.array([t]), np.array([VALUES.get(status, 50.0)]))
    return store


def test_all_normal_scores_100_everywhere():
    h = health(_store([("a", "traffic", Status.NORMAL), ("a", "power", Status.NORMAL),
                       ("b", "traffic", Status.NORMAL), (None, "weather", Status.NORMAL)]), AT)
    assert h.index == 100.0 and h.coverage == 1.0 and h.worst is Status.NORMAL
    assert [d.name for d in h.districts] == ["City-wide", "Alpha", "Beta"]
    assert h.categories == ["traffic", "power", "weather"]  # the vocabulary's order
    assert all(d.index == 100.0 and d.coverage == 1.0 for d in h.districts)
    assert h.alarms == h.warnings == 0


def test_one_alarm_caps_its_category_so_its_cell_turns_red():
    h = health(_store([("a", "drainage", Status.NORMAL)] * 3 + [("a", "drainage", Status.ALARM)] +
                      [("a", "water", Status.NORMAL)] * 3 + [("a", "water", Status.WARNING)] +
                      [("a", "power", Status.NORMAL)]), AT)
    alpha = h.districts[0]
    drainage, water = alpha.cells["drainage"], alpha.cells["water"]
    assert drainage.score == 25.0 and band(drainage.score) is Status.ALARM  # the mean alone would be 75
    assert drainage.worst is Status.ALARM and drainage.alarms == 1 and drainage.n == 4
    assert water.score == 75.0 and band(water.score) is Status.WARNING  # the mean alone would be 87.5
    assert alpha.index == pytest.approx((25 + 75 + 100) / 3)  # categories weigh equally
    assert alpha.worst is Status.ALARM and (alpha.alarms, alpha.warnings) == (1, 1)
    # the cap only bites when the mean is higher: all in alarm stays at 0
    assert health(_store([("a", "air", Status.ALARM)] * 2), AT).districts[0].cells["air"].score == 0.0


def test_stale_indicators_lower_coverage_not_the_index():
    h = health(_store([("a", "traffic", Status.NORMAL), ("a", "traffic", Status.STALE),
                       ("a", "power", Status.STALE), ("a", "power", Status.NODATA),
                       ("b", "air", Status.STALE)]), AT)
    alpha, beta = h.districts
    assert alpha.cells["traffic"].score == 100.0 and alpha.cells["traffic"].unknown == 1
    assert alpha.cells["power"].score is None and alpha.cells["power"].unknown == 2  # unknown, not 0
    assert alpha.index == 100.0 and alpha.coverage == 0.25
    assert alpha.worst is Status.STALE
    assert beta.index is None and beta.coverage == 0.0  # a dark district does not look healthy
    assert h.index == 100.0 and h.coverage == 0.2
    assert health(_store([("a", "air", Status.STALE)]), AT).index is None


def test_city_index_weights_rows_by_reporting_indicators_and_keeps_city_wide_apart():
    h = health(_store([("a", "traffic", Status.NORMAL), ("a", "power", Status.NORMAL),
                       ("b", "traffic", Status.ALARM), ("b", "power", Status.STALE),
                       (None, "weather", Status.WARNING)]), AT)
    city, alpha, beta = h.districts
    assert city.district_id is CITY_ROW and city.index == 50.0 and "weather" not in alpha.cells
    assert alpha.index == 100.0 and beta.index == 0.0
    # (100 × 2 reporting + 0 × 1 + 50 × 1) / 4: the half-dark district counts for one, not two
    assert h.index == pytest.approx(62.5)
    assert h.coverage == 0.8 and h.worst is Status.ALARM and (h.alarms, h.warnings) == (1, 1)
    # no city-wide indicators: no city-wide row; districts not in the reference keep their id as name
    h = health(_store([("a", "air", Status.NORMAL), ("z", "air", Status.NORMAL)]), AT)
    assert [d.name for d in h.districts] == ["Alpha", "Beta", "z"]


def test_band():
    assert band(None) is Status.NODATA
    assert [band(s) for s in (100, 90, 89.9, 50, 49.9, 0)] == [
        Status.NORMAL, Status.NORMAL, Status.WARNING, Status.WARNING, Status.ALARM, Status.ALARM]


# -- views --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def storm(demo_platform, tmp_path_factory) -> tuple[Cache, float]:
    """A cache synced from the demo platform, and the moment of its first storm with most alarms."""
    folder = tmp_path_factory.mktemp("health")
    shutil.copy(demo_platform.removeprefix("sqlite:///"), folder / "platform.db")
    url = f"sqlite:///{folder / 'platform.db'}"
    cache = Cache(folder / "cache.db")
    SyncEngine(SqlConnector(url), cache).catch_up()
    first = read_scenario(url)["storms"][0]

    def alarms(at: float) -> int:
        store = Store()
        warm_store(store, cache, at)
        return health(store, at).alarms

    return cache, max(np.linspace(first.start, first.end, 7), key=alarms)


def _view(cls, cache: Cache, at: float, qtbot, qapp):
    theme.apply_theme(qapp)
    store = Store()
    warm_store(store, cache, at)
    view = cls(ViewContext(store), {})
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(at)
    qtbot.waitUntil(lambda: view.canvas.paints > 0)  # the first state drawn
    qapp.processEvents()
    return view


def _colour(image: QImage, x: float, y: float) -> str:
    return image.pixelColor(int(x), int(y)).name()


def test_grid_colours_cells_by_band_and_repaints_only_on_change(storm, qtbot, qapp):
    cache, at = storm
    view = _view(HealthGrid, cache, at, qtbot, qapp)
    canvas: GridCanvas = view.canvas
    columns, rows = canvas.state
    assert columns[0] == "Index" and "Drains" in columns and rows[0][0] == "City-wide"
    where = {s.status: (r, c) for r, (_, cells) in enumerate(rows) for c, s in enumerate(cells) if s.text not in "?—"}
    assert Status.ALARM in where and Status.NORMAL in where, "a storm shows alarms beside calm districts"
    image = canvas.grab().toImage()
    alarm = canvas.cell_rect(*where[Status.ALARM])
    assert _colour(image, alarm.center().x(), alarm.top() + alarm.height() * 0.12) == \
        theme.STATUS_COLOURS[Status.ALARM].name()  # filled, above its number
    normal = canvas.cell_rect(*where[Status.NORMAL])
    assert _colour(image, normal.left() + 2, normal.center().y()) == theme.STATUS_COLOURS[Status.NORMAL].name()
    assert _colour(image, normal.right() - 6, normal.center().y()) == theme.SURFACE_RAISED.name()  # calm: a strip only
    qapp.processEvents()
    painted = canvas.paints
    for _ in range(5):
        view.refresh(at)
        qapp.processEvents()
    assert canvas.paints == painted, "nothing changed, nothing repainted"
    view.refresh(at + 3 * 3600)  # hours without data: every cell unknown
    qtbot.waitUntil(lambda: canvas.paints > painted)
    assert {s.text for _, cells in canvas.state[1] for s in cells} <= {"?", "—"}


def test_tile_shows_the_city_index_in_its_band_colour_and_districts_worst_first(storm, qtbot, qapp):
    cache, at = storm
    view = _view(HealthTile, cache, at, qtbot, qapp)
    index, status, lines, rows = view.canvas.state
    assert status is band(float(index)) and "% reporting" in lines[2][0][0]
    assert "alarm" in lines[1][0][0]  # the storm's alarms are counted beside the index
    shown = [float(r[1]) for r in rows]
    assert shown == sorted(shown) and len(rows) == 7  # city-wide + 6 districts, worst first
    image = view.canvas.grab().toImage()
    qapp.processEvents()
    band_colour = theme.STATUS_COLOURS[status].name()
    left = [_colour(image, x, y) for x in range(0, image.width() // 3, 3) for y in range(0, image.height(), 3)]
    assert left.count(band_colour) > 300, "the big index is drawn in its band colour"
    painted = view.canvas.paints
    view.refresh(at)
    qapp.processEvents()
    assert view.canvas.paints == painted


def test_layouts_accept_the_health_views(tmp_path):
    path = tmp_path / "health.toml"
    path.write_text('[[screens]]\nname = "main"\nsize = [1920, 1080]\n[screens.root]\ntype = "columns"\n'
                    '[[screens.root.items]]\nview = "health"\n'
                    '[[screens.root.items]]\nview = "health_grid"\ncategories = ["drainage", "traffic"]\n')
    layout = load_layout(path, view_params())
    assert [v.view for v in layout.views] == ["health", "health_grid"]
    path.write_text(path.read_text().replace('["drainage", "traffic"]', '"drainage"'))
    with pytest.raises(Exception, match="categories"):
        load_layout(path, view_params())


@pytest.mark.parametrize("size", [(640, 300), (900, 500), (1880, 980)])
def test_grid_headers_and_district_names_are_whole_on_a_wall_screen(size, qtbot, qapp):
    """The 3×3 wall's screen is 651 px wide at its scale: eleven columns of ~43 px. The category
    labels stand on two staggered lines (or upright) rather than being cut to "Drai…", and the
    district names' column is as wide as "Kaartinkaupunki" needs."""
    from tests.text_sizes import drawn_text
    from console.model.vocab import CATEGORIES

    theme.apply_theme(qapp)
    districts = ["Kaartinkaupunki", "Kruununhaka", "Kallio", "Kamppi", "Kluuvi", "Punavuori"]
    store = Store()
    store.load_reference({"indicators": [_row(n * 20 + k + 1, f"d{n}", c) for n in range(len(districts))
                                         for k, c in enumerate(CATEGORIES)],
                          "districts": [{"id": f"d{n}", "name": d} for n, d in enumerate(districts)]})
    view = HealthGrid(ViewContext(store), {})
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(AT)
    qapp.processEvents()
    columns, rows = view.canvas.state
    drawn = {d.text for d in drawn_text(view.canvas)}
    assert len(columns) == 11 and not [t for t in drawn if "…" in t], f"cut at {size}: {sorted(drawn)}"
    assert set(columns) <= drawn and {name for name, _ in rows} <= drawn
    label, head, w, h, _, how = view.canvas.geometry()
    assert h > 0 and (how != "row" or size[0] > 1000), "a narrow screen's labels take two lines or stand"
    tile = HealthTile(ViewContext(store), {})  # the health tile's rows name the districts whole too
    qtbot.addWidget(tile)
    tile.resize(*size)
    tile.show()
    tile.refresh(AT)
    qapp.processEvents()
    assert set(districts) <= {d.text for d in drawn_text(tile.canvas)}
