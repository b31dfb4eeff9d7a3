"""The customer display: a second window that faces the customer and follows the checkout.

It shows what the cashier sees, said for the customer: a welcome while the counter waits;
with a bill, the customer's first name, tier and balance, the lines, the points the bill
earns (and the promotion that gives them), the redemption and what is left to pay; after
the bill, a thank-you with the new balance for a few seconds, then the welcome again.

Every figure is the quote's or the finalized result's (`CheckoutScreen.shown`,
`CheckoutScreen.finalized`); the display works none out. It never shows a phone or a
card number, not even masked: the customer's first name is enough, and anyone in the
queue can read the screen.

Where it goes (`place`): full screen on a screen that is not the till's when there is
one; on a till with one screen only when asked, as an ordinary window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from pos_loyalty.services.cards import CardView
from ui.checkout.shown import ShownBill
from ui.customer_display_text import MAX_LINES, WELCOME_LINE, bill_said, thanks_said

#: The settings' values (`settings.CUSTOMER_DISPLAY`): on another screen when there is one
#: (the default), always (a window when the till has one screen), never.
AUTO, ON, OFF = "auto", "on", "off"
THANKS_MS = 8000  # how long the thank-you stays (unless the next customer comes first)


# --- where it goes (rectangles only) ------------------------------------------------------------------


def other_screen(till: QRect, screens: Sequence[QRect]) -> int | None:
    """Which of `screens` the display goes on: the first that does not overlap the till's
    screen (the one most of the till's window is on; the first when it is on none). None
    when there is no such screen: one screen, or a second one that mirrors the first."""
    if len(screens) < 2:
        return None

    def overlap(screen: QRect) -> int:
        common = screen.intersected(till)
        return common.width() * common.height() if common.isValid() else 0

    cashier = max(range(len(screens)), key=lambda index: (overlap(screens[index]), -index))
    for index, screen in enumerate(screens):
        if index != cashier and not screen.intersects(screens[cashier]):
            return index
    return None


# --- the window --------------------------------------------------------------------------------------


def _sheet(unit: int) -> str:
    """High contrast (white, amber and cyan on near-black), sizes in pixels of one unit."""
    return f"""
    QWidget#customerDisplay {{ background: #0b1622; }}
    QLabel {{ color: #ffffff; font-size: {unit}px; }}
    QLabel#cdPharmacy, QLabel#cdMuted {{ color: #b0bec5; }}
    QLabel#cdWelcome, QLabel#cdThanks {{ font-size: {unit * 3}px; font-weight: bold; }}
    QLabel#cdGreeting {{ font-size: {unit * 2}px; font-weight: bold; }}
    QLabel#cdTier {{ color: #b0bec5; font-size: {unit * 3 // 2}px; }}
    QLabel#cdBalance, QLabel#cdEarn {{ color: #ffd54f; font-size: {unit * 3 // 2}px; font-weight: bold; }}
    QLabel#cdRedemption {{ color: #ffd54f; font-weight: bold; }}
    QLabel#cdPromotion {{ color: #80deea; font-size: {unit * 5 // 4}px; font-weight: bold; }}
    QLabel#cdToPay {{ color: #b0bec5; font-size: {unit * 3 // 2}px; }}
    QLabel#cdPayable {{ font-size: {unit * 3}px; font-weight: bold; }}
    QLabel#cdThanksDetail {{ color: #ffd54f; font-size: {unit * 2}px; font-weight: bold; }}
    """


_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter


def _label(name: str = "", align: Qt.AlignmentFlag = _LEFT) -> QLabel:
    """One line of text (a text may hold line breaks): cut at the edge if it is too long,
    never wrapped and never widening the window beyond its screen."""
    label = QLabel(objectName=name) if name else QLabel()
    label.setAlignment(align)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class CustomerDisplay(QWidget):
    """Three pages (welcome, the bill, thanks); `show_bill` and `thank` are its slots."""

    def __init__(self, pharmacy: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setObjectName("customerDisplay")
        self.setWindowTitle(f"{pharmacy}: customer display")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)  # the cashier's keys stay at the till
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.resize(1024, 600)
        self.setMinimumSize(480, 300)  # its own: the type is sized from the window, not the window from the type
        self.thanks_ms = THANKS_MS
        self._unit = 0
        self._thanks = QTimer(self, singleShot=True)
        self._thanks.timeout.connect(self.welcome)

        self.pages = QStackedWidget()
        self.pharmacy = _label("cdPharmacy")
        self.root = QVBoxLayout(self)
        self.root.addWidget(self.pharmacy)
        self.root.addWidget(self.pages, 1)

        welcome = QWidget()
        self.welcome_title = _label("cdWelcome", _CENTRE)
        self.welcome_line = _label("cdTier", _CENTRE)
        column = QVBoxLayout(welcome)
        column.addStretch()
        column.addWidget(self.welcome_title)
        column.addWidget(self.welcome_line)
        column.addStretch()

        bill = QWidget()
        self.greeting, self.tier, self.balance = _label("cdGreeting"), _label("cdTier", _RIGHT), _label("cdBalance")
        head = QHBoxLayout()
        head.addWidget(self.greeting, 3)
        head.addWidget(self.tier, 2)
        self.earlier = _label("cdMuted")
        self.line_cells = [(_label(), _label("", _RIGHT), _label("cdMuted", _RIGHT)) for _ in range(MAX_LINES)]
        lines = QGridLayout()
        lines.setHorizontalSpacing(16)
        lines.setColumnStretch(0, 5)
        lines.setColumnStretch(1, 3)
        lines.setColumnStretch(2, 2)
        lines.addWidget(self.earlier, 0, 0, 1, 3)
        for row, cells in enumerate(self.line_cells, start=1):
            for column_index, cell in enumerate(cells):
                lines.addWidget(cell, row, column_index)
        lines.setRowStretch(MAX_LINES + 1, 1)
        self.total_cells = [(_label("cdMuted"), _label("", _RIGHT)) for _ in range(4)]
        totals = QGridLayout()
        totals.setColumnStretch(0, 3)
        totals.setColumnStretch(1, 2)
        for row, (name, value) in enumerate(self.total_cells):
            totals.addWidget(name, row, 0)
            totals.addWidget(value, row, 1)
        self.redemption = _label("cdRedemption")
        self.to_pay = _label("cdToPay")
        self.payable = _label("cdPayable", _RIGHT)
        pay = QHBoxLayout()
        pay.addWidget(self.to_pay, 1)
        pay.addWidget(self.payable, 3)
        right = QVBoxLayout()
        right.addLayout(totals)
        right.addWidget(self.redemption)
        right.addStretch()
        right.addLayout(pay)
        body = QHBoxLayout()
        body.addLayout(lines, 11)
        body.addSpacing(40)
        body.addLayout(right, 9)
        self.earn, self.promotion = _label("cdEarn"), _label("cdPromotion")
        column = QVBoxLayout(bill)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(head)
        column.addWidget(self.balance)
        column.addSpacing(8)
        column.addLayout(body, 1)
        column.addWidget(self.earn)
        column.addWidget(self.promotion)

        thanks = QWidget()
        self.thanks_title = _label("cdThanks", _CENTRE)
        self.thanks_detail = _label("cdThanksDetail", _CENTRE)
        column = QVBoxLayout(thanks)
        column.addStretch()
        column.addWidget(self.thanks_title)
        column.addWidget(self.thanks_detail)
        column.addStretch()

        for label in (self.welcome_title, self.welcome_line, self.thanks_title, self.thanks_detail):
            label.setWordWrap(True)  # alone on their page: a long pharmacy name takes two lines
        for page in (welcome, bill, thanks):
            self.pages.addWidget(page)
        self.set_pharmacy(pharmacy)
        self.welcome()
        self._restyle(self.width(), self.height())
        if parent is not None:
            parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """The till's window closed (hidden by the program, not minimized): the display goes too."""
        if watched is self.parent() and event.type() == QEvent.Type.Hide and not event.spontaneous():
            self.hide()
        return False

    # --- slots -------------------------------------------------------------------------------------

    def set_pharmacy(self, name: str) -> None:
        self.pharmacy.setText(name)
        self.welcome_title.setText(f"Welcome to {name}")
        self.setWindowTitle(f"{name}: customer display")

    def welcome(self) -> None:
        self._thanks.stop()
        self.welcome_line.setText(WELCOME_LINE)
        self._clear(1, 2)
        self.pages.setCurrentIndex(0)

    def show_bill(self, shown: ShownBill) -> None:
        """What the checkout shows now. An empty bill leaves a thank-you on until its time is up."""
        if shown.is_empty:
            if not self._thanks.isActive():
                self.welcome()
            return
        self._thanks.stop()
        self._clear(2)
        said = bill_said(shown)
        self.greeting.setText(said.greeting)
        self.tier.setText(said.tier)
        self.balance.setText(said.balance)
        self.balance.setVisible(bool(said.balance))
        self.earlier.setText(said.earlier)
        self.earlier.setVisible(bool(said.earlier))
        for index, cells in enumerate(self.line_cells):
            texts = said.lines[index] if index < len(said.lines) else ("", "", "")
            for cell, text in zip(cells, texts):
                cell.setText(text)
        for index, (name, value) in enumerate(self.total_cells):
            texts = said.totals[index] if index < len(said.totals) else ("", "")
            name.setText(texts[0])
            value.setText(texts[1])
        self.redemption.setText(said.redemption)
        self.to_pay.setText("To pay" if said.payable else "")
        self.payable.setText(said.payable)
        self.earn.setText(said.earn)
        self.promotion.setText("\n".join(said.promotions))
        self.pages.setCurrentIndex(1)

    def thank(self, result: dict[str, Any], card: CardView | None) -> None:
        """A bill finalized: thanks and the new balance, then the welcome after `thanks_ms`."""
        self._clear(1)
        title, detail = thanks_said(result, card)
        self.thanks_title.setText(title)
        self.thanks_detail.setText(detail)
        self.pages.setCurrentIndex(2)
        self._thanks.start(self.thanks_ms)

    def page(self) -> str:
        return ("welcome", "bill", "thanks")[self.pages.currentIndex()]

    def texts(self) -> list[str]:
        """Every text the display holds, on any page (what a test reads for privacy)."""
        return [label.text() for label in self.findChildren(QLabel) if label.text()] + [self.windowTitle()]

    # --- look ---------------------------------------------------------------------------------------

    def _clear(self, *pages: int) -> None:
        """Nothing of a customer is left behind on a page that is not shown."""
        for page in pages:
            for label in self.pages.widget(page).findChildren(QLabel):
                label.clear()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._restyle(event.size().width(), event.size().height())

    def _restyle(self, width: int, height: int) -> None:
        """Type that fills the screen it is on: one unit is a 28th of the height (or a 48th
        of the width, if less): 21 px on a 1024x600 display, 38 px on a 1920x1080 one."""
        unit = max(14, min(height // 28, width // 48))
        if unit != self._unit:
            self._unit = unit
            self.root.setContentsMargins(unit, unit // 2, unit, unit)
            self.setStyleSheet(_sheet(unit))


# --- placing it --------------------------------------------------------------------------------------


def place(display: CustomerDisplay, till: QWidget, mode: str) -> str:
    """Show (or hide) the display as `mode` says, and say where it went ("": nowhere, as usual).

    AUTO: full screen on a screen that is not the till's, hidden when there is none. ON: the
    same, or an ordinary window when the till has one screen. OFF: hidden."""
    screens = QGuiApplication.screens()
    index = other_screen(till.frameGeometry(), [screen.geometry() for screen in screens])
    if mode == OFF or (mode != ON and index is None):
        display.hide()
        return "Customer display off (Ctrl+Shift+D shows it)" if mode == OFF else ""
    if index is None:
        if display.isFullScreen() or not display.isVisible():
            display.setWindowState(Qt.WindowState.WindowNoState)
            display.resize(1024, 600)
            display.show()
        said = "Customer display in a window: this till has one screen (drag it where the customer sees it)"
    else:
        screen = screens[index]
        display.setScreen(screen)
        display.setGeometry(screen.geometry())
        display.setWindowState(Qt.WindowState.WindowFullScreen)  # not showFullScreen(): that activates it
        display.show()
        said = f"Customer display on screen {screen.name() or index + 1}"
    till.activateWindow()  # whatever the window manager did, the cashier's keys stay at the till
    return said
