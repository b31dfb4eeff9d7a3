"""The document's examples (`components/examples`), seed 002's where it has them: its
configuration, its earn-points and redeem-points requests and answers, its CARD001.

Answers are the shapes this service gives (the configuration example is the seed's
document as `config_to_json` writes it back); a figure is a Decimal, written as the
number it is (`0.10`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from central.schemas import card_import, holds, webhooks
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON, config_from_json, config_to_json


def examples() -> dict[str, Any]:
    """Every example by the name the routes' contracts give it: {summary, value}."""
    sample = {"tenantId": 1, **SAMPLE_CONFIG_JSON}
    made = config_to_json(config_from_json(sample, version=2))
    card = {
        "id": 1,
        "cardNumber": "CARD001",
        "customerId": "1001",
        "customerName": "Asha Customer",
        "customerPhone": "9000000002",
        "customerEmail": None,
        "referrerCardId": 2,
        "referrerCardNumber": "CARD002",
        "pointsBalance": Decimal("120.00"),
        "totalPointsEarned": Decimal("120.00"),
        "totalPointsRedeemed": Decimal("0.00"),
        "totalReferralPointsEarned": Decimal("0.00"),
        "isActive": True,
        "issuedAt": "2026-01-05T09:30:00.000000Z",
        "lastTransactionAt": "2026-01-06T11:02:41.518204Z",
        "tier": None,
        "replacedByCardId": None,
        "replacedByCardNumber": None,
        "availableBalance": Decimal("120.00"),
        "heldPoints": Decimal("0.00"),
        "expiringPoints": Decimal("0.00"),
        "nextExpiryAt": None,
    }
    ladder = [
        {"name": "Bronze", "minLifetimePoints": 0},
        {"name": "Gold", "minLifetimePoints": 5000, "earnMultiplier": Decimal("1.5"), "maxRedemptionPercent": 60},
    ]
    earn_lines = [
        {
            "categoryId": 1,
            "categoryName": "Medicines",
            "amount": Decimal("500.00"),
            "pointPercentage": Decimal("1.00"),
            "points": Decimal("5.00"),
            "multiplier": Decimal("1.00"),
            "promotionId": None,
        },
        {
            "categoryId": 2,
            "categoryName": "General",
            "amount": Decimal("500.00"),
            "pointPercentage": Decimal("3.00"),
            "points": Decimal("15.00"),
            "multiplier": Decimal("1.00"),
            "promotionId": None,
        },
    ]
    found = {
        "seedConfig": ("Seed 002's configuration example", sample),
        "config": ("Seed 002's configuration, as saved (version 2 of tenant 1)", {"tenantId": 1, **made}),
        "categories": ("Seed 002's categories", made["categoryPointConfigs"]),
        "discounts": ("Seed 002's category discounts", made["categoryDiscounts"]),
        "category": (
            "A category and its point percentage",
            {"categoryId": 3, "categoryName": "Baby Care", "pointPercentage": Decimal("5.0")},
        ),
        "discount": (
            "A category discount",
            {"categoryId": 3, "categoryName": "Baby Care", "discountPercentage": Decimal("10.0")},
        ),
        "promotion": (
            "Double points on Baby Care in December",
            {
                "promotionId": 1,
                "name": "Double points on Baby Care",
                "isActive": True,
                "startsOn": "2026-12-01",
                "endsOn": "2026-12-31",
                "categoryIds": [3],
                "multiplier": Decimal("2.00"),
            },
        ),
        "promotions": (
            "The pharmacy's promotions",
            [
                {
                    "promotionId": 1,
                    "name": "Double points on Baby Care",
                    "isActive": True,
                    "startsOn": "2026-12-01",
                    "endsOn": "2026-12-31",
                    "categoryIds": [3],
                    "multiplier": Decimal("2.00"),
                }
            ],
        ),
        "reward": (
            "A tote bag for 150 points",
            {"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": Decimal("150.00"), "isActive": True},
        ),
        "rewards": (
            "The pharmacy's reward products",
            [{"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": Decimal("150.00"), "isActive": True}],
        ),
        "tiers": ("A tier ladder", ladder),
        "tiersSaved": ("The ladder as saved", config_to_json(config_from_json({"tiers": ladder}))["tiers"]),
        "issue": (
            "A new card, with seed 002's older card number",
            {
                "customerName": "Asha Customer",
                "customerPhone": "9000000002",
                "customerId": "1001",
                "cardNumber": "CARD001",
                "referrerCardNumber": "CARD002",
            },
        ),
        "update": ("A new phone number", {"customerPhone": "+919876543210"}),
        "link": ("Referred by card CARD002", {"referrerCardNumber": "CARD002"}),
        "replace": ("A lost card replaced by a pre-printed one", {"newCardNumber": "2900000000019"}),
        "merge": ("The customer's second card, merged into this one", {"otherCardId": 7}),
        "card": ("Seed 002's CARD001 after its first bill", card),
        "calculate": (
            "Seed 002's bill, quoted",
            {"cardNumber": "CARD001", "items": [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}]},
        ),
        "seedEarn": (
            "Seed 002's earn-points request",
            {
                "cardNumber": "CARD001",
                "billId": 123,
                "billAmount": 1000,
                "items": [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}],
            },
        ),
        "earned": (
            "Seed 002's earn-points answer, with this project's rules (1% and 3%, referrer 0.5%)",
            {
                "billId": "123",
                "cardNumber": "CARD001",
                "pointsEarned": Decimal("20.00"),
                "newBalance": Decimal("120.00"),
                "referrerPointsEarned": Decimal("5.00"),
                "earnBreakdown": earn_lines,
            },
        ),
        "seedRedeem": ("Seed 002's redeem-points request", {"cardId": 1, "points": 50, "billId": 124}),
        "redeemed": (
            "Seed 002's redemption answer (50 points at 0.10 each, where the minimum allows it)",
            {
                "billId": "124",
                "cardId": 1,
                "cardNumber": "CARD001",
                "pointsRedeemed": Decimal("50.00"),
                "amountDeducted": Decimal("5.00"),
                "newBalance": Decimal("70.00"),
            },
        ),
        "reverse": ("Seed 002's bill cancelled", {"billId": 123}),
        "return": (
            "The General items of seed 002's bill 123 come back",
            {"billId": 123, "returnId": "R-123-1", "lines": [{"line": 1}]},
        ),
        "health": ("The database answers", {"status": "ok"}),
        "error400": (
            "A field refused",
            {
                "error": {
                    "code": "INVALID_INPUT",
                    "message": "billAmount must not be negative (got -5)",
                    "field": "billAmount",
                }
            },
        ),
        "error401": (
            "No token",
            {"error": {"code": "UNAUTHORIZED", "message": "Send 'Authorization: Bearer <token>'"}},
        ),
        "error403": (
            "The wrong kind of token",
            {"error": {"code": "FORBIDDEN", "message": "This needs an admin token"}},
        ),
        "error404": (
            "Not here",
            {"error": {"code": "CARD_NOT_FOUND", "message": "No card CARD001", "cardNumber": "CARD001"}},
        ),
        "error409": (
            "Another body for the same bill",
            {
                "error": {
                    "code": "IDEMPOTENCY_CONFLICT",
                    "message": "Bill 123 was already earned with another request",
                    "billId": "123",
                }
            },
        ),
        "error410": (
            "A cursor of another database",
            {
                "error": {
                    "code": "CURSOR_EXPIRED",
                    "message": "This cursor is no longer accepted (it belongs to another database): pull again from 0",
                }
            },
        ),
        "error413": (
            "Over 1 MiB",
            {
                "error": {
                    "code": "PAYLOAD_TOO_LARGE",
                    "message": "The request body is larger than 1 MiB, the most this request may carry",
                }
            },
        ),
        "error422": (
            "Below the minimum",
            {"error": {"code": "MIN_POINTS_NOT_MET", "message": "At least 100.00 points must be redeemed"}},
        ),
        "error429": (
            "Too many pages",
            {
                "error": {
                    "code": "TOO_MANY_REQUESTS",
                    "message": "This till asks for pages faster than 20 a second; try again in 1 s",
                    "retryAfterSeconds": 1,
                }
            },
        ),
        "error503": (
            "The database is down",
            {"error": {"code": "UNAVAILABLE", "message": "The loyalty service's database is not answering; try again"}},
        ),
    }
    found.update(card_import.examples())
    found.update(holds.examples())
    found.update(webhooks.examples())
    return {name: {"summary": summary, "value": value} for name, (summary, value) in found.items()}
