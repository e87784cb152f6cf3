"""The wall's screenshots: one PNG per screen and ``wall.png``, grabbed on the UI thread and encoded
on workers so a nine-screen wall keeps painting while its pictures are written (F12, ``--screenshot``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from console.errors import UserError
from console.layout.spec import Layout, ScreenSpec
from console.shell.screens import Placement, compose
from console.shell.span import SpanScreen
from console.shell.virtual_screens import screen_rects
from console.shell.window import WallWindow
from console.shell.workstation import Workstation
from widgets.scene import grab_shown

log = logging.getLogger("cityops.wall")


class WallScreenshots:
    """Screenshots of a ``Wall`` (console/shell/app.py), which it is mixed into: what it reads of the wall."""

    layout: Layout
    declared: Layout  # in the screens' own pixels: wall.png is drawn at their size
    node: int
    specs: list[ScreenSpec]
    windows: list[WallWindow]
    spans: dict[str, SpanScreen]
    workstation: Workstation | None
    placement: Placement
    state_dir: Path
    _writes: list[ShotsWritten]  # screenshots being encoded on workers

    def refresh(self) -> None: ...
    def outputs(self, window: WallWindow) -> list[QWidget]: ...

    def screenshot(self, folder: Path) -> list[Path]:
        """One PNG per screen, named after it, and ``wall.png``: the whole wall as it stands."""
        return _write_pngs(self._grab_all(folder))

    def _grab_all(self, folder: Path) -> list[tuple[QImage, Path]]:
        """The pictures to save, taken now on the UI thread; encoding them can happen elsewhere."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"screenshot folder {folder} cannot be created: {exc.strerror}") from None
        self.refresh()
        QApplication.processEvents()  # let the header and views lay out what refresh just set
        if self.workstation is not None:
            return [(grab_shown(self.workstation).toImage(), folder / f"{self.layout.source.stem}.png")]
        for span in self.spans.values():
            span.dirty = True
            span.render()
        grabs = [(window, grab_shown(window)) for window in self.windows]
        shots = [(pixmap.toImage(), folder / f"{window.spec.name}.png") for window, pixmap in grabs]
        shots.append((compose(self._arranged(grabs)), folder / "wall.png"))
        return shots

    def _arranged(self, grabs: list[tuple[WallWindow, QPixmap]]) -> list[tuple[QRect, QPixmap]]:
        """Where each screen's picture goes in ``wall.png``: on the monitors it fills when every
        screen has one (the room's own arrangement), else where the layout puts it, so a machine
        with fewer monitors than the wall still shows the wall as it hangs."""
        outputs = [(window, pixmap, self.outputs(window)) for window, pixmap in grabs]
        if all(out.isVisible() and (window.spec.name, k) in self.placement.on
               for window, _, outs in outputs for k, out in enumerate(outs)):
            pictures = [(out.geometry().topLeft(), pixmap if len(outs) == 1 else grab_shown(out))
                        for _, pixmap, outs in outputs for out in outs]  # Qt keeps screen origins unscaled
            return [(QRect(at, picture.size()), picture) for at, picture in pictures]  # in device pixels
        rects = iter(screen_rects(self.declared, self.node, None))
        arranged = []
        for window, pixmap in grabs:
            place = QRect()
            for _ in window.spec.outputs:
                place = place.united(QRect(*next(rects)))
            arranged.append((place, pixmap))
        return arranged

    def screenshot_screen(self, name: str, path: Path) -> Path:
        """One screen of the wall as a PNG (a spanning screen whole, with its bezel strips)."""
        window = next((w for w in self.windows if w.spec.name == name), None)
        if window is None:
            raise UserError(f"no screen {name!r} on this wall (its screens: {', '.join(s.name for s in self.specs)})")
        return _write_pngs([(grab_shown(window).toImage(), path)])[0]

    def screenshot_later(self, folder: Path, done: Callable[[list[Path] | str], None]) -> None:
        """The screens grabbed now; encoding them (seconds for nine 1080p screens and the 5760×3240
        whole, more on a loaded PC) happens on a worker while the UI thread goes on painting.
        ``done`` gets the paths written, or why not, on the UI thread. UserError: no folder."""
        shots = self._grab_all(folder)
        relay = ShotsWritten()
        self._writes.append(relay)  # kept until its answer is delivered

        def landed(result: list[Path] | str) -> None:
            self._writes.remove(relay)
            done(result)

        def write() -> None:
            try:
                relay.done.emit(_write_pngs(shots))
            except UserError as exc:
                relay.done.emit(str(exc))

        relay.done.connect(landed, Qt.ConnectionType.QueuedConnection)  # delivered in the relay's (UI) thread
        threading.Thread(target=write, name="screenshots", daemon=True).start()

    def save_screenshots(self) -> None:
        """F12 on any wall window: the whole wall, into a folder of its own beside the cache."""
        folder = self.state_dir / "screenshots" / time.strftime("%Y%m%d-%H%M%S")

        def saved(result: list[Path] | str) -> None:
            if isinstance(result, str):
                log.error("screenshot failed: %s", result)
            else:
                log.info("screenshots of the wall saved in %s", folder)

        try:
            self.screenshot_later(folder, saved)
        except UserError as exc:
            log.error("screenshot failed: %s", exc)


def _write_pngs(shots: list[tuple[QImage, Path]]) -> list[Path]:
    """Encode the pictures as PNG files, two at a time (QImage.save lets go of the GIL)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        written = list(pool.map(lambda shot: shot[0].save(str(shot[1])), shots))
    for ok, (_, path) in zip(written, shots):
        if not ok:
            raise UserError(f"could not write screenshot {path}")
    return [path for _, path in shots]


class ShotsWritten(QObject):
    """Carries what a screenshot worker wrote (the paths, or why not) to the UI thread."""

    done = Signal(object)  # list[Path] | str
