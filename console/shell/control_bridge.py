"""Joins a wall to its neighbours: the shared clock drives it, and rotation commands reach it on the UI thread."""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from console.layout.rotation import MAX_COMMANDS, RotationCommand
from console.sync.sql_connector import SqlConnector
from console.sync.control import ControlChannel, ServerClock

if TYPE_CHECKING:  # the wall imports this module: its type only, for the reader
    from console.shell.app import Wall

log = logging.getLogger(__name__)


class ControlBridge(QObject):
    """The wall's control channel and shared clock. ``commands`` is emitted from the channel's
    thread; the queued connection applies them on the UI thread, where the wall reads its rotation.
    ``applied`` follows on the UI thread: a command arrives only ``LEAD_S`` before its instant, often
    less than a tick (250 ms) ahead, so the wall must look at its rotation then, not at its next tick."""

    commands = Signal(object)  # list[RotationCommand]
    applied = Signal()

    def __init__(self, wall: Wall, url: str | SqlConnector, layout: str | Path):
        super().__init__()
        self.wall = wall
        self.channel = ControlChannel(url, layout)
        self.clock = ServerClock(self.channel.connector)
        self._applied: deque[RotationCommand] = deque(maxlen=MAX_COMMANDS)  # for a rotation made anew
        self.commands.connect(self._apply, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        self.clock.start()
        self.wall.clock.follow(self.clock.now)  # the wall's "now" is the platform's, on every node
        self.channel.start(self.commands.emit)

    def _apply(self, commands: list[RotationCommand]) -> None:
        changed = False
        for command in commands:
            self._applied.append(command)
            if self._apply_one(command):
                changed = True
                log.info("wall control: %s%s%s at %.3f", command.action,
                         f" {command.page}" if command.page else "",
                         f" on {command.screen}" if command.screen else "", command.at)
        if changed:  # commands all ignored change nothing on screen: no refresh for them
            self.applied.emit()

    def _apply_one(self, command: RotationCommand) -> bool:
        try:
            self.wall.rotation.apply(command)
        except ValueError as exc:
            screens = self.wall.layout.screens
            if (command.screen not in {None, *(s.name for s in screens)}
                    or command.page not in {None, *(p.name for s in screens for p in s.pages)}):
                log.warning("wall control: ignoring %s: %s", command.action, exc)
            return False  # otherwise it is for a screen or page another node shows
        return True

    def reapply(self) -> None:
        """Apply the commands so far to ``wall.rotation`` again: after a layout reload made it anew."""
        for command in self._applied:
            self._apply_one(command)

    def stop(self) -> None:
        self.channel.close()
        self.clock.stop()


def attach_control(wall: Wall, url: str | SqlConnector, layout_name: str | Path) -> ControlBridge:
    """Run ``wall`` on the platform's clock and apply its wall's rotation commands; ``.stop()`` before closing."""
    bridge = ControlBridge(wall, url, layout_name)
    bridge.start()
    return bridge
