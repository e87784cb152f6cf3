"""The header gives its title priority: on every shipped layout's screens, at the width the wall lays
them out in, live and in replay, the title is whole (its long form, or the short form the rule gives),
never cut, while the less important parts give way (console/shell/header.py HeaderBar)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from console.clock import Clock
from console.layout.legibility import scaled
from console.shell.app import read_layout
from console.shell.qt_setup import interface_scale, qt_app
from console.shell.header import HeaderBar, short_page, short_title
from console.sync.status import SyncStatus
from layouts import LAYOUT_DIR

END = 1_780_000_000.0
LAYOUTS = sorted(p.stem for p in LAYOUT_DIR.glob("*.toml"))


def test_the_short_forms_follow_rules_an_operator_can_learn():
    assert short_title("Helsinki centre — 3×3 operations wall") == "Helsinki centre"
    assert short_title("Control room: 2×2 wall") == "Control room"
    assert short_title("Trainer desk") == "Trainer desk"
    assert short_page("utilities 3/4 · next in 12 s") == "utilities 3/4"


def _fitted(header: HeaderBar, width: int, status: SyncStatus, clock: Clock, page: str) -> None:
    header.resize(width, header.sizeHint().height())
    header.set_page(page)
    header.refresh(clock, status, END - 2)
    QApplication.instance().processEvents()


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_screens_header_shows_its_title_whole(name, qtbot):
    qt_app()
    declared = read_layout(name)
    layout = scaled(declared, interface_scale(declared, 1))
    live, replay = Clock(lambda: END), Clock(lambda: END)
    replay.replay(END, speed=16.0, playing=True)
    widths = sorted({s.size[0] for s in layout.screens})
    for width in widths:
        header = HeaderBar(layout.title)
        qtbot.addWidget(header)
        header.show()
        for clock, status in ((live, SyncStatus("online", "push", push=True)), (replay, SyncStatus("replay", "storm"))):
            _fitted(header, width, status, clock, "utilities 3/4 · next in 12 s")
            shown = header.title.text()
            assert shown in (layout.title, short_title(layout.title)), f"{name} at {width} px: title {shown!r}"
            need = QFontMetrics(header.title.font()).horizontalAdvance(shown)
            assert header.title.width() >= need, f"{name} at {width} px: {shown!r} needs {need} px, has {header.title.width()}"
            page = QFontMetrics(header.page.font()).horizontalAdvance(header.page.text())
            assert header.page.text().startswith("utilities 3/4") and header.page.width() >= page, \
                f"{name} at {width} px: the page's name is cut"
            if shown != layout.title:  # the title shortened only after the parts less important gave way
                assert header.given_way[:2] == ("page", "seconds") and ":" in header.time.text()
    # on a screen wide enough for all, nothing gives way
    header = HeaderBar(declared.title)
    qtbot.addWidget(header)
    header.show()
    _fitted(header, 1920, SyncStatus("online", "push", push=True), live, "utilities 3/4 · next in 12 s")
    assert header.title.text() == declared.title and header.page.text() == "utilities 3/4 · next in 12 s"
    assert header.given_way == () and header.time.text().count(":") == 2


def test_the_3x3_walls_header_in_replay_keeps_the_title_and_the_page(qtbot):
    """651 px of 1920 at the 3×3 wall's scale: the REPLAY band says it is a replay, so the RECORDING
    badge gives way before the title's subtitle does."""
    qt_app()
    header = HeaderBar("Helsinki centre — 3×3 operations wall")
    qtbot.addWidget(header)
    header.show()
    clock = Clock(lambda: END)
    clock.replay(END, speed=16.0, playing=True)
    _fitted(header, 651, SyncStatus("replay", "storm"), clock, "utilities 3/4 · next in 12 s")
    assert header.title.text() == "Helsinki centre" and header.page.text() == "utilities 3/4"
    assert header.connection.text() == "RECORDING" and header.connection.isHidden()
    assert header.mode.text() == "REPLAY 16×" and header.mode.isVisible()
    detail = QFontMetrics(header.detail.font()).horizontalAdvance(header.detail.text())
    assert header.detail.isHidden() or header.detail.width() >= detail, "the detail whole, or not at all"
    _fitted(header, 1920, SyncStatus("replay", "storm"), clock, "utilities 3/4 · next in 12 s")
    assert header.title.text() == "Helsinki centre — 3×3 operations wall" and header.connection.isVisible()


def test_a_long_identity_leaves_the_offline_reason_whole_or_out(qtbot):
    """1280 px, wider than narrow: an unverified person's long identity makes the title give way,
    and the reason beside PLATFORM OFFLINE stood cut to "cannot"; now it is whole or not shown."""
    from console.model.action import Operator
    from console.shell.header import identity_text

    qt_app()
    header = HeaderBar("Helsinki centre — 2×2 operations wall")
    qtbot.addWidget(header)
    header.who.setText(identity_text(Operator("alice_ops", "operator", unverified=True), False))
    header.show()
    offline = SyncStatus("offline", "x", reason="cannot reach platform db.city: connection refused", retry_s=8)
    _fitted(header, 1280, offline, Clock(lambda: END), "")
    assert header.given_way and header.who.text().endswith("not verified: the platform cannot be reached")
    detail = QFontMetrics(header.detail.font()).horizontalAdvance(header.detail.text())
    assert header.detail.isHidden() or header.detail.width() >= detail, "the detail whole, or not at all"
