"""Who is at a wall's console. On a PostgreSQL platform the person signs in (F9 signs out, F10 hands
over), their role comes from the platform, and the city's data flows only while someone is signed
in; elsewhere the command line names them. Mixed into ``Wall`` (console/shell/app.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from console.cache import Cache, outbox
from console.model.action import NOBODY, Operator, OperatorAction
from console.shell.signin import HANDOVER_KEY, SIGN_OUT_KEY, SignIn
from console.shell.window import WallWindow
from console.shell.workstation import Workstation
from console.sync.engine import SyncEngine
from console.sync.signin import LastPerson
from console.sync.sql_connector import SqlConnector
from console.sync.status import SyncStatus
from widgets import ViewContext
from widgets.signin import SignInPanel


class WallSignIn:
    """The sign-in part of a ``Wall``: what it reads and sets of the wall."""

    signin: SignIn | None
    context: ViewContext
    windows: list[WallWindow]
    workstation: Workstation | None
    demo: bool  # an SQLite demo platform: nobody is authenticated
    engine: SyncEngine | None
    status: SyncStatus
    state_dir: Path  # the console's own files: who signed in last is kept there

    def _start_sign_in(self, connector: SqlConnector, record: Callable[[OperatorAction], None], cache: Cache) -> None:
        """The sign-in panel and its answers; sync starts when the platform has signed someone in."""
        self.signin = SignIn(connector, SignInPanel(connector.shown), record, self.engine_flush,
                             outbox.console_id(cache), LastPerson(self.state_dir / "last-sign-in.json"))
        self.signin.signed_in.connect(self._signed_in)
        self.signin.resumed.connect(self._resumed)
        self.signin.signed_out.connect(self._signed_out)
        self.signin.unreachable.connect(lambda why, retry: setattr(
            self, "status", SyncStatus("offline", why, reason=why, retry_s=retry)))
        self.status = SyncStatus("connecting", "signing in")

    def _sign_out_keys(self, window: QWidget) -> None:
        """F9 signs out, F10 hands over, on any window of a console where people sign in."""
        if self.signin is not None:
            QShortcut(QKeySequence(SIGN_OUT_KEY), window, lambda: self.signin.sign_out())
            QShortcut(QKeySequence(HANDOVER_KEY), window, lambda: self.signin.sign_out(handover=True))

    def _show_identity(self) -> None:
        for window in self.windows:
            window.show_identity(self.context.operator, self.demo)
        if self.workstation is not None:
            self.workstation.show_identity(self.context.operator, self.demo)

    def _signed_in(self, operator: Operator) -> None:
        """The platform said who is here: their role from now on, and the city's data flowing."""
        self.context.operator = operator
        self._show_identity()
        if self.engine is not None:
            self.engine.start()

    def _resumed(self, operator: Operator) -> None:
        """The platform cannot be reached at start: the last person verified here acts on, unverified
        (their actions wait in the outbox; sync starts when the platform verifies someone)."""
        self.context.operator = operator
        self._show_identity()

    def _signed_out(self) -> None:
        self.context.operator = NOBODY
        self._show_identity()
        if self.engine is not None:
            self.engine.stop()
        self.status = SyncStatus("connecting", "signing in")

    def engine_flush(self) -> None:
        """Deliver what waits in the outbox now, as the person leaving (on the sign-out thread)."""
        if self.engine is not None:
            self.engine.deliver_outbox()
