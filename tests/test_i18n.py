"""The Chinese interface: the catalogue loads, covers every string the code and layouts use, and
every view shows its words in Chinese (data — names, places, numbers — stays as it comes)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt

from console.alarms import AlarmManager
from console.cache import Cache, outbox
from console.errors import UserError
from console.incidents.filters import incident_rows
from console.model.action import Operator
from console.model.vocab import CATEGORIES
from console.platform.create import read_scenario
from console.shell.qt_setup import qt_app
from console.store import Store
from console.store.history import HistorySource
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from resources.i18n import update
from tests.i18n_check import chinese, data_texts, english_left, visible_strings
from widgets import VIEWS, ViewContext, i18n
from widgets.alarms import AlarmList
from widgets.map.canvas import LAYERS
from widgets.trend_history import wait_for_fetches

#: Parameters that make each view show all it can (every filter, layer and chart unit).
FULL = {
    "tiles": {"categories": list(CATEGORIES)},
    "trend": {"indicators": ["weather.rain.intensity", "drainage.level.kluuvi.1", "weather.temperature"]},
    "alarms": {"include_shelved": True},
    "incidents": {"include_closed": True, "filters": True},
    "map": {"layers": list(LAYERS), "heat_window": "1h"},
}


def test_the_catalogue_loads_and_translates(qapp):
    assert QCoreApplication.translate("alarms", "Priority") == "Priority"
    with chinese(qapp):
        assert i18n.tr("alarms", "Priority") == "优先级"
        assert i18n.core("on scene") == "到场" and i18n.age(600) == "10分钟"
        assert i18n.tr("alarms", "not in the catalogue") == "not in the catalogue"  # falls back to English
        assert QLocale().language() == QLocale.Language.Chinese
    assert i18n.tr("alarms", "Priority") == "Priority" and i18n.age(600) == "10 min"


def test_english_installs_nothing_and_a_bad_catalogue_is_one_clear_error(qapp, tmp_path, monkeypatch):
    i18n.install_translation(qapp, "en")
    assert i18n.tr("alarms", "Priority") == "Priority"
    for broken in (tmp_path / "missing.qm", tmp_path / "corrupt.qm"):
        if broken.name == "corrupt.qm":
            broken.write_bytes(b"not a catalogue")
        monkeypatch.setattr(i18n, "CATALOGUE", broken)
        with pytest.raises(UserError, match=str(broken)):
            i18n.install_translation(qapp, "zh")
    assert i18n.tr("alarms", "Priority") == "Priority"


def test_every_string_the_code_and_layouts_use_is_translated():
    assert update.problems() == []


def test_the_extractor_finds_calls_layout_texts_and_core_phrases(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "console" / "shell").mkdir(parents=True)
    (tmp_path / "layouts").mkdir()
    (tmp_path / "widgets" / "v.py").write_text(
        'A = QT_TRANSLATE_NOOP("v", "Marked")\n'
        'def f(x):\n    return tr("v", "Hello {n}").format(n=1) + tr("v", x) + i18n.tr("v", "Dotted")\n')
    (tmp_path / "console" / "shell" / "w.py").write_text('QCoreApplication.translate("w", "Qt call")\n')
    (tmp_path / "layouts" / "x.toml").write_text(
        'title = "Top"\n[[screens]]\n[[screens.pages]]\nname = "first"\n[screens.pages.root]\n'
        'type = "tabs"\ntitles = ["Tab one"]\n[[screens.pages.root.items]]\nview = "alarms"\ntitle = "Inner"\n')
    found = update.extract(tmp_path)
    assert {k for k in found if k[0] != "core"} == {
        ("w", "Qt call"), ("v", "Marked"), ("v", "Hello {n}"), ("v", "Dotted"),
        ("layout", "Top"), ("layout", "first"), ("layout", "Tab one"), ("layout", "Inner")}  # not tr("v", x)
    assert ("core", "on scene") in found
    merged = update.merge({("v", "Marked"): update.Message("已标记"), ("v", "Gone"): update.Message("没了")}, found)
    assert merged[("v", "Marked")] == update.Message("已标记")
    assert merged[("v", "Hello {n}")].state == "unfinished" and merged[("v", "Gone")].state == "vanished"
    assert update.read_ts(tmp_path / "t.ts") == {}
    (tmp_path / "t.ts").write_text(update.write_ts(merged), encoding="utf-8")
    assert update.read_ts(tmp_path / "t.ts") == merged


@pytest.fixture(scope="module")
def city(demo_platform, tmp_path_factory):
    """The demo city's cache, and a time in its storm: alarms standing, incidents open."""
    cache = Cache(tmp_path_factory.mktemp("i18n") / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    return cache, read_scenario(demo_platform)["storms"][0].start + 45 * 60


def _context(cache: Cache, now: float, operator: Operator) -> ViewContext:
    """What the wall gives its views (console.shell.app.Wall), built here without the shell."""
    store = Store()
    warm_store(store, cache, now)
    alarms = AlarmManager(store.indicators.values(), recorder=lambda action: outbox.record(cache, action))
    for iid in store.series:
        alarms.update(iid, *store.window(iid, now - 900, now))
    ctx = ViewContext(store, HistorySource(cache), alarms, operator, recorder=lambda action: outbox.record(cache, action))
    rows = incident_rows(store, now)
    ctx.selection.select(next(r["id"] for r in rows if r["status"] in ("reported", "dispatched", "on_scene")))
    return ctx


def _views(ctx: ViewContext, now: float, qtbot) -> dict:
    """Every registered view, shown with its widest parameters and refreshed at ``now``."""
    views = {}
    for name, cls in VIEWS.items():
        view = cls(ctx, dict(FULL.get(name, {})))
        qtbot.addWidget(view)
        view.resize(1400, 900)
        view.show()
        qtbot.waitExposed(view)
        view.refresh(now)
        views[name] = view
    return views


def _seen(views: dict) -> list[str]:
    return [s for view in views.values() for s in visible_strings(view)]


def test_every_view_speaks_chinese(qapp, city, qtbot):
    cache, now = city
    qt_app()
    with chinese(qapp):
        ctx = _context(cache, now, Operator("hanna", "supervisor"))
        views = _views(ctx, now, qtbot)
        seen = _seen(views)
        alarms, detail, chart = views["alarms"], views["incident_detail"], views["trend"]
        assert alarms.model.rows and detail.content.isVisible()
        # what the keys open: the shelve bar, a comment mark, a status change bar, a chart looking back
        ctx.alarms.comment(alarms.model.rows[-1].id, "hanna", "supervisor", now, "crew on the way")
        ctx.alarms.shelve(alarms.model.rows[-1].id, "hanna", "supervisor", now, 3600, "pump on manual")
        alarms.table.setFocus()
        qtbot.keyClick(alarms.table, Qt.Key.Key_S)
        qtbot.keyClick(detail.plan, Qt.Key.Key_D)
        chart.set_window(86400.0)
        assert wait_for_fetches()
        qtbot.waitUntil(lambda: chart.loader.pending is None, timeout=10_000)
        chart.show_range(now - 6 * 3600, now - 3 * 3600)
        for view in views.values():
            view.refresh(now + 10)
        assert alarms.bar.isVisible() and detail.bar.isVisible() and "返回实时" in chart.live_button.text()
        seen += _seen(views)
        # an operator and a trainer are refused, in Chinese
        for who in (Operator("ann", "operator"), Operator("tom", "trainer")):
            ctx = _context(cache, now, who)
            refused = {name: VIEWS[name](ctx, {}) for name in ("alarms", "incident_detail")}
            for view in refused.values():
                qtbot.addWidget(view)
                view.resize(1400, 900)
                view.show()
                view.refresh(now)
            refused["alarms"].table.setFocus()
            qtbot.keyClick(refused["alarms"].table, Qt.Key.Key_Return)
            qtbot.keyClick(refused["incident_detail"].plan, Qt.Key.Key_U)
            seen += _seen(refused)
        assert "无权确认" in " ".join(seen) and "只有值班长可以" in " ".join(seen)
        assert {"告警", "优先级", "城市体征", "事件", "城市地图"} <= {s.split(" · ")[0] for s in seen}
        left = english_left(seen, data_texts(ctx.store))
        assert not left, "English left on the Chinese wall:\n" + "\n".join(left)


def test_the_check_finds_english_where_the_translation_is_missing(city, qtbot):
    cache, now = city
    qt_app()
    view = AlarmList(_context(cache, now, Operator("ann", "operator")), {})
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.refresh(now)
    left = english_left(visible_strings(view))
    assert any("'Priority'" in s for s in left) and any("UNACKNOWLEDGED" in s for s in left)


def test_the_shell_speaks_chinese(qapp, city, qtbot, tmp_path):
    """Every visible string of the wall's windows (header, page, connection, layout error bar, a
    view's error card) and of the workstation (menus, toolbars, panels) is translated."""
    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.sync.status import SyncStatus

    cache, now = city
    qt_app()
    with chinese(qapp):
        seen: list[str] = []
        data: set[str] = {"connection refused"}  # the driver's words, shown as they come
        for name in ("single", "workstation"):
            wall = Wall(read_layout(name), cache, None, Clock(lambda: now), operator=Operator("hanna", "supervisor"),
                        windowed=True)
            wall.start()
            for window in [*wall.windows, *([wall.workstation] if wall.workstation else [])]:
                qtbot.addWidget(window)
                qtbot.waitExposed(window)
            for status in (SyncStatus("online", poll_s=1.0), SyncStatus("online", push=True, outbox=2),
                           SyncStatus("catching_up", progress=0.4, done=4000, total=10000, rate=2000.0),
                           SyncStatus("offline", reason="connection refused", retry_s=4.0),
                           SyncStatus("offline", "no platform")):
                wall.status = status
                wall.refresh()
                for window in [*wall.windows, *([wall.workstation] if wall.workstation else [])]:
                    seen += visible_strings(window)
            if wall.windows:
                wall.windows[0].set_error("layouts/x.toml: screens[0].root: expected a table")
                first = wall.windows[0]
                first.pages[first.stack.currentIndex()][0].fail(RuntimeError("boom"))
                qapp.processEvents()
                seen += visible_strings(wall.windows[0])
            data |= data_texts(wall.store)
            wall.stop()
        assert {"实时（推送）", "实时（每 1 秒轮询）"} <= {p for s in seen for p in s.split(" · ")}
        assert any("此视图已停止" in s for s in seen)
        left = english_left(seen, data)
        assert not left, "English left on the Chinese shell:\n" + "\n".join(left)
