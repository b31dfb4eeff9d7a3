"""The loyalty rules of `spec/loyalty-rules.md` as pure functions: no session, clock or I/O."""

from pos_loyalty.rules.bill import BillLine, BillRequest, bill_from_json
from pos_loyalty.rules.config import (
    CategoryDiscount,
    CategoryPoints,
    LoyaltyConfig,
    Tier,
    config_from_json,
    config_to_json,
)
from pos_loyalty.rules.quote import (
    CardState,
    EarnLine,
    Earning,
    Quote,
    QuoteLine,
    Redemption,
    earning,
    membership,
    quote_bill,
    redemption,
)
from pos_loyalty.rules.spread import spread

__all__ = [
    "BillLine",
    "BillRequest",
    "CardState",
    "CategoryDiscount",
    "CategoryPoints",
    "EarnLine",
    "Earning",
    "LoyaltyConfig",
    "Quote",
    "QuoteLine",
    "Redemption",
    "Tier",
    "bill_from_json",
    "config_from_json",
    "config_to_json",
    "earning",
    "membership",
    "quote_bill",
    "redemption",
    "spread",
]
