"""The Temporal SDK's own metrics, served with the worker's on ``MYLOWARE_METRICS_PORT``.

The SDK's core (Rust) keeps its metrics (poll and task latencies, task slots, sticky cache,
activity and workflow outcomes, request failures …) and serves them in Prometheus form on an
address of its own. The worker gives its Temporal runtime a loopback port for that, and
:class:`TemporalSdkMetrics`, registered in the worker's registry, reads that page at each
scrape and passes its families on: Prometheus scrapes one port per worker and gets both.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator

import structlog
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

log = structlog.get_logger(__name__)
SCRAPE_TIMEOUT_S = 2.0


class TemporalSdkMetrics(Collector):
    """The SDK's metric families, read from its loopback endpoint at each collection."""

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> list[Metric]:
        # names are known only once the SDK has served them: no check at registration
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            with urllib.request.urlopen(self.url, timeout=SCRAPE_TIMEOUT_S) as answer:
                text = answer.read().decode()
        except OSError as exc:  # the worker's own figures are still served
            log.warning("temporal_sdk_metrics_unavailable", error=str(exc))
            return
        yield from text_string_to_metric_families(text)


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def runtime_with_metrics(registry: CollectorRegistry = REGISTRY) -> Runtime:
    """A Temporal runtime whose SDK metrics (durations in seconds, counters ending in
    ``_total``) reach ``registry``; connect the worker's client with it."""
    url = f"127.0.0.1:{_free_loopback_port()}"
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=url, counters_total_suffix=True, durations_as_seconds=True
            )
        )
    )
    registry.register(TemporalSdkMetrics(f"http://{url}/metrics"))
    return runtime
