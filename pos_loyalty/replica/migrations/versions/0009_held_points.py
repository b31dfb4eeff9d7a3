"""points held on a card for a pending payment, as pulled

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import json
from decimal import Decimal, InvalidOperation

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Points a web shop or an app holds on a card for a payment pending there (pulled).
    op.create_table('card_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_holds_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_holds'))
    )
    op.create_index(op.f('ix_card_holds_card_id'), 'card_holds', ['card_id'])
    # A parked bill holds the points it redeems at this till (services/parked.py).
    with op.batch_alter_table('parked_bills') as parked:
        parked.add_column(sa.Column('card_number', sa.String(length=32), nullable=True))
        parked.add_column(sa.Column('held_points', sa.Integer(), nullable=False, server_default='0'))
        parked.create_index(op.f('ix_parked_bills_card_number'), ['card_number'])
    # Bills parked before this version: their card and redemption, from their document (the
    # reward products they carry are priced when they are parked again).
    connection = op.get_bind()
    for parked_id, document in connection.execute(sa.text('SELECT id, document FROM parked_bills')).all():
        try:
            doc = json.loads(document, parse_float=Decimal)
            number = doc.get('cardNumber') if isinstance(doc.get('cardNumber'), str) else None
            held = int(Decimal(doc.get('redeemPoints') or 0) * 100) if number else 0
        except (ValueError, TypeError, AttributeError, InvalidOperation):
            continue
        connection.execute(
            sa.text('UPDATE parked_bills SET card_number = :number, held_points = :held WHERE id = :id'),
            {'number': number, 'held': max(held, 0), 'id': parked_id},
        )


def downgrade() -> None:
    with op.batch_alter_table('parked_bills') as parked:
        parked.drop_index(op.f('ix_parked_bills_card_number'))
        parked.drop_column('held_points')
        parked.drop_column('card_number')
    op.drop_index(op.f('ix_card_holds_card_id'), 'card_holds')
    op.drop_table('card_holds')
