"""Notice when the UI thread stops answering, and say where it was stuck.

A frozen wall looks exactly like a quiet city. A timer on the UI thread stamps a heartbeat;
a daemon thread checks it and, when it is older than the threshold, warns in one line where the
UI thread is (its innermost Python frame) and logs its whole Python stack at INFO (``--verbose``:
a terminal is no place for a traceback), then warns again when the heartbeat comes back.
A stack that ends in ``exec`` means the UI thread is inside Qt, not in our code.
The checking thread needs the GIL: a freeze inside C++ that holds it is reported when it ends.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType

from PySide6.QtCore import Qt, QTimer

log = logging.getLogger("cityops.watchdog")


class UiWatchdog:
    """Heartbeat on the UI thread, watched from a daemon thread.

    ``freezes`` counts freezes, ``longest`` is the longest that ended (seconds), ``lag`` how late
    the last heartbeat fired: what the header and the health view show. Nothing grows with time.
    """

    def __init__(self, threshold_s: float = 2.0, beat_s: float = 0.2):
        self.threshold_s = threshold_s
        self.beat_s = beat_s
        self.freezes = 0
        self.longest = 0.0
        self.lag = 0.0
        self._beat = time.monotonic()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(beat_s * 1000))
        self._timer.timeout.connect(self._on_beat)
        self._ui_thread = threading.get_ident()  # like the timer, made on the UI thread
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._beat = time.monotonic()
        self._timer.start()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._watch, name="ui-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _on_beat(self) -> None:
        now = time.monotonic()
        self.lag = max(0.0, now - self._beat - self.beat_s)
        self._beat = now

    def _watch(self) -> None:
        frozen_after: float | None = None  # the last heartbeat before the current freeze
        while not self._stopping.wait(self.beat_s):
            beat = self._beat
            if frozen_after is not None:
                if beat != frozen_after:
                    took = beat - frozen_after
                    self.longest = max(self.longest, took)
                    log.warning("UI thread responsive again after %.1f s", took)
                    frozen_after = None
            elif (age := time.monotonic() - beat) > self.threshold_s:
                frozen_after = beat
                self.freezes += 1
                frame = sys._current_frames().get(self._ui_thread)
                log.warning("UI thread frozen for %.1f s, in %s", age, _where(frame))
                log.info("the UI thread's stack:\n%s", "".join(traceback.format_stack(frame)).rstrip()
                         if frame is not None else "(no Python frame)")


def _where(frame: FrameType | None) -> str:
    """``function (file:line)`` of the innermost frame: what is running on the UI thread."""
    if frame is None:
        return "Qt (no Python frame)"
    path = Path(frame.f_code.co_filename)
    return f"{frame.f_code.co_name} ({'/'.join(path.parts[-2:])}:{frame.f_lineno})"
