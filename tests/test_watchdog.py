"""The watchdog says when the UI thread froze, where it was stuck, and when it came back (pytest-qt)."""

from __future__ import annotations

import logging
import re
import threading
import time

from PySide6.QtCore import QTimer

from console.shell.watchdog import UiWatchdog


def _hold_the_ui_thread() -> None:
    time.sleep(1.0)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cityops.watchdog" and r.levelno == logging.WARNING]


def test_a_freeze_is_logged_with_the_ui_stack_then_the_recovery(qtbot, caplog):
    """One line says where the UI thread is stuck; the whole stack is there for --verbose (INFO)."""
    watchdog = UiWatchdog(threshold_s=0.3, beat_s=0.1)
    caplog.set_level(logging.INFO, logger="cityops.watchdog")
    watchdog.start()
    try:
        QTimer.singleShot(0, _hold_the_ui_thread)
        qtbot.waitUntil(lambda: watchdog.lag > watchdog.threshold_s, timeout=5000)  # the first beat after: late
        qtbot.waitUntil(lambda: len(_warnings(caplog)) == 2, timeout=5000)
    finally:
        watchdog.stop()
    frozen, back = _warnings(caplog)
    assert re.fullmatch(r"UI thread frozen for \d+\.\d s, in _hold_the_ui_thread \(tests/test_watchdog\.py:\d+\)", frozen)
    stack = next(r.getMessage() for r in caplog.records if r.levelno == logging.INFO).splitlines()
    assert "in _hold_the_ui_thread" in stack[-2], "the innermost frame, last, names what blocks"
    assert "time.sleep(1.0)" in stack[-1]
    assert back.startswith("UI thread responsive again after ")
    assert watchdog.freezes == 1
    assert watchdog.longest > watchdog.threshold_s
    assert back == f"UI thread responsive again after {watchdog.longest:.1f} s"
    assert not any(t.name == "ui-watchdog" for t in threading.enumerate()), "stop() ends the thread"


def test_no_alarm_while_the_ui_thread_is_idle(qtbot, caplog):
    watchdog = UiWatchdog(threshold_s=0.5, beat_s=0.05)
    caplog.set_level(logging.WARNING, logger="cityops.watchdog")
    watchdog.start()
    try:
        qtbot.wait(1500)
    finally:
        watchdog.stop()
    assert _warnings(caplog) == []
    assert watchdog.freezes == 0 and watchdog.longest == 0.0
