"""`pos-loyalty bill ...`: quote, finalize, show, list, reverse, return, and the prefix of
this till's bill numbers.

A bill is named for people by its short number at this till with its customer and amount
("T1-000123, Asha Rao, ₹1,234.50"); every command that takes a bill takes that number
("T1-000123", or "t1-123") or the bill's id. `--json` prints the spec's documents, with
`billNumber` added where a bill of this till is named.
"""

from __future__ import annotations

import argparse
import re
from decimal import Decimal
from typing import Any

from cli import render
from cli.till_commands import Context, Output
from pos_loyalty.errors import InvalidInput
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.bill import BillRequest
from pos_loyalty.rules.programme import parse_reward_id
from pos_loyalty.rules.returns import RewardAsk
from pos_loyalty.services import bill_names, bills, returns

_ITEM = re.compile(r"\s*(?P<category>[^:]+):(?P<value>.+)")
_UNITS = re.compile(r"(?P<quantity>[^x*]+)[x*](?P<price>.+)", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit(): it takes '²' and '١', which are no category


def _said(ctx: Context, bill: bill_names.BillName) -> str:
    return bill.said(*bill_names.shown(ctx.replica))


def bill_quote(args: argparse.Namespace, ctx: Context) -> Output:
    bill = _bill_from_args(args)
    doc = bills.quote(ctx.replica, args.card, bill).to_json()
    return Output(doc, render.quote(doc, bill.to_json()["items"]))


def bill_finalize(args: argparse.Namespace, ctx: Context) -> Output:
    bill = _bill_from_args(args)
    done = bills.finalize(ctx.replica, args.card, bill, bill_id=args.bill_id, performed_by=ctx.operator)
    text = render.quote(done.result, bill.to_json()["items"])
    if done.replayed:
        text += "\n  (This bill had already been finalized: nothing new was written.)"
    return Output(done.result, text)


def bill_show(args: argparse.Namespace, ctx: Context) -> Output:
    doc = bills.show(ctx.replica, args.bill)
    named = bill_names.find(ctx.replica, doc["billId"])
    lines = [f"Bill {_said(ctx, named)}", f"  id {doc['billId']}, finalized by {doc['performedBy'] or '-'}"]
    if doc["status"] == bills.REVERSED:
        lines.append(f"  REVERSED {render.when(doc['reversedAt'])} by {doc['reversedBy'] or '-'}: its points were put back")
    lines.append(render.quote(doc, doc["items"]))
    if doc["status"] != bills.REVERSED:
        which = ", ".join(f"{index} for {line['categoryName']}" for index, line in enumerate(doc["lines"]))
        lines.append(f"  To return a line: pos-loyalty bill return {named.number} --line N  (N: {which})")
    for answer in doc["returns"]:
        lines.append(
            f"  Returned {render.when(answer['returnedAt'])}: cash back {render.figure(answer['cashRefund'])}, "
            f"points given back {render.figure(answer['pointsRefunded'])}, taken off {render.figure(answer['pointsReversed'])}"
        )
    return Output(doc, "\n".join(lines))


def bill_list(args: argparse.Namespace, ctx: Context) -> Output:
    rows = bills.recent(ctx.replica, limit=args.limit)
    if not rows:
        return Output(rows, "No bills yet.")
    state = {bills.REVERSED: "reversed"}
    lines = [f"{'when':<26}{'bill':<11}{'card':<16}{'to pay':>12}  {'points +earned/-redeemed':<26}{'state':<15}customer"]
    for row in rows:
        points = f"+{render.figure(row['pointsEarned'])} / -{render.figure(row['pointsRedeemed'])}"
        shown = state.get(row["status"]) or ("part returned" if row["returned"] else "")
        lines.append(
            f"{render.when(row['finalizedAt']):<26}{row['billNumber']:<11}{row['cardNumber'] or '(no card)':<16}"
            f"{render.figure(row['payable']):>12}  {points:<26}{shown:<15}{row['customerName'] or ''}".rstrip()
        )
    return Output(rows, "\n".join(lines))


def bill_reverse(args: argparse.Namespace, ctx: Context) -> Output:
    named = bill_names.find(ctx.replica, args.bill)
    doc = bills.reverse(ctx.replica, named.bill_id, performed_by=ctx.operator)
    lines = [f"Reversed bill {_said(ctx, named)}: every point it earned or redeemed is put back."]
    lines += [
        f"  card {row['cardNumber']}  {_signed(row['points']):>12} points   balance now {render.figure(row['balanceAfter'])}"
        for row in doc["rows"]
    ]
    return Output(doc, "\n".join(lines))


def bill_return(args: argparse.Namespace, ctx: Context) -> Output:
    """Part of a bill comes back: `--line N[:QTY_OR_AMOUNT]` (0-based; nothing after N: all
    that is left of it), each repeated for more lines."""
    rewards = [_returned_reward(raw) for raw in args.reward or []]
    if not args.line and not rewards:
        raise InvalidInput("line", "Name what comes back: --line N for all of line N, --line N:QTY or --line N:AMOUNT")
    named = bill_names.find(ctx.replica, args.bill)
    found = returns.returnable(ctx.replica, named.bill_id)
    wanted = []
    for given in args.line or []:
        number, _, how_much = given.strip().partition(":")
        if not (number.isascii() and number.isdigit()) or len(number) > 4:
            raise InvalidInput("line", f"--line {given!r}: N is a line's number, 0 for the first")
        wanted.append((int(number), how_much))
    asks = returns.asks_from_text(found, wanted)
    doc = returns.return_lines(
        ctx.replica, named.bill_id, asks, rewards=rewards, return_id=args.return_id, performed_by=ctx.operator
    )
    doc = {**doc, "billNumber": named.number}
    lines = [
        f"Return of part of bill {_said(ctx, named)}:",
        f"  cash back                 {render.figure(doc['cashRefund']):>12}",
        f"  points given back         {render.figure(doc['pointsRefunded']):>12}",
        f"  points taken off          {render.figure(doc['pointsReversed']):>12}",
        f"  referrer's points off     {render.figure(doc['referrerPointsReversed']):>12}",
    ]
    if doc.get("newBalance") is not None:
        lines.append(f"  balance now               {render.figure(doc['newBalance']):>12}")
    return Output(doc, "\n".join(lines))


def bill_prefix(args: argparse.Namespace, ctx: Context) -> Output:
    """Show, or set, the prefix of this till's next bill numbers."""
    if args.prefix is not None:
        bill_names.set_prefix(ctx.replica, args.prefix)
    following = bill_names.next_number(ctx.replica)
    kept = "; bills made before keep their numbers" if args.prefix is not None else ""
    return Output(
        {"prefix": following.partition("-")[0], "nextBillNumber": following},
        f"The next bill at this till is {following}{kept}.",
    )


def _signed(value: Any) -> str:
    return ("+" if Decimal(value) > 0 else "") + render.figure(value)


def _returned_reward(raw: str) -> RewardAsk:
    """'TOTE-BAG' -> all of it that is left; 'TOTE-BAG:1' -> one."""
    code, _, quantity = raw.strip().partition(":")
    quantity = quantity.strip()
    if quantity and not (quantity.isascii() and quantity.isdigit() and len(quantity) <= 4 and int(quantity) > 0):
        raise InvalidInput("reward", f"--reward {raw!r}: the quantity is a whole number from 1")
    return RewardAsk(parse_reward_id(code, "reward"), int(quantity) if quantity else None)


# --- what was typed -----------------------------------------------------------------


def _bill_from_args(args: argparse.Namespace) -> BillRequest:
    items = [_item(raw, index) for index, raw in enumerate(args.item or [])]
    rewards = [_reward(raw) for raw in getattr(args, "reward", None) or []]
    if not items and not rewards:
        raise InvalidInput("item", "A bill needs at least one --item CATEGORY_ID:AMOUNT (or a --reward)")
    document: dict[str, Any] = {"items": items}
    if rewards:
        document["rewards"] = rewards
    # What a person typed is stripped here; the core reads figures strictly (digits 0-9 only).
    if args.redeem is not None:
        document["redeemPoints"] = args.redeem.strip()
    if args.flat_discount is not None:
        document["flatDiscount"] = args.flat_discount.strip()
    return bill_from_json(document)


def _reward(raw: str) -> dict[str, Any]:
    """'TOTE-BAG' -> one of it; 'TOTE-BAG:2' -> two (the core checks the code and the number)."""
    code, _, quantity = raw.strip().partition(":")
    return {"rewardId": code.strip(), "quantity": quantity.strip() or "1"}


def _item(raw: str, index: int) -> dict[str, Any]:
    """'1:250.00' -> amount; '1:2x125.50' -> quantity x unit price."""
    match = _ITEM.fullmatch(raw)
    category = match.group("category").strip() if match else ""
    if not match or not _DIGITS.fullmatch(category):
        raise InvalidInput(
            f"item[{index}]",
            f"Line {index + 1}: --item {raw!r} is not CATEGORY_ID:AMOUNT (for example 1:250.00 or 1:2x125.00)",
        )
    value = match.group("value").strip()
    units = _UNITS.fullmatch(value)
    # The category as text: the core reads it (1 to 2147483647) and names the field if not.
    if units:
        return {"categoryId": category, "quantity": units.group("quantity").strip(), "unitPrice": units.group("price").strip()}
    return {"categoryId": category, "amount": value}


# --- the command line -----------------------------------------------------------------


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    group = commands.add_parser("bill", help="bills: quote, finalize, show, list, reverse, return", parents=[common])
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=parser_class)

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        sub = actions.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    for name, handler, help_text in (
        ("quote", bill_quote, "work out a bill; writes nothing"),
        ("finalize", bill_finalize, "finalize a bill: the points and the change for the central service, all or nothing"),
    ):
        sub = command(name, handler, help_text)
        sub.add_argument("--card", help="the customer's card number (leave out for no card)")
        sub.add_argument(
            "--item", action="append", metavar="CATEGORY_ID:AMOUNT",
            help="a line: 1:250.00, or 1:2x125.00 for quantity x unit price; repeat for more",
        )
        sub.add_argument("--redeem", metavar="POINTS", help="points to redeem on this bill")
        sub.add_argument(
            "--reward", action="append", metavar="REWARD_ID[:QTY]",
            help="a reward product bought with points only (the pharmacy's code, e.g. TOTE-BAG:2); repeat for more",
        )
        sub.add_argument("--flat-discount", metavar="AMOUNT", help="a flat discount off the bill")
        if name == "finalize":
            sub.add_argument("--bill-id", help="the bill's id (default: a new UUID)")
    bill = "the bill's number at this till (T1-000123) or its id"
    command("show", bill_show, "one bill: what was sold, what the customer paid and earned, its returns").add_argument(
        "bill", metavar="BILL", help=bill
    )
    command("reverse", bill_reverse, "reverse a finalized bill (once)").add_argument("bill", metavar="BILL", help=bill)
    returned = command("return", bill_return, "part of a bill comes back: cash and points given back")
    returned.add_argument("bill", metavar="BILL", help=bill)
    returned.add_argument(
        "--line", action="append", metavar="N[:QTY_OR_AMOUNT]",
        help="line N (0 for the first) comes back: all that is left of it, or a quantity (a line sold by "
        "quantity) or an amount; repeat for more lines",
    )
    returned.add_argument("--reward", action="append", metavar="REWARD_ID[:QTY]", help="a reward product comes back")
    returned.add_argument("--return-id", help="the return's id, to make it once however often it is sent (default: new)")
    command("list", bill_list, "the newest bills at this till").add_argument("--limit", type=int, default=20)
    command("prefix", bill_prefix, "the prefix of this till's bill numbers (T1 unless set)").add_argument(
        "prefix", nargs="?", help="a new prefix for the next bills, e.g. T2 (leave out to see it)"
    )
