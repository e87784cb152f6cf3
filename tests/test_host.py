"""A view that raises stops alone: the host shows an error card, deletes it and builds it again (pytest-qt)."""

from __future__ import annotations

import gc
import logging
import sys
import weakref
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLineEdit, QWidget

import widgets.host
from console.layout.spec import LayoutError, ViewSpec
from console.store import Store
from widgets import VIEWS, View, ViewContext
from widgets.host import ViewHost, describe, install_fault_router, uninstall_fault_router
from widgets import theme

SOURCE = Path("layouts/test.toml")


class Canvas(QWidget):
    """A child widget of a view: its paint raises when the view says so."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self.parentWidget().fail_paint:
            raise ZeroDivisionError("paint broke")


class Faulty(View):
    """Raises on demand: in __init__ (class-wide), in refresh, in a child's paint, in a slot."""

    name = "test_faulty"
    init_error: Exception | None = None
    built = 0

    def __init__(self, ctx, params):
        if Faulty.init_error is not None:
            raise Faulty.init_error
        super().__init__(ctx, params)
        Faulty.built += 1
        self.fail_refresh = self.fail_paint = False
        self.refreshed = 0
        self.canvas = Canvas(self)
        self.canvas.setMinimumSize(50, 50)
        self.body.addWidget(self.canvas)
        self.editor = QLineEdit(self)
        self.body.addWidget(self.editor)

    def keyboard_target(self):
        return self.editor

    def refresh(self, now: float) -> None:
        if self.fail_refresh:
            raise RuntimeError("refresh broke\nsecond line")
        self.refreshed += 1

    def on_signal(self) -> None:
        raise KeyError("no such district")


class Steady(View):
    name = "test_steady"

    def __init__(self, ctx, params):
        super().__init__(ctx, params)
        self.refreshed = 0

    def refresh(self, now: float) -> None:
        self.refreshed += 1


@pytest.fixture
def registered():
    VIEWS.update(test_faulty=Faulty, test_steady=Steady)
    Faulty.init_error, Faulty.built = None, 0
    install_fault_router()
    yield
    uninstall_fault_router()
    del VIEWS["test_faulty"], VIEWS["test_steady"]


def _host(view: str, path: str = "screens[0].root.items[0]") -> ViewHost:
    return ViewHost(ViewSpec(view, {"title": view.replace("test_", "")}, path), ViewContext(Store()), SOURCE)


def _wall(qtbot) -> tuple[QWidget, ViewHost, ViewHost]:
    """A window with a faulty view beside a steady one."""
    window = QWidget()
    row = QHBoxLayout(window)
    faulty, steady = _host("test_faulty"), _host("test_steady", "screens[0].root.items[1]")
    row.addWidget(faulty)
    row.addWidget(steady)
    window.resize(800, 400)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window, faulty, steady


def _refresh(*hosts: ViewHost) -> None:
    for host in hosts:
        host.refresh(0.0)


def test_a_view_that_raises_in_refresh_shows_the_card_and_the_rest_keeps_refreshing(registered, qtbot, caplog):
    window, faulty, steady = _wall(qtbot)
    faulty.view.fail_refresh = True
    with caplog.at_level(logging.ERROR, logger="cityops.wall"):
        _refresh(faulty, steady)
        _refresh(faulty, steady)
    assert faulty.failed and faulty.view is None and faulty.failures == 1
    assert faulty.card.isVisible()
    assert faulty.card.title.text() == "FAULTY"
    assert faulty.card.reason.text() == "This view stopped: RuntimeError: refresh broke"
    assert faulty.card.countdown.text() == "Restarting in 2 s (attempt 1)"
    assert steady.view.refreshed == 2, "the other view goes on refreshing"
    records = [r for r in caplog.records if r.name == "cityops.wall"]
    assert len(records) == 1, "the failure is logged once"
    assert "Traceback" in records[0].getMessage() and "refresh broke" in records[0].getMessage()

    image = faulty.grab().toImage()
    fault = theme.OUT_OF_SERVICE  # a stopped view is out of service: alarm and warning colours mean the city only
    assert image.pixelColor(2, image.height() // 2) == fault
    assert image.pixelColor(image.width() // 2, 2) == fault


def test_the_stopped_view_is_deleted(registered, qtbot):
    window, faulty, steady = _wall(qtbot)
    old = faulty.view
    ref = weakref.ref(old)
    old.fail_refresh = True
    faulty.refresh(0.0)
    del old
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert ref() is None or not shiboken6.isValid(ref())
    assert ref() is None, "nothing keeps the stopped view alive"


def test_a_paint_in_a_child_widget_that_raises_stops_its_view(registered, qtbot):
    _, faulty, steady = _wall(qtbot)
    old = faulty.view
    old.fail_paint = True
    old.canvas.update()
    qtbot.waitUntil(lambda: faulty.failed)
    assert faulty.card.reason.text() == "This view stopped: ZeroDivisionError: paint broke"
    qtbot.waitUntil(lambda: not shiboken6.isValid(old))
    _refresh(faulty, steady)
    assert steady.view.refreshed == 1 and not steady.failed


def test_a_slot_that_raises_stops_its_view(registered, qtbot):
    window, faulty, steady = _wall(qtbot)
    QTimer.singleShot(0, faulty.view.on_signal)
    qtbot.waitUntil(lambda: faulty.failed)
    assert faulty.card.reason.text() == "This view stopped: KeyError: 'no such district'"


def test_an_exception_outside_any_view_is_logged_and_the_wall_goes_on(registered, qtbot, caplog):
    _, faulty, steady = _wall(qtbot)

    def broken() -> None:
        raise LookupError("not a view's fault")

    with caplog.at_level(logging.ERROR, logger="cityops.wall"):
        QTimer.singleShot(0, broken)
        qtbot.waitUntil(lambda: any(r.exc_info and "not a view's fault" in str(r.exc_info[1]) for r in caplog.records))
    assert not faulty.failed and not steady.failed
    assert not hasattr(sys, "last_value"), "no traceback kept around"


def test_restart_builds_a_new_view_and_repeated_failures_back_off(registered, qtbot):
    window, faulty, steady = _wall(qtbot)
    seen = []
    for attempt, delay in ((1, 2), (2, 4), (3, 8)):
        seen.append(faulty.view)
        faulty.view.fail_refresh = True
        faulty.refresh(0.0)
        assert faulty.card.countdown.text() == f"Restarting in {delay} s (attempt {attempt})"
        faulty.restart_now()
        assert not faulty.failed and faulty.view.isVisible()
    assert Faulty.built == 4
    assert faulty.view not in seen, "each restart builds a fresh view"

    Faulty.init_error = ValueError("threshold must be positive")  # a rebuild that fails: the card, not a crash
    faulty.view.fail_refresh = True
    faulty.refresh(0.0)
    faulty.restart_now()
    assert faulty.failed
    assert faulty.card.countdown.text() == "Restarting in 32 s (attempt 5)"
    assert faulty.card.reason.text() == "This view stopped: ValueError: threshold must be positive"


def test_back_off_is_capped_and_starts_over_after_ten_healthy_minutes(registered, qtbot, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(widgets.host, "monotonic", lambda: clock[0])
    window, faulty, steady = _wall(qtbot)
    for _ in range(7):
        faulty.view.fail_refresh = True
        faulty.refresh(0.0)
        faulty.restart_now()
    faulty.view.fail_refresh = True
    faulty.refresh(0.0)
    assert faulty.card.countdown.text() == "Restarting in 60 s (attempt 8)"
    faulty.restart_now()
    clock[0] += 600  # the new view runs ten minutes
    faulty.view.fail_refresh = True
    faulty.refresh(0.0)
    assert faulty.card.countdown.text() == "Restarting in 2 s (attempt 1)"


def test_the_countdown_restarts_the_view_by_itself(registered, qtbot):
    window, faulty, steady = _wall(qtbot)
    faulty.view.fail_refresh = True
    faulty.refresh(0.0)
    qtbot.waitUntil(lambda: faulty.card.countdown.text() == "Restarting in 1 s (attempt 1)", timeout=10_000)
    qtbot.waitUntil(lambda: not faulty.failed, timeout=10_000)
    assert Faulty.built == 2 and faulty.view.isVisible() and not faulty.card.isVisible()


def test_the_keyboard_comes_back_to_a_restarted_view(registered, qtbot):
    window, faulty, _ = _wall(qtbot)
    window.activateWindow()
    qtbot.waitActive(window)
    faulty.keyboard_target().setFocus()
    qtbot.waitUntil(faulty.keyboard_target().hasFocus)
    faulty.view.fail_refresh = True
    faulty.refresh(0.0)
    assert QApplication.focusWidget() is faulty.card, "keys pressed meanwhile act on no other view"
    faulty.restart_now()
    qtbot.waitUntil(faulty.keyboard_target().hasFocus)


def test_a_value_error_at_the_first_build_is_a_layout_error(registered):
    Faulty.init_error = ValueError("threshold must be positive")
    with pytest.raises(LayoutError) as raised:
        _host("test_faulty", "screens[0].root.items[2]")
    assert str(raised.value) == "layouts/test.toml: screens[0].root.items[2]: threshold must be positive"


def test_another_error_at_the_first_build_shows_the_card(registered, qtbot):
    Faulty.init_error = RuntimeError("cache not ready")
    host = _host("test_faulty")
    qtbot.addWidget(host)
    assert host.failed and host.keyboard_target() is None
    assert host.card.title.text() == "FAULTY"
    assert host.card.reason.text() == "This view stopped: RuntimeError: cache not ready"
    Faulty.init_error = None
    host.restart_now()
    assert not host.failed and Faulty.built == 1


def test_the_fault_router_installs_once_and_restores_the_previous_hook(registered):
    router = sys.excepthook
    install_fault_router()
    assert sys.excepthook is router
    uninstall_fault_router()
    assert sys.excepthook is not router
    install_fault_router()  # the fixture uninstalls it again


def test_the_card_says_what_went_wrong_in_one_short_line():
    wrapped = RuntimeError("Error calling Python override of QWidget::paintEvent(): "
                           "Error calling Python override of QFrame::paintEvent(): paint broke\nat line 2")
    assert describe(wrapped) == "RuntimeError: paint broke"
    assert describe(ValueError("x" * 300)) == "ValueError: " + "x" * 200
    assert describe(KeyError()) == "KeyError"
