"""Returns and expiry: a bill's items kept for its returns, the returns, pointsExpiryDays, lots.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bills') as bills:
        # The bill as rung up (quantities and unit prices): a return of part of a line needs
        # them. Bills finalized before this version return by amount (their result's lines).
        bills.add_column(sa.Column('bill_json', sa.Text(), nullable=True))
    with op.batch_alter_table('config_versions') as config_versions:
        config_versions.add_column(sa.Column('points_expiry_days', sa.Integer(), nullable=False, server_default='0'))
        # The programme's time zone, promotions and reward products (`rules/programme.py`).
        config_versions.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False, server_default='UTC'))
        config_versions.add_column(sa.Column('promotions_json', sa.Text(), nullable=False, server_default='[]'))
        config_versions.add_column(sa.Column('rewards_json', sa.Text(), nullable=False, server_default='[]'))
    with op.batch_alter_table('category_point_configs') as categories:
        categories.add_column(sa.Column('is_redeemable', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('ledger') as rows:
        rows.add_column(sa.Column('reward_id', sa.String(length=32), nullable=True))
    op.create_table('bill_returns',
    sa.Column('return_id', sa.String(length=64), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('request_json', sa.Text(), nullable=False),
    sa.Column('back_json', sa.Text(), nullable=False),
    sa.Column('answer_json', sa.Text(), nullable=False),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.bill_id'], name=op.f('fk_bill_returns_bill_id_bills')),
    sa.PrimaryKeyConstraint('return_id', name=op.f('pk_bill_returns'))
    )
    op.create_index(op.f('ix_bill_returns_bill_id'), 'bill_returns', ['bill_id'])
    # A card's open lots as the central service last sent them (points expire).
    op.create_table('card_lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_lots_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_lots'))
    )
    op.create_index(op.f('ix_card_lots_card_id'), 'card_lots', ['card_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_card_lots_card_id'), 'card_lots')
    op.drop_table('card_lots')
    op.drop_index(op.f('ix_bill_returns_bill_id'), 'bill_returns')
    op.drop_table('bill_returns')
    with op.batch_alter_table('ledger') as rows:
        rows.drop_column('reward_id')
    with op.batch_alter_table('category_point_configs') as categories:
        categories.drop_column('is_redeemable')
    with op.batch_alter_table('config_versions') as config_versions:
        for column in ('rewards_json', 'promotions_json', 'time_zone', 'points_expiry_days'):
            config_versions.drop_column(column)
    with op.batch_alter_table('bills') as bills:
        bills.drop_column('bill_json')
