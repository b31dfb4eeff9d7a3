"""`pos-loyalty central serve`: the service under uvicorn, on SQLite or PostgreSQL.

With `--workers N` (N > 1) on Linux, each worker process binds its own socket to the
port with SO_REUSEPORT, so the kernel spreads connections evenly over the workers
(with one shared socket, whichever worker wakes first takes most of them). A worker
that dies is started again. Elsewhere, uvicorn's own `--workers` is used.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time

from central.store import migrate
from central.store.db import Store, database_url
from central.store.expiry import DailyExpiry
from central.webhook_delivery import Deliverer

log = logging.getLogger("central")


def app_from_environment():  # type: ignore[no-untyped-def]
    """The app for uvicorn's worker processes: the database from the environment."""
    from central.app import create_app

    return create_app(os.environ["POS_LOYALTY_CENTRAL_DB"])


def serve(database: str | None, host: str, port: int, workers: int = 1) -> None:
    url = database_url(database)
    store = Store(url)
    migrate.upgrade(store.engine)  # once, before any worker starts
    store.dispose()
    os.environ["POS_LOYALTY_CENTRAL_DB"] = url
    log.info("central service on %s:%s, database %s, %s worker(s)", host, port, _safe(url), workers)
    # Points expire once a day, and webhook deliveries go out, run by this process alone
    # (not by every worker).
    DailyExpiry(Store(url)).start()
    Deliverer(Store(url)).start()
    serve_app(APP, host, port, workers)


#: The service's app factory, as uvicorn imports it in each worker.
APP = "central.serve:app_from_environment"


def serve_app(app: str, host: str, port: int, workers: int = 1) -> None:
    """Run the app factory `app` ("module:function") under uvicorn with `workers` processes
    (a benchmark's bare baseline runs the same way as the service)."""
    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        _serve_reuseport(app, host, port, workers)
        return
    import uvicorn

    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _worker(app: str, host: str, port: int) -> None:
    import uvicorn

    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose protocol says TCP, and an accepted socket inherits the listener's. With
    # Nagle on, the body of an answer written after its headers waited for the client's
    # delayed ACK: every call on --workers 2 or more took 40 ms more (issue 18).
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    listener.listen(2048)
    config = uvicorn.Config(app, factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[listener])


def _serve_reuseport(app: str, host: str, port: int, workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(app, host, port), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    stopping = False

    def stop(_signum, _frame) -> None:  # type: ignore[no-untyped-def]
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        time.sleep(0.5)
        for index, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
                processes[index] = context.Process(target=_worker, args=(app, host, port), daemon=True)
                processes[index].start()
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
