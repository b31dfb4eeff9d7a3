"""Every shortcut of the till, on one page (F1)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class HelpDialog(QDialog):
    def __init__(self, shortcuts: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keys at the counter")
        rows = "".join(f"<tr><td><b>{key}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for key, what in shortcuts)
        text = QLabel(f"<table>{rows}</table>")
        extra = QLabel(
            "Ringing up: type the category's number or name, Tab, the amount (or 2x125.00), Enter.\n"
            "In the lines: Delete removes a line, Enter takes it back to change it.\n"
            "A reward product: type or scan its code where the card goes (F2), or pick it from the list (F7);\n"
            "the card pays its points price. Delete on its row takes it off.",
            objectName="hint",
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(extra)
        layout.addWidget(buttons)
