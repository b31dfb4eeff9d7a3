"""`pos-loyalty bill return` as a shell runs it: part of a bill comes back line by line, the
same --return-id answers the first return, and bad input exits 2 with nothing written."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cli_runs import in_process, run
from support import SEED_EXAMPLE


def ok_json(capsys, till, *args):  # in this process, for speed; the shell's own run is tried once below
    code, out, err = in_process(capsys, till, *args, "--json")
    assert code == 0, err
    return json.loads(out, parse_float=Decimal)


@pytest.fixture
def sold(tmp_path, capsys):
    till = tmp_path / "till"
    config_file = tmp_path / "config.json"
    config_file.write_text(SEED_EXAMPLE)
    ok_json(capsys, till, "config", "import", str(config_file))
    card = ok_json(capsys, till, "card", "issue", "--name", "Asha", "--phone", "9845000001")["cardNumber"]
    ok_json(capsys, till, "card", "adjust", card, "1000", "--reason", "opening")
    bill = ok_json(
        capsys, till, "bill", "finalize", "--card", card, "--item", "1:500", "--item", "3:3x33.33", "--redeem", "200", "--bill-id", "CLI-R1"
    )
    return till, card, bill


def test_lines_come_back_and_the_figures_add_up_to_the_bill(capsys, sold):
    till, card, bill = sold
    first = ok_json(capsys, till, "bill", "return", "CLI-R1", "--line", "1:1", "--return-id", "R-1")
    again = ok_json(capsys, till, "bill", "return", "CLI-R1", "--line", "1:1", "--return-id", "R-1")
    assert again == first  # the same return, not a second one
    rest = ok_json(capsys, till, "bill", "return", "CLI-R1", "--line", "0", "--line", "1")
    assert first["cashRefund"] + rest["cashRefund"] == bill["payable"]
    assert first["pointsRefunded"] + rest["pointsRefunded"] == bill["pointsRedeemed"]
    assert first["pointsReversed"] + rest["pointsReversed"] == bill["pointsEarned"]
    assert ok_json(capsys, till, "card", "show", card)["pointsBalance"] == Decimal("1000.00")
    shown = run(till, "bill", "return", "CLI-R1", "--line", "0")
    assert shown.returncode == 2 and "cannot come back that much: nothing of it is left" in shown.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--line", "x"],
        ["--line", "9"],
        ["--line", "0:abc"],
        ["--line", "0:1e5"],
        ["--line", "1:0.0001"],
        ["--line", "0:١٠٠"],
        ["--line", "0:600"],
        ["--reward", "GIFT-1"],
        [],
        ["--line", "0", "--return-id", "bad id"],
    ],
)
def test_bad_input_exits_2_and_writes_nothing(capsys, sold, args):
    till, card, _bill = sold
    before = ok_json(capsys, till, "card", "show", card), ok_json(capsys, till, "status")["pendingMutations"]
    code, _out, err = in_process(capsys, till, "bill", "return", "CLI-R1", *args)
    assert code == 2, err
    assert (ok_json(capsys, till, "card", "show", card), ok_json(capsys, till, "status")["pendingMutations"]) == before
