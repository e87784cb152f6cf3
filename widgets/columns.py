"""Tables on a narrow panel keep what and where readable: a learnable rule, not a cut.

Each list names the column that says what and where (it stretches and wraps) and the order in
which the others give way when the panel is too narrow for all of them at full width: the first
to go is the one an operator needs least at a glance (its value stays in the row's tooltip and
on the workstation). Nothing is ever cut mid-word and no scroll bar appears.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QEvent
from PySide6.QtWidgets import QTableView

#: the what-and-where column keeps room for about this many average characters before others go
WHAT_CHARS = 22


class ColumnFitter(QObject):
    """Shows every column that fits beside ``what`` at WHAT_CHARS, hiding ``give_way`` in order."""

    def __init__(self, table: QTableView, what: int, give_way: Sequence[int]):
        super().__init__(table)
        self.table, self.what, self.give_way = table, what, list(give_way)
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
            signal.connect(self.fit)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def hidden(self) -> list[int]:
        return [c for c in range(self.table.model().columnCount()) if self.table.isColumnHidden(c)]

    def fit(self) -> None:
        table, header = self.table, self.table.horizontalHeader()
        room = table.viewport().width()
        need = table.fontMetrics().averageCharWidth() * WHAT_CHARS
        shown = [c for c in range(table.model().columnCount()) if c != self.what]
        # each column measured once: sizeHintForColumn lays out its cells, and this runs on every reset
        width = {c: max(header.sectionSizeHint(c), table.sizeHintForColumn(c)) for c in shown}
        hide: set[int] = set()
        for column in [None, *self.give_way]:
            if column is not None:
                hide.add(column)
            if sum(width[c] for c in shown if c not in hide) + need <= room:
                break
        for c in shown:
            if table.isColumnHidden(c) != (c in hide):
                table.setColumnHidden(c, c in hide)
