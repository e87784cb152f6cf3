"""The incident table: what needs a supervisor first, filtered and sorted from the keyboard.

Active incidents come first, the most severe and most overdue on top; the SLA column shows the
timer of the step under way in amber or red, with the word. The filter bar narrows by kind,
severity, status, district and free text (``/`` jumps to the text, Esc clears); S cycles the sort
column and R reverses it (or click a header). The selected row is the wall's selected incident
(``ctx.selection``): choosing a row selects it everywhere, and a selection made on the map or
elsewhere selects and scrolls to its row here.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QItemSelection, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QTableView, QWidget)

from console.incidents.filters import ACTIVE_FILTER, IncidentFilter, incident_rows, sort_rows
from console.incidents.sla import format_elapsed
from console.model.vocab import INCIDENT_KINDS, SEVERITIES, STATUSES
from console.replay.drill import DRILL_PREFIX
from widgets import theme
from widgets.columns import ColumnFitter
from widgets.more_rows import MoreRows
from widgets.base import RowsModel, View, register
from widgets.i18n import core, tr

#: Column titles; the last holds the incident's title, which names the kind.
COLUMNS = (QT_TRANSLATE_NOOP("incidents", "Opened"), QT_TRANSLATE_NOOP("incidents", "Severity"),
           QT_TRANSLATE_NOOP("incidents", "Status"), QT_TRANSLATE_NOOP("incidents", "SLA"),
           QT_TRANSLATE_NOOP("incidents", "District"), QT_TRANSLATE_NOOP("incidents", "Incident"))
SORT_KEYS = ("opened", "severity", "status", "sla", "district", "incident")  # by column
#: A glyph per kind (DejaVu Sans has them all); the kind's word is always beside or in the title.
KIND_ICONS = {"traffic_accident": "⚠", "waterlogging": "☔", "fire_alarm": "♨", "gas_leak": "☣",
              "power_outage": "⚡", "building_safety": "⌂", "hotline_cluster": "☎"}
SLA_COLOURS = {"amber": theme.STATUS_COLOURS[theme.Status.WARNING], "red": theme.STATUS_COLOURS[theme.Status.ALARM]}
#: An SLA timer's colour in words: the word, not only the colour, says it is late.
SLA_WORDS = {"amber": QT_TRANSLATE_NOOP("sla", "AMBER"), "red": QT_TRANSLATE_NOOP("sla", "RED")}
INFORMATION_WORD = QT_TRANSLATE_NOOP("sla", "information")  # an information feed's incident: no timers
SEVERITY_CHOICES = ((QT_TRANSLATE_NOOP("incidents", "All severities"), 4),
                    (QT_TRANSLATE_NOOP("incidents", "Critical"), 1),
                    (QT_TRANSLATE_NOOP("incidents", "Major or worse"), 2),
                    (QT_TRANSLATE_NOOP("incidents", "Moderate or worse"), 3))
KEYS_HINT = QT_TRANSLATE_NOOP("incidents", "/ search · Esc clear filters · S sort · R reverse · ↑↓ select")
#: What a trainer's drill put in a replay (console/replay/drill.py): the word, and a colour no status uses.
DRILL_COLOUR = theme.DRILL  # one drill colour on every view
DRILL_WORD = QT_TRANSLATE_NOOP("drill", "DRILL")
DRILL_BAND = QT_TRANSLATE_NOOP("drill", "DRILL — not a real incident")


def status_word(row: dict) -> str:
    """The incident's status in words, "(sending)" while a change made here is not yet confirmed."""
    word = core(row["status"].replace("_", " "))
    return tr("incidents", "{status} (sending)").format(status=word) if row.get("pending") else word


def drill_tag() -> str:
    return f"⚑ {tr('drill', DRILL_WORD)}"


def title_text(row: dict) -> str:
    """The kind's glyph and the title; a drill incident's tagged DRILL in this language instead of
    the title's English prefix."""
    icon = KIND_ICONS.get(row["kind"], "•")
    if row.get("drill"):
        return f'{drill_tag()} · {icon} {row["title"].removeprefix(DRILL_PREFIX)}'
    return f'{icon} {row["title"]}'


def sla_text(row: dict) -> str:
    """The running timer as the time left to its target, "dispatch 3:50 left", or past it,
    "dispatch 6:10 overdue RED" (the word, not only the colour, says it is late); an information
    feed's incident says so instead of running timers nobody is meant to meet."""
    if row.get("information"):
        return tr("sla", INFORMATION_WORD)
    timer = row.get("timer")
    if timer is None:
        return ""
    late = f" {tr('sla', SLA_WORDS[timer.state])}" if timer.state in SLA_WORDS else ""
    if timer.elapsed < timer.red_s:
        return tr("sla", "{step} {time} left{late}").format(
            step=core(timer.name), time=format_elapsed(timer.red_s - timer.elapsed), late=late)
    return tr("sla", "{step} {time} overdue{late}").format(
        step=core(timer.name), time=format_elapsed(timer.elapsed - timer.red_s), late=late)


class IncidentModel(RowsModel):
    CONTEXT, COLUMNS = "incidents", COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.bold = QFont()
        self.bold.setBold(True)
        self.sort_key, self.descending = "default", False
        self._unsorted: list = []

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        col = index.column()
        finished = row["status"] in ("resolved", "closed") or row.get("information")
        timer = row.get("timer")
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                time.strftime("%H:%M", time.localtime(row["opened_at"])),
                core(SEVERITIES.get(row["severity"], "?")).upper(),
                status_word(row),
                sla_text(row),
                row.get("district_name") or "—",
                title_text(row),
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 5 and row.get("drill"):
                return DRILL_COLOUR
            if col == 3 and timer is not None:  # on-time timers recede, so late ones stand out
                return SLA_COLOURS.get(timer.state, theme.TEXT_DIM)
            if finished:
                return theme.TEXT_DIM
            if col == 1:
                return theme.SEVERITY_COLOURS.get(row["severity"], theme.TEXT)
        if role == Qt.ItemDataRole.FontRole and not finished and (col == 1 or col == 3 and timer and timer.state == "red"):
            return self.bold
        if role == Qt.ItemDataRole.ToolTipRole:
            drill = f'{tr("drill", DRILL_BAND)}\n' if row.get("drill") else ""
            return f'{drill}{row["id"]} · {core(INCIDENT_KINDS.get(row["kind"], row["kind"]))}: {row["title"]}'
        if role == Qt.ItemDataRole.UserRole:
            return row["id"]
        return None

    def ids(self) -> list[str]:
        return [r["id"] for r in self.rows]

    def update_rows(self, rows: list) -> bool:
        """Take fresh rows; returns True when the rows changed order or membership (a model reset)."""
        self._unsorted = rows
        ordered = sort_rows(rows, self.sort_key, self.descending)
        if [r["id"] for r in ordered] == self.ids():
            self.rows = ordered  # same rows, same places: repaint in place, keep selection and scroll
            if ordered:
                self.dataChanged.emit(self.index(0, 0), self.index(len(ordered) - 1, len(COLUMNS) - 1))
            return False
        self.set_rows(ordered)
        return True

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:  # noqa: D401 (Qt API)
        """Header clicks and S/R: a column, or (column -1) the default order."""
        self.sort_key = SORT_KEYS[column] if 0 <= column < len(SORT_KEYS) else "default"
        self.descending = order == Qt.SortOrder.DescendingOrder and self.sort_key != "default"
        self.layoutAboutToBeChanged.emit()
        before = [(i, self.rows[i.row()]["id"]) for i in self.persistentIndexList() if i.row() < len(self.rows)]
        self.rows = sort_rows(self._unsorted, self.sort_key, self.descending)
        where = {r["id"]: n for n, r in enumerate(self.rows)}
        for index, incident_id in before:  # the selection follows its incident to its new place
            self.changePersistentIndex(index, self.index(where.get(incident_id, -1), index.column()))
        self.layoutChanged.emit()


class FilterBar(QWidget):
    """Kind, severity, status and district choosers and a text field; ``changed`` on any edit."""

    def __init__(self, parent: QWidget, include_closed: bool):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("incidents", "/ search id, place, kind…"))
        self.text.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.addItem(tr("incidents", "All kinds"), None)
        for key, word in INCIDENT_KINDS.items():
            self.kind.addItem(f"{KIND_ICONS.get(key, '')} {core(word)}", key)
        self.severity = QComboBox()
        for word, worst in SEVERITY_CHOICES:
            self.severity.addItem(tr("incidents", word), worst)
        self.status = QComboBox()
        self.status.addItem(tr("incidents", "Any status"), None)
        self.status.addItem(tr("incidents", "Active"), ACTIVE_FILTER)
        for s in STATUSES if include_closed else STATUSES[:-1]:
            self.status.addItem(core(s.replace("_", " ")).capitalize(), s)
        self.district = QComboBox()
        self.district.addItem(tr("incidents", "All districts"), None)
        for w in (self.text, self.kind, self.severity, self.status, self.district):
            row.addWidget(w)
        row.setStretch(0, 1)

    def set_districts(self, districts: list[dict]) -> None:
        current = self.district.currentData()
        self.district.blockSignals(True)
        self.district.clear()
        self.district.addItem(tr("incidents", "All districts"), None)
        for d in sorted(districts, key=lambda d: d["name"]):
            self.district.addItem(d["name"], d["id"])
        found = self.district.findData(current)
        self.district.setCurrentIndex(max(found, 0))
        self.district.blockSignals(False)

    def value(self) -> IncidentFilter:
        return IncidentFilter(kind=self.kind.currentData(), max_severity=self.severity.currentData(),
                              status=self.status.currentData(), district=self.district.currentData(),
                              text=self.text.text().strip())

    def clear(self) -> None:
        for combo in (self.kind, self.severity, self.status, self.district):
            combo.setCurrentIndex(0)
        self.text.clear()


@register("incidents")
class IncidentList(View):
    PARAMS = {"title": str, "include_closed": bool, "limit": int, "filters": bool}

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.filters = FilterBar(self, params.get("include_closed", False))
        self.filters.setVisible(params.get("filters", True))  # a narrow wall column shows the list alone
        self.body.addWidget(self.filters)
        self.model = IncidentModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the filters and other views
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        if not params.get("filters", True):  # a wall column: nobody scrolls it, so no scroll bars (keys still move)
            self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)  # the title takes what is left
        # and says what and where in full: it wraps, and on a narrow panel the district (in the
        # title already), then when it opened, then its status, and on a side panel its SLA give way
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.columns = ColumnFitter(self.table, what=5, give_way=(4, 0, 2, 3))
        if not params.get("filters", True):  # and what does not fit whole is counted, not cut
            self.more = MoreRows(self.table, lambda n: tr("incidents", "▼ {n} more below").format(n=n))
        header.setSortIndicatorClearable(True)  # a third click returns to the default order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.body.addWidget(self.table, 1)
        self.hint = QLabel(tr("incidents", KEYS_HINT))
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; background: transparent;")
        self.hint.setVisible(params.get("filters", True))
        self.body.addWidget(self.hint)
        self.table.selectionModel().selectionChanged.connect(self._on_row_chosen)
        for combo in (self.filters.kind, self.filters.severity, self.filters.status, self.filters.district):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.filters.text.textChanged.connect(self._filters_changed)
        for w in (self.table, self.filters.text):
            w.installEventFilter(self)
        self._drawn: tuple = ()
        self._districts_for = -1
        self._selection_seen = -1
        self._quiet = False  # set while the view itself changes the table's selection
        self._now = 0.0

    def default_title(self) -> str:
        return tr("incidents", "Incidents")

    def keyboard_target(self) -> QWidget:
        return self.table

    # -- data ------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        self._now = now
        selection = self.ctx.selection
        key = (self.store.incidents_version, self.store.reference_version, int(now))  # SLA timers tick
        if key != self._drawn:
            self._drawn = key
            self._fill(now)
        if selection.version != self._selection_seen:
            self._selection_seen = selection.version
            self._show_selected(scroll=True)

    def _fill(self, now: float) -> None:
        if self._districts_for != self.store.reference_version:
            self._districts_for = self.store.reference_version
            self.filters.set_districts(self.store.reference.get("districts", []))
        rows = incident_rows(self.store, now, include_closed=self.params.get("include_closed", False))
        chosen = self.filters.value().apply(rows)
        self._quiet = True
        try:
            if self.model.update_rows(chosen[: self.params.get("limit", 200)]):
                self._show_selected(scroll=False)
        finally:
            self._quiet = False
        active = [r for r in rows if r["status"] in STATUSES[:3] and not r["information"]]
        late = sum(1 for r in active if r["timer"] is not None and r["timer"].state == "red")
        title = tr("incidents", "{title} · {n} ACTIVE").format(title=self.title.upper(), n=len(active))
        title += tr("incidents", " · {n} SLA RED").format(n=late) if late else ""
        information = sum(1 for r in rows if r["information"] and r["status"] in STATUSES[:3])
        title += tr("incidents", " · {n} INFORMATION").format(n=information) if information else ""
        if self.filters.value().active():
            title += tr("incidents", " · FILTERED: {shown} OF {total} SHOWN").format(shown=len(chosen), total=len(rows))
        self.title_label.setText(title)

    def _show_selected(self, scroll: bool) -> None:
        """Select (and on a new selection, scroll to) the wall's selected incident, if it is listed."""
        wanted = self.ctx.selection.incident_id
        ids = self.model.ids()
        self._quiet = True
        try:
            if wanted in ids:
                row = ids.index(wanted)
                self.table.selectRow(row)
                if scroll:
                    self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.EnsureVisible)
            else:
                self.table.clearSelection()
        finally:
            self._quiet = False

    def _on_row_chosen(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._quiet or not selected.indexes():
            return
        incident_id = self.model.rows[selected.indexes()[0].row()]["id"]
        self.ctx.selection.select(incident_id)
        self._selection_seen = self.ctx.selection.version  # already showing it

    def _filters_changed(self, *_args) -> None:
        self._drawn = ()
        self.refresh(self._now)

    # -- keyboard --------------------------------------------------------------------------
    def _cycle_sort(self, reverse: bool) -> None:
        header = self.table.horizontalHeader()
        section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        if reverse:
            if 0 <= section < len(SORT_KEYS):
                flipped = (Qt.SortOrder.AscendingOrder if order == Qt.SortOrder.DescendingOrder
                           else Qt.SortOrder.DescendingOrder)
                header.setSortIndicator(section, flipped)
            return
        section = section + 1 if 0 <= section < len(SORT_KEYS) - 1 else (-1 if section >= 0 else 0)
        header.setSortIndicator(section, Qt.SortOrder.DescendingOrder if section in (1, 3) else
                                Qt.SortOrder.AscendingOrder)  # most severe / most overdue first

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() != QKeyEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj is self.filters.text:
            if key == Qt.Key.Key_Escape:
                self.filters.text.clear()
                self.table.setFocus()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.table.setFocus()
                return True
            return False
        if key == Qt.Key.Key_Slash:
            self.filters.text.setFocus()
            self.filters.text.selectAll()
        elif key == Qt.Key.Key_Escape:
            self.filters.clear()
        elif key == Qt.Key.Key_S:
            self._cycle_sort(reverse=False)
        elif key == Qt.Key.Key_R:
            self._cycle_sort(reverse=True)
        else:
            return False
        return True
