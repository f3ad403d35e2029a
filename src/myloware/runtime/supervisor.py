"""``myloware up``: embedded services + migrations + api, worker and relay in one process.

Ctrl-C (SIGINT) or SIGTERM stops the roles, then the embedded servers, in that order, and
removes ``runtime.json``; nothing is left running and no lock file stays behind. While it
runs, a :class:`~myloware.runtime.watchdog.Watchdog` starts a server that died again.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import structlog

from myloware import secretbox
from myloware.auth.principal import CAPABILITIES
from myloware.auth.tokens import issue_token
from myloware.errors import StartupError
from myloware.runtime._llama import embedded_model_for, using_embedded_model
from myloware.runtime.bootstrap import bootstrap
from myloware.runtime.embedded import EmbeddedServices, ServiceEndpoints
from myloware.runtime.endpoints import Endpoints, remove_runtime_file, write_runtime_file
from myloware.runtime.eventloop import run
from myloware.runtime.roles import run_api, run_worker
from myloware.runtime.watchdog import Watchdog
from myloware.settings import Environment, Settings
from myloware.telemetry import shutdown_tracing

log = structlog.get_logger(__name__)


def ensure_port_free(host: str, port: int, setting: str) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StartupError(
                f"port {port} on {host} is already in use ({exc.strerror}); "
                f"stop the other program or choose another port with {setting}"
            ) from None


def run_up(settings: Settings, announce: Callable[[Endpoints], None]) -> None:
    """Blocking: start everything, call ``announce`` once ready, return after shutdown."""
    ensure_port_free(settings.api_host, settings.api_port, "MYLOWARE_API_PORT")
    if "model_task_queue" not in settings.model_fields_set:  # model calls queue apart
        settings = settings.model_copy(update={"model_task_queue": f"{settings.task_queue}-models"})
    services = EmbeddedServices(settings)
    model = embedded_model_for(settings)
    cancelled = threading.Event()
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="myloware-model") as pool:
            # the model loads beside the services (tens of seconds on a small machine)
            loading = pool.submit(model.start, cancelled) if model else None
            try:
                started = services.start()
            except BaseException:
                cancelled.set()
                raise
            if loading is not None and model is not None:
                loading.result()
                settings = using_embedded_model(settings, model)
        supervised = services.supervised() + ([("model", model)] if model else [])
        serving = _serve(
            settings, started, announce, Watchdog(supervised), model.url if model else None
        )
        run(serving, fast=True)
    finally:
        shutdown_tracing()  # the last spans go out before the services stop
        remove_runtime_file(settings)
        if model is not None:
            model.stop()
        services.stop()


async def _serve(
    settings: Settings,
    started: ServiceEndpoints,
    announce: Callable[[Endpoints], None],
    watchdog: Watchdog,
    model_url: str | None,
) -> None:
    secretbox.configure(settings)  # before bootstrap: it reseals connector secrets
    tenant_id = await bootstrap(started.database_url)
    dev_token = None
    if settings.env is not Environment.PRODUCTION:
        dev_token = issue_token(
            settings,
            tenant_id=tenant_id,
            capabilities=CAPABILITIES,
            subject="dev",
            ttl_seconds=7 * 24 * 3600,
        )
    endpoints = Endpoints(
        database_url=started.database_url,
        redis_url=started.redis_url,
        temporal_address=started.temporal_address,
        api_url=f"http://{settings.api_host}:{settings.api_port}",
        temporal_ui_url=started.temporal_ui_url,
        dev_token=dev_token,
        extractor=settings.extractor,
        model_url=model_url,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    roles = {
        "api": asyncio.create_task(run_api(settings, endpoints, stop, supervision=watchdog.status)),
        "worker": asyncio.create_task(run_worker(settings, endpoints, stop)),
    }
    watching = asyncio.create_task(watchdog.run(stop))  # a dead server is started again
    write_runtime_file(settings, endpoints)
    announce(endpoints)
    await asyncio.wait(
        {*roles.values(), asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
    )
    stop.set()
    results = await asyncio.gather(*roles.values(), return_exceptions=True)
    await watching
    for name, result in zip(roles, results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            log.error("role_failed", role=name, error=str(result))
            raise StartupError(f"the {name} role stopped: {result}") from result
