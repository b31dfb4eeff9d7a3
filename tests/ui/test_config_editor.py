"""The manager's configuration editor, driven with keys and clicks on a real replica.

A bad value is named next to its field (or cell) as soon as it is typed, Save stays off
and nothing is written; a good edit is a new version with its config.changed mutation.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QLineEdit, QPushButton

from counter_keys import answer_dialog
from pos_loyalty.services import configuration, outbox, settings
from ui.dialogs.config_editor import ConfigEditor, EntryTable
from ui.dialogs.entry_table import PROBLEM_CELL, DatePicker
from ui.style import STYLE_SHEET

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def editor(qtbot, replica) -> ConfigEditor:
    shown = ConfigEditor(replica, "manager-1")
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown)
    return shown


def config_changes(replica) -> list[dict]:
    with replica.reading() as uow:
        return [m for m in outbox.batch(uow, from_seq=1, limit=1000) if m["kind"] == "config.changed"]


def retype(qtbot, field: QLineEdit, text: str) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)


def cell_editor(qtbot, table) -> QLineEdit:
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit) and table.isAncestorOf(QApplication.focusWidget()))
    return QApplication.focusWidget()


def type_in_cell(qtbot, entry: EntryTable, row: int, column: int, text: str, *, then=Qt.Key.Key_Return) -> None:
    """Move to the cell, F2 to edit it, replace its text, Enter (or `then`, or nothing)."""
    table = entry.table
    table.setFocus()
    table.setCurrentCell(row, column)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    cell = cell_editor(qtbot, table)
    qtbot.keyClick(cell, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(cell, text)
    if then is not None:
        qtbot.keyClick(cell, then)
        qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)


def add_row(qtbot, entry: EntryTable, *values: str) -> None:
    """'Add a row', then type each value and Tab to the next cell, Enter after the last."""
    click(qtbot, entry, "&Add a row")
    for index, value in enumerate(values):
        cell = cell_editor(qtbot, entry.table)
        qtbot.keyClicks(cell, value)
        qtbot.keyClick(cell, Qt.Key.Key_Tab if index < len(values) - 1 else Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: entry.table.state() != QAbstractItemView.State.EditingState)


def click(qtbot, widget, text: str) -> None:
    button = next(b for b in widget.findChildren(QPushButton) if b.text() == text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def save_with_keys(qtbot, editor: ConfigEditor) -> None:
    qtbot.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_S, CTRL)


def test_opens_on_the_saved_configuration_with_nothing_to_save(editor):
    assert editor.windowTitle() == "Loyalty configuration (version 1)"
    assert editor.enabled.isChecked()
    assert editor.inputs["pointsToAmountRate"].text() == "0.10"
    assert (editor.grace.text(), editor.grace_unit.currentText()) == ("24", "hours")
    categories = editor.tables["categoryPointConfigs"].table
    assert [categories.item(row, 1).text() for row in range(categories.rowCount())] == ["Medicines", "General", "Baby Care", "Cosmetics"]
    assert editor.pharmacy_name.text() == "Pharmacy"
    assert not editor.save_button.isEnabled()
    assert editor.summary.text() == "No changes yet"


def test_a_category_percentage_over_100_is_named_on_its_cell_and_nothing_is_saved(qtbot, editor, replica):
    before = configuration.export(replica)
    points = editor.tables["categoryPointConfigs"]
    editor.tabs.setCurrentIndex(1)
    type_in_cell(qtbot, points, 1, 2, "101")

    cell = points.table.item(1, 2)
    assert cell.background().color() == PROBLEM_CELL
    assert cell.toolTip() == "must be at most 100.00 (got 101)"
    assert points.problem.isVisible()
    assert points.problem.text() == "Row 2, Points %: must be at most 100.00 (got 101)"
    assert editor.tabs.tabText(1) == "Points by category (1 to fix)"
    assert not editor.save_button.isEnabled()

    save_with_keys(qtbot, editor)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible() and editor.result() != QDialog.DialogCode.Accepted
    assert configuration.export(replica) == before
    assert config_changes(replica) == []

    type_in_cell(qtbot, points, 1, 2, "3.5")  # fixed: the mark goes, Save comes back
    assert points.table.item(1, 2).toolTip() == ""
    assert not points.problem.isVisible()
    assert editor.tabs.tabText(1) == "Points by category"
    assert editor.save_button.isEnabled()


def test_a_rate_of_zero_is_named_next_to_the_field(qtbot, editor, replica):
    before = configuration.export(replica)
    rate = editor.inputs["pointsToAmountRate"]
    retype(qtbot, rate, "0")
    assert editor.labels["pointsToAmountRate"].isVisible()
    assert editor.labels["pointsToAmountRate"].text() == "must be greater than zero (got 0)"
    assert "c62828" in rate.styleSheet()
    assert editor.tabs.tabText(0) == "Programme (1 to fix)"
    assert editor.summary.text() == "1 problem: fix what is marked in red"
    assert not editor.save_button.isEnabled()

    retype(qtbot, rate, "0.00001")  # more decimals than a rate has: refused, not rounded
    assert "too many decimals" in editor.labels["pointsToAmountRate"].text()
    save_with_keys(qtbot, editor)
    assert configuration.export(replica) == before
    assert config_changes(replica) == []


def test_a_good_edit_saves_a_new_version_that_syncs_with_ctrl_s(qtbot, editor, replica):
    retype(qtbot, editor.inputs["pointsToAmountRate"], "0.25")
    points = editor.tables["categoryPointConfigs"]
    points.table.setFocus()
    points.table.setCurrentCell(3, 3)
    qtbot.keyClick(points.table, Qt.Key.Key_Space)  # Cosmetics: no longer active
    assert editor.save_button.isEnabled()

    editor.inputs["pointsToAmountRate"].setFocus()
    with qtbot.waitSignal(editor.saved) as saved:
        save_with_keys(qtbot, editor)
    assert saved.args == [2]
    assert editor.result() == QDialog.DialogCode.Accepted
    assert editor.summary.text() == editor.outcome
    assert "version 2" in editor.outcome

    document = configuration.export(replica)
    assert document["version"] == 2
    assert document["pointsToAmountRate"] == Decimal("0.25")
    assert [c["isActive"] for c in document["categoryPointConfigs"]] == [True, True, True, False]
    (change,) = config_changes(replica)
    assert change["payload"]["version"] == 2 and change["payload"]["baseVersion"] == 1
    assert change["payload"]["changes"]["pointsToAmountRate"] == Decimal("0.25")


def test_a_cell_still_being_typed_in_counts_when_ctrl_s_is_pressed_in_it(qtbot, editor, replica):
    type_in_cell(qtbot, editor.tables["categoryDiscounts"], 0, 2, "7.5", then=None)
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    assert configuration.export(replica)["categoryDiscounts"][0]["discountPercentage"] == Decimal("7.50")


def test_unordered_tiers_are_refused_then_moved_into_order(qtbot, editor, replica):
    tiers = editor.tables["tiers"]
    editor.tabs.setCurrentIndex(3)
    add_row(qtbot, tiers, "Silver", "0", "1")
    add_row(qtbot, tiers, "Gold", "1000", "2")
    add_row(qtbot, tiers, "Plus", "500", "1.5")
    assert tiers.table.item(2, 1).background().color() == PROBLEM_CELL
    assert tiers.problem.text() == (
        "Row 3, From lifetime points: must be greater than the tier before it (list tiers from lowest to highest)"
    )
    assert not editor.save_button.isEnabled()
    save_with_keys(qtbot, editor)
    assert configuration.export(replica)["tiers"] == []

    tiers.table.setCurrentCell(2, 0)
    click(qtbot, tiers, "Move &up")
    assert [tiers.table.item(row, 0).text() for row in range(3)] == ["Silver", "Plus", "Gold"]
    assert tiers.problem.text() == ""
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    saved = configuration.export(replica)["tiers"]
    assert [(t["name"], t["minLifetimePoints"], t["earnMultiplier"]) for t in saved] == [
        ("Silver", Decimal("0.00"), Decimal("1.00")),
        ("Plus", Decimal("500.00"), Decimal("1.50")),
        ("Gold", Decimal("1000.00"), Decimal("2.00")),
    ]


def test_tiers_are_added_and_removed(qtbot, editor, replica):
    tiers = editor.tables["tiers"]
    editor.tabs.setCurrentIndex(3)
    add_row(qtbot, tiers, "Silver", "0")
    assert tiers.table.item(0, 2).text() == "1.00"  # a new tier earns x1 until told otherwise
    click(qtbot, tiers, "&Remove this row")
    assert tiers.table.rowCount() == 0
    assert editor.summary.text() == "No changes yet"

    add_row(qtbot, tiers, "Silver", "0", "1", "40")
    with qtbot.waitSignal(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert configuration.export(replica)["tiers"][0]["maxRedemptionPercent"] == Decimal("40.00")

    again = ConfigEditor(replica, "manager-1")
    qtbot.addWidget(again)
    again.show()
    assert again.tables["tiers"].table.item(0, 0).text() == "Silver"
    again.tables["tiers"].table.setCurrentCell(0, 0)
    click(qtbot, again.tables["tiers"], "&Remove this row")
    with qtbot.waitSignal(again.saved) as saved:
        qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [3]
    assert configuration.export(replica)["tiers"] == []


def test_a_new_category_row_is_checked_as_it_is_typed(qtbot, editor, replica):
    points = editor.tables["categoryPointConfigs"]
    editor.tabs.setCurrentIndex(1)
    add_row(qtbot, points, "2", "Vitamins", "4")  # 2 is General's id
    assert points.problem.text() == "Row 5, Id: duplicates an earlier entry (2)"
    type_in_cell(qtbot, points, 4, 0, "5")
    assert points.problem.text() == ""
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    assert configuration.export(replica)["categoryPointConfigs"][4] == {
        "categoryId": 5,
        "categoryName": "Vitamins",
        "pointPercentage": Decimal("4.00"),
        "isActive": True,
        "isRedeemable": True,
    }


def test_offline_grace_is_shown_in_hours_or_minutes_and_stored_in_seconds(qtbot, editor, replica):
    retype(qtbot, editor.grace, "1.5")
    assert "too many decimals" in editor.labels["offlineGraceSeconds"].text()
    retype(qtbot, editor.grace, "90")
    editor.grace_unit.setFocus()
    qtbot.keyClick(editor.grace_unit, Qt.Key.Key_Down)  # hours -> minutes
    assert editor.grace_unit.currentText() == "minutes"
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    assert configuration.export(replica)["offlineGraceSeconds"] == 5400

    again = ConfigEditor(replica, "manager-1")
    qtbot.addWidget(again)
    assert (again.grace.text(), again.grace_unit.currentText()) == ("90", "minutes")


def test_the_tills_name_and_currency_are_saved_as_settings(qtbot, editor, replica):
    retype(qtbot, editor.pharmacy_name, "")
    assert editor.labels["till.name"].text().startswith("The pharmacy's name is needed")
    assert not editor.save_button.isEnabled()
    retype(qtbot, editor.pharmacy_name, "Asha Medicals")
    retype(qtbot, editor.currency, "Rs")
    with qtbot.waitSignal(editor.saved) as saved:
        save_with_keys(qtbot, editor)
    assert saved.args == [1]  # the configuration itself did not change: no new version
    assert "still version 1" in editor.outcome
    current = settings.read(replica)
    assert (current[settings.PHARMACY_NAME], current[settings.CURRENCY]) == ("Asha Medicals", "Rs")
    assert config_changes(replica) == []


def test_escape_cancels_and_saves_nothing(qtbot, editor, replica):
    before = configuration.export(replica)
    retype(qtbot, editor.inputs["minPointsToRedeem"], "250")
    qtbot.keyClick(editor.inputs["minPointsToRedeem"], Qt.Key.Key_Escape)
    assert editor.result() == QDialog.DialogCode.Rejected and not editor.isVisible()
    assert configuration.export(replica) == before


def test_a_version_pulled_while_editing_is_not_undone(qtbot, editor, replica):
    pulled = configuration.export(replica) | {"maxRedemptionPercent": 30}
    configuration.save(replica, pulled)  # as if the sync daemon had brought version 2
    retype(qtbot, editor.inputs["minPointsToRedeem"], "250")
    save_with_keys(qtbot, editor)
    assert "Version 2 arrived" in editor.summary.text()
    assert editor.result() != QDialog.DialogCode.Accepted
    document = configuration.export(replica)
    assert (document["version"], document["maxRedemptionPercent"], document["minPointsToRedeem"]) == (2, 30, 100)


def test_fits_a_1024_by_768_screen(qtbot, editor):
    app = QApplication.instance()
    app.setStyleSheet(STYLE_SHEET)  # the counter app's large type
    try:
        hint = editor.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 768
        assert editor.width() <= 1024 and editor.height() <= 768
    finally:
        app.setStyleSheet("")


def answer_next_box(respond) -> list[str]:  # type: ignore[no-untyped-def]
    """Call `respond` with the next question box once it is open; its text is kept."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    seen: list[str] = []

    def check() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, check)
            return
        seen.append(box.text())
        respond(box)

    QTimer.singleShot(0, check)
    return seen


def test_removing_categories_asks_first_naming_them_and_no_saves_nothing(qtbot, editor, replica):
    from PySide6.QtWidgets import QMessageBox

    points = editor.tables["categoryPointConfigs"]
    discounts = editor.tables["categoryDiscounts"]
    editor.tabs.setCurrentIndex(1)
    points.table.setCurrentCell(1, 0)  # General (2)
    click(qtbot, points, "&Remove this row")
    editor.tabs.setCurrentIndex(2)
    discounts.table.setCurrentCell(1, 0)  # Baby Care's discount (3); its points stay
    click(qtbot, discounts, "&Remove this row")

    asked = answer_next_box(lambda box: box.button(QMessageBox.StandardButton.No).click())
    save_with_keys(qtbot, editor)
    qtbot.waitUntil(lambda: bool(asked))
    assert "Points by category: General (2)" in asked[0] and "Member discounts: Baby Care (3)" in asked[0]
    assert "No longer sold at all (in neither list): General (2)" in asked[0]
    assert "Nothing saved" in editor.summary.text() and editor.result() != QDialog.DialogCode.Accepted
    assert configuration.export(replica)["version"] == 1 and config_changes(replica) == []

    asked = answer_next_box(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    with qtbot.waitSignal(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert asked
    document = configuration.export(replica)
    assert [c["categoryId"] for c in document["categoryPointConfigs"]] == [1, 3, 4]
    assert [d["categoryId"] for d in document["categoryDiscounts"]] == [1]


def test_an_edit_that_removes_no_category_asks_nothing(qtbot, editor, replica):
    retype(qtbot, editor.inputs["minPointsToRedeem"], "250")
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)  # a question box would hold this up until the signal's timeout
    assert configuration.export(replica)["minPointsToRedeem"] == Decimal("250.00")


@pytest.mark.parametrize("typed", ["²", "١٢", "5" * 25, " 7 "])
def test_a_category_id_in_other_digits_or_too_long_is_named_on_its_cell(qtbot, editor, replica, typed):
    points = editor.tables["categoryPointConfigs"]
    editor.tabs.setCurrentIndex(1)
    add_row(qtbot, points, "9", "Vitamins", "4")
    points.table.setCurrentCell(4, 0)
    qtbot.keyClick(points.table, Qt.Key.Key_F2)
    cell = cell_editor(qtbot, points.table)
    cell.setText(typed)  # as an input method puts it (QTest types Latin keys only)
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: points.table.state() != QAbstractItemView.State.EditingState)
    if typed.strip().isascii():
        assert points.problem.text() == "" if typed == " 7 " else "Row 5, Id:" in points.problem.text()
    else:
        assert points.problem.text().startswith("Row 5, Id:")
        assert not editor.save_button.isEnabled()
    assert configuration.export(replica)["version"] == 1


def test_points_expiry_days_are_edited_and_a_bad_number_is_named(qtbot, editor, replica):
    days = editor.inputs["pointsExpiryDays"]
    assert days.text() == "0"  # points never expire until a manager says so
    retype(qtbot, days, "36501")
    assert "at most 36500" in editor.labels["pointsExpiryDays"].text()
    retype(qtbot, days, "365")
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    assert configuration.export(replica)["pointsExpiryDays"] == 365


# --- promotions, rewards and the time zone (issue 14) ------------------------------------------

PROMOTIONS, REWARDS = 4, 5  # the tabs




def _is_problem(table, row: int, column: int) -> bool:
    return table.item(row, column).background().color() == PROBLEM_CELL


def test_a_promotion_and_a_reward_typed_on_their_tabs_are_saved(qtbot, editor, replica):
    promotions, rewards = editor.tables["promotions"], editor.tables["rewards"]
    assert editor.tabs.tabText(PROMOTIONS) == "Promotions" and editor.tabs.tabText(REWARDS) == "Rewards"
    editor.tabs.setCurrentIndex(PROMOTIONS)
    add_row(qtbot, promotions, "1", "Double points on Baby Care", "2026-05-01", "2026-05-31", "Sat, sunday", "3", "2")
    editor.tabs.setCurrentIndex(REWARDS)
    add_row(qtbot, rewards, "lotion-100", "Baby lotion 100 ml", "250")
    editor.tabs.setCurrentIndex(0)
    retype(qtbot, editor.time_zone, "Asia/Kolkata")
    assert editor.problems == {}
    with qtbot.waitSignal(editor.saved):
        save_with_keys(qtbot, editor)
    document = configuration.export(replica)
    assert document["timeZone"] == "Asia/Kolkata"
    assert document["promotions"] == [
        {
            "promotionId": 1,
            "name": "Double points on Baby Care",
            "isActive": True,
            "startsOn": "2026-05-01",
            "endsOn": "2026-05-31",
            "multiplier": Decimal("2.00"),
            "daysOfWeek": [6, 7],
            "categoryIds": [3],
        }
    ]
    assert document["rewards"] == [{"rewardId": "LOTION-100", "name": "Baby lotion 100 ml", "pointsPrice": Decimal("250.00"), "isActive": True}]


def test_saved_promotions_are_shown_as_typed_and_kept_by_an_unrelated_edit(qtbot, replica):
    document = configuration.export(replica)
    configuration.save(
        replica,
        {
            **document,
            "timeZone": "Asia/Kolkata",
            "promotions": [
                {"promotionId": 7, "name": "Weekend bonus", "startsOn": "2026-01-01", "endsOn": "2026-12-31",
                 "daysOfWeek": [6, 7], "categoryIds": [1, 3], "multiplier": "1.5", "isActive": False},
            ],
            "rewards": [{"rewardId": "BP-CHECK", "name": "Blood pressure check", "pointsPrice": "150"}],
        },
    )
    before = configuration.export(replica)
    shown = ConfigEditor(replica, "manager-1")
    qtbot.addWidget(shown)
    promotions = shown.tables["promotions"].table
    assert [promotions.item(0, column).text() for column in range(7)] == [
        "7", "Weekend bonus", "2026-01-01", "2026-12-31", "Sat,Sun", "1,3", "1.50",
    ]
    assert promotions.item(0, 7).checkState() == Qt.CheckState.Unchecked
    assert shown.time_zone.text() == "Asia/Kolkata"
    assert not shown.save_button.isEnabled()  # loading is not an edit
    shown.inputs["minPointsToRedeem"].setText("50")
    shown.save()
    after = configuration.export(replica)
    assert after["minPointsToRedeem"] == 50
    assert {key: after[key] for key in ("timeZone", "promotions", "rewards")} == {
        key: before[key] for key in ("timeZone", "promotions", "rewards")
    }


def test_a_promotion_that_ends_before_it_starts_is_named_on_its_cell(qtbot, editor, replica):
    promotions = editor.tables["promotions"]
    editor.tabs.setCurrentIndex(PROMOTIONS)
    add_row(qtbot, promotions, "1", "Spring", "2026-05-31", "2026-05-01", "", "", "2")
    assert _is_problem(promotions.table, 0, 3)
    assert promotions.problem.text() == "Row 1, Until: must not be before startsOn (2026-05-31)"
    assert editor.tabs.tabText(PROMOTIONS) == "Promotions (1 to fix)"
    assert not editor.save_button.isEnabled()
    type_in_cell(qtbot, promotions, 0, 3, "2026-06-30")
    assert not _is_problem(promotions.table, 0, 3) and editor.save_button.isEnabled()


@pytest.mark.parametrize(
    ("column", "typed", "said"),
    [
        (2, "1 May", "must be a date written YYYY-MM-DD"),
        (4, "Mon,Funday", "'Funday' is not a day: write Mon, Tue ... Sun, or 1 (Monday) to 7 (Sunday)"),
        (4, "8", "'8' is not a day: write Mon, Tue ... Sun, or 1 (Monday) to 7 (Sunday)"),
        (4, "Mon,1", "1 is given twice"),
        (5, "3,9", "category 9 is not in this configuration"),
        (5, "baby", "'baby' is not a category's number: write them like 1,3"),
        (6, "11", "must be at most 10.00"),
    ],
)
def test_a_bad_promotion_cell_is_named_on_that_cell(qtbot, editor, column, typed, said):
    promotions = editor.tables["promotions"]
    editor.tabs.setCurrentIndex(PROMOTIONS)
    add_row(qtbot, promotions, "1", "Spring", "2026-05-01", "2026-05-31", "", "", "2")
    assert editor.problems == {}
    type_in_cell(qtbot, promotions, 0, column, typed)
    assert _is_problem(promotions.table, 0, column)
    assert said in promotions.table.item(0, column).toolTip()
    assert not editor.save_button.isEnabled()


def test_a_reward_with_no_price_or_a_bad_code_is_named_on_its_cell(qtbot, editor):
    rewards = editor.tables["rewards"]
    editor.tabs.setCurrentIndex(REWARDS)
    add_row(qtbot, rewards, "GIFT 1", "Gift", "0")
    assert _is_problem(rewards.table, 0, 0)  # the core names a row's first problem
    assert editor.tabs.tabText(REWARDS) == "Rewards (1 to fix)"
    type_in_cell(qtbot, rewards, 0, 0, "GIFT-1")
    assert _is_problem(rewards.table, 0, 2) and not _is_problem(rewards.table, 0, 0)
    type_in_cell(qtbot, rewards, 0, 2, "100")
    assert editor.problems == {} and editor.save_button.isEnabled()


def test_a_time_zone_the_computer_does_not_know_is_named_next_to_the_field(qtbot, editor):
    retype(qtbot, editor.time_zone, "Asia/Kolkatta")
    assert "is not a time zone this computer knows" in editor.labels["timeZone"].text()
    assert editor.tabs.tabText(0) == "Programme (1 to fix)"
    assert not editor.save_button.isEnabled()


def test_a_promotions_date_is_picked_from_a_calendar(qtbot, editor):
    promotions = editor.tables["promotions"]
    editor.tabs.setCurrentIndex(PROMOTIONS)
    add_row(qtbot, promotions, "1", "Spring", "2026-05-01", "2026-05-31", "", "", "2")
    promotions.table.setCurrentCell(0, 3)

    def pick(dialog) -> None:  # type: ignore[no-untyped-def]
        assert isinstance(dialog, DatePicker)
        assert dialog.calendar.selectedDate() == QDate(2026, 5, 31)  # opens on the cell's date
        qtbot.keyClick(dialog.calendar.focusWidget() or dialog.calendar, Qt.Key.Key_Right)  # a day later
        qtbot.keyClick(dialog.calendar.focusWidget() or dialog.calendar, Qt.Key.Key_Return)

    answer_dialog(pick)
    click(qtbot, promotions, "&Pick a date")
    assert promotions.table.item(0, 3).text() == "2026-06-01"
