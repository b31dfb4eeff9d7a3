"""The till's own settings (`till_settings`): the pharmacy's name on receipts, the currency
sign, the scanner's port... Plain text values by key."""

from __future__ import annotations

from sqlalchemy import delete, select

from pos_loyalty import formatting
from pos_loyalty.errors import InvalidInput
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import TillSetting
from pos_loyalty.services import configuration

PHARMACY_NAME = "pharmacy.name"
CURRENCY = "pharmacy.currency"
#: The customer display: "auto" (on a second screen when there is one; the default), "on", "off".
CUSTOMER_DISPLAY = "customer_display.shown"
#: How figures are written (Babel's locale name): en_IN groups 1,23,456.00 (docs/decisions.md).
LOCALE = "pharmacy.locale"
DEFAULTS = {PHARMACY_NAME: "Pharmacy", CURRENCY: "₹", LOCALE: formatting.DEFAULT_LOCALE}


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


def local(replica: Replica) -> formatting.Local:
    """How this till shows figures and times: its locale setting (a bad one: the default) and
    the configuration's time zone."""
    with replica.reading() as uow:
        stored = uow.connection.execute(select(TillSetting.value).where(TillSetting.key == LOCALE)).scalar()
        time_zone = configuration.current(uow).time_zone
    try:
        locale = formatting.parse_locale(stored) if stored else formatting.DEFAULT_LOCALE
    except InvalidInput:
        locale = formatting.DEFAULT_LOCALE
    return formatting.Local(locale, time_zone)
