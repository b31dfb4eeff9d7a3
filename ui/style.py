"""How the counter app looks: large type for arm's length, clear colours, one place to change it."""

from __future__ import annotations

from decimal import Decimal

BASE_POINT_SIZE = 13
BIG_POINT_SIZE = 22

STYLE_SHEET = f"""
QWidget {{ font-size: {BASE_POINT_SIZE}pt; }}
QLineEdit, QComboBox, QDoubleSpinBox, QSpinBox {{ padding: 4px; min-height: 1.6em; }}
QLineEdit:focus {{ border: 2px solid #1565c0; }}
QLabel#payable {{ font-size: {BIG_POINT_SIZE + 6}pt; font-weight: bold; color: #0d47a1; }}
QLabel#cardName {{ font-size: {BIG_POINT_SIZE}pt; font-weight: bold; }}
QLabel#balance {{ font-size: {BIG_POINT_SIZE}pt; color: #2e7d32; font-weight: bold; }}
QLabel#problem {{ color: #c62828; font-weight: bold; }}
QLabel#hint {{ color: #555555; }}
QLabel#promotion {{ color: #6a1b9a; font-weight: bold; }}
QFrame#panel {{ border: 1px solid #b0bec5; border-radius: 6px; background: #fafafa; }}
QPushButton {{ padding: 6px 12px; }}
QPushButton#primary {{ background: #2e7d32; color: white; font-weight: bold; }}
QPushButton#primary:disabled {{ background: #9e9e9e; }}
QStatusBar QLabel {{ padding: 0 8px; }}
"""


def figure(value: object) -> str:
    """975.00 -> '975.00'; 12345.5 -> '12,345.50' (what the till shows for money and points)."""
    return f"{Decimal(value):,.2f}"


def keyed_button(box, text: str, keys: str, slot, role=None):  # type: ignore[no-untyped-def]
    """A button of a dialog's button box that says its shortcut ("Print (Ctrl+P)") and has it."""
    from PySide6.QtWidgets import QDialogButtonBox

    made = box.addButton(f"{text} ({keys.replace('Return', 'Enter')})", role or QDialogButtonBox.ButtonRole.ActionRole)
    made.setShortcut(keys)
    made.clicked.connect(slot)
    return made
