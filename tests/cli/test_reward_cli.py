"""`bill quote/finalize --reward` as a shell runs it: reward products by code, their points
off the card, and a code the pharmacy has not, or too few points, exits 2 with nothing written."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cli_runs import in_process
from support import SEED_EXAMPLE


def ok_json(capsys, till, *args):
    code, out, err = in_process(capsys, till, *args, "--json")
    assert code == 0, err
    return json.loads(out, parse_float=Decimal)


@pytest.fixture
def till(tmp_path, capsys):
    folder = tmp_path / "till"
    config = json.loads(SEED_EXAMPLE) | {"rewards": [{"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150}]}
    for entry in config["categoryPointConfigs"]:
        entry["isRedeemable"] = entry["categoryId"] != 1
    (tmp_path / "config.json").write_text(json.dumps(config))
    ok_json(capsys, folder, "config", "import", str(tmp_path / "config.json"))
    card = ok_json(capsys, folder, "card", "issue", "--name", "Asha", "--phone", "9845000011")["cardNumber"]
    ok_json(capsys, folder, "card", "adjust", card, "400", "--reason", "opening")
    return folder, card


def test_rewards_by_code_come_off_the_card(capsys, till):
    folder, card = till
    code, out, _err = in_process(capsys, folder, "bill", "quote", "--card", card, "--item", "1:100", "--reward", "tote-bag:2")
    assert code == 0 and "Reward TOTE-BAG x 2: Tote bag, 300.00 points" in out
    assert "prescription: points cannot pay for it" in out
    sold = ok_json(capsys, folder, "bill", "finalize", "--card", card, "--reward", "TOTE-BAG")
    assert sold["rewardPoints"] == Decimal("150.00") and sold["payable"] == 0
    assert ok_json(capsys, folder, "card", "show", card)["pointsBalance"] == Decimal("250.00")


@pytest.mark.parametrize("reward", ["NOPE", "TOTE-BAG:0", "TOTE-BAG:x", "TOTE BAG", "TOTE-BAG:3"])
def test_a_reward_that_cannot_be_bought_exits_2_and_writes_nothing(capsys, till, reward):
    folder, card = till
    before = ok_json(capsys, folder, "card", "show", card), ok_json(capsys, folder, "status")["pendingMutations"]
    code, _out, err = in_process(capsys, folder, "bill", "finalize", "--card", card, "--reward", reward)
    assert code == 2, err
    assert (ok_json(capsys, folder, "card", "show", card), ok_json(capsys, folder, "status")["pendingMutations"]) == before
