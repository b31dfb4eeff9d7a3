"""The end-of-day report at the counter: Ctrl+D (the manager's PIN), the day's table per cashier
as the core worked it out, another day typed or stepped with Alt+arrows, Save PDF and Print."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QWidget

from counter_keys import answer_dialog, press
from day_reports import busy_day
from pos_loyalty.services import day_report, manager
from ui.dialogs import pin
from ui.dialogs.day_report import DayReportDialog
from ui.style import figure

MANAGER_PIN = "1357"


def wait_for(condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """qtbot.waitUntil's job, inside a dialog's own exec()."""
    for _ in range(timeout_ms // 20):
        if condition():
            return
        QTest.qWait(20)
    assert condition(), "timed out"


def answered(*steps: Callable[[QWidget], None]) -> list[BaseException]:
    """Answer the next modal dialogs in turn; a step's failure is kept (and its dialog closed)."""
    errors: list[BaseException] = []

    def respond(index: int, dialog: QWidget) -> None:
        try:
            steps[index](dialog)
        except BaseException as error:  # noqa: BLE001 (the test raises it)
            errors.append(error)
        finally:
            if dialog.isVisible():
                QDialog.reject(dialog)
            if index + 1 < len(steps):
                answer_dialog(lambda next_dialog: respond(index + 1, next_dialog))

    answer_dialog(lambda dialog: respond(0, dialog))
    return errors


def cells(dialog: DayReportDialog, label: str) -> list[str]:
    """The row of `label`: the figure of each column."""
    table = dialog.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == label)
    return [table.item(row, column).text() for column in range(1, table.columnCount())]


def columns(dialog: DayReportDialog) -> list[str]:
    table = dialog.table
    return [table.horizontalHeaderItem(column).text() for column in range(1, table.columnCount())]


def test_ctrl_d_asks_for_the_manager_and_shows_todays_figures_per_cashier(qtbot, window, replica):
    pin.lock()
    manager.set_pin(replica, MANAGER_PIN)
    busy_day(replica)
    expected = day_report.report(replica)
    seen: list[str] = []

    def give_pin(dialog: QWidget) -> None:
        seen.append(type(dialog).__name__)
        dialog.pin.setText(MANAGER_PIN)
        QTest.keyClick(dialog.pin, Qt.Key.Key_Return)

    def read(dialog: QWidget) -> None:
        seen.append(type(dialog).__name__)
        wait_for(lambda: dialog.report is not None)
        assert dialog.day.text() == expected.day.isoformat()
        assert columns(dialog) == ["asha", "manager", "ravi", "All cashiers"]
        for field in day_report.FIELDS:  # every figure as the core has it, in the till's own writing
            row = cells(dialog, field.label)
            every = [*(c.figures for c in expected.cashiers), expected.total]
            assert row == [
                str(f.value(field)) if field.kind == day_report.COUNT else figure(f.value(field)) for f in every
            ], field.label
        assert cells(dialog, "Bills finalized") == ["2", "0", "3", "5"]
        assert "time zone UTC" in dialog.summary.text() and "not over" in dialog.summary.text()
        dialog.accept()

    try:
        errors = answered(give_pin, read)
        press(window, "Ctrl+D")
    finally:
        pin.lock()
    assert not errors, errors
    assert seen == ["PinDialog", "DayReportDialog"]
    assert ("Ctrl+D", "End of day report (per cashier; Save PDF, Print)") in window.shortcuts  # F1 lists it


def test_another_day_typed_or_stepped_and_a_bad_one_said_next_to_the_field(qtbot, replica, data_dir):
    busy_day(replica)
    dialog = DayReportDialog(replica, data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None)
    today = dialog.report.day

    dialog.step(-1)  # Alt+Left
    qtbot.waitUntil(lambda: dialog.report.day == today - timedelta(days=1))
    assert dialog.day.text() == (today - timedelta(days=1)).isoformat()
    assert columns(dialog) == ["All cashiers"] and "Nothing was recorded" in dialog.summary.text()
    dialog.step(1)  # Alt+Right
    qtbot.waitUntil(lambda: dialog.report.day == today and dialog.table.columnCount() == 5)

    dialog.day.setText("2025-02-30")
    qtbot.keyClick(dialog.day, Qt.Key.Key_Return)
    assert "YYYY-MM-DD" in dialog.problem.text()
    assert dialog.report.day == today  # what is shown stays the day it was
    dialog.step(1)  # tomorrow: refused by the core, said next to the field
    qtbot.waitUntil(lambda: "after today" in dialog.problem.text())
    assert dialog.report.day == today and "not over" in dialog.summary.text()

    dialog.day.setText((today - timedelta(days=1)).isoformat())
    qtbot.keyClick(dialog.day, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.report.day == today - timedelta(days=1))
    assert dialog.problem.text() == ""


def test_the_keys_step_the_day(qtbot, replica, data_dir):
    dialog = DayReportDialog(replica, data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.report is not None)
    today = dialog.report.day
    qtbot.keyClick(dialog.day, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.report.day == today - timedelta(days=1))
    qtbot.keyClick(dialog.day, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.report.day == today - timedelta(days=2))
    qtbot.keyClick(dialog.day, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.report.day == today - timedelta(days=1))
    qtbot.keyClick(dialog.day, Qt.Key.Key_Home, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.report.day == today)
    assert dialog.save_button.shortcut().toString() == "Ctrl+S" and dialog.print_button.shortcut().toString() == "Ctrl+P"


def test_save_pdf_writes_it_in_the_data_folder_and_print_falls_back_to_it(qtbot, replica, data_dir):
    busy_day(replica)
    dialog = DayReportDialog(replica, data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    dialog.save_button.click()  # Ctrl+S
    saved = data_dir / "reports" / f"end-of-day-{dialog.report.day}.pdf"
    assert saved.read_bytes().startswith(b"%PDF-")
    assert dialog.note.text() == f"Saved as {saved}"
    if QPrinterInfo.availablePrinters():
        pytest.skip("this computer has a printer: Print would ask which")
    saved.unlink()
    dialog.print_button.click()  # Ctrl+P, with no printer here
    assert saved.exists() and dialog.note.text().startswith(f"No printer here: saved as {saved}")
