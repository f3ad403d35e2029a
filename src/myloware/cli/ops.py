"""Operating the platform: up, api, worker, relay, model, migrate."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel
from rich.table import Table

if TYPE_CHECKING:
    from temporalio.runtime import Runtime

from myloware.cli._common import console, run, settings_for_cli
from myloware.runtime.endpoints import Endpoints, resolve_endpoints
from myloware.settings import Settings, load_settings
from myloware.telemetry import shutdown_tracing


def _announce(endpoints: Endpoints) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    api = endpoints.api_url or ""
    table.add_row("API", f"{api}/v1  (docs: {api}/docs)")
    table.add_row("Health", f"{api}/health")
    if endpoints.temporal_ui_url:
        table.add_row("Temporal UI", endpoints.temporal_ui_url)
    table.add_row("Temporal", endpoints.temporal_address)
    table.add_row("PostgreSQL", endpoints.database_url)
    table.add_row("Redis", endpoints.redis_url)
    settings = load_settings()
    if endpoints.model_url:  # the bundled model, on llama.cpp (docs/models.md)
        table.add_row("Model", f"{endpoints.model_url}  (bundled Qwen2.5-Coder 1.5B)")
    table.add_row("Extractor", _extractor_line(endpoints.extractor or settings.extractor))
    if settings.smtp_port is not None:  # the API's e-mail intake (docs/email.md)
        where = settings.smtp_port or "a free port (the API logs smtp_listening)"
        table.add_row(
            "E-mail in", f"smtp://{settings.smtp_host}:{where}  (inboxes: myloware email open)"
        )
    console.print(Panel(table, title="MyloWare is up", subtitle="Ctrl-C to stop", expand=False))
    if endpoints.dev_token:
        console.print("Development token (all capabilities, default tenant, 7 days):")
        console.print(endpoints.dev_token, soft_wrap=True, highlight=False)
    console.print(
        "Try: [bold]myloware submit invoice.pdf --wait[/]   "
        "(the CLI finds this running platform by itself)"
    )


def _extractor_line(extractor: str) -> str:
    return {
        "rules": "rules (offline, no model)",
        "hybrid": "hybrid (rules; the model for what they cannot read)",
        "model": "model (every document asks the model; rules when it cannot answer)",
        "agent": "agent (a model with tools, every document; rules when it cannot answer)",
    }.get(extractor, extractor)


def up() -> None:
    """Start everything on this machine: services, API, worker and event relay.

    PostgreSQL, Redis and Temporal are embedded unless external URLs are configured; the
    database is migrated and seeded first."""
    from myloware.runtime.supervisor import run_up

    settings = settings_for_cli(quiet_logs=False)
    console.print(f"Starting MyloWare (data in {settings.data_path}) …")
    run_up(settings, _announce)
    console.print("MyloWare stopped.")


async def _serve_role(role: str) -> None:
    from myloware.runtime import roles

    settings = settings_for_cli(quiet_logs=False)
    endpoints = resolve_endpoints(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if role != "api" and settings.metrics_port is not None:
        from prometheus_client import start_http_server

        # process figures (CPU, memory, open files, GC) at /metrics: Prometheus and probes
        start_http_server(settings.metrics_port)
        console.print(f"{role}: metrics on :{settings.metrics_port}/metrics", style="dim")
    try:
        if role == "api":
            await roles.run_api(settings, endpoints, stop)
        elif role == "worker":
            await roles.run_worker(
                settings, endpoints, stop, with_relay=False, runtime=_worker_runtime(settings)
            )
        else:
            await roles.run_relay(settings, endpoints, stop)
    finally:
        shutdown_tracing()  # the last spans go out before the process ends


def _worker_runtime(settings: Settings) -> Runtime | None:
    """With a metrics port: a Temporal runtime whose SDK metrics are served on it too."""
    if settings.metrics_port is None:
        return None
    from myloware.worker.sdk_metrics import runtime_with_metrics

    return runtime_with_metrics()


def api() -> None:
    """Run only the API server (production role; services from MYLOWARE_* settings)."""
    run(_serve_role("api"), fast=True)


def worker() -> None:
    """Run only a Temporal worker (scale out by starting more)."""
    run(_serve_role("worker"), fast=True)


def relay() -> None:
    """Run only the event relay: outbox → Redis Streams, webhooks, Slack, memory indexer."""
    run(_serve_role("relay"), fast=True)


def model(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "0.0.0.0",
    port: Annotated[
        int | None, typer.Option(help="default: MYLOWARE_LOCAL_MODEL_PORT (8081)")
    ] = None,
) -> None:
    """Run only the bundled model server (production role): llama.cpp's OpenAI API.

    Workers reach it at MYLOWARE_LOCAL_MODEL_BASE_URL=http://HOST:PORT/v1. It uses
    MYLOWARE_LOCAL_MODEL_THREADS threads, by default every core this process may use."""
    from myloware.models.bundled import QWEN_CODER_1_5B, bundled_model_path
    from myloware.runtime import llama_server

    settings = settings_for_cli(quiet_logs=False)
    port = port or settings.local_model_port
    llama_server.check_port(host, port)
    path = bundled_model_path(settings.data_path / "models", QWEN_CODER_1_5B)
    threads = settings.local_model_threads or len(os.sched_getaffinity(0))
    argv = [
        "--model", str(path), "--alias", QWEN_CODER_1_5B.name, "--host", host,
        "--port", str(port), "--threads", str(threads),
        "--context", str(settings.local_model_context),
        "--parallel", str(settings.local_model_parallel), "--nice", "0",
    ]  # fmt: skip
    llama_server.main(argv)


def migrate() -> None:
    """Apply database migrations and seed data (idempotent)."""
    from myloware import secretbox
    from myloware.runtime.bootstrap import bootstrap

    settings = settings_for_cli()
    endpoints = resolve_endpoints(settings)
    secretbox.configure(settings)  # migrate also reseals connector secrets under the key
    tenant_id = run(bootstrap(endpoints.database_url))
    console.print(f"database is at the latest schema; default tenant {tenant_id}")


def register(app: typer.Typer) -> None:
    for fn in (up, api, worker, relay, model, migrate):
        app.command()(fn)
