"""Signing people in and out of a wall or workstation on a PostgreSQL platform.

At start the console signs in with what libpq finds by itself (``.pgpass``, a service file,
Kerberos, a certificate). Where the platform wants a password and none is configured, the
sign-in panel asks for it once; a wrong one, or a person with no CityOps role, is said in the
panel and the next try waits for the person. F9 signs out and F10 hands the console over at
shift change: each is recorded as an operator action (``sign_in``, ``sign_out``, ``handover``,
target_kind ``console``), delivered as the person who did it before their connection closes,
and the panel waits for the next person. Connecting happens on a worker thread: the wall
keeps showing its cache meanwhile. Where the platform cannot be reached at start, the last
person verified at this console acts on, unverified (console.sync.signin.LastPerson).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from console.errors import UserError
from console.model.action import NOBODY, Operator, OperatorAction
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector
from console.sync.signin import LastPerson, PasswordNeeded
from widgets.i18n import tr
from widgets.signin import SignInPanel

log = logging.getLogger("cityops.signin")

#: The keys, on every window of the console.
SIGN_OUT_KEY, HANDOVER_KEY = Qt.Key.Key_F9, Qt.Key.Key_F10
#: An unreachable platform is tried again after this long, doubling up to the last.
RETRY_S = (2.0, 30.0)


class SignIn(QObject):
    """``signed_in(operator)`` when the platform has said who is at the console, ``signed_out()`` when they leave.

    ``record`` keeps a session action (the wall's outbox); ``flush`` delivers what waits in the
    outbox (called on the worker thread, before the person's connection closes).
    """

    signed_in = Signal(object)
    signed_out = Signal()
    resumed = Signal(object)  # the last person verified here, unverified: the platform cannot be reached
    unreachable = Signal(str, float)  # why, and the seconds until the next try
    _answer = Signal(object)  # the worker's answer: an Operator, or what stopped the sign-in

    def __init__(self, connector: SqlConnector, panel: SignInPanel, record: Callable[[OperatorAction], None],
                 flush: Callable[[], None], console_id: str, last: LastPerson):
        super().__init__()
        self.connector, self.panel, self.record, self.flush = connector, panel, record, flush
        self.console_id, self.last = console_id, last
        self.operator: Operator = NOBODY
        self._retry = RETRY_S[0]
        self._busy = False
        self._handed_over_by = ""  # who handed the console over, for the next sign-in's record
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(lambda: self._attempt(None, None))
        self._answer.connect(self._on_answer, Qt.ConnectionType.QueuedConnection)
        panel.submitted.connect(lambda user, password: self._attempt(user or None, password or None))

    def start(self) -> None:
        """Sign in with what libpq finds by itself; the panel asks only if that is not enough."""
        self._attempt(None, None)

    def _attempt(self, user: str | None, password: str | None) -> None:
        if self._busy:
            return
        self._busy = True
        self._retry_timer.stop()
        threading.Thread(target=self._work, args=(user, password), name="cityops-signin", daemon=True).start()

    def _work(self, user: str | None, password: str | None) -> None:
        try:
            if user or password:
                self.connector.sign_in_as(user, password)
            answer: object = self.connector.identify()
        except (UserError, PlatformUnavailable) as exc:
            answer = exc
        self._answer.emit(answer)

    def _on_answer(self, answer: object) -> None:
        self._busy = False
        if isinstance(answer, Operator):
            self._retry = RETRY_S[0]
            self.operator = answer
            self.panel.hide()
            payload = {"handover_from": self._handed_over_by} if self._handed_over_by else {}
            self._handed_over_by = ""
            self.record(self._action("sign_in", payload))
            self.last.remember(answer, time.time())
            log.info("%s signed in as %s", answer.name, answer.role)
            self.signed_in.emit(answer)
        elif isinstance(answer, PlatformUnavailable):
            if self.panel.isVisible():  # a person is at the panel: they try again themselves
                self.panel.ask(str(answer), user=self.panel.user.text())
            else:
                self._resume()
                self.unreachable.emit(str(answer), self._retry)
                self._retry_timer.start(int(self._retry * 1000))
                self._retry = min(self._retry * 2, RETRY_S[1])
        else:
            self.connector.sign_out()  # a wrong password is not kept for the next try
            message = "" if isinstance(answer, PasswordNeeded) and not self.panel.isVisible() else str(answer)
            self.panel.ask(message, heading=self._heading(), user=self.panel.user.text())

    def _resume(self) -> None:
        """Nobody signed in and the platform out of reach: the last person verified here acts on."""
        if not self.operator.nobody or self._handed_over_by:
            return
        person = self.last.recall(time.time())
        if person is not None:
            self.operator = person
            log.warning("the platform cannot be reached: %s acts on unverified; their actions wait in the outbox",
                        person.name)
            self.resumed.emit(person)

    def _heading(self) -> str:
        if self._handed_over_by:
            return tr("signin", "{name} handed this console over: the next person, sign in").format(
                name=self._handed_over_by)
        return tr("signin", "Sign in to the platform")

    def _action(self, action: str, payload: dict) -> OperatorAction:
        who = self.operator
        return OperatorAction(who.name, who.role, action, "console", self.console_id, payload)

    def sign_out(self, handover: bool = False) -> None:
        """F9 (F10: hand over): record it, deliver it as this person, close their connections, ask the next."""
        if self.operator.nobody or self._busy:
            return
        leaving = self.operator
        self.record(self._action("handover" if handover else "sign_out", {}))
        self.last.forget()  # they left: nobody acts in their name at the next restart
        self._handed_over_by = leaving.name if handover else ""
        self.operator = NOBODY
        self.signed_out.emit()
        self._busy = True
        self.panel.busy()
        self.panel.show()

        def leave() -> None:
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - the person leaves whatever the platform says
                log.warning("%s's last actions wait in the outbox: %s", leaving.name, exc)
            self.connector.sign_out()
            self._answer.emit(PasswordNeeded(""))

        threading.Thread(target=leave, name="cityops-signout", daemon=True).start()
        log.info("%s %s", leaving.name, "handed the console over" if handover else "signed out")

    def stop(self) -> None:
        self._retry_timer.stop()
