"""The header bar along the top of every wall window and the workstation: the title, the page, the
clock, who is signed in, and how the platform connection stands, fitted to a narrow screen.
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from console.clock import Clock, Mode
from console.model.action import Operator
from console.sync.connector import SourceState
from console.sync.status import SyncStatus
from widgets import theme
from widgets.i18n import age, core, tr
from widgets.replay_banner import EDGE_COLOUR as REPLAY_EDGE

_STATE_STYLE = {
    "online": (QT_TRANSLATE_NOOP("header", "PLATFORM ONLINE"), theme.STATUS_COLOURS[theme.Status.NORMAL]),
    "catching_up": (QT_TRANSLATE_NOOP("header", "CATCHING UP"), theme.ACCENT),
    # rows held back or the cache unwritable: the wall's figures go stale, in the stale colour
    "holding": (QT_TRANSLATE_NOOP("header", "PLATFORM HOLDING DATA"), theme.STATUS_COLOURS[theme.Status.STALE]),
    "disk_full": (QT_TRANSLATE_NOOP("header", "DISK FULL"), theme.STATUS_COLOURS[theme.Status.STALE]),
    "connecting": (QT_TRANSLATE_NOOP("header", "CONNECTING"), theme.TEXT_DIM),
    # offline, the wall's figures go stale: the stale colour says so (alarm red means a process alarm)
    "offline": (QT_TRANSLATE_NOOP("header", "PLATFORM OFFLINE"), theme.STATUS_COLOURS[theme.Status.STALE]),
    "replay": (QT_TRANSLATE_NOOP("header", "RECORDING"), theme.ACCENT),
}
#: below this width the header shows the time without the date, and the connection only when it is not online
NARROW_HEADER_PX = 1200


def _badge(text: str, colour, label: QLabel) -> None:
    label.setText(text)
    label.setStyleSheet(f"background: {colour.name()}; color: #0b0f14;")


def _connection_detail(status: SyncStatus, data_age: str) -> str:
    """The words beside the connection badge: why offline, how a catch-up goes, how rows arrive."""
    if status.state == "online":
        parts = [tr("header", "live by push") if status.push
                 else tr("header", "live by polling every {s} s").format(s=f"{status.poll_s:g}")]
        if status.refused:
            parts.append(tr("header", "operator actions refused: {why}").format(why=status.refused))
    elif status.state == "catching_up":
        parts = [tr("header", "{done} of {total} rows · {rate} rows/s").format(
            done=f"{status.done:,}", total=f"{status.total:,}", rate=f"{status.rate:,.0f}")]
    elif status.state == "holding":
        parts = [tr("header", "new data held back {s} s by a transaction left open on the platform").format(
            s=f"{status.held_s:.0f}")]
    elif status.state == "disk_full":
        parts = [status.reason]
    elif status.state == "replay":
        parts = [tr("header", "nothing done here reaches the platform")]
    elif status.state == "offline" and status.reason:
        parts = [core(status.reason)]
        if status.retry_s:
            parts.append(tr("header", "retrying in {s} s").format(s=f"{status.retry_s:.0f}"))
    else:
        parts = [core(status.detail)]
    if status.note:  # what the source says of itself: an MQTT broker keeps no history
        parts.append(core(status.note))
    if data_age:
        parts.append(data_age)
    if status.outbox == 1:
        parts.append(tr("header", "1 operator action waiting to send"))
    elif status.outbox:
        parts.append(tr("header", "{n} operator actions waiting to send").format(n=status.outbox))
    return " · ".join(p for p in parts if p)


def identity_text(operator: Operator, demo: bool) -> str:
    """Who is at the console, as every title bar and header says it.

    ``demo``: the console runs on an SQLite demo platform, where the command line named the
    person and nobody is authenticated, and the header says so plainly.
    """
    if operator.nobody:
        return tr("header", "NOT SIGNED IN")
    text = f"{operator.name} · {core(operator.role).upper()}"
    if operator.unverified:
        text += " · " + tr("header", "not verified: the platform cannot be reached")
    if demo:
        text += " · " + tr("header", "nobody is authenticated (demo platform)")
    return text


def short_title(title: str) -> str:
    """A layout title without its subtitle, the rule a narrow header shortens by: "Helsinki centre —
    3×3 operations wall" is "Helsinki centre" (the part before the first dash or colon)."""
    for mark in (" — ", " – ", " - ", ": "):
        head = title.partition(mark)[0]
        if head != title and head.strip():
            return head.strip()
    return title


def short_page(text: str) -> str:
    """A page label without when the next page comes: "utilities 3/4 · next in 12 s" is "utilities 3/4"."""
    return text.partition(" · ")[0]


class HeaderBar(QWidget):
    """Title, page, LIVE/REPLAY mode, the clock and the platform connection, always visible.

    The title comes first: where the row cannot hold everything, the less important parts give
    way, one step at a time (``FIT_STEPS``), until the title is whole: the connection detail, when
    the next page comes, the clock's seconds, the RECORDING badge (the REPLAY band above says
    it), the title's subtitle (``short_title``); only then is the title cut, with an ellipsis.
    """

    #: what gives way, in order, on a header too narrow for it all
    FIT_STEPS = ("page", "seconds", "recording", "title")

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 2)
        self.row = row
        self._title_text, self._page_text = title, ""
        self._now: float | None = None
        self._replay = False
        self.given_way: tuple[str, ...] = ()  # the FIT_STEPS taken at the last fit (tests, screenshots)
        self.title = QLabel(title)
        self.title.setObjectName("title")
        self.page = QLabel()  # the page shown, n/N and when the next comes, on screens that rotate
        self.page.setStyleSheet(f"color: {theme.ACCENT.name()}; font-weight: 600;")
        self.mode = QLabel(); self.mode.setObjectName("badge")
        self.time = QLabel(); self.time.setObjectName("title")
        self.who = QLabel(); self.who.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-weight: 600;")
        self.connection = QLabel(); self.connection.setObjectName("badge")
        self.detail = QLabel(); self.detail.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self.progress = QProgressBar()  # shown while catching up after time offline
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(220, 12)
        self.progress.hide()
        self.sources = QLabel()  # a console of several sources: each one's state and the age of its data
        self.sources.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-weight: 600;")
        self.sources.hide()
        for label in (self.title, self.page, self.who, self.sources, self.detail):  # cut on a narrow screen
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # rather than widen it
            label.setMinimumWidth(0)
        row.addWidget(self.title, 6)
        row.addWidget(self.page, 2)
        row.addWidget(self.who, 2)  # who is at this console and what they may do
        row.addWidget(self.sources, 2)
        row.addWidget(self.detail, 4)
        for w in (self.progress, self.connection, self.mode, self.time):
            row.addWidget(w)
        self._shown: tuple = ()
        self._connection_shown = self._detail_shown = True

    def set_title(self, title: str) -> None:
        self._title_text = title
        self.fit()

    def set_page(self, text: str) -> None:
        """The page shown and when the next comes ("" on a screen with one page)."""
        if text != self._page_text:
            self._page_text = text
            self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self.fit()

    def _needed(self, texts: dict[QLabel, str], connection: bool) -> int:
        """The width the parts other than the connection detail need, reading ``texts`` (the
        connection badge counted when ``connection``): the widgets keep what they show until the
        forms are chosen, so the row is laid out once, not once per step."""
        shown = [w for w in (self.title, self.page, self.who, self.sources, self.progress, self.mode)
                 if not w.isHidden()] + [self.time] + ([self.connection] if connection else [])
        need = sum(QFontMetrics(w.font()).horizontalAdvance(texts[w]) + 4 if w in texts else w.sizeHint().width()
                   for w in shown)
        return need + self.row.spacing() * len(shown)

    def fit(self) -> None:
        """Each part in the longest form the row holds, the title whole if it can be (FIT_STEPS)."""
        narrow = self.width() < NARROW_HEADER_PX
        clock = "%H:%M:%S" if narrow else "%Y-%m-%d %H:%M:%S"
        stamp = time.localtime(self._now) if self._now is not None else None
        texts = {self.title: self._title_text, self.page: self._page_text, self.who: self.who.text(),
                 self.time: time.strftime(clock, stamp) if stamp else self.time.text()}
        connection = self._connection_shown
        margins = self.row.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        taken: list[str] = []
        for step in self.FIT_STEPS:
            if self._needed(texts, connection) <= room:
                break
            taken.append(step)
            if step == "page":
                texts[self.page] = short_page(self._page_text)
            elif step == "seconds" and stamp:
                texts[self.time] = time.strftime(clock.replace(":%S", ""), stamp)
            elif step == "recording" and self._replay:
                connection = False
            elif step == "title":
                texts[self.title] = short_title(self._title_text)
        over = self._needed(texts, connection) - room
        if over > 0:  # still too wide: the title's end gives way, with an ellipsis
            metrics = QFontMetrics(self.title.font())
            width = max(0, metrics.horizontalAdvance(texts[self.title]) - over)
            texts[self.title] = metrics.elidedText(texts[self.title], Qt.TextElideMode.ElideRight, width)
        self.given_way = tuple(taken)
        for label, text in texts.items():
            if label.text() != text:
                label.setText(text)
        if self.connection.isHidden() == connection:
            self.connection.setVisible(connection)
        # every part its own width, the connection detail what is left over: on a narrow header, or
        # one where a part already gave way, shown only where it is whole (a phrase cut in half reads
        # as nothing from afar)
        for label in (self.title, self.page, self.who, self.sources):
            self.row.setStretchFactor(label, max(1, QFontMetrics(label.font()).horizontalAdvance(label.text())))
        left = room - self._needed(texts, connection) - self.row.spacing()
        detail = self._detail_shown and (not (narrow or taken) or QFontMetrics(self.detail.font()).horizontalAdvance(
            self.detail.text()) + 4 <= left)
        if self.detail.isHidden() == detail:
            self.detail.setVisible(detail)
        self.row.setStretchFactor(self.detail, max(0, left))

    def refresh(self, clock: Clock, status: SyncStatus, data_time: float | None) -> None:
        now = clock.now()
        newest = "" if data_time is None else tr("header", "newest data {age} old").format(age=age(now - data_time))
        shown = (clock.mode, clock.speed, int(now), status, newest)
        if shown == self._shown:
            return
        self._shown = shown
        if clock.mode is Mode.LIVE:
            _badge(tr("header", "LIVE"), theme.STATUS_COLOURS[theme.Status.NORMAL], self.mode)
        else:
            _badge(tr("header", "REPLAY {speed}×").format(speed=f"{clock.speed:g}"), REPLAY_EDGE, self.mode)
        narrow = self.width() < NARROW_HEADER_PX  # a screen read from afar: the title keeps its room
        self._now, self._replay = now, status.state == "replay"
        word, colour = _STATE_STYLE.get(status.state, (status.state.upper(), theme.TEXT_DIM))
        text = tr("header", word)
        down = sum(source.state == "offline" for source in status.sources)
        if status.state == "online" and down:  # one source of several lost: not "online" on the badge
            text = tr("header", "{down} OF {all} SOURCES OFFLINE").format(down=down, all=len(status.sources))
            colour = theme.STATUS_COLOURS[theme.Status.STALE]
        if status.state == "catching_up" and status.progress is not None:
            text = f"{text} {status.progress * 100:.0f}%"
            self.progress.setValue(int(status.progress * 1000))
        self.progress.setVisible(status.state == "catching_up" and status.progress is not None)
        _badge(text, colour, self.connection)
        quiet = narrow and status.state == "online" and not down  # normal is quiet: the connection said only when it is not
        self._connection_shown = not quiet
        self._detail_shown = not quiet
        self.who.setVisible(not narrow)  # the window's title says who, too
        self._show_sources(status.sources, now)
        detail = _connection_detail(status, newest)
        self.detail.setToolTip(detail)
        self.detail.setText(detail if len(detail) <= 120 else detail[:119] + "…")
        self.fit()


    def _show_sources(self, sources: tuple[SourceState, ...], now: float) -> None:
        """One phrase per source, a source that is down in the stale colour with how long it has been."""
        self.sources.setVisible(bool(sources))
        parts, why = [], []
        for source in sources:
            name = html.escape(source.name)
            if source.state == "offline":
                since = age(max(0.0, now - source.since)) if source.since else ""
                parts.append(f'<span style="color: {theme.STATUS_COLOURS[theme.Status.STALE].name()}">'
                             + tr("header", "{name}: OFFLINE {age}").format(name=name, age=since) + "</span>")
                why.append(f"{source.name}: {source.reason}")
            elif source.state == "online" and source.newest is not None:
                parts.append(tr("header", "{name}: {age} old").format(
                    name=name, age=age(max(0.0, now - source.newest))))
            elif source.state == "online":  # no readings from it (a platform giving the map, say)
                parts.append(tr("header", "{name}: online").format(name=name))
            else:
                parts.append(tr("header", "{name}: connecting").format(name=name))
        self.sources.setText(" · ".join(parts))
        self.sources.setToolTip("\n".join(why))
        # every source is named in full: the connection detail beside it gives way first
        self.detail.setMinimumWidth(1 if sources else 0)  # 0: its text's own minimum again
