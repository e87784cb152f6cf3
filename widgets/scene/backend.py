"""Which way a 3D frame reaches the screen, chosen once at start, and what `cityops doctor` says of it.

"native": VTK's own OpenGL window embedded in the Qt widget's native window (X11, Windows,
macOS): the frame goes straight to the screen. "offscreen": VTK renders into its own
off-screen context (EGL, else OSMesa) and the widget paints the image. Qt's offscreen platform
(wall tests, kiosks without GLX) has no native windows, and embedding VTK there crashes the
process (DESIGN.md §6), so there the off-screen way is the only one. Wayland has no window the
VTK wheel can draw into either, so it renders off screen too.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import dataclass

log = logging.getLogger("cityops.scene")

#: Qt platforms whose native windows VTK's own OpenGL window can draw into.
NATIVE_PLATFORMS = frozenset({"xcb", "windows", "cocoa"})
#: Renderer names of software OpenGL: multisampling there costs more than it shows.
SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "swiftshader", "basic render")
OFFSCREEN_WINDOWS = ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow")  # in order of preference


def platform_name() -> str:
    """The Qt platform the app runs (or will run) on: the live application's, else what Qt would pick."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is not None:
        return app.platformName()
    named = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if named:
        return named
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb" if os.environ.get("DISPLAY") else "offscreen"


def choose(platform: str | None = None) -> str:
    """"native" or "offscreen" for ``platform`` (default: this app's); CITYOPS_SCENE may force one.

    Forcing "native" where there are no native windows is refused (it would crash the wall).
    """
    platform = platform or platform_name()
    forced = os.environ.get("CITYOPS_SCENE", "").strip().lower()
    native = platform in NATIVE_PLATFORMS
    if forced == "offscreen" or (forced == "native" and native):
        return forced
    if forced:
        log.warning("CITYOPS_SCENE=%s ignored on the %s platform", forced, platform)
    return "native" if native else "offscreen"


@dataclass(frozen=True)
class GLInfo:
    window: str  # the VTK render window class that draws the scene; "" when none can
    renderer: str  # the OpenGL renderer string, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"

    @property
    def software(self) -> bool:
        return any(name in self.renderer.lower() for name in SOFTWARE_GL)


def new_offscreen_window():
    """A fresh off-screen render window of the first kind that works here (None: no off-screen GL)."""
    from vtkmodules import vtkRenderingOpenGL2 as gl

    name = gl_info("offscreen").window
    if not name:
        return None
    window = getattr(gl, name)()
    window.SetOffScreenRendering(1)
    return window


@functools.cache
def gl_info(kind: str) -> GLInfo:
    """Probe once per process which window ``kind`` renders with, and on what OpenGL.

    A window whose OpenGL cannot start is never rendered: VTK would crash the process there.
    """
    from vtkmodules import vtkRenderingOpenGL2 as gl
    from vtkmodules.vtkRenderingCore import vtkRenderWindow

    candidates = [vtkRenderWindow] if kind == "native" else [getattr(gl, n) for n in OFFSCREEN_WINDOWS]
    for make in candidates:
        window = make()
        window.SetOffScreenRendering(1)
        window.SetSize(4, 4)
        if not window.SupportsOpenGL():
            continue
        window.Render()
        renderer = next((line.split(":", 1)[1].strip() for line in window.ReportCapabilities().splitlines()
                         if line.startswith("OpenGL renderer string")), "unknown OpenGL")
        name = window.GetClassName()
        window.Finalize()
        return GLInfo(name, renderer)
    return GLInfo("", "")


def describe() -> str:
    """One line for `cityops doctor`: the way chosen here and the OpenGL it draws with."""
    kind = choose()
    info = gl_info(kind)
    if not info.window:
        return (f"{kind}: NO OpenGL for 3D scenes (tried {', '.join(OFFSCREEN_WINDOWS)})" if kind == "offscreen"
                else f"native ({platform_name()}): NO OpenGL for 3D scenes")
    msaa = ", MSAA off (software GL)" if info.software else ""
    if kind == "native":
        api = {"vtkXOpenGLRenderWindow": "GLX", "vtkWin32OpenGLRenderWindow": "WGL",
               "vtkCocoaRenderWindow": "CGL"}.get(info.window, info.window)
        return f"native ({platform_name()}, {api}: {info.renderer}{msaa})"
    return f"off-screen ({info.window}: {info.renderer}{msaa})"
