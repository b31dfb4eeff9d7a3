"""The store manager's PIN: set on first run, stored only as a salted PBKDF2 hash.

Configuration, reversals and balance adjustments at the till ask for it. After
`MAX_TRIES` wrong PINs in a row the till refuses for `LOCKOUT_SECONDS`, so a PIN cannot
be guessed at the counter by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import TillSetting

PIN_KEY = "manager.pin"
FAILS_KEY = "manager.pin_failures"
LOCKED_KEY = "manager.pin_locked_until"
ITERATIONS = 200_000
MAX_TRIES = 5
LOCKOUT_SECONDS = 60
PIN_LOCKED = "PIN_LOCKED"


def has_pin(replica: Replica) -> bool:
    with replica.reading() as uow:
        return uow.session.get(TillSetting, PIN_KEY) is not None


def set_pin(replica: Replica, pin: str) -> None:
    """Set (or change) the manager PIN: 4 to 8 digits."""
    if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise InvalidInput("pin", "The manager PIN is 4 to 8 digits")
    salt = secrets.token_hex(16)
    digest = _digest(pin, salt, ITERATIONS)
    with replica.writing() as uow:
        uow.session.merge(TillSetting(key=PIN_KEY, value=f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"))
        uow.session.merge(TillSetting(key=FAILS_KEY, value="0"))
        uow.commit()


def check_pin(replica: Replica, pin: str) -> bool:
    """True for the manager's PIN; counts wrong ones and locks after too many."""
    with replica.writing() as uow:
        stored = uow.session.get(TillSetting, PIN_KEY)
        if stored is None:
            raise LoyaltyError(PIN_LOCKED, "No manager PIN has been set on this till yet")
        locked = uow.session.get(TillSetting, LOCKED_KEY)
        if locked is not None and locked.value > uow.now.isoformat():
            raise LoyaltyError(PIN_LOCKED, "Too many wrong PINs: wait a minute and try again")
        _scheme, iterations, salt, digest = stored.value.split("$")
        right = isinstance(pin, str) and hmac.compare_digest(_digest(pin, salt, int(iterations)), digest)
        fails = uow.session.get(TillSetting, FAILS_KEY)
        count = 0 if right else int(fails.value if fails else "0") + 1
        uow.session.merge(TillSetting(key=FAILS_KEY, value=str(count)))
        if count >= MAX_TRIES:
            until = uow.now + timedelta(seconds=LOCKOUT_SECONDS)
            uow.session.merge(TillSetting(key=LOCKED_KEY, value=until.isoformat()))
            uow.session.merge(TillSetting(key=FAILS_KEY, value="0"))
        uow.commit()
        return right


def _digest(pin: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), iterations).hex()
