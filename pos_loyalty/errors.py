"""Typed errors with a code and a sentence a cashier understands.

Every failure a user can cause is a `LoyaltyError`; its `code` is one of the codes of
`spec/central-api.md` and `spec/loyalty-rules.md`, and `message` is fit to show at the
counter. Anything else that escapes is a bug or an environment failure and takes a
different path (logged with its traceback).
"""

from __future__ import annotations

from typing import Any

from pos_loyalty.field_words import in_words

CARD_NOT_FOUND = "CARD_NOT_FOUND"
CARD_INACTIVE = "CARD_INACTIVE"
PROGRAM_DISABLED = "PROGRAM_DISABLED"
MIN_POINTS_NOT_MET = "MIN_POINTS_NOT_MET"
INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
EXCEEDS_MAX_REDEMPTION = "EXCEEDS_MAX_REDEMPTION"
OFFLINE_LIMIT = "OFFLINE_LIMIT"
INVALID_INPUT = "INVALID_INPUT"
DUPLICATE_CARD = "DUPLICATE_CARD"
BILL_NOT_FOUND = "BILL_NOT_FOUND"
ALREADY_REVERSED = "ALREADY_REVERSED"
IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
REPLICA_TOO_NEW = "REPLICA_TOO_NEW"
REFERRER_ALREADY_SET = "REFERRER_ALREADY_SET"
REFERRAL_LOOP = "REFERRAL_LOOP"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
RETURN_EXCEEDS_BILL = "RETURN_EXCEEDS_BILL"
CARD_REQUIRED = "CARD_REQUIRED"
REWARD_UNAVAILABLE = "REWARD_UNAVAILABLE"
CARD_REPLACED = "CARD_REPLACED"


class LoyaltyError(Exception):
    """A user error: something about the input or the card, not a bug."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The error envelope of `central-api.md`: {"error": {"code", "message", ...}}."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}

    def __repr__(self) -> str:
        return f"LoyaltyError({self.code!r}, {self.message!r})"


class InvalidInput(LoyaltyError):
    """Bad input; `field` names what was wrong (`items[2].amount`, `pointsToAmountRate`) as
    the specs name it, and the message says it in a cashier's words ("Line 3: the amount
    must be...", `field_words`)."""

    def __init__(self, field: str, message: str, **details: Any) -> None:
        super().__init__(INVALID_INPUT, in_words(message, field), field=field, **details)
        self.field = field


class ConfigInvalid(InvalidInput):
    """A configuration with one or more bad fields; nothing of it was saved."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        first_field, first_message = problems[0]
        if len(problems) == 1:
            message = f"Configuration not saved: {first_field}: {first_message}"
        else:
            listed = "; ".join(f"{f}: {m}" for f, m in problems)
            message = f"Configuration not saved ({len(problems)} problems): {listed}"
        super().__init__(
            first_field,
            message,
            problems=[{"field": f, "message": m} for f, m in problems],
        )
        self.problems = problems
