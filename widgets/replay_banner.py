"""The REPLAY band across the top of every wall screen: nobody may take a replay for the live city.

A saturated purple with diagonal hatching (no status colour of the theme is purple, so it never
reads as an alarm or an all-clear), large white words with the replayed time, speed and play
state, the recording's title on the right and, when a drill is loaded, a yellow DRILL badge.
Hidden while LIVE.
"""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from console.clock import Clock, Mode
from widgets import theme
from widgets.i18n import tr

REPLAY_COLOUR = QColor("#7a1fa2")  # the band; also the timeline's "replay" accents
HATCH_COLOUR = QColor("#9631c0")
EDGE_COLOUR = QColor("#d7b4ff")  # the band's lower edge, where it meets the wall's content
DRILL_COLOUR = theme.DRILL  # drill badge and drill marks: far from purple and from every alarm colour
HEIGHT = 56


def replayed_time(t: float) -> str:
    """A replayed moment as the banner and the timeline show it: "Sat 21 Nov 14:32:05", local time."""
    return QLocale().toString(QDateTime.fromSecsSinceEpoch(int(t)), tr("banner", "ddd d MMM HH:mm:ss"))


def speed_text(speed: float) -> str:
    return f"×{speed:g}"


class ReplayBanner(QWidget):
    """Full-width band: "REPLAY · Sat 21 Nov 14:32:05 · ×16 · ▶ playing", the title, a DRILL badge."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedHeight(HEIGHT)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.text = ""  # the main words, as painted
        self.title = ""
        self.drill = ""  # "DRILL: <title>", or "" when no drill is loaded
        self._shown: tuple = ()
        self.hide()

    def refresh(self, clock: Clock, title: str, drill_title: str | None) -> None:
        """Show what the clock replays (hide in LIVE); repaint only when a word changed."""
        if clock.mode is Mode.LIVE:
            self._shown = ()
            self.hide()
            return
        state = tr("banner", "▶ playing") if clock.playing else tr("banner", "❚❚ paused")
        text = tr("banner", "REPLAY · {time} · {speed} · {state}").format(
            time=replayed_time(clock.now()), speed=speed_text(clock.speed), state=state)
        drill = tr("banner", "DRILL: {title}").format(title=drill_title) if drill_title else ""
        shown = (text, title, drill)
        if shown != self._shown:
            self._shown = shown
            self.text, self.title, self.drill = shown
            self.update()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), REPLAY_COLOUR)
        p.setPen(QPen(HATCH_COLOUR, 9))
        for x in range(-h, w + h, 26):  # hatching at 45°: a band no screen content looks like
            p.drawLine(QPointF(x, h), QPointF(x + h, 0))
        p.fillRect(QRectF(0, h - 3, w, 3), EDGE_COLOUR)
        pad = 18
        x = pad
        main = theme.font(max(20, int(h * 0.5)), QFont.Weight.Bold)
        x = self._words(p, main, self.text, x, w - pad, QColor("#ffffff")) + 24
        if self.drill:
            x = self._badge(p, self.drill, x, w - pad) + 24
        if self.title:
            p.setFont(theme.font(max(15, int(h * 0.34)), QFont.Weight.DemiBold))
            room = w - pad - x
            if room > 40:
                elided = QFontMetrics(p.font()).elidedText(self.title, Qt.TextElideMode.ElideRight, room)
                self._shadowed(p, QRectF(x, 0, room, h - 3), elided,
                               Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, QColor("#f3e5f5"))
        p.end()

    def _words(self, p: QPainter, font: QFont, text: str, x: float, right: float, colour: QColor) -> float:
        """Draw ``text`` from ``x`` (elided at ``right``); return where it ends."""
        p.setFont(font)
        metrics = QFontMetrics(font)
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(right - x))
        width = metrics.horizontalAdvance(text)
        self._shadowed(p, QRectF(x, 0, width + 2, self.height() - 3), text,
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, colour)
        return x + width

    def _badge(self, p: QPainter, text: str, x: float, right: float) -> float:
        """The DRILL badge: black words on lemon, boxed, so a drill is told apart from a plain replay."""
        font = theme.font(max(16, int(self.height() * 0.38)), QFont.Weight.Black)
        metrics = QFontMetrics(font)
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(max(0.0, right - x - 24)))
        box = QRectF(x, 8, metrics.horizontalAdvance(text) + 24, self.height() - 19)
        p.setPen(QPen(QColor("#000000"), 2))
        p.setBrush(DRILL_COLOUR)
        p.drawRoundedRect(box, 5, 5)
        p.setFont(font)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        return box.right()

    @staticmethod
    def _shadowed(p: QPainter, box: QRectF, text: str, align, colour: QColor) -> None:
        """White words with a dark offset copy under them: legible over the hatching's stripes."""
        p.setPen(QColor(0, 0, 0, 150))
        p.drawText(box.translated(2, 2), align, text)
        p.setPen(colour)
        p.drawText(box, align, text)
