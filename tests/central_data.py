"""Cards, rows and counts straight from a real central service's database, and the billing
routes' paths: shared by the tests of the billing routes and of bad input."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from central.store import cards
from central.store.cards import NewCard, insert_card
from central.store.ledger import Postings
from central.store.models import Bill, Card, IdempotencyRecord, PointTransaction
from central_harness import Client, body
from pos_loyalty.rules.postings import adjustment_posting

CALCULATE = "/api/v1/internal/cards/calculate"
EARN = "/api/v1/internal/cards/earn-points"
REDEEM = "/api/v1/internal/cards/redeem-points"
REVERSE = "/api/v1/internal/cards/reverse-points"
SEED_EARN = (
    '{"cardNumber": "CARD001", "billId": 123, "billAmount": 1000, '
    '"items": [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}]}'
)
#: Another earn on seed 002's bill 123: the same card, other figures.
SEED_OTHER_EARN = SEED_EARN.replace("1000", "900").replace('"amount": 500}]', '"amount": 400}]')
_phones = iter(range(9_100_000_000, 9_200_000_000))


# --- helpers: cards and rows straight from the database ----------------------------------


def issue(tenant, number: str, *, referrer: str | None = None, balance: str | None = None, tenant_id=None):
    """A card made in the database (not through POST /cards), with an opening balance."""

    def work(unit):
        new = NewCard(f"Customer {number}", str(next(_phones)), card_number=number)
        made = insert_card(unit, new, referrer=cards.by_number(unit, referrer) if referrer else None)
        if balance:
            postings = Postings(unit)
            opening = adjustment_posting(made, int(Decimal(balance) * 100), "opening balance")
            postings.post(opening, performed_by="test", device_id=None)
            postings.flush()
        return made

    return tenant.store.run(work, write=True, tenant_id=tenant_id or tenant.tenant_id)


def card(tenant, number: str):
    return tenant.store.run(lambda unit: cards.by_number(unit, number), write=False, tenant_id=tenant.tenant_id)


def figures(tenant, number: str) -> tuple[int, int, int, int]:
    c = card(tenant, number)
    return c.points_balance, c.total_points_earned, c.total_points_redeemed, c.total_referral_points_earned


def rows(tenant, **where):
    statement = select(PointTransaction).where(PointTransaction.tenant_id == tenant.tenant_id)
    for column, value in where.items():
        statement = statement.where(getattr(PointTransaction, column) == value)
    return tenant.store.run(
        lambda unit: unit.connection.execute(statement.order_by(PointTransaction.id)).all(), write=False
    )


def written(tenant) -> tuple[int, ...]:
    """How many ledger rows, idempotency records and bills the tenant has, and its balances."""

    def work(unit):
        def count(model) -> int:
            return unit.connection.execute(
                select(func.count()).select_from(model).where(model.tenant_id == tenant.tenant_id)
            ).scalar_one()

        balances = unit.connection.execute(
            select(Card.points_balance).where(Card.tenant_id == tenant.tenant_id).order_by(Card.id)
        ).scalars()
        return (count(PointTransaction), count(IdempotencyRecord), count(Bill), *balances)

    return tenant.store.run(work, write=False)


def change_config(tenant, **fields) -> None:
    config = body(tenant.admin.get("/api/v1/card-config"))
    answer = tenant.admin.put("/api/v1/card-config", {**config, **fields})
    assert answer.status_code == 200, answer.text


def ledger_holds(tenant, number: str) -> None:
    """The card's balance is the sum of its rows, and no row left it below zero."""
    found = card(tenant, number)
    mine = rows(tenant, card_id=found.id)
    assert found.points_balance == sum(row.points for row in mine)
    assert all(row.balance_after >= 0 for row in mine)


def error(answer) -> dict:
    return body(answer)["error"]


def own(client: Client) -> Client:
    """A client of its own for a thread (a requests.Session is not to be shared), same token."""
    copy = Client(client.base, None)
    copy.session.headers["Authorization"] = client.session.headers["Authorization"]
    return copy
