"""The scan field: where a scanned or typed card number (or a phone) arrives."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit


class ScanField(QLineEdit):
    """Enter hands the text over (`submitted`) and leaves the field empty for the next scan."""

    submitted = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("scanField")
        self.setPlaceholderText("Scan or type the card number, or the customer's phone (F2)")
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self._hand_over)

    def _hand_over(self) -> None:
        text = self.text().strip()
        self.clear()
        if text:
            self.submitted.emit(text)
