"""`pos-loyalty central serve`: the service under uvicorn, on SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import os

from central.store import migrate
from central.store.db import Store, database_url

log = logging.getLogger("central")


def app_from_environment():  # type: ignore[no-untyped-def]
    """The app for uvicorn's worker processes (`--workers N`): the database from the environment."""
    from central.app import create_app

    return create_app(os.environ["POS_LOYALTY_CENTRAL_DB"])


def serve(database: str | None, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    url = database_url(database)
    store = Store(url)
    migrate.upgrade(store.engine)  # once, before any worker starts
    store.dispose()
    os.environ["POS_LOYALTY_CENTRAL_DB"] = url
    log.info("central service on %s:%s, database %s, %s worker(s)", host, port, _safe(url), workers)
    uvicorn.run(
        "central.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
