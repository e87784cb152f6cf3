"""Health views: the city's health index as a tile, and a district × category heat grid.

Both paint everything in one widget (like the tiles), compute ``console.model.health`` on
refresh and repaint only when what they would draw differs from what they drew. Status is
shown by colour and by shape/word: troubled cells are filled, calm ones carry only a green
strip (a dark wall where all is well), unknown ones are hatched with "?", partly unknown ones
get a corner notch.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPolygonF
from PySide6.QtWidgets import QWidget

from console.model.health import CITY_ROW, CityHealth, DistrictHealth, band, health
from console.layout.legibility import SMALLEST_TEXT_PX
from console.model.indicator import Status
from console.model.vocab import CATEGORIES
from console.store import Store
from widgets import theme
from widgets.base import View, register
from widgets.i18n import core, tr

#: Column labels short enough for a grid cell.
SHORT = {"traffic": QT_TRANSLATE_NOOP("health", "Traffic"), "power": QT_TRANSLATE_NOOP("health", "Power"),
         "water": QT_TRANSLATE_NOOP("health", "Water"), "drainage": QT_TRANSLATE_NOOP("health", "Drains"),
         "gas_heat": QT_TRANSLATE_NOOP("health", "Gas/heat"), "air": QT_TRANSLATE_NOOP("health", "Air"),
         "hotline": "12345", "transit": QT_TRANSLATE_NOOP("health", "Transit"),
         "weather": QT_TRANSLATE_NOOP("health", "Weather"), "building": QT_TRANSLATE_NOOP("health", "Building")}
_FILLED = (Status.WARNING, Status.ALARM)
_A = Qt.AlignmentFlag
LEFT, RIGHT, CENTRE = _A.AlignLeft | _A.AlignVCenter, _A.AlignRight | _A.AlignVCenter, _A.AlignCenter
_memo: tuple[Store, int, float, CityHealth] | None = None


def city_health(store: Store, now: float) -> CityHealth:
    """``health(store, now)``, computed once per store version and tick for all views that ask."""
    global _memo
    if _memo is None or _memo[0] is not store or _memo[1] != store.version or _memo[2] != now:
        _memo = (store, store.version, now, health(store, now))
    return _memo[3]


def _name(d: DistrictHealth) -> str:
    """The district's name; the core's name of the city-wide row in this language."""
    return core(d.name) if d.district_id is CITY_ROW else d.name


def _score(score: float | None) -> str:
    return "?" if score is None else f"{score:.0f}"


def _font(base: QFont, px: float, bold: bool = True) -> QFont:
    font = QFont(base)
    font.setPixelSize(max(SMALLEST_TEXT_PX, int(px)))
    font.setBold(bold)
    return font


def _widest(font: QFont, texts: list[str]) -> int:
    return max((QFontMetrics(font).horizontalAdvance(t) for t in texts), default=1)


def _fit(base: QFont, texts: list[str], px: float, width: float) -> QFont:
    """The bold font of at most ``px`` pixels in which every text fits ``width``."""
    font = _font(base, px * min(1.0, width / max(_widest(_font(base, px), texts), 1)))
    while _widest(font, texts) > width and font.pixelSize() > SMALLEST_TEXT_PX:  # hinting is not quite linear
        font.setPixelSize(font.pixelSize() - 1)
    return font


def _text(p: QPainter, r: QRectF, text: str, colour: QColor, font: QFont, align=LEFT) -> None:
    """Draw ``text`` in ``r``, elided rather than clipped where it does not fit."""
    p.setPen(colour)
    p.setFont(font)
    p.drawText(r, align, QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, int(r.width()) + 1))


@dataclass(frozen=True)
class Shown:
    """One grid cell as drawn. NODATA with "—": nothing of that kind there; with "?": all unknown."""

    text: str
    status: Status
    partial: bool = False  # some of its indicators unknown


def paint_cell(p: QPainter, r: QRectF, s: Shown, px: float) -> None:
    """A filled block when troubled, a green strip when calm, a hatch when unknown."""
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.STATUS_COLOURS[s.status] if s.status in _FILLED else theme.SURFACE_RAISED)
    p.drawRoundedRect(r, 3, 3)
    if s.text == "?":
        p.setBrush(QBrush(theme.STATUS_COLOURS[Status.STALE], Qt.BrushStyle.BDiagPattern))
        p.drawRoundedRect(r, 3, 3)
    strip = max(5.0, r.width() * 0.07)
    if s.status is Status.NORMAL:
        p.setBrush(theme.STATUS_COLOURS[Status.NORMAL])
        p.drawRect(QRectF(r.left(), r.top(), strip, r.height()))
    if s.partial:
        k = min(r.width(), r.height()) * 0.28
        p.setBrush(theme.BACKGROUND if s.status in _FILLED else theme.STATUS_COLOURS[Status.STALE])
        p.drawPolygon(QPolygonF([r.topRight(), QPointF(r.right() - k, r.top()), QPointF(r.right(), r.top() + k)]))
    colour = theme.BACKGROUND if s.status in _FILLED else theme.TEXT if s.text == "?" else theme.TEXT_DIM
    _text(p, r.adjusted(strip, 0, 0, 0), s.text, colour, _font(p.font(), px), CENTRE)


class Canvas(QWidget):
    """Holds the state last drawn (``draw`` paints it); ``paints`` counts repaints, for tests."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.state: tuple = ()
        self.paints = 0
        self.setMinimumSize(240, 140)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        self.paints += 1
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.state:
            _text(p, QRectF(self.rect()), tr("health", "Waiting for data…"), theme.TEXT_DIM, _font(p.font(), 16, False),
                  CENTRE)
        else:
            self.draw(p, QRectF(self.rect()))


class HealthView(View):
    """Computes the health on refresh; ``shown`` turns it into the canvas state, compared with the last."""

    canvas_class: type[Canvas] = Canvas

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.canvas = self.canvas_class(self)
        self.body.addWidget(self.canvas, 1)

    def refresh(self, now: float) -> None:
        state = self.shown(city_health(self.store, now)) if self.store.indicators else ()
        if state != self.canvas.state:
            self.canvas.state = state
            self.canvas.update()


class TileCanvas(Canvas):
    """City index big on the left (on top when narrow), one bar row per district beside it."""

    def draw(self, p: QPainter, r: QRectF) -> None:
        index, status, lines, rows = self.state
        wide = r.width() >= 1.15 * r.height()
        head = QRectF(r.left(), r.top(), r.width() * 0.36, r.height()) if wide else \
            QRectF(r.left(), r.top(), r.width(), r.height() * 0.42)
        body = r.adjusted(head.width() + 12, 0, 0, 0) if wide else r.adjusted(0, head.height() + 8, 0, 0)
        line = min(head.height() / 6.5, head.width() / 7)
        scales = (1.3, 0.8, 0.8)  # band word, alarm/warning counts, coverage
        number = QRectF(head.left(), head.top(), head.width(), head.height() - sum(scales) * line * 1.2)
        _text(p, number, index, _colour(status),
              _fit(p.font(), ["100"], number.height() * 0.95, head.width() * 0.9), _A.AlignHCenter | _A.AlignBottom)
        y = number.bottom()
        for parts, scale in zip(lines, scales):  # each line: (text, colour) parts, centred together
            whole = "".join(t for t, _ in parts)
            font = _fit(p.font(), [whole], line * scale, head.width() - 4)
            x = head.center().x() - _widest(font, [whole]) / 2
            for text, colour in parts:
                _text(p, QRectF(x, y, head.right() - x, line * scale * 1.2), text, colour, font)
                x += _widest(font, [text])
            y += line * scale * 1.2
        row_h = min(body.height() / max(len(rows), 1), line * 2.2)
        names = _widest(_font(p.font(), SMALLEST_TEXT_PX), [row[0] for row in rows]) + 10  # whole, at the least
        name_w, note_w, px = min(body.width() * 0.45, max(body.width() * 0.34, names)), body.width() * 0.2, row_h * 0.5
        name_font = _fit(p.font(), [row[0] for row in rows], px, name_w - 8)
        for i, (name, text, status, fraction, note, note_status) in enumerate(rows):
            y = body.top() + i * row_h
            _text(p, QRectF(body.left(), y, name_w - 8, row_h), name, theme.TEXT, name_font)
            num = QRectF(body.left() + name_w, y, row_h * 1.5, row_h)
            _text(p, num, text, _colour(status), _font(p.font(), px * 1.15), RIGHT)
            bar = QRectF(num.right() + 10, y + row_h * 0.3, body.right() - note_w - num.right() - 18, row_h * 0.4)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.SURFACE_RAISED)
            p.drawRoundedRect(bar, 3, 3)
            p.setBrush(theme.STATUS_COLOURS[status])
            p.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, bar.height()), 3, 3)
            _text(p, QRectF(body.right() - note_w, y, note_w, row_h), note,
                  theme.STATUS_COLOURS[note_status] if note_status in _FILLED else theme.TEXT_DIM,
                  _fit(p.font(), [note], px * 0.85, note_w), RIGHT)


def _colour(status: Status) -> QColor:
    """A band's colour for text: the no-data grey is too dark to read on the panel."""
    return theme.TEXT_DIM if status is Status.NODATA else theme.STATUS_COLOURS[status]


def _counts(h: CityHealth) -> list[tuple[str, QColor]]:
    """"3 alarms · 1 warning" as coloured parts (dim words when there are none)."""
    parts = [(text.format(n=n), theme.STATUS_COLOURS[s]) for n, text, s in (
        (h.alarms, tr("health", "{n} alarm") if h.alarms == 1 else tr("health", "{n} alarms"), Status.ALARM),
        (h.warnings, tr("health", "{n} warning") if h.warnings == 1 else tr("health", "{n} warnings"), Status.WARNING),
    ) if n]
    if len(parts) == 2:
        parts.insert(1, (" · ", theme.TEXT_DIM))
    calm = tr("health", "no alarms or warnings") if h.index is not None else tr("health", "no current data")
    return parts or [(calm, theme.TEXT_DIM)]


@register("health")
class HealthTile(HealthView):
    """The city health index, its band and coverage, and a compact row per district, worst first."""

    PARAMS = {"title": str}
    canvas_class = TileCanvas

    def default_title(self) -> str:
        return tr("health", "City health")

    def shown(self, h: CityHealth) -> tuple:
        rows = []
        for d in sorted(h.districts, key=lambda d: (d.index is None, d.index or 0.0, d.name)):
            note, note_status = "", Status.NODATA
            if d.alarms or d.warnings:
                note, note_status = (tr("health", "{n} ALARM").format(n=d.alarms), Status.ALARM) if d.alarms else \
                    (tr("health", "{n} WARN").format(n=d.warnings), Status.WARNING)
            if d.coverage < 0.9:
                pct = f"{d.coverage:.0%}"
                note = tr("health", "{note} · {pct} rep.").format(note=note, pct=pct) if note else \
                    tr("health", "{pct} reporting").format(pct=pct)
            rows.append((_name(d), _score(d.index), band(d.index), (d.index or 0.0) / 100, note, note_status))
        word = theme.status_word(band(h.index) if h.index is not None or h.worst is not Status.STALE else Status.STALE)
        lines = ((word, _colour(band(h.index))),), tuple(_counts(h)), \
            ((tr("health", "{pct} reporting").format(pct=f"{h.coverage:.0%}"), theme.TEXT_DIM),)
        return _score(h.index), band(h.index), lines, tuple(rows)


class GridCanvas(Canvas):
    """Rows = districts (city-wide first), columns = the district index, then each category."""

    GAP, SPLIT = 4.0, 10.0  # between cells; extra between the index column and the categories

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._geometry: tuple = ((), None)

    def geometry(self) -> tuple[float, float, float, float, QFont, str]:
        """Label column width, header height, cell width and height, header font, and how the
        column labels stand: "row" (one line), "staggered" (two lines, every other label on the
        upper one, so each may take two columns' width) or "upright" (turned a quarter).

        Labels are never cut: the first of those ways that holds every label whole at a legible
        size wins; the district names' column is as wide as the longest name needs (up to 30 %).
        """
        columns, rows = self.state
        key = (self.width(), self.height(), columns, tuple(r[0] for r in rows))
        if self._geometry[0] != key:
            w, h = float(self.width()), float(self.height())
            names = _widest(_font(self.font(), SMALLEST_TEXT_PX + 2), [r[0] for r in rows]) + 12.0
            label = min(w * 0.3, max(90.0, w * 0.18, names))
            cell_w = (w - label - self.SPLIT - self.GAP * (len(columns) - 1)) / len(columns)
            head = max(18.0, min(40.0, h / (len(rows) + 1) * 0.6))
            room = cell_w - 2
            font, how = _fit(self.font(), list(columns), head * 0.62, room), "row"
            if _widest(font, list(columns)) > room:
                room = 2 * cell_w + self.GAP - 6
                font, how = _fit(self.font(), list(columns), head * 0.62, room), "staggered"
                head = 2 * QFontMetrics(font).height() + 4.0
            upright = _font(self.font(), min(cell_w * 0.6, 22.0))
            tall = _widest(upright, list(columns)) + 6.0
            if (upright.pixelSize() > 1.3 * font.pixelSize() or _widest(font, list(columns)) > room) and tall < h * 0.3:
                font, head, how = upright, tall, "upright"
            cell_h = (h - head - self.GAP * len(rows)) / len(rows)
            self._geometry = (key, (label, head, cell_w, cell_h, font, how))
        return self._geometry[1]

    def cell_rect(self, row: int, col: int) -> QRectF:
        """Column 0 is the district index, column 1.. the categories."""
        label, head, w, h, _, _ = self.geometry()
        return QRectF(label + col * (w + self.GAP) + (self.SPLIT if col else 0), head + self.GAP + row * (h + self.GAP),
                      w, h)

    def draw(self, p: QPainter, r: QRectF) -> None:
        columns, rows = self.state
        label, head, w, h, head_font, how = self.geometry()
        px = min(h * 0.5, w * 0.3)
        line = QFontMetrics(head_font).height()
        for c, text in enumerate(columns):
            x = self.cell_rect(0, c).center().x()
            if how == "upright":
                p.save()
                p.translate(x, head)
                p.rotate(-90)
                _text(p, QRectF(0, -w / 2, head, w), text, theme.TEXT, head_font)
                p.restore()
            elif how == "staggered":  # the upper ones with a tick down to their column
                upper = c % 2 == 0
                top = 0.0 if upper else head - line
                half = min(_widest(head_font, [text]) / 2 + 2, w + self.GAP)
                centre = min(max(x, label + half), self.width() - half)  # the first and last stay inside
                _text(p, QRectF(centre - half, top, 2 * half, line), text, theme.TEXT, head_font,
                      _A.AlignHCenter | _A.AlignBottom)
                if upper:
                    p.setPen(theme.TEXT_DIM)
                    p.drawLine(QPointF(x, line + 1), QPointF(x, head))
            else:
                _text(p, QRectF(x - w / 2 - self.GAP, 0, w + 2 * self.GAP, head), text, theme.TEXT, head_font,
                      _A.AlignHCenter | _A.AlignBottom)
        name_font = _fit(p.font(), [row[0] for row in rows], min(h * 0.42, max(px * 0.9, 16.0)), label - 10)
        for i, (name, cells) in enumerate(rows):
            _text(p, QRectF(0, self.cell_rect(i, 0).top(), label - 10, h), name, theme.TEXT, name_font)
            for c, shown in enumerate(cells):
                paint_cell(p, self.cell_rect(i, c), shown, px)


@register("health_grid")
class HealthGrid(HealthView):
    """Every district's health by category: where the trouble is, at a glance."""

    PARAMS = {"title": str, "categories": list[str]}
    canvas_class = GridCanvas

    def default_title(self) -> str:
        return tr("health", "Health by district")

    def shown(self, h: CityHealth) -> tuple:
        cats = [c for c in self.params.get("categories", ()) if c in h.categories] or h.categories
        rows = []
        for d in h.districts:
            cells = [Shown(_score(d.index), band(d.index), 0 < d.coverage < 1)]
            cells += [Shown("—", Status.NODATA) if cell is None else
                      Shown(_score(cell.score), band(cell.score), 0 < cell.unknown < cell.n)
                      for cell in (d.cells.get(cat) for cat in cats)]
            rows.append((_name(d), tuple(cells)))
        return (tr("health", "Index"), *(tr("health", SHORT[c]) if c in SHORT else core(CATEGORIES.get(c, c))
                                         for c in cats)), tuple(rows)
