"""The OpenGL renderer this machine gives Qt: ``python -m console.shell.gl_probe`` prints it.

`cityops doctor` runs it in a process of its own: a driver that crashes while probing (Mesa has,
after VTK's contexts in the same process) then costs the doctor one line, not its whole report.
"""

from __future__ import annotations

import sys

GL_VENDOR, GL_RENDERER, GL_VERSION = 0x1F00, 0x1F01, 0x1F02


def opengl_here() -> str:
    """Probed in this process, on the Qt platform it already has (or makes)."""
    from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (kept alive while probing)
    ctx = QOpenGLContext()
    if not ctx.create():
        return "unavailable (no OpenGL context on this Qt platform)"
    surface = QOffscreenSurface()
    surface.setFormat(ctx.format())
    surface.create()
    if not ctx.makeCurrent(surface):
        return "unavailable (context cannot be made current)"
    f = ctx.functions()
    text = f"{f.glGetString(GL_RENDERER)} (OpenGL {f.glGetString(GL_VERSION)}, {f.glGetString(GL_VENDOR)})"
    ctx.doneCurrent()
    return text


if __name__ == "__main__":
    print(opengl_here())
