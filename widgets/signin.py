"""The sign-in panel: an inline strip under a window's header, never a modal dialog.

A wall has no mouse and nobody to close a dialog. The panel asks for the person's login name
and, where the platform wants one, their password: Tab moves between the two, Enter signs in.
The password field never shows what is typed, is emptied as soon as it is handed on, and is
never kept by the panel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout

from widgets import theme
from widgets.i18n import tr


class SignInPanel(QFrame):
    """``submitted(user, password)`` when the person presses Enter (either may be empty)."""

    submitted = Signal(str, str)

    def __init__(self, platform: str, parent=None):
        super().__init__(parent)
        self.setObjectName("panel")
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 10)
        self.heading = QLabel()
        self.heading.setFont(theme.font(22, QFont.Weight.DemiBold))
        self.heading.setStyleSheet("background: transparent;")
        row = QHBoxLayout()
        self.user = QLineEdit()
        self.user.setPlaceholderText(tr("signin", "login name (empty: the one configured for this console)"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("signin", "password"))
        for field in (self.user, self.password):
            field.setFont(theme.font(20))
            field.setMinimumWidth(320)
            field.returnPressed.connect(self._submit)
        self.user.setObjectName("signinUser")
        self.password.setObjectName("signinPassword")
        row.addWidget(QLabel(tr("signin", "Name")))
        row.addWidget(self.user, 1)
        row.addWidget(QLabel(tr("signin", "Password")))
        row.addWidget(self.password, 1)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; background: transparent;")
        # what went wrong with the last try, in the platform's words: ⚠ and the words, no status colour
        # (those mean the city's alarms and warnings only)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setFont(theme.font(18, QFont.Weight.DemiBold))
        self.message.setStyleSheet(f"color: {theme.TEXT.name()}; background: transparent;")
        box.addWidget(self.heading)
        box.addLayout(row)
        box.addWidget(self.message)
        box.addWidget(self.hint)
        self.platform = platform
        self.setFocusProxy(self.user)
        self.hide()

    def ask(self, message: str = "", heading: str = "", user: str = "") -> None:
        """Show the panel, the keyboard in the name field (or the password, when a name is given)."""
        self.heading.setText(heading or tr("signin", "Sign in to the platform"))
        self.message.setText(f"⚠ {message}" if message else "")
        self.message.setVisible(bool(message))
        self.hint.setText(tr("signin", "{platform} · Tab: next field · Enter: sign in · "
                                       "your password is not stored").format(platform=self.platform))
        self.user.setText(user)
        self.password.clear()
        self.setEnabled(True)
        self.show()
        (self.password if user else self.user).setFocus(Qt.FocusReason.OtherFocusReason)

    def busy(self) -> None:
        """A sign-in is under way: the fields wait for the platform's answer."""
        self.message.setText(tr("signin", "signing in…"))
        self.message.setVisible(True)
        self.setEnabled(False)

    def _submit(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        self.password.clear()
        self.busy()
        self.submitted.emit(user, password)
