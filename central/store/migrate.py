"""Make or upgrade the central database to the newest schema (alembic), safely from many workers.

On PostgreSQL a transaction-scoped advisory lock, on SQLite `BEGIN IMMEDIATE`, makes
concurrent upgrades (several uvicorn workers starting at once) take turns.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError

HEAD = "0006"
MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 7_031_120_260  # any fixed number, used only by this migration lock


def alembic_config(connection=None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection) -> str | None:  # type: ignore[no-untyped-def]
    try:
        with connection.begin_nested():
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError):
        return None
    return row[0] if row else None


def upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        revision = current_revision(connection)
        if revision != HEAD:
            config = alembic_config(connection)
            if revision is not None and ScriptDirectory.from_config(config).get_revision(revision) is None:
                raise LoyaltyError(
                    errors.REPLICA_TOO_NEW,
                    f"This database was written by a newer pos-loyalty (schema {revision})",
                )
            command.upgrade(config, "head")
        connection.commit()
