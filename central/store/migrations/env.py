"""Alembic environment for the central database (SQLite or PostgreSQL).

Normally run by `central.store.migrate.upgrade`, which passes an open connection inside a
locked transaction. By hand: `alembic -c central/alembic.ini -x db=URL ...`.
"""

from alembic import context
from sqlalchemy import create_engine

from central.store.db import database_url
from central.store.models import Base

config = context.config
connection = config.attributes.get("connection")


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    url = database_url(context.get_x_argument(as_dictionary=True).get("db"))
    with create_engine(url).connect() as own_connection:
        run(own_connection)
        own_connection.commit()
