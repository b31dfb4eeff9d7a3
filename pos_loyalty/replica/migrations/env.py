"""Alembic environment for the till's replica.

Normally run by `pos_loyalty.replica.migrate`, which passes an open connection already
inside `BEGIN IMMEDIATE`. Run by hand (`alembic -c alembic.ini revision --autogenerate`),
it opens the file named by `-x db=PATH` (default ./replica.sqlite3).
"""

from alembic import context
from sqlalchemy import create_engine

from pos_loyalty.replica.models import Base

config = context.config
connection = config.attributes.get("connection")


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    path = context.get_x_argument(as_dictionary=True).get("db", "replica.sqlite3")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as own_connection:
        run(own_connection)
        own_connection.commit()
