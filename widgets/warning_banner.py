"""The public-warning band under every wall screen's header: the warnings in force, one line each.

"⚠ WARNING  Severe · Heavy rain warning · Kamppi, Kallio · until Tue 18:00". A public warning
is not an alarm: it takes the theme's warning colour (never the alarm red), as a bar and a
triangle beside dark words on the panel surface, so it reads from across the room without
shouting over the alarms. At most ``MAX_LINES`` lines (the most severe), then "+N more".
Hidden while no warning is in force. Shared by the map, which outlines the same warnings.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, QLocale, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from console.cap.live import InForce, LiveWarnings
from console.model.indicator import Status
from console.store import Store
from widgets import theme
from widgets.i18n import tr

LINE_HEIGHT = 44
MAX_LINES = 2
#: CAP's severity words, as the banner says them (translated: the alert's own words are data).
SEVERITY_WORDS = {"Extreme": QT_TRANSLATE_NOOP("warnings", "Extreme"),
                  "Severe": QT_TRANSLATE_NOOP("warnings", "Severe"),
                  "Moderate": QT_TRANSLATE_NOOP("warnings", "Moderate"),
                  "Minor": QT_TRANSLATE_NOOP("warnings", "Minor"),
                  "Unknown": QT_TRANSLATE_NOOP("warnings", "Unknown severity")}


def warning_colour() -> QColor:
    """The theme's warning colour, whichever look is on (looked up at paint: the look can change)."""
    return QColor(theme.STATUS_COLOURS[Status.WARNING])


def until_text(until: float | None) -> str:
    if until is None:
        return tr("warnings", "until cancelled")
    when = QLocale().toString(QDateTime.fromSecsSinceEpoch(int(until)), tr("warnings", "ddd HH:mm"))
    return tr("warnings", "until {time}").format(time=when)


def line_text(w: InForce) -> str:
    """What one line says after the WARNING word: severity, hazard, places, until when."""
    places = ", ".join(w.places) or tr("warnings", "city-wide")
    return tr("warnings", "{severity} · {event} · {places} · {until}").format(
        severity=tr("warnings", SEVERITY_WORDS.get(w.severity, w.severity)), event=w.event, places=places,
        until=until_text(w.until))


class WarningBanner(QWidget):
    """Lines of the warnings in force; ``refresh(store, now)`` repaints only when a word changed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.live = LiveWarnings()
        self.lines: list[str] = []  # as painted
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.hide()

    def refresh(self, store: Store, now: float) -> None:
        self.live.load(store.reference, store.reference_version)
        shown = self.live.at(now, store.names_in)
        lines = [line_text(w) for w in shown[:MAX_LINES]]
        if len(shown) > MAX_LINES:
            lines[-1] += " · " + tr("warnings", "+{n} more").format(n=len(shown) - MAX_LINES)
        if lines != self.lines:
            self.lines = lines
            self.setFixedHeight(LINE_HEIGHT * len(lines) + 4 if lines else 0)
            self.setVisible(bool(lines))
            self.setToolTip("\n".join(w.headline for w in shown if w.headline))
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), theme.SURFACE_RAISED)
        colour = warning_colour()
        p.fillRect(QRectF(0, 0, 10, self.height()), colour)  # the bar: a band no other zone has
        word_font = theme.font(24, QFont.Weight.Black)
        text_font = theme.font(24, QFont.Weight.DemiBold)
        word = tr("warnings", "WARNING")
        for n, text in enumerate(self.lines):
            top = 2 + n * LINE_HEIGHT
            x = 22.0
            _triangle(p, QPointF(x + 15, top + LINE_HEIGHT / 2), 15, colour)
            x += 40
            p.setFont(word_font)
            p.setPen(colour)
            p.drawText(QRectF(x, top, 400, LINE_HEIGHT), Qt.AlignmentFlag.AlignVCenter, word)
            x += QFontMetrics(word_font).horizontalAdvance(word) + 18
            p.setFont(text_font)
            p.setPen(theme.TEXT)
            metrics = QFontMetrics(text_font)
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(self.width() - x - 12))
            p.drawText(QRectF(x, top, self.width() - x - 12, LINE_HEIGHT), Qt.AlignmentFlag.AlignVCenter, shown)
        p.end()


def _triangle(p: QPainter, centre: QPointF, r: float, colour: QColor) -> None:
    """The warning sign: an outlined triangle with "!" (shape, not only colour, says warning)."""
    tri = QPolygonF([QPointF(centre.x(), centre.y() - r), QPointF(centre.x() + r, centre.y() + r * 0.8),
                     QPointF(centre.x() - r, centre.y() + r * 0.8)])
    p.setPen(QPen(colour, 3))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPolygon(tri)
    p.setFont(theme.font(int(r * 1.1), QFont.Weight.Black))
    p.drawText(QRectF(centre.x() - r, centre.y() - r * 0.55, 2 * r, r * 1.4), Qt.AlignmentFlag.AlignCenter, "!")
