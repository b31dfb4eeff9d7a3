"""A receipt and a return slip as lines of a printer's width: every fact of the receipt,
nothing cut off, what stands out marked, the card to print as a barcode."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from pos_loyalty.receipt_lines import PlainFormats, receipt_slip, return_slip

D = Decimal
RESULT = {
    "billId": "0f8b7c62-5d1e-4a4e-9d7c-2b1f5e9a3c10",
    "finalizedAt": "2026-12-03T12:15:00Z",
    "cardNumber": "2900001000017",
    "lines": [
        {"categoryName": "Baby Care", "gross": D("100.00"), "categoryDiscount": D("10.00")},
        {"categoryName": "Vitamins, supplements and health foods", "gross": D("1250.00"), "categoryDiscount": D("0.00")},
    ],
    "billAmount": D("1350.00"), "categoryDiscount": D("10.00"), "flatDiscount": D("0.00"),
    "pointsRedeemed": D("100.00"), "amountDeducted": D("10.00"), "payable": D("1330.00"),
    "rewards": [{"quantity": 1, "name": "Lotion 100 ml", "points": D("250.00")}], "rewardPoints": D("250.00"),
    "pointsEarned": D("21.50"), "earnBreakdown": [{"promotionId": 7, "points": D("9.00")}, {"promotionId": None, "points": D("12.50")}],
    "newBalance": D("671.50"), "expiringPoints": D("120.00"), "nextExpiryAt": "2026-12-31T00:00:00",
}


@pytest.mark.parametrize("width", [32, 42, 48])
def test_every_line_fits_and_nothing_is_cut_off(width):
    slip = receipt_slip(RESULT, "Asha Rao", "Asha Pharmacy", width=width, currency="₹",
                        promotions={7: "Double points on Baby Care this winter"})
    assert all(len(line) <= width for line in slip.lines)
    text = " ".join(" ".join(slip.lines).split())
    for fact in ("Vitamins, supplements and health foods", "1,250.00", "Double points on Baby Care this winter",
                 "Points redeemed 100.00 -10.00", "TO PAY ₹1,330.00", "1 x Lotion 100 ml 250.00 pts",
                 "Points earned 21.50", "Points balance now 671.50", "120.00 points expire on 31 Dec",
                 "03 Dec 2026 12:15 UTC", "Thank you"):
        assert fact in text, (fact, slip.lines)
    assert slip.barcode == "2900001000017"
    bold = [slip.lines[i] for i in sorted(slip.bold)]
    assert "ASHA PHARMACY" in bold[0] and bold[1].startswith("TO PAY") and bold[2].startswith("Points balance now")


def test_a_walk_in_receipt_has_no_points_and_no_barcode():
    walk_in = {**RESULT, "cardNumber": None, "newBalance": None, "rewards": []}
    slip = receipt_slip(walk_in, None, "Asha Pharmacy", width=32)
    assert slip.barcode is None and not any("Points earned" in line for line in slip.lines)


def test_a_return_slip():
    answer = {"billId": RESULT["billId"], "returnId": "r-1", "returnedAt": datetime(2026, 12, 4, 9, 30),
              "cashRefund": D("90.00"), "pointsRefunded": D("10.00"), "pointsReversed": D("4.50"), "newBalance": D("677.00")}
    slip = return_slip(answer, [("Baby Care", "all")], "2900001000017", "Asha Pharmacy", width=32, currency="Rs ")
    assert slip.lines[1].strip() == "RETURN" and {0, 1} <= slip.bold
    assert f"{'CASH BACK':<24}Rs 90.00" in slip.lines
    assert f"{'Points taken off':<27}-4.50" in slip.lines and "04 Dec 2026 09:30 UTC" in slip.lines[3]


def test_plain_formats_write_figures_and_times_as_the_till_did():
    assert PlainFormats().number(D("123456.5")) == "123,456.50"
    assert PlainFormats().money(D("5"), "₹") == "₹5.00"
    assert PlainFormats().day("2026-01-31T10:00:00Z") == "31 Jan"


def test_a_line_priced_per_unit_says_its_quantity_and_unit_price_under_it():
    priced = {**RESULT, "items": [{"categoryId": 3, "amount": D("100.00")},
                                  {"categoryId": 4, "quantity": D("10"), "unitPrice": D("125.00")}]}
    lines = [line.strip() for line in receipt_slip(priced, "Asha Rao", "Asha Pharmacy", width=42).lines]
    vitamins = next(i for i, line in enumerate(lines) if line.endswith("1,250.00"))  # its name wraps above
    assert lines[vitamins + 1] == "10 x 125.00"
    assert sum(" x " in line for line in lines if "pts" not in line) == 1  # the amount line says none
    # Without its items (the result alone) the receipt is as before: no line says a quantity.
    plain = receipt_slip(RESULT, "Asha Rao", "Asha Pharmacy", width=42).lines
    assert not any(" x " in line and "pts" not in line for line in plain)
