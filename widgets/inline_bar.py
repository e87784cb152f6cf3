"""Act without a dialog: a line under a list with a label, an optional choice and a text.

A wall has no mouse and nobody to close a modal dialog, so every action a view offers (shelve
an alarm, change an incident's status, add a note) opens in place: ↑↓ picks the choice, Enter
confirms, Esc cancels. The view that owns the bar decides what the keys do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget


class InlineBar(QWidget):
    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("inlineBar")
        self.setStyleSheet("QWidget#inlineBar, QLabel { background: transparent; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label, self.choice, self.text = QLabel(), QComboBox(), QLineEdit()
        for w in (self.label, self.choice, self.text):
            row.addWidget(w)
        row.setStretch(2, 1)
        self.mode, self.target = "", ""
        self.hide()

    def open(self, mode: str, target: str, label: str, choices: Sequence[tuple[str, Any]] = (),
             placeholder: str = "", chosen: int = 0) -> None:
        """Show the bar for ``mode`` on ``target`` with ``choices`` as (text, data), ``chosen`` preselected."""
        self.mode, self.target = mode, target
        self.label.setText(label)
        self.choice.clear()
        for text, data in choices:
            self.choice.addItem(text, data)
        self.choice.setCurrentIndex(chosen if choices else -1)
        self.choice.setVisible(bool(choices))
        self.text.clear()
        self.text.setPlaceholderText(placeholder)
        self.show()
        self.text.setFocus()

    def step_choice(self, step: int) -> None:
        """Move the choice by ``step`` (↑↓ while typing), wrapping round."""
        if self.choice.count():
            self.choice.setCurrentIndex((self.choice.currentIndex() + step) % self.choice.count())
