"""What a layout is once read: its screens, their pages and the containers and views on them.

Frozen dataclasses, Qt-free, that the wall, the workstation and the rotation are built from;
console/layout/parse.py makes them from a TOML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from console.errors import UserError


class LayoutError(UserError):
    """A layout file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class ViewSpec:
    view: str
    params: dict[str, Any]
    path: str  # key path in the file, for messages


@dataclass(frozen=True)
class ContainerSpec:
    kind: str  # rows | columns | grid | tabs
    items: list["Node"]
    shares: list[float]  # rows/columns: one per item; grid: one per column
    titles: list[str]  # tabs: one per item
    path: str
    columns: int = 0  # grid only: items fill the grid row by row, this many per row
    row_shares: list[float] = field(default_factory=list)  # grid only: one per row


Node = Union[ViewSpec, ContainerSpec]


@dataclass(frozen=True)
class PageSpec:
    """One page of a screen; ``dwell`` is its time on screen in the rotation, in seconds."""

    name: str
    root: Node
    dwell: float
    path: str


@dataclass(frozen=True)
class OutputSpec:
    """Which physical screen (QScreen) a layout screen goes on: by name, by index or by geometry.

    All None: the next screen not yet taken, in the layout's order.
    """

    name: str | None = None  # e.g. "DP-1", "HDMI-2" (QScreen.name())
    index: int | None = None  # position in QGuiApplication.screens()
    geometry: tuple[int, int, int, int] | None = None  # x, y, width, height in desktop pixels


@dataclass(frozen=True)
class ScreenSpec:
    """One screen of the wall: where it goes, which node shows it, its pages and their rotation.

    ``outputs`` has one entry, or several when the screen spans physical screens (a map across
    a 2×1 block); ``bezel`` is then the width and height in pixels hidden by the frames between
    them, so a line crossing a seam stays straight.
    """

    name: str
    size: tuple[int, int]
    pages: list[PageSpec]
    outputs: list[OutputSpec] = field(default_factory=lambda: [OutputSpec()])
    node: int = 1
    rotation: list[int] = field(default_factory=list)  # page indexes in playing order (default: all, in order)
    bezel: tuple[int, int] = (0, 0)
    span: tuple[int, int] = (1, 1)  # columns × rows of outputs this screen covers
    distance: float | None = None  # metres the screen is read from (None: not declared)
    diagonal: float | None = None  # inches, of one output (None: not declared)

    @property
    def root(self) -> Node:
        """The first page's tree: what a single-page screen shows."""
        return self.pages[0].root


@dataclass(frozen=True)
class Layout:
    title: str
    screens: list[ScreenSpec]
    source: Path
    views: list[ViewSpec] = field(default_factory=list)
    mode: str = "wall"  # wall: full-screen windows; workstation: dockable panels in one window
    wall: str | None = None  # workstation only: the wall layout its "push to wall" edits

    def node_screens(self, node: int) -> list[ScreenSpec]:
        """The screens one wall PC shows (``cityops run --node N``)."""
        return [s for s in self.screens if s.node == node]
