"""OpenTelemetry tracing, off unless ``otel_exporter_otlp_endpoint`` is set.

One tracer provider per process, made by the first composition root that asks for it
(:func:`tracer_provider`): the API app (FastAPI instrumentation), the Temporal client and worker
(Temporal's ``TracingInterceptor``, which carries the trace from the API request into the
workflow and each activity) and the model router (a span around each model call, see
:func:`tracer`). Spans go in batches to the collector's OTLP/HTTP endpoint; a collector that is
down costs dropped spans and a log line from the exporter, never a failed request.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

import myloware
from myloware.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

TRACES_PATH = "/v1/traces"
_lock = threading.Lock()
_current: tuple[tuple[str, str], TracerProvider] | None = None


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT
    means it: ``/v1/traces`` is appended unless it is there already)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(TRACES_PATH) else endpoint + TRACES_PATH


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """This process's provider for the configured endpoint; None when tracing is off.

    Asked again with another endpoint (a test with a collector of its own), the old provider
    is flushed and shut down and a new one takes its place."""
    global _current
    endpoint = settings.otel_exporter_otlp_endpoint
    if endpoint is None:
        return None
    key = (traces_url(endpoint), settings.otel_service_name)
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        if _current is not None:
            _current[1].shutdown()
        _current = (key, _new_provider(*key))
        return _current[1]


def _new_provider(url: str, service_name: str) -> TracerProvider:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {"service.name": service_name, "service.version": myloware.__version__}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    return provider


def tracer(name: str) -> trace.Tracer:
    """A tracer of the configured provider, or one that records nothing (tracing off)."""
    current = _current
    return current[1].get_tracer(name) if current is not None else trace.NoOpTracer()


def temporal_interceptors(settings: Settings) -> list[Any]:
    """Temporal's tracing interceptor for a client (its worker inherits it), when tracing is
    on: the workflow and activity spans join the trace of whoever started the workflow."""
    provider = tracer_provider(settings)
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer("temporalio"))]


def shutdown_tracing() -> None:
    """Export the spans still buffered and stop (a role's clean exit; tests)."""
    global _current
    with _lock:
        if _current is not None:
            _current[1].shutdown()
        _current = None
