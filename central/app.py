"""The FastAPI application: routes of `central-api.md` and `sync-protocol.md` on one Store."""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI
from sqlalchemy import text

from central.push_queue import PushQueue
from central.http import JSONResponse, install_error_handlers, reply
from central.routes import billing, cards, config, flags, sync
from central.store import migrate
from central.store.db import Store
from pos_loyalty import __version__


def create_app(database: str | os.PathLike | None = None, *, store: Store | None = None) -> FastAPI:
    """The service on `database` (a SQLite file or URL, or postgresql://...), migrated."""
    store = store or Store(database)
    migrate.upgrade(store.engine)
    app = FastAPI(
        title="pos-loyalty central service",
        version=__version__,
        default_response_class=JSONResponse,
        description="Seed 002's Card Service, multi-tenant; see spec/central-api.md.",
    )
    app.state.store = store
    app.state.push_queue = PushQueue(store)
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health() -> JSONResponse:
        store.run(lambda unit: unit.connection.execute(text("SELECT 1")).scalar(), write=False)
        return reply({"status": "ok"})

    for module in (config, cards, billing, sync, flags):
        app.include_router(module.router, prefix="/api/v1")

    @app.on_event("startup")
    def fewer_collector_pauses() -> None:
        # The service makes many short-lived objects per push; everything built at start
        # up is permanent. Freezing it and collecting less often keeps the cyclic garbage
        # collector from pausing a worker for tens of milliseconds in the middle of a group.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)

    @app.on_event("shutdown")
    def close() -> None:
        app.state.push_queue.close()
        store.dispose()

    return app
