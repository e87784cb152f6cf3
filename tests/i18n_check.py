"""Is an interface translated? What a widget tree shows, and which of it is English the catalogue translates.

``visible_strings(widget)`` collects what a person can read: the texts of labels, buttons, tabs,
table headers and cells, list items, combo boxes, placeholders, menus and tool tips of the visible
widgets, the window title, and every text item painted when the tree is drawn (tiles, health grids,
the map and charts paint their words). ``english_left(strings)`` keeps those that are a source
text of the Chinese catalogue (or an instance of one with placeholders, like "{n} ACTIVE"),
compared without case (titles are shown upper case). Data (indicator and place names, numbers,
ids) is never a source text, so it is not reported.

Use inside ``chinese(app)``: the translation is installed before the views are built (they
translate as they build) and removed afterwards, so other tests see English.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from PySide6.QtCore import QAbstractListModel
from PySide6.QtGui import QPaintDevice, QPaintEngine, Qt, QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QComboBox, QHeaderView, QLabel,
                               QLineEdit, QMenu, QMenuBar, QTabBar, QToolBar, QWidget)

from resources.i18n.update import read_ts
from widgets.i18n import install_translation, remove_translation


@contextmanager
def chinese(app: QApplication) -> Iterator[None]:
    install_translation(app, "zh")
    try:
        yield
    finally:
        remove_translation(app)


class _Recorder(QPaintEngine):
    """A paint engine that draws nothing and keeps the text of every text item."""

    def __init__(self) -> None:
        super().__init__(QPaintEngine.PaintEngineFeature.AllFeatures)
        self.texts: list[str] = []

    def drawTextItem(self, _p, item) -> None:  # noqa: N802 (Qt naming)
        self.texts.append(item.text())

    def begin(self, _device) -> bool:
        return True

    def end(self) -> bool:
        return True

    def type(self) -> QPaintEngine.Type:
        return QPaintEngine.Type.User

    def updateState(self, _state) -> None:  # noqa: N802
        pass

    def drawPixmap(self, *_args) -> None:  # noqa: N802
        pass

    drawPolygon = drawPath = drawRects = drawEllipse = drawLines = drawImage = drawPoints = drawTiledPixmap = drawPixmap


class _TextDevice(QPaintDevice):
    """A paint device of a widget's size whose engine records the painted text."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.engine = _Recorder()
        self.size = (max(width, 1), max(height, 1))

    def paintEngine(self) -> QPaintEngine:  # noqa: N802
        return self.engine

    def metric(self, metric) -> int:
        m = QPaintDevice.PaintDeviceMetric
        w, h = self.size
        return {m.PdmWidth: w, m.PdmHeight: h, m.PdmWidthMM: w * 254 // 960, m.PdmHeightMM: h * 254 // 960,
                m.PdmDpiX: 96, m.PdmDpiY: 96, m.PdmPhysicalDpiX: 96, m.PdmPhysicalDpiY: 96, m.PdmDepth: 32,
                m.PdmNumColors: 0x7FFFFFFF, m.PdmDevicePixelRatio: 1,
                m.PdmDevicePixelRatioScaled: int(QPaintDevice.devicePixelRatioFScale())}.get(metric, 0)


def painted_strings(widget: QWidget) -> list[str]:
    """Every text item drawn when ``widget`` and its children paint (split where the font changes)."""
    device = _TextDevice(widget.width(), widget.height())
    widget.render(device)
    return device.engine.texts


def _plain(text: str) -> list[str]:
    """A label's text as the pieces a person reads: rich text split at its tags, lines apart."""
    if Qt.mightBeRichText(text):
        doc = QTextDocument()
        doc.setHtml(text)
        pieces = [html.unescape(p) for p in re.split(r"<[^>]+>", text)]
        pieces.append(doc.toPlainText())
    else:
        pieces = [text]
    return [line for piece in pieces for line in piece.replace("\u00a0", " ").splitlines()]


def _model_strings(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    found, root = [], view.rootIndex()
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(root)  # a list's is private
    for row in range(model.rowCount(root)):
        for col in range(columns):
            index = model.index(row, col, root)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if isinstance(value, str):
                    found += value.splitlines()
    return found


def _widget_strings(w: QWidget) -> list[str]:
    found = [w.toolTip()] if w.toolTip() else []
    if isinstance(w, QLabel):
        found += _plain(w.text())
    elif isinstance(w, QAbstractButton):
        found.append(w.text().replace("&", ""))
    elif isinstance(w, QTabBar):
        found += [w.tabText(i) for i in range(w.count())]
    elif isinstance(w, QHeaderView) and w.model() is not None:
        found += [w.model().headerData(i, w.orientation()) or "" for i in range(w.count())]
    elif isinstance(w, QLineEdit):
        found.append(w.placeholderText())
    elif isinstance(w, QComboBox):
        found += [w.itemText(i) for i in range(w.count())]
    elif isinstance(w, QAbstractItemView):
        found += _model_strings(w)
    if isinstance(w, (QMenuBar, QMenu, QToolBar)):
        for action in w.actions():
            found += [action.text().replace("&", ""), action.toolTip()]
            if action.menu() is not None:
                found += [a.text().replace("&", "") for a in action.menu().actions()]
    return found


def visible_strings(root: QWidget) -> list[str]:
    """What a person can read on ``root`` (shown) and its visible descendants, without repeats."""
    found = [root.windowTitle()] if root.isWindow() else []
    for w in [root, *root.findChildren(QWidget)]:
        if w.isVisible():
            found += _widget_strings(w)
    found += painted_strings(root)
    return list(dict.fromkeys(s.strip() for s in found if s and s.strip()))


_SYMBOLS = " ■◉●○▶▲✎↑⚠☔♨☣⚡⌂☎•·—-:()"


@cache
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """A full-match pattern per source text the catalogue translates into something else.

    Sources with placeholders need four letters of their own: "{n} min" would match data
    ("15 calls/15 min"), and the units are checked where they are part of longer sources.
    """
    patterns = []
    for (context, source), message in read_ts().items():
        if message.state or not message.translation or message.translation.casefold() == source.casefold():
            continue
        parsed = list(string.Formatter().parse(source))
        templated = any(field is not None for _, field, _, _ in parsed)
        if templated and sum(c.isalpha() for literal, _, _, _ in parsed for c in literal) < 4:
            continue
        parts = [re.escape(literal) + ("(.+?)" if field is not None else "") for literal, field, _, _ in parsed]
        patterns.append((re.compile("".join(parts), re.IGNORECASE | re.DOTALL), f"{context}: {source!r}"))
    return tuple(patterns)


def data_texts(store) -> set[str]:
    """The data a store holds that a view may show as it is: names, places, units, titles, plans, callsigns."""
    ref = store.reference
    texts = [t for ind in store.indicators.values() for t in (ind.name, *ind.name.split(", "), ind.unit)]
    # a name wrapped in a narrow list is painted a line at a time: its first word may stand alone
    texts += [ind.name.split()[0] for ind in store.indicators.values()]
    texts += [d.get("name", "") for d in ref.get("districts", [])] + [u.get("callsign", "") for u in ref.get("units", [])]
    texts += [p.get("title", "") for p in ref.get("plans", [])] + [r["title"] for r in store.incidents.values()]
    # an incident's title (data: the platform's words) wraps in a narrow list: "what —" on a line of its own
    texts += [r["title"].split(" — ")[0] for r in store.incidents.values()]
    return {t.casefold() for t in texts if t}


def english_left(strings: list[str], data: set[str] = frozenset()) -> list[str]:
    """The strings that are still an English source text of the catalogue: "shown (context: source)".

    A string is also tried without the symbols around it ("■ CRITICAL", "◉ DISPATCHED"); one that
    is a text of ``data`` (``data_texts``: casefolded) is data, whatever words it has.
    """
    left = []
    for shown in strings:
        bare = shown.strip(_SYMBOLS)
        if shown.casefold() in data or bare.casefold() in data:
            continue
        for pattern, source in _patterns():
            if pattern.fullmatch(shown) or (bare and pattern.fullmatch(bare)):
                left.append(f"{shown!r} ({source})")
                break
    return left
