"""The till's SQLite replica: models, engine and unit of work, migrations."""

from pos_loyalty.replica.db import Replica, UnitOfWork

__all__ = ["Replica", "UnitOfWork"]
