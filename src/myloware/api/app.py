"""The API role's composition root: ``create_app`` lists everything it wires."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import myloware
from myloware import secretbox
from myloware.api.docs import install_docs
from myloware.api.routes import (
    accounts,
    accuracy,
    api_keys,
    approvals,
    audit,
    connectors,
    costs,
    dead_letters,
    health,
    mail,
    memory,
    page_links,
    pages,
    policies,
    schemas,
    templates,
    tenants,
    ui_sessions,
    work_items,
    work_orders,
)
from myloware.db.engine import create_engine, read_session_factory, session_factory
from myloware.documents import blob_store_for
from myloware.memory import embedder_for
from myloware.settings import Settings
from myloware.slack import build_slack_router
from myloware.slack.gateway import deps_from_state
from myloware.slack.socket_mode import SocketModeConnections
from myloware.telemetry import tracer_provider
from myloware.temporal_client import start_work_order
from myloware.ui import router as ui_router
from myloware.ui.oidc import oidc_capabilities
from myloware.web.errors import install_error_handlers
from myloware.web.middleware import BodySizeLimitMiddleware, Metrics, RequestContextMiddleware
from myloware.web.ratelimit import AuthFailureThrottle, LocalWindow, RateLimiter
from myloware.web.state import AppState
from myloware.web.temporal import dispatch, temporal_client

log = structlog.get_logger(__name__)

SHUTDOWN_WAIT_S = 15.0


async def _finish(task: asyncio.Task[None], wait_s: float) -> None:
    """Let a background task end after its stop signal; cancel it past ``wait_s``."""
    done, _ = await asyncio.wait({task}, timeout=wait_s)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _smtp(state: AppState) -> Any:
    """The e-mail intake's SMTP listener, when ``smtp_port`` is set (its port in the state)."""
    if state.settings.smtp_port is None:
        return None
    from myloware.mail.server import IntakeHandler, SmtpListener

    async def start(order_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        await dispatch(state, order_id, tenant_id)

    handler = IntakeHandler(state.sessions, state.settings, state.blobs, start)
    listener = SmtpListener(handler, state.settings)
    state.smtp_port = await listener.start()
    return listener


def create_app(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    temporal_address: str,
    supervision: Callable[[], dict[str, dict[str, object]]] | None = None,
) -> FastAPI:
    """Build the FastAPI app; services are created in the lifespan and closed after it.

    ``supervision``: under ``myloware up``, the watchdog's view of the embedded servers
    (shown by ``/health``)."""
    secretbox.configure(settings)  # connector secrets are sealed with this process's key
    if settings.oidc_issuer:  # a wrong capability name stops the API, not each sign-in
        oidc_capabilities(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(database_url)
        redis = aioredis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        state = AppState(
            settings=settings,
            temporal_address=temporal_address,
            supervision=supervision,
            engine=engine,
            sessions=session_factory(engine),
            read_sessions=read_session_factory(engine),
            redis=redis,
            rate_limiter=RateLimiter(
                redis,
                limit=settings.rate_limit_per_minute,
                degraded=metrics.rate_limit_degraded,
            ),
            metrics=metrics,
            blobs=blob_store_for(settings),
            auth_failures=AuthFailureThrottle(
                RateLimiter(
                    redis,
                    limit=settings.auth_failures_per_minute,
                    name="auth_failures",
                    degraded=metrics.rate_limit_degraded,
                    fallback=LocalWindow(),
                )
            ),
        )
        state.embedder = embedder_for(settings)  # loads on the first search

        async def dispatch(order_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
            await start_work_order(
                await temporal_client(state), state.settings, order_id, tenant_id
            )

        state.dispatcher = dispatch
        app.state.myloware = state
        stop = asyncio.Event()  # Slack Socket Mode: the connectors with an app token
        sockets = SocketModeConnections(deps_from_state(state))
        socket_task: asyncio.Task[None] | None = None
        smtp: Any = None  # myloware.mail.server.SmtpListener
        try:
            smtp = await _smtp(state)
            socket_task = asyncio.create_task(sockets.run(stop, settings.slack_socket_refresh_s))
            yield
        finally:
            state.stopping.set()  # the UI's event streams end
            if smtp is not None:
                await smtp.stop()
            stop.set()
            if socket_task is not None:
                await _finish(socket_task, SHUTDOWN_WAIT_S)
            if not await state.slack_inflight.drain(SHUTDOWN_WAIT_S):
                log.warning("slack_listeners_cut_off", running=state.slack_inflight.running)
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="MyloWare Platform API",
        version=myloware.__version__,
        description="AI-powered document processing with human-in-the-loop governance.\n\n"
        "Authenticate with `Authorization: Bearer <JWT>` or `X-API-Key: <key>`. Every error "
        "answers in one format (`ErrorResponse`). Text PostgreSQL cannot store (a NUL "
        "character, an unpaired UTF-16 surrogate) is refused with 422 in every field.",
        lifespan=lifespan,
        docs_url=None,  # install_docs serves /docs and /redoc without a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)
    for module in (
        work_orders,
        work_items,
        pages,
        page_links,
        approvals,
        policies,
        audit,
        dead_letters,
        connectors,
        api_keys,
        accounts,
        ui_sessions,
        tenants,
        schemas,
        memory,
        mail,
        templates,
        costs,
        accuracy,
    ):
        app.include_router(module.router)
    app.include_router(templates.tools_router)
    app.include_router(health.router)
    app.include_router(ui_router)
    app.include_router(build_slack_router())
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "Idempotency-Key"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics, hsts=settings.behind_tls)
    _trace_requests(app, settings)
    return app


def _trace_requests(app: FastAPI, settings: Settings) -> None:
    """A server span for each request (outermost, so it times everything), when tracing is
    on; the probes' and scrapers' calls are left out."""
    provider = tracer_provider(settings)
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="/health$,/metrics$",
        exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
    )
