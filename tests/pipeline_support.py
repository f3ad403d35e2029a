"""Helpers for end-to-end pipeline tests: a worker on its own task queue and polling."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from myloware.agents import PIPELINE
from myloware.db.engine import create_engine, session_factory
from myloware.documents import blob_store_for
from myloware.settings import Settings
from myloware.temporal_client import connect
from myloware.worker.build import build_workers
from tests.polling import eventually

if TYPE_CHECKING:
    from fastapi import FastAPI
    from temporalio.runtime import Runtime

AGENTS = [str(agent) for agent in PIPELINE]


@asynccontextmanager
async def running_worker(
    settings: Settings,
    database_url: str,
    temporal_address: str,
    *,
    activities: list[Any] | None = None,
    runtime: Runtime | None = None,
) -> AsyncIterator[None]:
    """``runtime``: the Temporal runtime its client uses (the worker role's, with metrics)."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    client = await connect(settings, temporal_address, runtime=runtime)
    # the documents' worker, and the model task queue's when the settings name one
    workers = build_workers(
        client, settings, sessions, blob_store_for(settings), activities=activities
    )
    async with contextlib.AsyncExitStack() as running:
        for worker in workers:
            await running.enter_async_context(worker)
        yield
    await engine.dispose()


async def wait_for_order(
    api: httpx.AsyncClient, order_id: str, headers: dict[str, str], timeout_s: float = 60.0
) -> dict[str, Any]:
    """The work order once it settled (COMPLETED, FAILED or REJECTED)."""

    async def settled() -> dict[str, Any] | None:
        order = (await api.get(f"/v1/work-orders/{order_id}", headers=headers)).json()["data"]
        return dict(order) if order["status"] in ("COMPLETED", "FAILED", "REJECTED") else None

    return await eventually(
        settled, timeout_s=timeout_s, interval=0.1, message=f"order {order_id} never settled"
    )


async def items_of(
    api: httpx.AsyncClient, order_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/work-orders/{order_id}/work-items", headers=headers)
    return list(r.json()["data"])


async def attempts_of(
    api: httpx.AsyncClient, item_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/work-items/{item_id}/attempts", headers=headers)
    return list(r.json()["data"])


class AppClient(httpx.AsyncClient):
    """An httpx client on a real app that keeps the app (``app``) for tests that reach into its
    state, and, from ``api_with_worker``, the settings it runs with (``settings``)."""

    app: FastAPI
    settings: Settings


@asynccontextmanager
async def app_client(
    settings: Settings, *, database_url: str, redis_url: str, temporal_address: str
) -> AsyncIterator[AppClient]:
    """An httpx client on a real app built from ``settings`` (lifespan run around it)."""
    from myloware.api.app import create_app

    app = create_app(
        settings, database_url=database_url, redis_url=redis_url, temporal_address=temporal_address
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            client.app = app
            yield client


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1, for ``uvicorn.Server.serve(sockets=…)``.

    Made with ``IPPROTO_TCP`` and ``TCP_NODELAY`` (accepted connections inherit it): asyncio's
    own loop turns Nagle's algorithm off only on sockets whose ``proto`` says TCP, and
    uvicorn makes its sockets with 0, so on a kept-alive connection each response waited for
    the client's delayed ACK — ~48 ms a request instead of ~5 (uvloop, which the platform's
    roles run on, turns it off itself)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(
    settings: Settings, *, database_url: str, redis_url: str, temporal_address: str
) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1 (its base URL), in a thread."""
    from myloware.api.app import create_app

    app = create_app(
        settings,
        database_url=database_url,
        redis_url=redis_url,
        temporal_address=temporal_address,
    )
    sock = loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        for _ in range(600):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert server.started, "the API did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def unique_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def api_with_worker(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    temporal_address: str,
    **overrides: object,
) -> AsyncIterator[AppClient]:
    """The API (``client.settings`` set) and a worker, on a task queue of their own, with
    ``overrides`` applied to ``settings``."""
    local = settings.model_copy(update={"task_queue": unique_queue(), **overrides})
    async with (
        app_client(
            local, database_url=database_url, redis_url=redis_url, temporal_address=temporal_address
        ) as client,
        running_worker(local, database_url, temporal_address),
    ):
        client.settings = local
        yield client
