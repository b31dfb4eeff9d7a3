"""A prebuilt statement run prepared on the driver gives what SQLAlchemy gives, row for row."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, exc, insert, select, text, update

from pos_loyalty.replica.models import Card, LedgerEntry, SyncState, TillSetting
from pos_loyalty.services import open_replica

NOW = datetime(2026, 11, 21, 9, 30, 0, 123456)

_CARD = select(Card.id, Card.card_number, Card.is_active, Card.issued_at, Card.last_transaction_at).where(
    Card.card_number == bindparam("number")
)
_SETTINGS = select(TillSetting.key, TillSetting.value).where(TillSetting.key.in_(("a", "b"))).order_by(TillSetting.key)
_ADD_CARD = insert(Card)
_TAKE = (
    update(SyncState)
    .where(SyncState.id == 1)
    .values(next_device_seq=SyncState.next_device_seq + 1)
    .returning(SyncState.next_device_seq - 1)
)
_BAD_ROW = insert(LedgerEntry).values(card_id=99)  # no type, no points: NOT NULL
_TEXT = text("SELECT COUNT(*) AS n, MAX(card_number) AS top FROM cards WHERE is_active = :active")


@pytest.fixture
def replica(tmp_path):
    opened = open_replica(tmp_path)
    yield opened
    opened.close()


def card(number: str) -> dict:
    return {
        "card_number": number,
        "customer_name": "Asha Rao",
        "customer_phone": f"+9190000{number[-5:]}",
        "is_active": True,
        "issued_at": NOW,
        "updated_at": NOW,
        "points_balance": 0,
        "total_points_earned": 0,
        "total_points_redeemed": 0,
        "total_referral_points_earned": 0,
    }


def run_each_way(replica, statement, parameters=None, take=lambda result: result.all()):
    """What `take` gets of the statement's result through SQLAlchemy (its first run) and
    prepared (its third)."""
    answers = []
    for _ in range(3):
        with replica.writing() as uow:
            answers.append(take(uow.connection.execute(statement, parameters)))
            uow.commit()
    return answers[0], answers[2]


def test_a_statement_run_again_is_prepared_and_reads_what_sqlalchemy_reads(replica):
    with replica.writing() as uow:
        for number in ("2900000000018", "2900000000025"):
            uow.connection.execute(_ADD_CARD, card(number))
        uow.connection.execute(_ADD_CARD, card("2900000000032") | {"is_active": False})
        uow.connection.execute(insert(TillSetting), [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        uow.commit()
    for statement, parameters in (
        (_CARD, {"number": "2900000000025"}),
        (_SETTINGS, None),
        (_TEXT, {"active": 1}),
    ):
        slow_rows, fast_rows = run_each_way(replica, statement, parameters)
        assert replica._statements.get(statement, parameters) is not None
        assert fast_rows == slow_rows
        assert [row._mapping for row in fast_rows] == [row._mapping for row in slow_rows]
        assert [type(value) for value in fast_rows[0]] == [type(value) for value in slow_rows[0]]
    slow, fast = run_each_way(replica, _CARD, {"number": "2900000000025"}, lambda result: result.mappings().one())
    assert fast == slow


def test_writes_prepared_count_and_key_as_sqlalchemy_does(replica):
    numbers = iter(("2900000000018", "2900000000025", "2900000000032"))
    keys = []
    for _ in range(3):
        with replica.writing() as uow:
            keys.append(uow.connection.execute(_ADD_CARD, card(next(numbers))).inserted_primary_key[0])
            uow.commit()
    assert keys == [1, 2, 3]
    slow, fast = run_each_way(replica, _TAKE, take=lambda result: result.scalar_one())
    assert fast == slow + 2
    with replica.reading() as uow:
        assert uow.connection.execute(_CARD, {"number": "2900000000032"}).one().issued_at == NOW


def test_a_prepared_statement_fails_as_sqlalchemy_would(replica):
    for _ in range(3):
        with replica.writing() as uow:
            with pytest.raises(exc.IntegrityError):
                uow.connection.execute(_BAD_ROW)
            with pytest.raises(exc.IntegrityError):
                uow.connection.execute(_ADD_CARD, {"card_number": "x"})  # no name, no phone
            with pytest.raises(exc.StatementError, match="A value is required for bind parameter 'number'"):
                uow.connection.execute(_CARD, {})
    with replica.reading() as uow, pytest.raises(exc.NoResultFound):
        uow.connection.execute(_CARD, {"number": "none"}).one()


def test_a_sale_rolled_back_leaves_nothing_and_the_next_unit_starts_clean(replica):
    with replica.writing() as uow:
        uow.connection.execute(_ADD_CARD, card("2900000000018"))
        uow.connection.execute(_ADD_CARD, card("2900000000025"))
        # no commit: rolled back when the unit of work ends
    with replica.reading() as uow:
        assert uow.connection.execute(text("SELECT COUNT(*) FROM cards")).scalar_one() == 0
    assert replica._idle and not any(kept._driver.in_transaction for kept in replica._idle)


def test_times_are_written_as_sqlalchemy_writes_them(replica):
    """A prepared statement writes a time in its own, faster way: the text in the file must
    be SQLAlchemy's, to the microsecond (times are compared and sorted as text)."""
    from datetime import timezone

    set_issued = update(Card).where(Card.card_number == bindparam("number")).values(issued_at=bindparam("at"))
    with replica.writing() as uow:
        uow.connection.execute(_ADD_CARD, card("2900000000018"))
        uow.commit()
    times = {
        NOW: "2026-11-21 09:30:00.123456",
        datetime(2026, 11, 21, 9, 30): "2026-11-21 09:30:00.000000",  # no microseconds: still six digits
        datetime(999, 1, 2, 3, 4, 5, 6): "0999-01-02 03:04:05.000006",  # a year of three digits: four
        datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc): "2026-11-21 09:30:00.000000",  # aware: its fields
    }
    for moment, text_in_file in times.items():
        stored = []
        for _ in range(3):  # SQLAlchemy's first, prepared after
            with replica.writing() as uow:
                uow.connection.execute(set_issued, {"number": "2900000000018", "at": moment})
                stored.append(uow.connection.exec_driver_sql("SELECT issued_at FROM cards").scalar())
        assert stored == [text_in_file] * 3
    assert replica._statements.get(set_issued, {"number": "", "at": NOW}) is not None
