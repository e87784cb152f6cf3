"""The wall's windows: one per screen of the layout (a spanning screen cut into its outputs' slices),
made whole or not at all, and placed on their screens (or shown as ordinary windows).

Mixed into ``Wall`` (console/shell/app.py), which makes them at start and again on every good
reload of the layout, with the same views' context, keys and sign-in panel.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from console.clock import Clock
from console.errors import UserError
from console.layout.spec import Layout, ScreenSpec
from console.replay.session import ReplaySession
from console.shell.screens import Assignment, Placement, show_windowed
from console.shell.signin import SignIn
from console.shell.span import SpanScreen
from console.shell.window import WallWindow
from widgets import ViewContext
from widgets.timeline import TimelineView, install_shortcuts


class WallWindows:
    """The windows part of a ``Wall``: what it reads and sets of the wall."""

    context: ViewContext
    clock: Clock
    replay: ReplaySession | None
    signin: SignIn | None
    demo: bool  # an SQLite demo platform: nobody is authenticated
    scale: float  # the interface scale: above 1 a replay's timeline is compact
    windowed: bool
    specs: list[ScreenSpec]
    windows: list[WallWindow]
    spans: dict[str, SpanScreen]
    placement: Placement
    assignment: Assignment | None

    def _keys(self, window: QWidget) -> None: ...

    def _make_windows(self, layout: Layout, specs: list[ScreenSpec]) -> tuple[list[WallWindow], dict[str, SpanScreen]]:
        """Every screen's window (and a spanning screen's slices), or none if any view refuses to build."""
        windows: list[WallWindow] = []
        spans: dict[str, SpanScreen] = {}
        try:
            for spec in specs:
                window = WallWindow(spec, layout.title, self.context, layout.source)
                windows.append(window)
                if len(spec.outputs) > 1:
                    spans[spec.name] = SpanScreen(spec, window)
        except UserError:
            for window in windows:
                window.deleteLater()
            raise
        for window in windows:
            window.show_identity(self.context.operator, self.demo)
            for out in spans[window.spec.name].slices if window.spec.name in spans else [window]:
                self._keys(out)
        if self.signin is not None and windows:  # the panel asks in the first screen, under its header
            windows[0].layout().insertWidget(windows[0].layout().indexOf(windows[0].header) + 1, self.signin.panel)
        if self.replay is not None:
            self._replay_controls(layout, windows)
        return windows, spans

    def _replay_controls(self, layout: Layout, windows: list[WallWindow]) -> None:
        """In a replay every window takes the timeline's keys, and the one with the most height to
        spare shows the timeline along its foot unless the layout places one itself."""
        timeline = self.replay.timeline
        for window in windows:
            install_shortcuts(window, self.clock, timeline)
        placed = any(view.name == "timeline" for w in windows for view in w.views)
        if windows and not placed:  # on the screen with the most height to spare (the first among equals)
            host = max(windows, key=lambda w: w.spec.size[1] - w.minimumSizeHint().height())
            strip = TimelineView(self.clock, timeline, self.context.operator.name, compact=self.scale > 1)
            host.layout().addWidget(strip)
            windows[0].timeline = strip

    def outputs(self, window: WallWindow) -> list[QWidget]:
        """The top-level windows that show ``window``: itself, or a spanning screen's slices."""
        span = self.spans.get(window.spec.name)
        return list(span.slices) if span else [window]

    def _place(self, initial: bool) -> None:
        """Every output window onto its screen (``Placement.place``), or all ordinary windows when windowed."""
        if self.windowed:
            for window in self.windows:
                for out in self.outputs(window):
                    show_windowed(out, window.spec.size)
            return
        outputs = {w.spec.name: self.outputs(w) for w in self.windows}
        self.assignment = self.placement.place(self.specs, outputs, initial)
        for span in self.spans.values():
            span.dirty = True

    def _show(self, activate: bool) -> None:
        for span in self.spans.values():
            span.show()
        self._place(initial=True)
        first = next((out for w in self.windows for out in self.outputs(w) if out.isVisible()), None)
        if activate and first is not None:
            first.activateWindow()  # the keyboard goes to the alarm list (WallWindow.showEvent)
