"""The two ways a VTK frame reaches the screen; everything above them (canvas, picking, input) is shared.

``NativeSurface``: VTK's own OpenGL window inside the widget's native window (QVTK embedding,
as pyvistaqt does): frames go to the screen with no copy. ``OffscreenSurface``: VTK renders into
its own off-screen context (EGL, else OSMesa) and the widget paints the frame as an image, so
it runs where Qt has no native windows at all. Both forward input to one ``Interaction``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

from widgets.scene import backend
from widgets.scene.interaction import Interaction

SKY = QColor("#10151c")


def read_frame(window) -> QImage:
    """The window's last frame as a QImage (VTK's rows run bottom-up: flipped)."""
    width, height = window.GetSize()
    pixels = vtkUnsignedCharArray()
    window.GetPixelData(0, 0, width - 1, height - 1, 1, pixels, 0)
    rows = np.ascontiguousarray(vtk_to_numpy(pixels).reshape(height, width, 3)[::-1])
    return QImage(rows.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def image_rgb(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of an image's pixels, for tests and id images."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def physical_size(widget: QWidget) -> tuple[int, int]:
    ratio = widget.devicePixelRatioF()
    return max(1, round(widget.width() * ratio)), max(1, round(widget.height() * ratio))


class _Input:
    """Qt input to the shared ``Interaction`` (mixed into both surfaces, ahead of their Qt base)."""

    interaction: Interaction

    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.interaction.press(event)

    def mouseMoveEvent(self, event) -> None:
        self.interaction.drag(event)

    def mouseReleaseEvent(self, event) -> None:
        self.interaction.release(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.interaction.press(event)

    def wheelEvent(self, event) -> None:
        self.interaction.wheel(event)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if not self.interaction.key(event):
            event.ignore()

    def keyReleaseEvent(self, event) -> None:
        event.ignore()

    def enterEvent(self, event) -> None:  # QVTK would hand these to VTK's idle interactor
        pass

    def leaveEvent(self, event) -> None:
        pass


@functools.cache
def _native_class() -> type:
    """QVTK's widget with its interactor left idle, input going to ``interaction``. Made on first
    use: importing QVTK's module wants a platform with native windows."""
    from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor

    class NativeSurface(_Input, QVTKRenderWindowInteractor):
        def __init__(self, parent: QWidget, interaction: Interaction, exposed: Callable[[], None]):
            super().__init__(parent)
            self.interaction = interaction
            self._exposed = exposed
            self.window = self.GetRenderWindow()
            self._Iren.SetInteractorStyle(None)

        def paintEvent(self, event) -> None:  # exposed or resized: the window's pixels are gone
            self._exposed()

        def render_now(self) -> None:
            self.window.Render()

        def image(self) -> QImage:
            return read_frame(self.window)

        def sync_size(self) -> None:
            if tuple(self.window.GetSize()) != physical_size(self):
                self.window.SetSize(*physical_size(self))

        def finalize(self) -> None:
            self.window.Finalize()

        def closeEvent(self, event) -> None:
            # QVTK closes this when its parent is destroyed, by then maybe without its Python
            # attributes (QVTK's own handler then recurses in __getattr__)
            window = self.__dict__.get("window")
            if window is not None:
                window.Finalize()

    return NativeSurface


def make_surface(kind: str, parent: QWidget, interaction: Interaction, exposed: Callable[[], None],
                 resized: Callable[[], None]):
    """The surface for ``kind`` ("native" | "offscreen"); None when no OpenGL can render here."""
    if kind == "native":
        return _native_class()(parent, interaction, exposed)
    window = backend.new_offscreen_window()
    return None if window is None else OffscreenSurface(parent, window, interaction, resized)


class OffscreenSurface(_Input, QWidget):
    """Paints the frames VTK rendered off screen; renders only when the canvas asks."""

    def __init__(self, parent: QWidget, window, interaction: Interaction, resized: Callable[[], None]):
        QWidget.__init__(self, parent)
        self.window = window
        self.interaction = interaction
        self._resized = resized
        self._frame: QImage | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # the frame covers it all
        self.setFocusPolicy(Qt.FocusPolicy.WheelFocus)
        # the GL context goes with the widget, on the GUI thread; left to Python's cycle collector it
        # went whenever a collection ran, on whichever thread allocated (a scene load's, half the time)
        self.destroyed.connect(functools.partial(_release, window))

    def sizeHint(self) -> QSize:
        return QSize(400, 400)

    def sync_size(self) -> None:
        if tuple(self.window.GetSize()) != physical_size(self):
            self.window.SetSize(*physical_size(self))

    def render_now(self) -> None:
        self.sync_size()
        self.window.Render()
        self._frame = read_frame(self.window)
        self._frame.setDevicePixelRatio(self.devicePixelRatioF())
        self.update()

    def image(self) -> QImage:
        return self._frame if self._frame is not None else QImage()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._frame is None or self._frame.size() != QSize(*physical_size(self)):
            painter.fillRect(self.rect(), SKY)  # a frame of the new size is on its way
        if self._frame is not None:
            painter.drawImage(0, 0, self._frame)
        painter.end()

    def resizeEvent(self, event) -> None:
        self._resized()

    def finalize(self) -> None:
        self.window.Finalize()


def _release(window, *_) -> None:
    """Free an off-screen window's OpenGL context and every prop's graphics resources in it."""
    window.Finalize()
