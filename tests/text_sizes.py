"""The text a widget really draws, and how tall: a paint device whose engine records every piece
of text painted into it (labels, tables, headers, painted tiles, map labels, chart axes alike),
with its font and the painter's scale, so a test measures what the screen shows, not a constant."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QFontMetricsF, QPaintDevice, QPaintEngine
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class Drawn:
    text: str
    cap_px: float  # the height of a capital letter as drawn, in the widget's pixels
    family: str


class _Recorder(QPaintEngine):
    """Draws nothing; keeps each text item with its capital height under the painter's transform."""

    def __init__(self) -> None:
        super().__init__(QPaintEngine.PaintEngineFeature.AllFeatures)
        self.drawn: list[Drawn] = []

    def begin(self, device) -> bool:  # noqa: ARG002
        return True

    def end(self) -> bool:
        return True

    def updateState(self, state) -> None:  # noqa: N802 (Qt naming)
        pass

    def drawTextItem(self, point, item) -> None:  # noqa: N802
        t = self.painter().combinedTransform()
        scale = math.sqrt(abs(t.m11() * t.m22() - t.m12() * t.m21()))
        text = item.text().strip()
        if text:
            self.drawn.append(Drawn(text, QFontMetricsF(item.font()).capHeight() * scale, item.font().family()))

    def drawPixmap(self, *args) -> None:  # noqa: N802
        pass

    def drawImage(self, *args) -> None:  # noqa: N802
        pass

    def drawTiledPixmap(self, *args) -> None:  # noqa: N802
        pass

    def drawPolygon(self, *args) -> None:  # noqa: N802
        pass

    def drawPath(self, *args) -> None:  # noqa: N802
        pass

    def drawRects(self, *args) -> None:  # noqa: N802
        pass

    def drawLines(self, *args) -> None:  # noqa: N802
        pass

    def drawEllipse(self, *args) -> None:  # noqa: N802
        pass

    def drawPoints(self, *args) -> None:  # noqa: N802
        pass

    def type(self) -> QPaintEngine.Type:
        return QPaintEngine.Type.User


class _Device(QPaintDevice):
    def __init__(self, size: QSize):
        super().__init__()
        self.engine = _Recorder()
        self.size = size

    def paintEngine(self) -> QPaintEngine:  # noqa: N802
        return self.engine

    def metric(self, metric: QPaintDevice.PaintDeviceMetric) -> int:
        m = QPaintDevice.PaintDeviceMetric
        return {m.PdmWidth: self.size.width(), m.PdmHeight: self.size.height(), m.PdmDpiX: 96, m.PdmDpiY: 96,
                m.PdmPhysicalDpiX: 96, m.PdmPhysicalDpiY: 96, m.PdmDevicePixelRatio: 1,
                m.PdmDevicePixelRatioScaled: int(QPaintDevice.devicePixelRatioFScale()), m.PdmDepth: 32,
                m.PdmNumColors: 2 ** 24, m.PdmWidthMM: round(self.size.width() * 25.4 / 96),
                m.PdmHeightMM: round(self.size.height() * 25.4 / 96)}.get(metric, 0)


def drawn_text(widget: QWidget) -> list[Drawn]:
    """Every piece of text ``widget`` and its visible children paint at their present size."""
    device = _Device(widget.size())
    widget.render(device)
    return device.engine.drawn
