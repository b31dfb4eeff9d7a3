"""The command line names bills by their short number at the till ("T1-000123, Asha Rao,
₹1,234.50"), takes that number wherever it takes a bill's id, and speaks a cashier's words;
`--json` keeps the spec's field names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from cli_runs import in_process, run


def ok_json(capsys, till, *args):
    code, out, err = in_process(capsys, till, *args, "--json")
    assert code == 0, err
    return json.loads(out, parse_float=Decimal)


def ok_text(capsys, till, *args) -> str:
    code, out, err = in_process(capsys, till, *args)
    assert code == 0, err
    return out


@dataclass
class Shop:
    till: Path
    card: str
    first: dict  # the first bill, as `bill finalize --json` answered


@pytest.fixture
def shop(tmp_path, capsys) -> Shop:
    """Asha's bill of ₹1,372.77 (T1-000001), then a bill without a card (T1-000002)."""
    till = tmp_path / "till"
    card = ok_json(capsys, till, "card", "issue", "--name", "Asha Rao", "--phone", "9845012345")["cardNumber"]
    ok_json(capsys, till, "card", "adjust", card, "1000", "--reason", "opening")
    first = ok_json(capsys, till, "bill", "finalize", "--card", card, "--item", "1:1234.50", "--item", "2:2x100")
    ok_json(capsys, till, "bill", "finalize", "--item", "2:10")
    return Shop(till, card, first)


def test_a_finalized_bill_says_its_short_number_and_json_adds_it_beside_the_id(capsys, shop):
    assert shop.first["billNumber"] == "T1-000001" and len(shop.first["billId"]) == 36
    out = ok_text(capsys, shop.till, "bill", "finalize", "--item", "2:20")
    assert "Bill T1-000003 finalized" in out


def test_bill_list_shows_number_card_customer_amount_and_no_ids(capsys, shop):
    out = ok_text(capsys, shop.till, "bill", "list")
    assert shop.first["billId"] not in out
    newest, oldest = out.splitlines()[1:]
    assert newest.split()[3] == "T1-000002" and "(no card)" in newest
    assert re.search(rf"T1-000001 +{shop.card} +1,372\.77 +\+17\.72 / -0\.00 +Asha Rao$", oldest), oldest
    rows = ok_json(capsys, shop.till, "bill", "list")
    assert [(r["billNumber"], r["customerName"]) for r in rows] == [("T1-000002", None), ("T1-000001", "Asha Rao")]


@pytest.mark.parametrize("typed", ["T1-000001", "t1-1", "{id}"])
def test_show_return_and_reverse_take_the_short_number_or_the_id(capsys, shop, typed):
    typed = typed.replace("{id}", shop.first["billId"])
    out = ok_text(capsys, shop.till, "bill", "show", typed)
    assert out.startswith("Bill T1-000001, Asha Rao, ₹1,372.77\n")
    returned = ok_text(capsys, shop.till, "bill", "return", typed, "--line", "1:1")
    assert returned.startswith("Return of part of bill T1-000001, Asha Rao, ₹1,372.77:")
    assert shop.first["billId"] not in returned
    reversed_ = ok_text(capsys, shop.till, "bill", "reverse", typed)
    assert reversed_.startswith("Reversed bill T1-000001, Asha Rao, ₹1,372.77: every point it earned or redeemed")
    assert "ledger rows" not in reversed_
    shown = ok_json(capsys, shop.till, "bill", "show", typed)
    assert (shown["status"], shown["billNumber"], len(shown["returns"])) == ("REVERSED", "T1-000001", 1)


def test_an_unknown_short_number_is_a_clear_user_error(capsys, shop):
    code, out, err = in_process(capsys, shop.till, "bill", "reverse", "T1-000099")
    assert code == 2 and out == "" and err.strip() == "pos-loyalty: No bill T1-000099 at this till"
    code, _out, err = in_process(capsys, shop.till, "bill", "show", "T1-99", "--json")
    assert code == 2 and json.loads(err)["error"]["code"] == "BILL_NOT_FOUND"


def test_the_quote_labels_its_money_columns_and_calls_the_discount_as_the_app_does(capsys, shop):
    out = ok_text(capsys, shop.till, "bill", "quote", "--card", shop.card, "--item", "1:100", "--redeem", "100")
    heading = out.splitlines()[1:3]
    assert heading[0].split() == ["member", "flat", "paid", "by"]
    assert heading[1].split() == ["category", "gross", "discount", "discount", "net", "points", "to", "pay"]
    assert "Member discount" in out and "Category discount" not in out and "TO PAY" in out


@pytest.mark.parametrize(
    "args, said, field",
    [
        (["bill", "quote", "--item", "1:abc"], "Line 1: the amount must be an amount", "items[0].amount"),
        (["bill", "quote", "--item", "1:5", "--item", "2:2xten"], "Line 2: the unit price must be", "items[1].unitPrice"),
        (["bill", "quote", "--item", "0:100"], "Line 1: the category must be", "items[0].categoryId"),
        (["bill", "quote", "--item", "1:100", "--redeem", "lots"], "Points to redeem must be", "redeemPoints"),
        (["card", "issue", "--name", " ", "--phone", "9845012399"], "Customer name is needed", "customerName"),
    ],
)
def test_bad_input_is_said_in_a_cashiers_words_and_json_keeps_the_field(capsys, shop, args, said, field):
    code, out, err = in_process(capsys, shop.till, *args)
    assert code == 2 and out == "" and err.startswith(f"pos-loyalty: {said}"), err
    assert not re.search(r"items\[|redeemPoints|customerName|unitPrice|categoryId", err), err
    code, _out, err = in_process(capsys, shop.till, *args, "--json")
    assert code == 2 and json.loads(err)["error"]["field"] == field


def test_status_and_history_speak_in_words(capsys, shop):
    status = ok_text(capsys, shop.till, "status")
    assert re.search(r"^changes not yet sent +\d+$", status, re.M) and "pendingMutations" not in status
    assert re.search(r"^next bill number +T1-000003$", status, re.M)
    assert ok_json(capsys, shop.till, "status")["pendingMutations"] > 0  # --json: the spec's names
    history = ok_text(capsys, shop.till, "card", "history", shop.card)
    assert "bill T1-000001" in history and shop.first["billId"] not in history


def test_the_prefix_is_set_for_the_next_bills_only(capsys, shop):
    assert ok_text(capsys, shop.till, "bill", "prefix").strip() == "The next bill at this till is T1-000003."
    assert ok_json(capsys, shop.till, "bill", "prefix", "t2") == {"prefix": "T2", "nextBillNumber": "T2-000003"}
    assert ok_json(capsys, shop.till, "bill", "finalize", "--item", "2:20")["billNumber"] == "T2-000003"
    assert ok_json(capsys, shop.till, "bill", "show", "T1-000001")["billNumber"] == "T1-000001"
    code, _out, err = in_process(capsys, shop.till, "bill", "prefix", "2T")
    assert code == 2 and "letter and up to 5 more" in err


def test_the_installed_command_takes_a_short_number(shop):
    done = run(shop.till, "bill", "show", "T1-000002")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Bill T1-000002, ₹10.00\n")


def test_bill_show_says_how_to_return_each_line_and_that_command_works(capsys, shop):
    ok_text(capsys, shop.till, "bill", "finalize", "--card", shop.card, "--item", "1:300", "--item", "2:200")
    out = ok_text(capsys, shop.till, "bill", "show", "T1-000001")
    hint = next(line for line in out.splitlines() if "To return a line" in line)
    assert hint.strip() == "To return a line: pos-loyalty bill return T1-000001 --line N  (N: 0 for Medicines, 1 for General)"
    returned = ok_json(capsys, shop.till, "bill", "return", "T1-000001", "--line", "1")
    assert returned["cashRefund"] == ok_json(capsys, shop.till, "bill", "show", "T1-000001")["lines"][1]["paid"]
