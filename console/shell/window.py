"""One wall window per screen: a header bar and the screen's container tree of views."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QProgressBar, QTabWidget, QVBoxLayout, QWidget

from console.clock import Clock, Mode
from console.layout.parse import ContainerSpec, LayoutError, Node, ScreenSpec, ViewSpec
from console.model.indicator import format_age
from console.sync.engine import SyncStatus
from widgets import VIEWS, View, ViewContext
from widgets import theme

_STATE_STYLE = {
    "online": ("PLATFORM ONLINE", theme.STATUS_COLOURS[theme.Status.NORMAL]),
    "catching_up": ("CATCHING UP", theme.ACCENT),
    "connecting": ("CONNECTING", theme.TEXT_DIM),
    "offline": ("PLATFORM OFFLINE", theme.STATUS_COLOURS[theme.Status.ALARM]),
}


def _badge(text: str, colour, label: QLabel) -> None:
    label.setText(text)
    label.setStyleSheet(f"background: {colour.name()}; color: #0b0f14;")


def _connection_detail(status: SyncStatus, data_age: str) -> str:
    """The words beside the connection badge: why offline, how a catch-up goes, how rows arrive."""
    parts = [status.detail if status.state != "online" else f"live by {status.detail}"]
    if data_age:
        parts.append(data_age)
    if status.outbox:
        parts.append(f"{status.outbox} operator action{'s' if status.outbox != 1 else ''} waiting to send")
    return " · ".join(p for p in parts if p)


class HeaderBar(QWidget):
    """Title, LIVE/REPLAY mode, the clock and the platform connection, always visible."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 2)
        self.title = QLabel(title)
        self.title.setObjectName("title")
        self.mode = QLabel(); self.mode.setObjectName("badge")
        self.time = QLabel(); self.time.setObjectName("title")
        self.who = QLabel(); self.who.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-weight: 600;")
        self.connection = QLabel(); self.connection.setObjectName("badge")
        self.detail = QLabel(); self.detail.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self.progress = QProgressBar()  # shown while catching up after time offline
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(220, 12)
        self.progress.hide()
        row.addWidget(self.title)
        row.addWidget(self.who)  # who is at this console and what they may do
        row.addStretch(1)
        for w in (self.detail, self.progress, self.connection, self.mode, self.time):
            row.addWidget(w)
        self._shown: tuple = ()

    def refresh(self, clock: Clock, status: SyncStatus, data_time: float | None) -> None:
        now = clock.now()
        age = "" if data_time is None else f"newest data {format_age(now - data_time)} old"
        shown = (clock.mode, clock.speed, int(now), status, age)
        if shown == self._shown:
            return
        self._shown = shown
        if clock.mode is Mode.LIVE:
            _badge("LIVE", theme.STATUS_COLOURS[theme.Status.NORMAL], self.mode)
        else:
            _badge(f"REPLAY {clock.speed:g}×", theme.STATUS_COLOURS[theme.Status.WARNING], self.mode)
        self.time.setText(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)))
        text, colour = _STATE_STYLE.get(status.state, (status.state.upper(), theme.TEXT_DIM))
        if status.state == "catching_up" and status.progress is not None:
            text = f"{text} {status.progress * 100:.0f}%"
            self.progress.setValue(int(status.progress * 1000))
        self.progress.setVisible(status.state == "catching_up" and status.progress is not None)
        _badge(text, colour, self.connection)
        detail = _connection_detail(status, age)
        self.detail.setToolTip(detail)
        self.detail.setText(detail if len(detail) <= 120 else detail[:119] + "…")



class WallWindow(QWidget):
    """The window for one screen of the layout."""

    def __init__(self, spec: ScreenSpec, title: str, ctx: ViewContext, source: Path):
        super().__init__()
        self.spec = spec
        self.source = source
        self.setWindowTitle(f"{title} — {spec.name}")
        self.views: list[View] = []
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 0, 6, 6)
        box.setSpacing(4)
        self.header = HeaderBar(title, self)
        self.header.who.setText(f"{ctx.operator.name} · {ctx.operator.role.upper()}")
        box.addWidget(self.header)
        box.addWidget(self._build(spec.root, ctx), 1)
        self.resize(*spec.size)

    def _build(self, node: Node, ctx: ViewContext) -> QWidget:
        if isinstance(node, ViewSpec):
            try:
                view = VIEWS[node.view](ctx, node.params)
            except ValueError as exc:  # a parameter the view itself found wrong
                raise LayoutError(f"{self.source}: {node.path}: {exc}") from None
            self.views.append(view)
            return view
        assert isinstance(node, ContainerSpec)
        if node.kind == "tabs":
            tabs = QTabWidget()
            for n, child in enumerate(node.items):
                label = node.titles[n] if n < len(node.titles) else f"Page {n + 1}"
                tabs.addTab(self._build(child, ctx), label)
            return tabs
        holder = QWidget()
        direction = QBoxLayout.Direction.TopToBottom if node.kind == "rows" else QBoxLayout.Direction.LeftToRight
        layout = QBoxLayout(direction, holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for child, share in zip(node.items, node.shares):
            layout.addWidget(self._build(child, ctx), int(round(share * 100)))
        return holder

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Give the keyboard to the view operators act from (the alarm list): no mouse on a wall."""
        super().showEvent(event)
        for view in self.views:
            if view.keyboard_target() is not None:
                view.keyboard_target().setFocus()
                break

    def refresh(self, now: float) -> None:
        for view in self.views:
            if view.isVisible():
                view.refresh(now)
