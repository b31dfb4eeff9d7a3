"""How the counter app looks: large type for arm's length, clear colours, one place to change it."""

from __future__ import annotations

from decimal import Decimal

from pos_loyalty import formatting

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


#: The pharmacy's way of writing figures and times; the main window sets it from the till's
#: settings and configuration (`use`), as a Qt app sets QLocale's default for the whole process.
_local = formatting.Local()


def use(local: formatting.Local) -> None:
    global _local
    _local = local


def local() -> formatting.Local:
    return _local


def figure(value: object) -> str:
    """975.00 -> '975.00'; 123456.5 -> '1,23,456.50' in en_IN (what the till shows for money and
    points, in the pharmacy's locale). An int here is a whole figure (5 -> '5.00'), as before."""
    return _local.number(Decimal(value) if isinstance(value, int) else value)


def money(value: object, currency: str) -> str:
    """An amount with the pharmacy's currency sign where its locale puts it: '₹1,23,456.50' in
    en_IN (an int is a whole figure, as in `figure`)."""
    return _local.money(Decimal(value) if isinstance(value, int) else value, currency)


def when(moment: object) -> str:
    """A stored (UTC) time in the pharmacy's zone: '03 Dec 2026, 17:45 IST'."""
    return _local.when(moment)  # type: ignore[arg-type]


def keyed_button(box, text: str, keys: str, slot, role=None):  # type: ignore[no-untyped-def]
    """A button of a dialog's button box that says its shortcut ("Print (Ctrl+P)") and has it."""
    from PySide6.QtWidgets import QDialogButtonBox

    made = box.addButton(f"{text} ({keys.replace('Return', 'Enter')})", role or QDialogButtonBox.ButtonRole.ActionRole)
    made.setShortcut(keys)
    made.clicked.connect(slot)
    return made
