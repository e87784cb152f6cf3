"""A kiosk list with more rows than its panel holds says so, instead of showing half a row.

Lists on a wall have no scroll bars (DESIGN §7): the keys move the selection and the list scrolls
to it. The rows that do not fit whole are covered by a line saying how many are out of sight below
("▼ 12 more below"), so no row is cut mid-line and the count of what is not shown is never hidden.
The selected row is always one of those shown whole.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QLabel, QTableView

from widgets import theme


class MoreRows(QObject):
    """Covers the rows of ``table`` that do not fit whole with ``words(n)``, n being how many."""

    def __init__(self, table: QTableView, words: Callable[[int], str]):
        super().__init__(table)
        self.table, self.words = table, words
        self.label = QLabel(table.viewport())
        self.label.setObjectName("moreRows")
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; background: {theme.SURFACE.name()}; "
                                 "font-weight: bold; padding: 2px 8px;")
        self.label.hide()
        self._placing = False  # scrolling to the selection calls place() again: once is enough
        self._pending = False
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted, model.rowsRemoved,
                       model.dataChanged):
            signal.connect(self.place)
        table.verticalScrollBar().valueChanged.connect(self.place)
        table.verticalHeader().sectionResized.connect(self.place)  # rows taller once their words wrap

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Paint):  # painted: the rows have their heights
            self.place()
        return False

    def _first_covered(self) -> tuple[int, int]:
        """The first row that does not fit whole above the line, and how many rows from it on."""
        table = self.table
        rows, height = table.model().rowCount(), table.viewport().height()
        room = height - self.label.sizeHint().height()
        row = max(table.rowAt(0), 0)
        while row < rows and table.rowViewportPosition(row) + table.rowHeight(row) <= room:
            row += 1
        return row, rows - row

    def place(self) -> None:
        """Soon, not now: rows take their wrapped heights in the table's own delayed layout, and
        whenever the rows are painted the line is checked against them."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._placed)

    def _placed(self) -> None:
        self._pending = False
        if self._placing or not shiboken6.isValid(self.table):
            return
        self._placing = True
        try:
            self._place()
        finally:
            self._placing = False

    def _place(self) -> None:
        table, label = self.table, self.label
        rows, height = table.model().rowCount(), table.viewport().height()
        if rows == 0 or table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1) <= height:
            if label.isVisible():
                label.hide()
            return
        selected = table.currentIndex().row()
        row, hidden = self._first_covered()
        bar = table.verticalScrollBar()
        while max(table.rowAt(0), 0) < selected and row <= selected and bar.value() < bar.maximum():
            bar.setValue(bar.value() + 1)  # keep the selection in sight, whole
            row, hidden = self._first_covered()
        if row == max(table.rowAt(0), 0):  # not one row fits above the line: that row shows, the line takes the rest
            row, hidden = row + 1, hidden - 1
        top = table.rowViewportPosition(row) if row < rows else height
        if hidden <= 0 or top >= height:
            label.hide()
            return
        text, geometry = self.words(hidden), QRect(0, top, table.viewport().width(), height - top)
        if (text, geometry, True) != (label.text(), label.geometry(), label.isVisible()):  # a repaint calls again
            label.setText(text)
            label.setGeometry(geometry)
            label.show()
