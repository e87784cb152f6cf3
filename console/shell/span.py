"""A screen across several physical screens: one hidden canvas, cut into one window per output.

The canvas is as big as the outputs plus the frames between them (``bezel``), so what crosses a
seam continues where the eye expects it: the strip behind the frames is drawn but never shown.
Each output's window shows its slice of the canvas, re-rendered only after the canvas asked to
repaint, and at most once per refresh tick.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtGui import QPainter, QPixmap, QRegion
from PySide6.QtWidgets import QWidget

from console.layout.spec import ScreenSpec
from widgets import theme


def slices(spec: ScreenSpec) -> list[QRect]:
    """Each output's part of the canvas, row by row (the order of ``outputs``); ``size`` is one output's."""
    (w, h), (cols, rows), (bw, bh) = spec.size, spec.span, spec.bezel
    return [QRect(c * (w + bw), r * (h + bh), w, h) for r in range(rows) for c in range(cols)]


def canvas_size(spec: ScreenSpec) -> tuple[int, int]:
    (w, h), (cols, rows), (bw, bh) = spec.size, spec.span, spec.bezel
    return cols * w + (cols - 1) * bw, rows * h + (rows - 1) * bh


class SliceWindow(QWidget):
    """One output of a spanning screen: its slice of the canvas, scaled to the window if they differ."""

    def __init__(self, title: str, source: QRect):
        super().__init__()
        self.setWindowTitle(title)
        self.source = source
        self.image = QPixmap(source.size())
        self.image.fill(theme.BACKGROUND)
        self.resize(source.size())

    def take(self, canvas: QWidget) -> None:
        canvas.render(self.image, QPoint(0, 0), QRegion(self.source))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        QPainter(self).drawPixmap(self.rect(), self.image)


class SpanScreen(QObject):
    """Keeps a spanning screen's slices in step with its canvas (the screen's WallWindow)."""

    def __init__(self, spec: ScreenSpec, canvas: QWidget):
        super().__init__(canvas)
        self.canvas = canvas
        canvas.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        canvas.resize(*canvas_size(spec))
        self.slices = [SliceWindow(f"{canvas.windowTitle()} ({n + 1}/{spec.span[0] * spec.span[1]})", rect)
                       for n, rect in enumerate(slices(spec))]
        self.dirty = True
        canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        """A repaint the canvas asked for (a view changed, a page turned): the slices are out of date."""
        if event.type() == QEvent.Type.UpdateRequest:
            self.dirty = True
        return False

    def show(self) -> None:
        """The canvas is laid out and painted like a shown window, but never appears itself."""
        self.canvas.show()

    def render(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        for piece in self.slices:
            if piece.isVisible():
                piece.take(self.canvas)

    def close(self) -> None:
        self.canvas.removeEventFilter(self)
        for piece in self.slices:
            piece.close()
        self.canvas.close()
