"""The long-running roles as coroutines that stop when ``stop`` is set.

``myloware api``, ``myloware worker`` and ``myloware relay`` run one each; ``myloware up``
runs them all in one process next to the embedded services.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import structlog
import uvicorn

from myloware.runtime.endpoints import Endpoints
from myloware.settings import Settings

if TYPE_CHECKING:
    from temporalio.runtime import Runtime

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_api(
    settings: Settings,
    endpoints: Endpoints,
    stop: asyncio.Event,
    *,
    supervision: Callable[[], dict[str, dict[str, object]]] | None = None,
) -> None:
    from myloware.api.app import create_app

    app = create_app(
        settings,
        database_url=endpoints.database_url,
        redis_url=endpoints.redis_url,
        temporal_address=endpoints.temporal_address,
        supervision=supervision,
    )
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
    )
    server = _Server(config)
    # what start-up allocated lives as long as the process: keep it out of the collector's
    # full passes, which otherwise stall requests for tens of milliseconds under load
    gc.collect()
    gc.freeze()
    serving = asyncio.create_task(server.serve())
    await _until(stop, serving)
    state = getattr(app.state, "myloware", None)
    if state is not None:  # uvicorn waits for open responses: end the UI's event streams
        state.stopping.set()
    server.should_exit = True
    await serving
    if not server.started and not stop.is_set():
        raise RuntimeError("the API server failed to start")


async def run_worker(
    settings: Settings,
    endpoints: Endpoints,
    stop: asyncio.Event,
    *,
    with_relay: bool = True,
    runtime: Runtime | None = None,
) -> None:
    """The Temporal worker, the reconciler of unsettled orders, retention and (by default)
    the relay.

    ``runtime``: the Temporal runtime to connect with (one that exports the SDK's metrics)."""
    import redis.asyncio as aioredis

    from myloware.db.engine import create_engine, session_factory
    from myloware.documents import blob_store_for
    from myloware.temporal_client import connect
    from myloware.worker.attempts import trace_engine
    from myloware.worker.build import build_workers
    from myloware.worker.reconcile import Reconciler
    from myloware.worker.retention import Retention, run_retention

    engine = create_engine(endpoints.database_url)
    traces = trace_engine(endpoints.database_url)
    sessions = session_factory(engine)
    # model breakers, shared between workers: a hung Redis must not hold model calls up
    redis = aioredis.from_url(endpoints.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    client = await connect(settings, endpoints.temporal_address, runtime=runtime)
    workers = build_workers(
        client,
        settings,
        sessions,
        blob_store_for(settings),
        trace_sessions=session_factory(traces),
        redis=redis,
    )
    gc.collect()  # as in the API: start-up objects stay out of the collector's full passes
    gc.freeze()
    tasks = [
        asyncio.create_task(Reconciler(client, settings, sessions).run(stop)),
        # model transcripts, old events, stream entries, archived attempts and audit rows
        asyncio.create_task(
            run_retention(sessions, redis, Retention.from_settings(settings), stop)
        ),
    ]
    if with_relay:
        tasks.append(asyncio.create_task(run_relay(settings, endpoints, stop)))
    try:
        async with contextlib.AsyncExitStack() as running:
            for worker in workers:  # the documents' queue, and the model's when it has one
                await running.enter_async_context(worker)
            log.info(
                "worker_started",
                task_queue=settings.task_queue,
                model_queue=settings.model_task_queue,
            )
            await stop.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await engine.dispose()
        await traces.dispose()
        await redis.aclose()


async def run_relay(settings: Settings, endpoints: Endpoints, stop: asyncio.Event) -> None:
    """Publish committed outbox rows to the Redis Stream, run the platform's consumer groups
    (webhooks, slack) on it, and embed new memory docs, until stopped."""
    import redis.asyncio as aioredis

    from myloware import secretbox
    from myloware.db.engine import create_engine, session_factory
    from myloware.events.relay import OutboxRelay
    from myloware.memory import embedder_for
    from myloware.memory.indexer import MemoryIndexer
    from myloware.runtime.consumers import run_consumers

    secretbox.configure(settings)  # webhooks and Slack read their connectors' secrets
    engine = create_engine(endpoints.database_url, pool_size=4)
    sessions = session_factory(engine)
    # bounded calls: a frozen Redis (no reset, no answer) delays the relay, never hangs it
    redis = aioredis.from_url(endpoints.redis_url, socket_timeout=10, socket_connect_timeout=2)
    relay = OutboxRelay(sessions, redis, stream=settings.events_stream)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(relay.run(stop))
            group.create_task(run_consumers(settings, sessions, redis, stop))
            embedder = embedder_for(settings)
            if embedder is not None:
                group.create_task(MemoryIndexer(engine, embedder).run(stop))
    finally:
        await redis.aclose()
        await engine.dispose()


async def _until(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
