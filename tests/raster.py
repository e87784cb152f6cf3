"""A painter on an image as a tile paints: the tests that compare pixels of two ways of drawing start here."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage, QPainter


def raster(width: int, height: int, dpr: float, fill: QColor) -> tuple[QImage, QPainter]:
    """An image of ``width`` × ``height`` pixels at ``dpr`` device pixels each, filled with ``fill``, and a
    painter on it smoothing shapes and text."""
    image = QImage(int(width * dpr), int(height * dpr), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(fill)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    return image, p
