"""The store manager's loyalty configuration: every field checked as it is typed, saved whole.

The draft is the configuration document (`config_to_json`'s shape), built from the widgets
after every edit and checked by the core's own `config_from_json`; each problem it names
(`categoryPointConfigs[1].pointPercentage`) is shown on its widget (row 2's % cell), and
Save waits until there are none and something changed, and asks first when it would take
categories away, naming them. Saving is `configuration.save`: a new version and a
`config.changed` mutation the sync daemon takes to the central service.
The till's own name and currency sign (`services.settings`) are edited here too; they
stay on this till. Promotions and reward products have a tab each; the pharmacy's time
zone (the day a promotion runs is read in it) is on the Programme page.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QCompleter, QDialog, QFormLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QMessageBox, QScrollArea, QTabWidget, QVBoxLayout, QWidget,
)

from pos_loyalty import formatting
from pos_loyalty.amounts import parse_scaled
from pos_loyalty.errors import ConfigInvalid, InvalidInput
from pos_loyalty.replica.db import Replica
from pos_loyalty.rules.config import LoyaltyConfig, config_from_json, config_to_json
from pos_loyalty.services import configuration, settings
from ui import messages
from ui.dialogs.entry_table import EntryTable, button, problem_label

PROBLEM_FIELD = "background: #ffebee; border: 2px solid #c62828;"
#: `promotions[1].endsOn`, and `promotions[0].categoryIds[1]` (on the categories' cell).
_LIST_PATH = re.compile(r"(\w+)\[(\d+)\](?:\.(\w+)(?:\[\d+\])?)?")

#: (JSON key, header, kind): "id" a whole number, "name"/"number" text the core checks,
#: "name?"/"number?" left out of the document when blank, "check" a tick box.
CATEGORY_COLUMNS = (
    ("categoryId", "Id", "id"),
    ("categoryName", "Name", "name"),
    ("pointPercentage", "Points %", "number"),
    ("isActive", "Active", "check"),
    ("isRedeemable", "Points may pay", "check"),
)
DISCOUNT_COLUMNS = (
    ("categoryId", "Id", "id"),
    ("categoryName", "Name", "name?"),
    ("discountPercentage", "Discount %", "number"),
    ("isActive", "Active", "check"),
)
TIER_COLUMNS = (
    ("name", "Name", "name"),
    ("minLifetimePoints", "From lifetime points", "number"),
    ("earnMultiplier", "Earn ×", "number"),
    ("maxRedemptionPercent", "Max redemption %", "number?"),
)
PROMOTION_COLUMNS = (
    ("promotionId", "Id", "id"),
    ("name", "Name (the cashier sees it)", "name"),
    ("startsOn", "From", "date"),
    ("endsOn", "Until", "date"),
    ("daysOfWeek", "Days", "days"),
    ("categoryIds", "Categories", "ids"),
    ("multiplier", "Points ×", "number"),
    ("isActive", "Active", "check"),
)
REWARD_COLUMNS = (
    ("rewardId", "Code", "code"),
    ("name", "Name", "name"),
    ("pointsPrice", "Points price", "number"),
    ("isActive", "Active", "check"),
)
PROMOTION_NOTE = (
    "Points × multiplies what the categories earn, From the first day Until the last (YYYY-MM-DD, both included, "
    "in the pharmacy's time zone). Days: Mon,Sat or 1,6 (1 = Monday); Categories: 3 or 1,3; blank: every day, every category. "
    "Where two promotions apply, the larger multiplier counts (they do not add up). "
    "Pick a date (Alt+P) opens a calendar on the current date cell."
)
REWARD_NOTE = (
    "Products bought with points only: the cashier adds them by their code (A-Z, 0-9, -) or from the list (F7). "
    "They earn nothing and are not part of the money of the bill."
)
CATEGORY_NOTE = (
    "Points earned: this % of the money paid in the category (an inactive category earns nothing). "
    "Untick Points may pay for prescription medicines, which points may not pay for."
)
DISCOUNT_NOTE = "Members' discount on the category's lines. A blank name takes the name from Points by category."
TIER_NOTE = (
    "Lowest tier first; the first starts at 0. A blank max redemption % uses the pharmacy's own. "
    "No tiers: every card earns x1."
)
SCALARS = (
    ("pointsToAmountRate", "Money per point", "1 point pays this much, e.g. 0.10"),
    ("maxRedemptionPercent", "Most of a bill paid with points (%)", "e.g. 50"),
    ("referralPointsPercent", "Referrer earns (% of the bill paid)", "e.g. 0.5"),
    ("minPointsToRedeem", "Fewest points redeemed at once", "e.g. 100"),
    ("offlineRedemptionLimitPoints", "Offline: most points per card per day", "e.g. 500"),
    ("pointsExpiryDays", "Points expire after (days; 0: never)", "e.g. 365"),
)
GRACE_UNITS = {"hours": 3600, "minutes": 60, "seconds": 1}
TILL_NAME, TILL_CURRENCY = "till.name", "till.currency"
#: How the till writes figures (its locale): Indian grouping, or thousands only.
NUMBER_LOCALES = ("en_IN", "en_US")


class ConfigEditor(QDialog):
    saved = Signal(int)  # the configuration version the save made (or kept)

    def __init__(self, replica: Replica, operator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replica, self.operator = replica, operator
        self.outcome = ""  # what the save did, in a sentence (for the status bar)
        self.problems: dict[str, str] = {}
        self.base: LoyaltyConfig = configuration.in_use(replica)
        self.till = settings.read(replica)
        self.setWindowTitle(f"Loyalty configuration (version {self.base.version})")
        self.resize(920, 700)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._programme_page(), "Programme")
        self.tables = {
            "categoryPointConfigs": EntryTable(CATEGORY_COLUMNS, {"isActive": True, "isRedeemable": True}, CATEGORY_NOTE),
            "categoryDiscounts": EntryTable(DISCOUNT_COLUMNS, {"isActive": True}, DISCOUNT_NOTE),
            "tiers": EntryTable(TIER_COLUMNS, {"earnMultiplier": "1.00"}, TIER_NOTE, ordered=True),
            "promotions": EntryTable(PROMOTION_COLUMNS, {"multiplier": "2.00", "isActive": True}, PROMOTION_NOTE, stretch="name"),
            "rewards": EntryTable(REWARD_COLUMNS, {"isActive": True}, REWARD_NOTE, stretch="name"),
        }
        self.tab_titles = ["Programme", "Points by category", "Member discounts", "Tiers", "Promotions", "Rewards"]
        for title, table in zip(self.tab_titles[1:], self.tables.values()):
            self.tabs.addTab(table, title)
        self.summary = QLabel(objectName="hint")
        self.summary.setWordWrap(True)
        self.save_button = button("Save (Ctrl+S)", self.save, "primary")
        cancel = button("Cancel (Esc)", self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(cancel)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(QLabel("Ctrl+Tab: next page    arrows: move in a table, type to change a cell", objectName="hint"))
        layout.addLayout(bottom)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

        self._load(config_to_json(self.base))
        for widget in (*self.inputs.values(), self.grace, self.time_zone, self.pharmacy_name, self.currency):
            widget.textChanged.connect(self.validate)
        self.enabled.toggled.connect(self.validate)
        self.grace_unit.currentIndexChanged.connect(self.validate)
        self.locale.currentIndexChanged.connect(self.validate)
        for table in self.tables.values():
            table.edited.connect(self.validate)
        self.validate()

    # --- building ---------------------------------------------------------------------------

    def _programme_page(self) -> QScrollArea:
        page = QWidget()
        form = QFormLayout(page)
        self.fields: dict[str, QWidget] = {}  # a problem's path -> the widget it colours
        self.labels: dict[str, QLabel] = {}  # a problem's path -> the label that says it
        self.enabled = QCheckBox("Loyalty programme on (cards earn and redeem points)", objectName="isEnabled")
        form.addRow(self.enabled)
        self.inputs = {key: QLineEdit(objectName=key, placeholderText=hint) for key, _label, hint in SCALARS}
        for key, label, _hint in SCALARS:
            form.addRow(label, self._with_problem(key, self.inputs[key]))
        self.grace = QLineEdit(objectName="offlineGraceSeconds", placeholderText="e.g. 24")
        self.grace_unit = QComboBox(objectName="graceUnit")
        self.grace_unit.addItems(list(GRACE_UNITS))
        grace_row = QHBoxLayout()
        grace_row.addWidget(self.grace, 1)
        grace_row.addWidget(self.grace_unit)
        form.addRow("Offline after no sync for", self._with_problem("offlineGraceSeconds", self.grace, grace_row))
        self.time_zone = QLineEdit(objectName="timeZone", placeholderText="e.g. Asia/Kolkata (blank: UTC)")
        zones = QCompleter(QStringListModel(sorted(available_timezones()), self), self)
        zones.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        zones.setFilterMode(Qt.MatchFlag.MatchContains)
        self.time_zone.setCompleter(zones)
        form.addRow("Time zone (the day promotions run)", self._with_problem("timeZone", self.time_zone))
        till = QGroupBox("Till (on receipts and cards; not sent to other tills)")
        till_form = QFormLayout(till)
        self.pharmacy_name = QLineEdit(objectName="pharmacyName")
        self.currency = QLineEdit(objectName="currency", maxLength=8)
        till_form.addRow("Pharmacy's name", self._with_problem(TILL_NAME, self.pharmacy_name))
        till_form.addRow("Currency sign", self._with_problem(TILL_CURRENCY, self.currency))
        self.locale = QComboBox(objectName="locale")
        for code in NUMBER_LOCALES:
            self.locale.addItem(f"{formatting.number(12345600, code)} ({code})", code)
        till_form.addRow("Figures written as", self.locale)
        form.addRow(till)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        return scroll

    def _with_problem(self, path: str, field: QWidget, row: QHBoxLayout | None = None) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        if row is None:
            column.addWidget(field)
        else:
            column.addLayout(row)
        self.fields[path], self.labels[path] = field, problem_label()
        column.addWidget(self.labels[path])
        return box

    def _load(self, document: dict[str, Any]) -> None:
        self.enabled.setChecked(document["isEnabled"])
        for key, field in self.inputs.items():
            field.setText(str(document[key]))
        seconds = document["offlineGraceSeconds"]
        unit = next(name for name, size in GRACE_UNITS.items() if seconds % size == 0)
        self.grace.setText(str(seconds // GRACE_UNITS[unit]))
        self.grace_unit.setCurrentText(unit)
        self.time_zone.setText(document.get("timeZone", ""))
        for key, table in self.tables.items():
            table.load(document[key])
        self.pharmacy_name.setText(self.till[settings.PHARMACY_NAME])
        self.currency.setText(self.till[settings.CURRENCY])
        if self.locale.findData(self.till[settings.LOCALE]) < 0:  # set some other way: kept as it is
            self.locale.addItem(self.till[settings.LOCALE], self.till[settings.LOCALE])
        self.locale.setCurrentIndex(self.locale.findData(self.till[settings.LOCALE]))

    # --- the draft ------------------------------------------------------------------------------

    def document(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The draft configuration document, and problems found before the core sees it."""
        early: dict[str, str] = {}
        document: dict[str, Any] = {"isEnabled": self.enabled.isChecked()}
        for key, field in self.inputs.items():
            document[key] = field.text().strip()
        unit = self.grace_unit.currentText()
        try:
            count = parse_scaled(self.grace.text().strip(), field="offlineGraceSeconds", places=0, what=f"a whole number of {unit}")
            document["offlineGraceSeconds"] = count * GRACE_UNITS[unit]
        except InvalidInput as error:
            early["offlineGraceSeconds"] = error.message.removeprefix("offlineGraceSeconds ")
        if self.time_zone.text().strip():  # blank: the default, UTC
            document["timeZone"] = self.time_zone.text().strip()
        for key, table in self.tables.items():
            document[key] = table.entries()
            for row, column, message in table.typed:
                early[f"{key}[{row}].{column}"] = message
        return document, early

    def _till_values(self) -> dict[str, str]:
        return {
            settings.PHARMACY_NAME: self.pharmacy_name.text().strip(),
            settings.CURRENCY: self.currency.text().strip(),
            settings.LOCALE: self.locale.currentData(),
        }

    def _till_changed(self) -> bool:
        return any(value != self.till[key] for key, value in self._till_values().items())

    def _till_problems(self) -> dict[str, str]:
        values, problems = self._till_values(), {}
        if not values[settings.PHARMACY_NAME]:
            problems[TILL_NAME] = "The pharmacy's name is needed (it heads every receipt)"
        elif len(values[settings.PHARMACY_NAME]) > 60:
            problems[TILL_NAME] = "At most 60 characters (it must fit a receipt's width)"
        if not values[settings.CURRENCY]:
            problems[TILL_CURRENCY] = "A currency sign is needed, e.g. ₹"
        return problems

    def validate(self) -> None:
        """Check the whole draft with the core and show each problem where it belongs."""
        document, problems = self.document()
        draft = None
        try:
            draft = config_from_json(document)
        except ConfigInvalid as invalid:
            for path, message in invalid.problems:
                problems.setdefault(path, message)
        problems.update(self._till_problems())
        self.problems = problems
        unplaced = self._show(problems)
        changed = draft is not None and (draft != self.base or self._till_changed())
        self.save_button.setEnabled(not problems and changed)
        if problems:
            count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
            self.summary.setText("; ".join([f"{count}: fix what is marked in red", *unplaced]))
        else:
            self.summary.setText("Ready to save: a new version, sent to the other tills at the next sync" if changed else "No changes yet")

    def _show(self, problems: dict[str, str]) -> list[str]:
        """Problems onto their fields, cells and tab titles; those with no widget are returned."""
        for path, label in self.labels.items():
            message = problems.get(path, "")
            label.setText(message)
            label.setVisible(bool(message))
            self.fields[path].setStyleSheet(PROBLEM_FIELD if message else "")
        by_table: dict[str, list[tuple[int, str | None, str]]] = {key: [] for key in self.tables}
        unplaced = []
        for path, message in problems.items():
            match = _LIST_PATH.fullmatch(path)
            if match and match[1] in by_table:
                by_table[match[1]].append((int(match[2]), match[3], message))
            elif path not in self.labels:
                unplaced.append(f"{path}: {message}")
        for key, table in self.tables.items():
            table.show_problems(by_table[key])
        counts = [sum(1 for path in problems if path in self.labels), *(len(by_table[key]) for key in self.tables)]
        for index, (title, count) in enumerate(zip(self.tab_titles, counts)):
            self.tabs.setTabText(index, f"{title} ({count} to fix)" if count else title)
        return unplaced

    # --- saving ------------------------------------------------------------------------------------

    def confirm_removal(self, gone: list[configuration.Removed]) -> bool:
        """Ask before a save takes categories away, naming each (No is the default)."""
        draft = config_from_json(self.document()[0])
        lines = []
        for list_name, title in (("categoryPointConfigs", "Points by category"), ("categoryDiscounts", "Member discounts")):
            named = [f"{entry.category_name} ({entry.category_id})" for entry in gone if entry.list_name == list_name]
            if named:
                lines.append(f"• {title}: {', '.join(named)}")
        unsellable = sorted({f"{e.category_name} ({e.category_id})" for e in gone if not draft.knows_category(e.category_id)})
        if unsellable:
            lines.append(f"\nNo longer sold at all (in neither list): {', '.join(unsellable)}.")
        answer = QMessageBox.question(
            self,
            "Remove these categories?",
            "Saving removes:\n" + "\n".join(lines) + "\n\nRemove them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def save(self) -> None:
        for table in self.tables.values():
            table.commit_pending()
        self.validate()
        if not self.save_button.isEnabled():
            return
        gone = configuration.removed(self.base, config_from_json(self.document()[0]))
        if gone and not self.confirm_removal(gone):
            self.summary.setText("Nothing saved: the categories are still there. Save again when the lists are as they should be.")
            return
        try:
            # The version is checked in the save's own transaction: a pull between a check
            # here and the save would otherwise be undone without a word.
            saved = configuration.save(
                self.replica, self.document()[0], performed_by=self.operator, expected_version=self.base.version
            )
            if self._till_changed():
                settings.write(self.replica, **self._till_values())
        except Exception as error:  # a locked or full disk: one sentence, the dialog stays open
            self.summary.setText(messages.sentence(error))
            return
        if saved.changed:
            self.outcome = f"Configuration saved as version {saved.version}; the other tills get it at the next sync."
        else:
            self.outcome = f"The till's name and currency sign were saved (configuration still version {saved.version})."
        self.summary.setText(self.outcome)
        self.saved.emit(saved.version)
        self.accept()
