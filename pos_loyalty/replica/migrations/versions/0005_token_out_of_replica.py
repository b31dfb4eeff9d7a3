"""The device token leaves the replica: from till_settings to DATA_DIR/central-token.

Everything in the replica goes into every backup; the token must not. The token an
older version kept in `till_settings` ('central.token') is written to the token file
beside the replica (unless one is there already: a newer `connect` wins), and the table
is rebuilt without it under SQLite's secure_delete: a backup copies pages as they are,
and the old page held this token and, in its free space, any token it replaced; with
secure_delete the deleted row and the dropped table's pages are overwritten with zeros.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from pathlib import Path

from alembic import op
import sqlalchemy as sa

from pos_loyalty.replica import data_dir


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LEGACY_TOKEN = 'central.token'


def _folder() -> Path | None:
    database = op.get_bind().engine.url.database
    return Path(database).parent if database and database != ':memory:' else None


def upgrade() -> None:
    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT value FROM till_settings WHERE key = :key"), {"key": LEGACY_TOKEN}).first()
    if row is None:
        return
    folder = _folder()
    if folder is not None and row[0].strip():
        data_dir.write_token(folder, row[0], replace=False)
    (was,) = bind.exec_driver_sql("PRAGMA secure_delete").first()
    bind.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        bind.execute(sa.text("DELETE FROM till_settings WHERE key = :key"), {"key": LEGACY_TOKEN})
        with op.batch_alter_table('till_settings', recreate='always'):
            pass
    finally:
        bind.exec_driver_sql(f"PRAGMA secure_delete = {int(was)}")


def downgrade() -> None:
    folder = _folder()
    token = data_dir.read_token(folder) if folder is not None else None
    if token is not None:
        op.get_bind().execute(
            sa.text("INSERT OR REPLACE INTO till_settings (key, value) VALUES (:key, :value)"),
            {"key": LEGACY_TOKEN, "value": token},
        )
