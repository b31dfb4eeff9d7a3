"""The manager's PIN at the till: set on first use, then asked before manager actions.

Once given, it stays good for `UNLOCKED_SECONDS` (so editing the configuration does not
ask for it at every step); the core counts wrong PINs and locks after too many.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import manager

UNLOCKED_SECONDS = 120
_unlocked_until = 0.0


class PinDialog(QDialog):
    def __init__(self, replica: Replica, *, setting: bool, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replica, self.setting = replica, setting
        self.setWindowTitle("Set the manager PIN" if setting else "Manager PIN")
        self.pin = QLineEdit(objectName="pinField", echoMode=QLineEdit.EchoMode.Password)
        self.again = QLineEdit(objectName="pinAgain", echoMode=QLineEdit.EchoMode.Password)
        self.problem = QLabel(objectName="problem")
        form = QFormLayout(self)
        form.addRow(QLabel(reason if not setting else "No manager PIN yet: choose one (4 to 8 digits)."))
        form.addRow("PIN", self.pin)
        if setting:
            form.addRow("Again", self.again)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _check(self) -> None:
        try:
            if self.setting:
                if self.pin.text() != self.again.text():
                    self.problem.setText("The two PINs are not the same")
                    return
                manager.set_pin(self.replica, self.pin.text())
            elif not manager.check_pin(self.replica, self.pin.text()):
                self.problem.setText("That is not the manager PIN")
                self.pin.clear()
                return
        except LoyaltyError as error:
            self.problem.setText(error.message)
            return
        self.accept()


def require_manager(replica: Replica, parent: QWidget | None, reason: str) -> bool:
    """True once the manager's PIN was given (or set, on first use) in the last two minutes."""
    global _unlocked_until
    if time.monotonic() < _unlocked_until:
        return True
    dialog = PinDialog(replica, setting=not manager.has_pin(replica), reason=reason, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    _unlocked_until = time.monotonic() + UNLOCKED_SECONDS
    return True


def lock() -> None:
    """Forget the PIN at once (the manager is done)."""
    global _unlocked_until
    _unlocked_until = 0.0
