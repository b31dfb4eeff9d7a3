"""a short number per till for every bill (T1-000123)

Every bill gets its short number (`pos_loyalty/bill_numbers.py`): the bills already here
in the order they were finalized (1, 2, 3...), with the prefix the till would give a bill
now; the counter carries on after them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

from pos_loyalty.bill_numbers import prefix_of


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The till's settings that name its prefix (`services/bill_names.PREFIX`, `central_link.DEVICE_NAME`).
PREFIX, DEVICE_NAME = 'bills.prefix', 'central.device_name'


def upgrade() -> None:
    with op.batch_alter_table('sync_state') as sync_state:
        sync_state.add_column(sa.Column('next_bill_number', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('bills') as bills:
        bills.add_column(sa.Column('number', sa.Integer(), nullable=True))
        bills.add_column(sa.Column('number_prefix', sa.String(length=8), nullable=True))
    bind = op.get_bind()
    settings = dict(
        bind.execute(
            sa.text('SELECT key, value FROM till_settings WHERE key IN (:prefix, :device)'),
            {'prefix': PREFIX, 'device': DEVICE_NAME},
        ).all()
    )
    prefix = prefix_of(settings.get(PREFIX), settings.get(DEVICE_NAME))
    # In the order they were finalized (the rowid breaks a tie: the order they were written).
    bind.execute(
        sa.text(
            'UPDATE bills SET number = ordered.number, number_prefix = :prefix FROM '
            '(SELECT rowid AS bill_row, row_number() OVER (ORDER BY finalized_at, rowid) AS number FROM bills) AS ordered '
            'WHERE bills.rowid = ordered.bill_row'
        ),
        {'prefix': prefix},
    )
    bind.execute(sa.text('UPDATE sync_state SET next_bill_number = (SELECT count(*) FROM bills) + 1'))
    with op.batch_alter_table('bills') as bills:
        bills.alter_column('number', existing_type=sa.Integer(), nullable=False)
        bills.alter_column('number_prefix', existing_type=sa.String(length=8), nullable=False)
        bills.create_unique_constraint(op.f('uq_bills_number'), ['number'])


def downgrade() -> None:
    with op.batch_alter_table('bills') as bills:
        bills.drop_constraint(op.f('uq_bills_number'), type_='unique')
        bills.drop_column('number_prefix')
        bills.drop_column('number')
    with op.batch_alter_table('sync_state') as sync_state:
        sync_state.drop_column('next_bill_number')
