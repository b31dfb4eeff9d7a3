"""The till's own settings (`till_settings`): the pharmacy's name on receipts, the currency
sign, the scanner's port... Plain text values by key."""

from __future__ import annotations

from sqlalchemy import delete, select

from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import TillSetting

PHARMACY_NAME = "pharmacy.name"
CURRENCY = "pharmacy.currency"
DEFAULTS = {PHARMACY_NAME: "Pharmacy", CURRENCY: "₹"}


def read(replica: Replica) -> dict[str, str]:
    with replica.reading() as uow:
        return {**DEFAULTS, **dict(uow.connection.execute(select(TillSetting.key, TillSetting.value)).all())}


def write(replica: Replica, **values: str) -> None:
    """`write(replica, **{PHARMACY_NAME: "Asha Pharmacy"})`: set (or replace) settings."""
    with replica.writing() as uow:
        for key, value in values.items():
            uow.session.merge(TillSetting(key=key, value=value))
        uow.commit()


def forget(replica: Replica, *keys: str) -> None:
    """Remove settings (those with defaults go back to them)."""
    with replica.writing() as uow:
        uow.connection.execute(delete(TillSetting).where(TillSetting.key.in_(keys)))
        uow.commit()
