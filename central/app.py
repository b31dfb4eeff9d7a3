"""The FastAPI application: routes of `central-api.md` and `sync-protocol.md` on one Store."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from central import console, limits, openapi
from central.http import JSONResponse, install_error_handlers, reply
from central.push_queue import PushQueue
from central.routes import billing, card_import, cards, config, flags, holds, reports, sync, webhooks
from central.schemas.service import Health
from central.store import migrate
from central.store.db import Store
from pos_loyalty import __version__


def create_app(database: str | os.PathLike | None = None, *, store: Store | None = None) -> FastAPI:
    """The service on `database` (a SQLite file or URL, or postgresql://...), migrated."""
    store = store or Store(database)
    migrate.upgrade(store.engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The service makes many short-lived objects per push; everything built at start
        # up is permanent. Freezing it and collecting less often keeps the cyclic garbage
        # collector from pausing a worker for tens of milliseconds in the middle of a group.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        yield
        app.state.push_queue.close()
        store.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="pos-loyalty central service",
        version=__version__,
        default_response_class=JSONResponse,
        description="Seed 002's Card Service, multi-tenant; see spec/central-api.md. Every failure is "
        '`{"error": {"code", "message", ...}}`; numbers are exact decimals written as JSON numbers.',
        openapi_url=None,  # served by central.openapi, with exact decimals
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.push_queue = PushQueue(store)
    app.state.page_buckets = limits.Buckets()
    install_error_handlers(app)
    openapi.install(app)

    @app.get("/health", tags=["health"], **openapi.contract(Health, token=None, ok_examples=("health",)))
    def health() -> JSONResponse:
        """`{"status": "ok"}` once the database answers (no token needed)."""
        store.run(lambda unit: unit.connection.execute(text("SELECT 1")).scalar(), write=False)
        return reply({"status": "ok"})

    # The routes a request is matched against in order: the billing system's and the tills'
    # first (issue 18); card_import before cards, as /cards/export is no card's id.
    for module in (billing, card_import, cards, sync, config, holds, flags, webhooks, reports):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(console.router, include_in_schema=False)  # the head office's pages, not the API

    return app
