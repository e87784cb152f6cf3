"""One wall window per screen: a header bar and the screen's pages, each a container tree of views."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from PySide6.QtWidgets import (QBoxLayout, QGridLayout, QLabel, QLayout, QStackedWidget, QTabWidget, QVBoxLayout,
                               QWidget)

from console.city import city_title
from console.clock import Clock
from console.layout.spec import ContainerSpec, Node, ScreenSpec, ViewSpec
from console.layout.rotation import RotationPosition
from console.model.action import Operator
from console.shell.header import HeaderBar, identity_text
from widgets import View, ViewContext
from widgets import theme
from widgets.host import ViewHost
from widgets.i18n import tr
from widgets.replay_banner import ReplayBanner
from widgets.warning_banner import WarningBanner

log = logging.getLogger("cityops.wall")

_FAULT = theme.OUT_OF_SERVICE  # a layout the wall cannot use: a fault of the wall, not an alarm


class WallWindow(QWidget):
    """The window for one screen of the layout: its pages, all built once, one shown at a time."""

    def __init__(self, spec: ScreenSpec, title: str, ctx: ViewContext, source: Path):
        super().__init__()
        self.spec = spec
        self.source = source
        self.ctx = ctx
        self._layout_title, self._titled = tr("layout", title), -1  # {city} in it: the platform's city name
        title = city_title(self._layout_title, ctx.store.reference)
        self._title = f"{title} — {spec.name}"
        self.setWindowTitle(self._title)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 0, 6, 6)
        box.setSpacing(4)
        box.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # a screen smaller than the content
        self.banner = ReplayBanner(self)  # REPLAY across the top, unmissable; hidden while live
        box.addWidget(self.banner)
        self.header = HeaderBar(title, self)  # crops it: it must not spill onto the next screen
        self.show_identity(ctx.operator, demo=False)
        box.addWidget(self.header)
        self.warnings = WarningBanner(self)  # the public warnings in force, one line each; hidden when none
        box.addWidget(self.warnings)
        self.error = QLabel()  # a hot reload that failed: what is wrong, while the last good layout runs on
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"background: {_FAULT.name()}; color: #0b0f14; font-weight: 700; padding: 4px 10px;")
        self.error.hide()
        box.addWidget(self.error)
        self.stack = QStackedWidget()
        self.pages: list[list[ViewHost]] = []  # the views of each page, in the spec's page order
        for page in spec.pages:
            hosts: list[ViewHost] = []
            self.stack.addWidget(self._build(page.root, hosts))
            for host in hosts:
                host.set_shown_for(page.dwell if len(spec.pages) > 1 else None)
            self.pages.append(hosts)
        box.addWidget(self.stack, 1)
        self._rotating = False  # the first position only sets the page: a switch is a change after it
        self.timeline: QWidget | None = None  # the replay's timeline along the foot (the shell adds it)
        self.resize(*spec.size)

    def show_identity(self, operator: Operator, demo: bool) -> None:
        """Who is at the console, in the header and the window's title bar (``identity_text``)."""
        text = identity_text(operator, demo)
        self.header.who.setText(text)
        self.setWindowTitle(f"{self._title} — {text}")

    @property
    def views(self) -> list[View]:
        """The views running now (one that failed is not among them until it restarts)."""
        return [host.view for hosts in self.pages for host in hosts if host.view is not None]

    def _build(self, node: Node, hosts: list[ViewHost]) -> QWidget:
        if isinstance(node, ViewSpec):
            host = ViewHost(node, self.ctx, self.source)  # a view that raises stops alone, and restarts
            hosts.append(host)
            return host
        assert isinstance(node, ContainerSpec)
        if node.kind == "tabs":
            tabs = QTabWidget()
            for n, child in enumerate(node.items):
                label = tr("layout", node.titles[n]) if n < len(node.titles) else tr("wall", "Page {n}").format(n=n + 1)
                tabs.addTab(self._build(child, hosts), label)
            return tabs
        holder = QWidget()
        if node.kind == "grid":
            grid = QGridLayout(holder)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setSpacing(6)
            for n, child in enumerate(node.items):
                grid.addWidget(self._build(child, hosts), *divmod(n, node.columns))
            for c, share in enumerate(node.shares):
                grid.setColumnStretch(c, int(round(share * 100)))
            for r, share in enumerate(node.row_shares):
                grid.setRowStretch(r, int(round(share * 100)))
            return holder
        direction = QBoxLayout.Direction.TopToBottom if node.kind == "rows" else QBoxLayout.Direction.LeftToRight
        layout = QBoxLayout(direction, holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for child, share in zip(node.items, node.shares):
            layout.addWidget(self._build(child, hosts), int(round(share * 100)))
        return holder

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Give the keyboard to the view operators act from (the alarm list): no mouse on a wall."""
        super().showEvent(event)
        for view in self.pages[self.stack.currentIndex()]:
            if view.keyboard_target() is not None:
                view.keyboard_target().setFocus()
                break

    def show_position(self, pos: RotationPosition, now: float) -> None:
        """Show the page the rotation says, and say in the header which it is and when the next comes."""
        if pos.page != self.stack.currentIndex():
            self.stack.setCurrentIndex(pos.page)
            if self._rotating:
                log.info("page %s: %s at %.3f", self.spec.name, pos.page_name, now)
        self._rotating = True
        if len(self.spec.pages) < 2:
            return
        text = tr("header", "{page} {n}/{total}").format(
            page=tr("layout", pos.page_name), n=pos.page + 1, total=len(self.spec.pages))
        if pos.held:
            text += " · " + tr("header", "held")
        elif pos.next_at is not None:
            text += " · " + tr("header", "next in {s} s").format(s=max(0, math.ceil(pos.next_at - now)))
        self.header.set_page(text)

    def set_error(self, message: str | None) -> None:
        """The red bar under the header: a layout edit that could not be used (None: clear it)."""
        if message:
            self.error.setText(tr("wall", "layout error — still showing the last good layout: {error}").format(
                error=message))
        self.error.setVisible(bool(message))

    def show_replay(self, clock: Clock, session) -> None:
        """The REPLAY band: the replayed time, speed and play state (``session`` None: live, hidden)."""
        if session is None:
            self.banner.refresh(clock, "", None)
        else:
            self.banner.refresh(clock, session.title, session.drill_title)

    def refresh(self, now: float) -> None:
        """Only the page on screen: the others catch up when they come round."""
        if self._titled != self.ctx.store.reference_version:  # the platform named (or renamed) its city
            self._titled = self.ctx.store.reference_version
            title = city_title(self._layout_title, self.ctx.store.reference)
            self.header.set_title(title)
            self._title = f"{title} — {self.spec.name}"
            who = self.header.who.text()
            self.setWindowTitle(f"{self._title} — {who}" if who else self._title)
        self.warnings.refresh(self.ctx.store, now)
        for view in self.pages[self.stack.currentIndex()]:
            if view.isVisible():
                view.refresh(now)
