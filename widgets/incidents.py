"""The incident list: newest first, severity by colour and by word."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from console.model.vocab import INCIDENT_KINDS, SEVERITIES
from widgets import theme
from widgets.base import RowsModel, View, register

COLUMNS = ("Opened", "Severity", "Status", "District", "Incident")  # the title names the kind


class IncidentModel(RowsModel):
    COLUMNS = COLUMNS

    def __init__(self, districts: dict[str, str]):
        super().__init__()
        self.districts = districts

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                time.strftime("%H:%M", time.localtime(row["opened_at"])),
                SEVERITIES.get(row["severity"], "?").upper(),
                row["status"].replace("_", " "),
                self.districts.get(row["district_id"], row["district_id"] or "—"),
                row["title"],
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole:
            if row["status"] in ("resolved", "closed"):
                return theme.TEXT_DIM
            if col == 1:
                return theme.SEVERITY_COLOURS.get(row["severity"], theme.TEXT)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f'{INCIDENT_KINDS.get(row["kind"], row["kind"])}: {row["title"]}'
        return None


@register("incidents")
class IncidentList(View):
    PARAMS = {"title": str, "include_closed": bool, "limit": int}

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.model = IncidentModel({})
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.body.addWidget(self.table, 1)
        self._drawn: tuple = ()

    def default_title(self) -> str:
        return "Incidents"

    def refresh(self, now: float) -> None:
        key = (self.store.incidents_version, self.store.reference_version, int(now // 60))
        if key == self._drawn:
            return
        self._drawn = key
        self.model.districts = {d["id"]: d["name"] for d in self.store.reference.get("districts", [])}
        rows = self.store.open_incidents(at=now)
        if not self.params.get("include_closed", False):
            rows = [r for r in rows if r["status"] != "closed"]
        # active incidents first, the most severe on top; finished ones below, newest first
        rows.sort(key=lambda r: (r["status"] in ("resolved", "closed"),
                                 r["severity"] if r["status"] not in ("resolved", "closed") else 0))
        self.model.set_rows(rows[: self.params.get("limit", 200)])
