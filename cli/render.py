"""Readable text for people at a terminal; `--json` output bypasses all of this."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pos_loyalty import formatting
from pos_loyalty.history_words import describe


#: The pharmacy's locale and time zone, for the text of a till command: set when the command
#: opens the replica (`cli.till_commands.Context`); a command without one shows en_IN and UTC.
_local = formatting.Local()


def use(local: formatting.Local) -> None:
    global _local
    _local = local


def when(value: Any, *, seconds: bool = True) -> str:
    """A stored (UTC) time in the pharmacy's zone: '2026-12-03 17:45:00 IST'."""
    if value is None:
        return "-"
    try:
        return _local.stamp(value if isinstance(value, datetime) else str(value), seconds=seconds)
    except ValueError:  # not a time after all: said as it is
        return str(value)


def figure(value: Any) -> str:
    """Money or points in the pharmacy's locale: '1,23,456.00' (an int is a whole figure)."""
    if value is None:
        return "-"
    return _local.number(Decimal(value) if isinstance(value, int) else value)


def card(doc: dict[str, Any]) -> str:
    state = "active" if doc["isActive"] else "INACTIVE"
    tier = f"   tier {doc['tier']}" if doc.get("tier") else ""
    lines = [
        f"Card {doc['cardNumber']}   ({state}){tier}",
        f"  Customer   {doc['customerName']}   phone {doc['customerPhone']}"
        + (f"   email {doc['customerEmail']}" if doc.get("customerEmail") else ""),
    ]
    if doc.get("replacedByCardNumber"):
        lines.append(f"  Replaced by card {doc['replacedByCardNumber']}: its points are there")
    if doc.get("referrerCardNumber"):
        lines.append(f"  Referred by {doc['referrerCardNumber']}")
    lines.append(
        f"  Balance    {figure(doc['pointsBalance'])} points   "
        f"(earned {figure(doc['totalPointsEarned'])}, redeemed {figure(doc['totalPointsRedeemed'])}, "
        f"referrals {figure(doc['totalReferralPointsEarned'])}"
        + (f", adjustments {figure(doc['adjustedPoints'])}" if doc.get("adjustedPoints") else "")
        + ")"
    )
    if doc.get("nextTier"):
        lines.append(f"  Next tier  {doc['nextTier']} in {figure(doc['pointsToNextTier'])} points")
    lines.append(f"  Issued     {when(doc['issuedAt'])}   last used {when(doc['lastTransactionAt'])}")
    return "\n".join(lines)


def quote(doc: dict[str, Any], items: list[dict[str, Any]] | None = None) -> str:
    """A quote or a finalized bill as a table; with the bill's `items`, a line priced per
    unit says its quantity and unit price under it (as the receipt does)."""
    who = f"card {doc['cardNumber']}" if doc.get("cardNumber") else "no card"
    if doc.get("tier"):
        who += f", tier {doc['tier']} (x{doc['earnMultiplier']})"
    lines = [f"Bill for {who}"]
    if doc.get("cardNumber") and not doc.get("programEnabled"):
        lines.append("  The loyalty programme is switched off: no points, no member discounts.")
    # Every column is money; "paid by points" is the money the redeemed points took off the line.
    lines.append(f"  {'':<18}{'':>10}{'member':>10}{'flat':>10}{'':>10}{'paid by':>10}".rstrip())
    lines.append(f"  {'category':<18}{'gross':>10}{'discount':>10}{'discount':>10}{'net':>10}{'points':>10}{'to pay':>10}")
    for index, line in enumerate(doc["lines"]):
        rx = "  (prescription: points cannot pay for it)" if line.get("isRedeemable") is False else ""
        lines.append(
            f"  {line['categoryName'][:17]:<18}{figure(line['gross']):>10}"
            f"{figure(line['categoryDiscount']):>10}{figure(line['flatDiscount']):>10}"
            f"{figure(line['net']):>10}{figure(line['pointsDiscount']):>10}{figure(line['paid']):>10}{rx}"
        )
        item = items[index] if items and index < len(items) else {}
        if item.get("quantity") is not None and item.get("unitPrice") is not None:
            lines.append(f"    {item['quantity']} x {figure(item['unitPrice'])}")
    for reward in doc.get("rewards") or []:
        lines.append(f"  Reward {reward['rewardId']} x {reward['quantity']}: {reward['name']}, {figure(reward['points'])} points")
    rows = [
        ("Bill amount", figure(doc["billAmount"])),
        ("Member discount", _minus(doc["categoryDiscount"])),
        ("Flat discount", _minus(doc["flatDiscount"])),
        ("Net amount", figure(doc["netAmount"])),
    ]
    if Decimal(doc["pointsRedeemed"]):
        rows.append(
            (f"Redeemed {figure(doc['pointsRedeemed'])} points", _minus(doc["amountDeducted"]))
        )
    rows.append(("TO PAY", figure(doc["payable"])))
    lines += [f"  {label:<34}{value:>14}" for label, value in rows]
    earned = ", ".join(
        f"{e['categoryName']} {figure(e['points'])}" + (f" x{e['multiplier']} promotion {e['promotionId']}" if e.get("promotionId") else "")
        for e in doc["earnBreakdown"]
        if Decimal(e["points"])
    )
    if doc.get("rewardPoints") and Decimal(doc["rewardPoints"]):
        lines.append(f"  Reward products {figure(doc['rewardPoints'])} points")
    lines.append(f"  Points earned   {figure(doc['pointsEarned'])}" + (f"  ({earned})" if earned else ""))
    if Decimal(doc["referrerPointsEarned"]):
        lines.append(f"  Referrer earns  {figure(doc['referrerPointsEarned'])}")
    if doc.get("cardNumber"):
        lines.append(
            f"  May redeem up to {figure(doc['maxRedeemablePoints'])} of "
            f"{figure(doc['availablePoints'])} points on this bill"
        )
    if "billId" in doc:
        lines.append(f"  Bill {doc.get('billNumber') or doc['billId']} finalized {when(doc['finalizedAt'])}")
        if doc.get("newBalance") is not None:
            lines.append(f"  New balance     {figure(doc['newBalance'])} points")
    return "\n".join(lines)


def _minus(value: Any) -> str:
    return "-" + figure(value) if Decimal(value) else figure(value)


def history(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No points movements at this till yet (a card used at other tills has its full history on the central service)."
    out = [f"{'when':<25}{'points':>11}{'balance':>12}  what happened"]
    for row in rows:
        out.append(f"{when(row['createdAt']):<25}{figure(row['points']):>11}{figure(row['balanceAfter']):>12}  {describe(row)}")
    return "\n".join(out)


#: `pos-loyalty status` in words: each field of its JSON document, as a person would call it.
STATUS_WORDS = {
    "dataDir": "data folder",
    "replica": "replica file",
    "schemaRevision": "schema version",
    "configVersion": "configuration version",
    "programEnabled": "loyalty programme on",
    "cards": "cards",
    "bills": "bills",
    "nextBillNumber": "next bill number",
    "pendingMutations": "changes not yet sent",
    "rejectedMutations": "changes the central service refused",
    "centralUrl": "central service",
    "deviceId": "this till's device number",
    "deviceName": "this till's name there",
    "tenantId": "pharmacy number",
    "tokenMissing": "device token missing",
    "online": "online",
    "redemptionLimited": "redemption limited (offline)",
    "lastSuccessAt": "last sync that went through",
    "lastPushAt": "last sent",
    "lastPullAt": "last brought back",
    "lastAttemptAt": "last tried",
    "failures": "failed tries in a row",
    "lastError": "last problem",
    "stoppedReason": "stopped because",
    "nextDeviceSeq": "next change number",
    "lastAppliedSeq": "last change the service applied",
    "cursor": "where the next pull starts",
}


def status(doc: dict[str, Any]) -> str:
    """The till's status, one line a field, in words (a field not known here by its name)."""
    return mapping({STATUS_WORDS.get(key, key): value for key, value in doc.items() if key != "rejected"})


def mapping(doc: dict[str, Any]) -> str:
    width = max(len(key) for key in doc) + 2
    return "\n".join(f"{key:<{width}}{_plain(value)}" for key, value in doc.items())


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- a configuration's changes ------------------------------------------------------------


def config_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per changed field (`config_fields` names), saying what it was and is now."""
    lines = []
    for name, new in after.items():
        old = before.get(name)
        if name == "tiers":
            lines.append(f"tiers: {_tiers(old)} -> {_tiers(new)}")
        elif "/" in name:
            entry = new if new is not None else old
            label = f"{name} ({entry.get('categoryName') or 'no name'})"
            if old is None:
                lines.append(f"{label}: added ({_entry(new)})")
            elif new is None:
                lines.append(f"{label}: removed")
            else:
                parts = [f"{key} {_value(old.get(key))} -> {_value(new.get(key))}" for key in new if old.get(key) != new.get(key)]
                lines.append(f"{label}: {', '.join(parts)}")
        else:
            lines.append(f"{name}: {_value(old)} -> {_value(new)}")
    return lines


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _entry(entry: dict[str, Any]) -> str:
    return ", ".join(f"{key} {_value(value)}" for key, value in entry.items() if key not in ("categoryId", "categoryName"))


def _tiers(tiers: Any) -> str:
    if not tiers:
        return "(none)"
    return "; ".join(f"{tier['name']} from {tier['minLifetimePoints']}" for tier in tiers)


def imported(doc: dict[str, Any]) -> str:
    """A card import's answer (`card_csv.Imported.to_json`) in one sentence."""
    cards = doc["imported"]
    text = f"Imported {cards:,} card{'s' if cards != 1 else ''}"
    text += f": {doc['openingBalances']:,} with an opening balance, {figure(doc['openingPoints'])} points in all"
    if doc["numbersGiven"]:
        text += f"; {doc['numbersGiven']:,} given a new number"
    return text + "."
