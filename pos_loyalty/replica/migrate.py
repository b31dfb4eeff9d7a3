"""Bring a replica file to the newest schema, safely, whoever opens it first.

The check is one SELECT on `alembic_version`; alembic itself is loaded only when the file
is new or older than this code. The upgrade runs under `BEGIN IMMEDIATE` with foreign
keys off (SQLite's way of rebuilding tables in batch migrations), so two processes
opening a fresh data dir at once take turns, and the second finds the work done.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError

#: The newest migration in `migrations/versions/` (a test keeps the two in step).
HEAD = "0009"

MIGRATIONS = Path(__file__).with_name("migrations")


def current_revision(connection) -> str | None:  # type: ignore[no-untyped-def]
    try:
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except OperationalError:
        return None
    return row[0] if row else None


def upgrade(path: Path, target: str = "head") -> None:
    """Migrate the file at `path` to `target` (default: the newest schema)."""
    from pos_loyalty.replica.db import make_engine

    engine = make_engine(path, foreign_keys=False)
    try:
        with engine.connect() as connection:
            if target == "head" and current_revision(connection) == HEAD:
                return
        with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
            revision = current_revision(connection)
            if target == "head" and revision == HEAD:
                return
            _run_alembic(connection, revision, target)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"migration left broken references: {problems[:5]}")
    finally:
        engine.dispose()


def alembic_config(connection=None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def is_known(revision: str) -> bool:
    """Whether this version has the migration `revision` (False: a newer version wrote it)."""
    if revision == HEAD:
        return True
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic's "no such revision" errors
        return False


def _run_alembic(connection, revision: str | None, target: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    config = alembic_config(connection)
    if revision is not None:
        if not is_known(revision):
            raise LoyaltyError(
                errors.REPLICA_TOO_NEW,
                f"This data was written by a newer pos-loyalty (schema {revision}); "
                "install that version or newer to open it",
                schemaRevision=revision,
            )
    command.upgrade(config, target)
