"""The till's services: one unit of work per cashier or manager action.

Callers (the CLI, the counter app, the sync daemon) open the replica once with
`open_replica` and call these functions; each either commits everything it set out to
do or nothing, and raises `LoyaltyError` for anything a user got wrong.
"""

from __future__ import annotations

from pathlib import Path

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bills, cards, configuration, status


def open_replica(data_dir: Path | str) -> Replica:
    """Open the till's replica in `data_dir`, migrating it and giving a new one a configuration."""
    replica = Replica.open(data_dir)
    configuration.ensure_default(replica)
    return replica


__all__ = ["bills", "cards", "configuration", "open_replica", "status"]
