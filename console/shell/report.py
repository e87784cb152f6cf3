"""The after-action report as a PDF: what a supervisor reads, prints and files after a shift or a drill.

``write_report(debrief, path)`` lays out the figures of console/replay/debrief.py on A4 pages with
Qt's ``QPdfWriter``: (1) cover and summary, (2) incident timelines, a table then one bar per
incident coloured by status with who moved it, (3) alarm statistics, (4) key measurements as
charts, (5) annotations and bookmarks. Paper is white, so it uses a light print palette of its
own (the wall's theme is dark); colours follow Okabe-Ito and every colour also has its word.

It paints with fonts, so it needs a ``QGuiApplication`` (a ``QApplication`` is one); the
offscreen platform (``QT_QPA_PLATFORM=offscreen``) is enough, no display is needed.

Each page has its module (report_cover, report_incidents, report_alarms, report_charts); they
draw with report_draw.py (page flow, tables) in the palette and words of report_style.py.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QSaveFile
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

from console.errors import UserError
from console.replay.debrief import Debrief
from console.shell.report_figures import figures_page
from console.shell.report_alarms import alarms_page
from console.shell.report_charts import charts_page, notes_page
from console.shell.report_cover import cover_page
from console.shell.report_draw import DPI, Doc
from console.shell.report_incidents import incidents_page
from console.shell.report_style import Clock, period_text
from widgets.i18n import tr


def write_report(debrief: Debrief, path: Path) -> Path:
    """Write the report to ``path`` whole (a crash or a full disk leaves the old file or none) and return it.

    Laid out twice: once to count the pages, so each can say "page 3 of 7" when printed.
    """
    path = Path(path)
    scratch = QBuffer()
    scratch.open(QIODevice.OpenModeFlag.WriteOnly)
    pages = _render(debrief, scratch, total=None)
    out = QSaveFile(str(path))  # Qt's atomic writer: a temporary file renamed over ``path`` on commit
    if not out.open(QIODevice.OpenModeFlag.WriteOnly):
        raise UserError(f"cannot write the report to {path}: {out.errorString()}")
    try:
        _render(debrief, out, total=pages)
    except BaseException:
        out.cancelWriting()
        raise
    if not out.commit():
        raise UserError(f"cannot write the report to {path}: {out.errorString()}")
    return path


def _render(debrief: Debrief, device: QIODevice, total: int | None) -> int:
    s = debrief.summary
    writer = QPdfWriter(device)
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 14, 16, 12), QPageLayout.Unit.Millimeter))
    title = tr("report", "After-action report")
    writer.setTitle(f"{title} — {s.title}" if s.title else title)
    writer.setCreator(f"CityOps Console {s.console_version}".strip())
    footer = " · ".join(part for part in (title, s.title, period_text(s.start, s.end)) if part)
    doc = Doc(writer, Clock(s.start, s.end), footer, total)
    try:
        cover_page(doc, debrief)
        doc.new_page()
        incidents_page(doc, debrief)
        doc.new_page()
        alarms_page(doc, debrief)
        doc.new_page()
        figures_page(doc, debrief.figures)
        doc.new_page()
        charts_page(doc, debrief)
        doc.new_page()
        notes_page(doc, debrief.notes)
    finally:
        doc.finish()
    return doc.page
