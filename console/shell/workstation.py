"""Workstation mode: the wall's views as dockable panels in one window, for supervisors and trainers.

The user arranges the panels, keeps named arrangements (QMainWindow state, one JSON file per user)
and can push a panel onto a page of the wall; the wall nodes reload the edited layout file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QCompleter, QDockWidget, QLabel, QLineEdit, QMainWindow, QMenuBar,
                               QToolBar, QToolButton, QVBoxLayout, QWidget)

from console.clock import Clock
from console.model.action import Operator
from console.layout.edit import push_view
from console.layout.parse import load_layout, resolve_layout
from console.layout.spec import ContainerSpec, Layout, LayoutError, Node, ViewSpec
from console.shell.arrangements import Arrangements
from console.shell.header import HeaderBar, identity_text
from console.sync.status import SyncStatus
from widgets import ViewContext, view_params
from widgets.host import ViewHost
from widgets.replay_banner import ReplayBanner
from widgets.warning_banner import WarningBanner
from widgets.i18n import tr

log = logging.getLogger("cityops.workstation")


def _leaves(node: Node) -> list[ViewSpec]:
    if isinstance(node, ViewSpec):
        return [node]
    return [leaf for item in node.items for leaf in _leaves(item)]


class Workstation(QMainWindow):
    """One screen of a layout as dockable panels, with named arrangements and push to wall."""

    def __init__(self, layout: Layout, ctx: ViewContext, arrangements_path: Path):
        super().__init__()
        self.layout_spec = layout
        self.ctx = ctx
        screen = layout.screens[0]
        self.setDockNestingEnabled(True)
        self.header = HeaderBar(tr("layout", layout.title))
        self.show_identity(ctx.operator, demo=False)
        menus = QMenuBar()  # not self.menuBar(): that would replace the header below
        self.panels_menu = menus.addMenu(tr("workstation", "&View"))
        self.arrangements_menu = menus.addMenu(tr("workstation", "&Arrangements"))
        top = QWidget()
        box = QVBoxLayout(top)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        self.banner = ReplayBanner()  # REPLAY across the top while a recording plays; hidden live
        box.addWidget(self.banner)
        box.addWidget(self.header)
        self.warnings = WarningBanner()  # the public warnings in force; hidden when none
        box.addWidget(self.warnings)
        box.addWidget(menus)
        self.setMenuWidget(top)

        self.docks: list[QDockWidget] = []
        self.views: dict[QDockWidget, ViewHost] = {}
        self.specs: dict[QDockWidget, ViewSpec] = {}
        for spec in _leaves(screen.root):
            self._add_dock(spec, layout.source)
        self._arrange(screen.root)
        self.resize(*screen.size)

        self.arrangements = Arrangements(arrangements_path, layout.source.stem)
        self._build_arrangement_bar()
        self.wall_path = resolve_layout(layout.wall) if layout.wall else None
        self.wall = None
        self._build_push_bar()

        problem = self.arrangements.load()
        if problem:
            self.say(problem, logging.WARNING)
        self._names_changed()
        last = self.arrangements.last_used()
        if last is not None:
            self.restore_arrangement(last)

    # -- panels ----------------------------------------------------------------------------------
    def _add_dock(self, spec: ViewSpec, source: Path) -> None:
        view = ViewHost(spec, self.ctx, source)  # a panel that raises stops alone, and restarts
        dock = QDockWidget(tr("layout", str(spec.params.get("title", spec.view))), self)  # as the view's error card names it
        dock.setObjectName(f"view:{spec.path}")  # stable while the layout file is: saved states find it
        dock.setWidget(view)
        dock.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click anywhere in a panel makes it the one to push
        self.docks.append(dock)
        self.views[dock] = view
        self.specs[dock] = spec
        self.panels_menu.addAction(dock.toggleViewAction())

    def _arrange(self, root: Node) -> None:
        """The default arrangement follows the layout tree: columns side by side, rows stacked, tabs tabbed."""
        by_spec = {id(spec): dock for dock, spec in self.specs.items()}

        def first(node: Node) -> QDockWidget:
            return by_spec[id(_leaves(node)[0])]

        def place(node: Node) -> None:
            if isinstance(node, ViewSpec):
                return
            assert isinstance(node, ContainerSpec)
            anchor = first(node)
            if node.kind == "tabs":  # a dock cannot hold a split, so a tab's panels all become tabs
                for leaf in _leaves(node)[1:]:
                    self.tabifyDockWidget(anchor, by_spec[id(leaf)])
                anchor.raise_()
                return
            # Split the container's space among its items first, then each item within its share.
            heads = [first(item) for item in node.items]
            orientation = Qt.Orientation.Vertical if node.kind == "rows" else Qt.Orientation.Horizontal
            if node.kind == "grid":
                columns = max(node.columns, 1)
                rows = [heads[i:i + columns] for i in range(0, len(heads), columns)]
                for above, below in zip(rows, rows[1:]):
                    self.splitDockWidget(above[0], below[0], Qt.Orientation.Vertical)
                for row in rows:
                    for left, right in zip(row, row[1:]):
                        self.splitDockWidget(left, right, Qt.Orientation.Horizontal)
                    self.resizeDocks(row, _weights(node.shares[:len(row)]), Qt.Orientation.Horizontal)
                if node.row_shares:
                    self.resizeDocks([r[0] for r in rows], _weights(node.row_shares), Qt.Orientation.Vertical)
            else:
                for before, after in zip(heads, heads[1:]):
                    self.splitDockWidget(before, after, orientation)
                self.resizeDocks(heads, _weights(node.shares), orientation)
            for item in node.items:
                place(item)

        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first(root))
        place(root)

    def current_dock(self) -> QDockWidget:
        """The panel to push: the one holding the keyboard focus, else the one chosen in the toolbar."""
        widget = self.focusWidget()
        while widget is not None and widget not in self.views:
            widget = widget.parentWidget()
        if widget is not None:
            self.panel_choice.setCurrentIndex(self.docks.index(widget))
            return widget
        return self.docks[self.panel_choice.currentIndex()]

    def show_identity(self, user: Operator, demo: bool) -> None:
        """Who is at the workstation, in the header and the title bar (``identity_text``)."""
        self.header.who.setText(identity_text(user, demo))
        if user.nobody:
            self.setWindowTitle(f"CityOps — {self.layout_spec.title} — {identity_text(user, demo)}")
        else:
            self.setWindowTitle(tr("workstation", "CityOps — {layout} — {user} ({role})").format(
                layout=self.layout_spec.title, user=user.name, role=user.role.upper()))

    def refresh(self, now: float, clock: Clock, status: SyncStatus, data_time: float | None,
                replay=None) -> None:
        """Called by the wall's capped timer: the banner and header, then the panels someone can see."""
        self.banner.refresh(clock, replay.title if replay else "", replay.drill_title if replay else None)
        self.header.refresh(clock, status, data_time)
        self.warnings.refresh(self.ctx.store, now)
        for view in self.views.values():
            if view.isVisible() and not view.visibleRegion().isEmpty():  # a tab underneath is only moved away
                view.refresh(now)

    def say(self, message: str, level: int = logging.INFO) -> None:
        """A one-line message in the status bar (never a dialog), kept in the log too."""
        self.statusBar().showMessage(message)
        log.log(level, "%s", message)

    # -- named arrangements ---------------------------------------------------------------------
    def _build_arrangement_bar(self) -> None:
        bar = QToolBar(tr("workstation", "Arrangements"), self)
        bar.setObjectName("arrangements-bar")
        self.addToolBar(bar)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("workstation", "arrangement name"))
        self.name_edit.setMaximumWidth(220)
        self.saved_names = QStringListModel(self)
        self.name_edit.setCompleter(QCompleter(self.saved_names, self.name_edit))
        self.name_edit.returnPressed.connect(lambda: self.save_arrangement(self.name_edit.text()))
        bar.addWidget(self.name_edit)
        for text, keys, slot in (
                (tr("workstation", "Save"), "Ctrl+S", self.save_arrangement),
                (tr("workstation", "Restore"), "Ctrl+O", self.restore_arrangement),
                (tr("workstation", "Delete"), "Ctrl+Shift+D", self.delete_arrangement)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(f"{text} ({keys})")
            action.triggered.connect(lambda _=False, slot=slot: slot(self.name_edit.text()))
            bar.addAction(action)
        pick = QToolButton()
        pick.setText(tr("workstation", "Saved"))
        pick.setMenu(self.arrangements_menu)
        pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(pick)

    def _names_changed(self) -> None:
        names = self.arrangements.names()
        self.saved_names.setStringList(names)
        self.arrangements_menu.clear()
        for name in names:
            self.arrangements_menu.addAction(name, lambda name=name: self.restore_arrangement(name))
        if not names:
            self.arrangements_menu.addAction(tr("workstation", "(none saved)")).setEnabled(False)

    def save_arrangement(self, name: str) -> bool:
        name = name.strip()
        if not name:
            self.name_edit.setFocus()
            self.say(tr("workstation", "type a name for the arrangement first"))
            return False
        try:
            self.arrangements.put(name, self.saveState(), self.saveGeometry())
        except OSError as exc:
            self.say(tr("workstation", "arrangement {name} not saved: {path}: {why}").format(
                name=name, path=self.arrangements.path, why=exc.strerror or exc), logging.WARNING)
            return False
        self._names_changed()
        self.name_edit.setText(name)
        self.say(tr("workstation", "arrangement {name} saved").format(name=name))
        return True

    def restore_arrangement(self, name: str) -> bool:
        name = name.strip()
        saved = self.arrangements.get(name)
        if saved is None:
            names = ", ".join(self.arrangements.names()) or tr("workstation", "none")
            self.say(tr("workstation", "no arrangement named {name!r} (saved: {names})").format(name=name, names=names),
                     logging.WARNING)
            return False
        state, geometry = saved
        if not self.restoreState(state):
            self.say(tr("workstation", "arrangement {name} no longer fits this layout; "
                                       "save it again").format(name=name), logging.WARNING)
            return False
        self.restoreGeometry(geometry)
        self.name_edit.setText(name)
        try:
            self.arrangements.touch(name)
        except OSError as exc:
            log.warning("arrangements file %s not updated: %s", self.arrangements.path, exc)
        self.say(tr("workstation", "arrangement {name} restored").format(name=name))
        return True

    def delete_arrangement(self, name: str) -> bool:
        name = name.strip()
        if name not in self.arrangements.names():
            self.say(tr("workstation", "no arrangement named {name!r}").format(name=name), logging.WARNING)
            return False
        try:
            self.arrangements.delete(name)
        except OSError as exc:
            self.say(tr("workstation", "arrangement {name} not deleted: {why}").format(
                name=name, why=exc.strerror or exc), logging.WARNING)
            return False
        self._names_changed()
        self.say(tr("workstation", "arrangement {name} deleted").format(name=name))
        return True

    # -- push to wall ---------------------------------------------------------------------------
    def _build_push_bar(self) -> None:
        bar = QToolBar(tr("workstation", "Push to wall"), self)
        bar.setObjectName("push-bar")
        self.addToolBar(bar)
        self.panel_choice = QComboBox()
        self.panel_choice.addItems([dock.windowTitle() for dock in self.docks])
        self.panel_choice.setToolTip(tr("workstation", "the panel to push (the focused one, when one is)"))
        bar.addWidget(self.panel_choice)
        self.wall_label = QLabel()
        bar.addWidget(self.wall_label)
        self.screen_choice = QComboBox()
        self.page_choice = QComboBox()
        self.screen_choice.currentIndexChanged.connect(self._fill_pages)
        bar.addWidget(self.screen_choice)
        bar.addWidget(self.page_choice)
        self.push_action = QAction(tr("workstation", "Push to wall"), self)
        self.push_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.push_action.triggered.connect(lambda: self.push_to_wall())
        bar.addAction(self.push_action)
        self._load_wall()

    def _load_wall(self) -> None:
        """Read the target wall layout for its screens and pages; push stays off without one."""
        if self.wall_path is None:
            self.wall_label.setText(tr("workstation", "no wall to push to"))
        else:
            try:
                self.wall = load_layout(self.wall_path, view_params())
            except LayoutError as exc:
                self.wall_label.setText(tr("workstation", "wall layout unusable"))
                self.say(str(exc), logging.WARNING)
            else:
                self.wall_label.setText(tr("workstation", "Wall {name}:").format(name=self.wall_path.stem))
                self.screen_choice.addItems([s.name for s in self.wall.screens])
        may = self.ctx.operator.may("push_to_wall")
        self.push_action.setEnabled(self.wall is not None and may)
        if not may:
            self.push_action.setToolTip(tr("workstation", "a {role} may not push to the wall").format(
                role=self.ctx.operator.role))

    def _fill_pages(self, index: int) -> None:
        self.page_choice.clear()
        if self.wall is not None and index >= 0:
            self.page_choice.addItems([p.name for p in self.wall.screens[index].pages])

    def push_to_wall(self, dock: QDockWidget | None = None) -> bool:
        """Put a panel's view on the chosen wall page; the role is checked here, before the file is touched."""
        try:
            self.ctx.operator.require("push_to_wall")
        except PermissionError as exc:
            self.say(tr("workstation", "not pushed: {why}").format(why=exc), logging.WARNING)
            return False
        if self.wall_path is None or self.wall is None:
            self.say(tr("workstation", "not pushed: this layout names no usable wall"), logging.WARNING)
            return False
        dock = dock or self.current_dock()
        screen, page = self.screen_choice.currentText(), self.page_choice.currentText()
        try:
            push_view(self.wall_path, screen, page, self.specs[dock], view_params())
        except LayoutError as exc:
            self.say(tr("workstation", "not pushed: {why}").format(why=exc), logging.WARNING)
            return False
        self.say(tr("workstation", "{panel} pushed to wall {wall}, screen {screen}, page {page}").format(
            panel=dock.windowTitle(), wall=self.wall_path.stem, screen=screen, page=page))
        return True


def _weights(shares: list[float]) -> list[int]:
    return [max(1, int(round(share * 100))) for share in shares]
