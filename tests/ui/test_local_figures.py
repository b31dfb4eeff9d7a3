"""The counter in the pharmacy's locale and time zone: figures grouped as en_IN writes them
(1,23,456.00), the receipt's time in the pharmacy's zone with the zone said, and names in
Indian scripts printed in their own fonts (Qt finds the Noto fonts through fontconfig)."""

from __future__ import annotations

import re
from datetime import datetime

from pos_loyalty import formatting
from pos_loyalty.services import bills, cards, configuration, settings
from support import make_bill
from ui import style
from ui.changes import CONFIG
from ui.dialogs.receipt import save_pdf
from ui.receipt_text import receipt_text, return_slip_text
from counter_keys import ring_up, shown_window

KOLKATA = "Asia/Kolkata"


def in_kolkata(replica) -> None:  # type: ignore[no-untyped-def]
    configuration.save(replica, {**configuration.export(replica), "timeZone": KOLKATA}, performed_by="manager")


def test_the_till_reads_its_locale_and_zone(replica):
    assert settings.local(replica) == formatting.Local("en_IN", "UTC")  # a new till
    in_kolkata(replica)
    settings.write(replica, **{settings.LOCALE: "en-us"})
    assert settings.local(replica) == formatting.Local("en_US", KOLKATA)
    settings.write(replica, **{settings.LOCALE: "not a locale"})
    assert settings.local(replica).locale == "en_IN"  # a bad setting: the default, not a crash


def test_the_checkout_shows_lakhs_and_the_receipt_the_pharmacys_time(qtbot, replica, data_dir):
    in_kolkata(replica)
    window = shown_window(qtbot, replica, data_dir)
    assert style.local() == formatting.Local("en_IN", KOLKATA)
    ring_up(qtbot, window, "1", "123456")
    qtbot.waitUntil(lambda: window.checkout.totals.payable.text() == "₹1,23,456.00")
    assert window.checkout.totals.gross.text() == "1,23,456.00"

    done = bills.finalize(replica, None, make_bill((1, "123456.00")))
    text = receipt_text(done.result, None, "Test Pharmacy", "₹")
    local = formatting.local_time(done.result["finalizedAt"], KOLKATA)
    assert f"{local:%d} {formatting.MONTHS[local.month - 1]} {local:%Y}, {local:%H:%M} IST" in text
    assert "UTC" not in text
    assert re.search(r"^Bill amount +1,23,456\.00$", text, re.M)
    assert re.search(r"^TO PAY +₹1,23,456\.00$", text, re.M)


def test_a_receipt_after_midnight_in_kolkata_is_dated_the_next_day():
    result = {
        "billId": "b-1",
        "finalizedAt": datetime(2026, 12, 31, 18, 40),  # UTC, as stored
        "cardNumber": None,
        "lines": [],
        "billAmount": "100000.00",
        "categoryDiscount": "0",
        "flatDiscount": "0",
        "pointsRedeemed": "0",
        "payable": "100000.00",
    }
    kolkata = formatting.Local("en_IN", KOLKATA)
    text = receipt_text(result, None, "Test Pharmacy", "₹", local=kolkata)
    assert "01 Jan 2027, 00:10 IST" in text
    assert re.search(r"^TO PAY +₹1,00,000\.00$", text, re.M)
    assert "31 Dec 2026, 18:40 UTC" in receipt_text(result, None, "Test Pharmacy", local=formatting.Local())
    slip = return_slip_text(
        {"billId": "b-1", "returnId": "r-1", "returnedAt": "2026-12-31T18:40:00Z", "cashRefund": "150000.00",
         "pointsRefunded": "0", "pointsReversed": "0", "newBalance": None},
        [("Medicines", "1,50,000.00")], None, "Test Pharmacy", "₹", local=kolkata,
    )
    assert "01 Jan 2027, 00:10 IST" in slip and re.search(r"^CASH BACK +₹1,50,000\.00$", slip, re.M)


def test_a_changed_locale_setting_is_used_from_the_next_change(qtbot, replica, data_dir):
    window = shown_window(qtbot, replica, data_dir)
    assert style.figure("123456") == "1,23,456.00"
    settings.write(replica, **{settings.LOCALE: "en_US"})
    window.changes.announce(CONFIG)
    assert style.figure("123456") == "123,456.00"


def test_the_receipts_pdf_prints_each_scripts_name_in_its_noto_font(qtbot, replica, tmp_path):
    names = {
        "Devanagari": "अनन्या शर्मा",
        "Tamil": "தமிழ்செல்வி",
        "Bengali": "অনিন্দিতা",
        "Telugu": "శ్రీనివాస్",
        "Kannada": "ಕನ್ನಡ",
        "Malayalam": "മലയാളം",
    }
    number = cards.issue(replica, name=names["Devanagari"], phone="9000000777").card_number
    done = bills.finalize(replica, number, make_bill((1, "100.00")))
    for script, name in names.items():
        text = receipt_text(done.result, name, "Test Pharmacy", "₹")
        assert f"({name})" in text
        pdf = save_pdf(text, tmp_path / f"{script}.pdf").read_bytes()
        fonts = set(re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", pdf))
        assert any(re.fullmatch(rb"NotoS(ans|erif)%s-\w+" % script.encode(), font) for font in fonts), (
            f"the receipt's {script} name is in none of {sorted(fonts)}: apt-get install fonts-noto-core"
        )


def test_the_manager_chooses_how_figures_are_written_where_the_pharmacys_name_is(qtbot, replica):
    from ui.dialogs.config_editor import ConfigEditor

    editor = ConfigEditor(replica, "manager")
    qtbot.addWidget(editor)
    assert editor.locale.currentData() == "en_IN"
    assert editor.locale.currentText() == "1,23,456.00 (en_IN)"
    editor.locale.setCurrentIndex(editor.locale.findData("en_US"))
    assert editor.save_button.isEnabled()
    editor.save()
    assert settings.read(replica)[settings.LOCALE] == "en_US"
    assert settings.local(replica).locale == "en_US"
