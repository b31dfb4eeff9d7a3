"""Figures typed on the command line: spaces around them are a person's, and are dropped;
other scripts' digits and superscripts are no number (exit 2, never 1)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cli_runs import in_process


@pytest.fixture
def card(capsys, tmp_path) -> str:
    code, out, _ = in_process(capsys, tmp_path / "till", "card", "issue", "--name", "Typed In", "--phone", "9000000801", "--json")
    assert code == 0
    return json.loads(out)["cardNumber"]


def test_spaces_around_typed_figures_are_dropped(capsys, tmp_path, card):
    till = tmp_path / "till"
    code, out, err = in_process(capsys, till, "card", "adjust", card, " 500 ", "--reason", "welcome", "--json")
    assert code == 0, err
    assert json.loads(out, parse_float=Decimal)["pointsBalance"] == Decimal("500.00")
    code, out, err = in_process(
        capsys, till, "bill", "quote", "--card", card, "--item", " 1 : 2 x 125.00 ", "--redeem", " 100 ",
        "--flat-discount", " 5.00 ", "--json",
    )
    assert code == 0, err
    quote = json.loads(out, parse_float=Decimal)
    assert (quote["billAmount"], quote["flatDiscount"], quote["pointsRedeemed"]) == (Decimal("250.00"), Decimal("5.00"), Decimal("100.00"))


@pytest.mark.parametrize(
    "args, field",
    [
        (["bill", "quote", "--item", "²:100"], "item[0]"),
        (["bill", "quote", "--item", "١:100"], "item[0]"),
        (["bill", "quote", "--item", "9" * 5000 + ":100"], "items[0].categoryId"),
        (["bill", "quote", "--item", "1:١٠٠"], "items[0].amount"),
        (["bill", "quote", "--item", "1:1e5"], "items[0].amount"),
        (["bill", "quote", "--item", "1:100", "--redeem", "１００"], "redeemPoints"),
        (["card", "adjust", "{card}", "1e999999999", "--reason", "x"], "points"),
        (["card", "adjust", "{card}", "٥", "--reason", "x"], "points"),
    ],
)
def test_other_digits_are_no_number(capsys, tmp_path, card, args, field):
    code, out, err = in_process(capsys, tmp_path / "till", *[a.replace("{card}", card) for a in args], "--json")
    assert code == 2 and out == "", err
    error = json.loads(err)["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == field


@pytest.mark.parametrize("limit", ["0", "-5", str(2**63), "10001"])
def test_a_list_limit_beyond_what_a_list_shows_is_a_user_error(capsys, tmp_path, card, limit):
    """SQLite's LIMIT holds 64 bits: 2**63 was an internal error (exit 1); -5 listed everything."""
    for command in (["bill", "list", "--limit", limit], ["card", "history", card, "--limit", limit]):
        code, out, err = in_process(capsys, tmp_path / "till", *command, "--json")
        assert code == 2 and out == "", (command, err)
        assert json.loads(err)["error"]["field"] == "limit"
