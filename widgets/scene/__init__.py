"""The 3D district scene: a VTK canvas that runs in a native window or off screen (``backend``).

Kept light on purpose: importing this package loads neither VTK nor a render window; the
canvas (``widgets.scene.canvas``) does, when a scene view is actually made.
"""

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QWidget

CANVAS_NAME = "sceneCanvas"  # the object name of every SceneCanvas, so screenshots find them without VTK


def grab_shown(widget: QWidget) -> QPixmap:
    """``widget`` as it is shown, 3D scenes included.

    ``QWidget.grab`` reads Qt's backing store, which never holds what OpenGL drew into a native
    child window: on a real X wall the scene would come out as noise. Each visible scene canvas
    is painted in from its own last frame.
    """
    pixmap = widget.grab()
    canvases = [c for c in widget.findChildren(QWidget, CANVAS_NAME) if c.isVisible()]
    if canvases:
        painter = QPainter(pixmap)
        for canvas in canvases:
            painter.drawImage(QRectF(canvas.mapTo(widget, canvas.rect().topLeft()), canvas.size()), canvas.grab())
        painter.end()
    return pixmap
