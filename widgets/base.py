"""What every wall view has in common, and the registry that layouts name views by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from console.layout.param_types import Expected
from console.model.action import Operator, OperatorAction
from console.model.indicator import Indicator
from console.store import Store
from console.store.scenario import ScenarioRisk
from console.store.selection import Selection
from widgets.i18n import tr

#: view name -> view class; layouts refer to views by these names.
VIEWS: dict[str, type["View"]] = {}


def register(name: str):
    """Class decorator: make a view available to layouts under ``name``."""
    def deco(cls: type["View"]) -> type["View"]:
        cls.name = name
        VIEWS[name] = cls
        return cls
    return deco


def view_params() -> dict[str, dict[str, Any]]:
    """The parameters each registered view accepts, for the layout parser."""
    return {name: dict(cls.PARAMS) for name, cls in VIEWS.items()}


@dataclass
class ViewContext:
    """What a view may use besides its parameters: the live store, and what the wall adds to it.

    ``history`` serves older data from the cache (None: the view shows only what the store
    holds); ``alarms`` is the wall's alarm manager (None where there is none).
    """

    store: Store
    history: Any = None  # console.store.history.HistorySource
    alarms: Any = None  # console.alarms.AlarmManager
    operator: Operator = field(default_factory=lambda: Operator("operator"))
    selection: Selection = field(default_factory=Selection)  # the incident selected on any view
    recorder: Callable[[OperatorAction], None] | None = None  # keeps an operator action: audit log + outbox
    checklists: Any = None  # console.incidents.plans.Checklists; None: one in-memory set per process
    clock: Any = None  # console.clock.Clock: the replay controls drive it
    timeline: Any = None  # console.replay.timeline.Timeline in REPLAY; None when live
    forecasts: Any = None  # console.forecast.Forecasts: each indicator's next hour (None: no cones)
    early: Any = None  # console.forecast.early.EarlyWarnings (None: the alarm list shows none)
    scenario: ScenarioRisk = field(default_factory=ScenarioRisk)  # the rainstorm scenario in force, by district


class View(QFrame):
    """A panel on the wall: a title and a body that pulls from the store when it repaints.

    ``refresh(now)`` is called by the shell's capped timer; a view compares what it would
    draw with what it drew last and repaints only when that differs.
    """

    name: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Expected]] = {"title": str}  # console/layout/parse.py checks layouts against it

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("panel")
        self.ctx = ctx
        self.store = ctx.store
        self.params = params
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 8)
        box.setSpacing(4)
        #: the title as shown (before the upper case of the panel title): the layout's, translated
        self.title = tr("layout", params["title"]) if "title" in params else self.default_title()
        self.title_label = QLabel(self.title.upper())
        self.title_label.setObjectName("panelTitle")
        self.title_label.setWordWrap(True)  # a title with its counts wraps on a narrow panel, never widens it
        box.addWidget(self.title_label)
        self.body = box
        self._chosen: list[Indicator] = []
        self._chosen_for = -1
        #: how long the view stays on screen at a time: its page's dwell on a rotating screen (None: always)
        self.shown_for_s: float | None = None

    def default_title(self) -> str:
        return self.name

    def chosen(self) -> list[Indicator]:
        """The indicators this view's parameters select, re-read only when reference data changes."""
        if self._chosen_for != self.store.reference_version:
            self._chosen = self.store.select(self.params.get("indicators", ()), self.params.get("categories", ()),
                                             self.params.get("district"))
            self._chosen_for = self.store.reference_version
        return self._chosen

    def keyboard_target(self) -> QWidget | None:
        """The widget that should hold the keyboard when this view's window opens (None: any)."""
        return None

    def refresh(self, now: float) -> None:
        raise NotImplementedError


class RowsModel(QAbstractTableModel):
    """A read-only table of rows under fixed column titles: what the wall's lists have in common.

    Subclasses set COLUMNS (English, marked with QT_TRANSLATE_NOOP in CONTEXT: the header shows them
    translated) and answer ``data``; the view swaps the rows in whole with ``set_rows``.
    """

    CONTEXT: ClassVar[str] = ""
    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.CONTEXT, self.COLUMNS[section])
        return None

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()
