"""Operator metrics read from the database and Redis: what the platform holds and owes.

The API's ``/metrics`` refreshes them before it answers, at most once every
:attr:`PlatformMetrics.min_interval_s` (a few aggregate queries, the partial indexes of
outbox, approvals and model attempts doing the work), so any number of scrapers cost one
refresh per interval. Every figure is platform-wide: no tenant's id or slug is a label
(``/metrics`` is not behind a credential). A refresh that fails keeps the last figures and
sets ``myloware_platform_metrics_up`` to 0.

See docs/observability.md for the table of metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.base import WorkItemStatus, WorkOrderStatus

log = structlog.get_logger(__name__)

_COUNTS = text(
    """
SELECT
  (SELECT count(*) FROM approval_requests WHERE status = 'PENDING') AS approvals_waiting,
  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
     FROM approval_requests WHERE status = 'PENDING') AS approvals_oldest_s,
  (SELECT count(*) FROM approval_requests
     WHERE status = 'PENDING' AND due_at < now()) AS approvals_overdue,
  (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS outbox_backlog,
  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
     FROM outbox WHERE published_at IS NULL) AS outbox_oldest_s,
  (SELECT count(*) FROM dead_letters WHERE processed_at IS NULL) AS dead_letters_open
"""
)
_ITEMS = text("SELECT status::text, count(*) FROM work_items GROUP BY status")
_ORDERS = text("SELECT status::text, count(*) FROM work_orders GROUP BY status")
_MODELS = text(
    """
SELECT coalesce(model, 'unknown'), count(*), coalesce(sum(tokens_in), 0),
       coalesce(sum(tokens_out), 0), coalesce(sum(cost_usd), 0)
FROM attempts WHERE tokens_in IS NOT NULL GROUP BY 1
"""
)


@dataclass
class Snapshot:
    """The figures of one refresh."""

    work_items: dict[str, int] = field(default_factory=dict)
    work_orders: dict[str, int] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    # model -> (calls, tokens in, tokens out, cost in USD)
    models: dict[str, tuple[int, int, int, float]] = field(default_factory=dict)
    stream_length: int | None = None
    # consumer group -> (pending, lag or None where Redis does not say)
    groups: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    up: bool = False
    refreshed_at: float = 0.0


async def read_snapshot(
    sessions: async_sessionmaker[AsyncSession], redis: Any, stream: str
) -> Snapshot:
    """The figures now: from the database, then the events stream (Redis being down leaves
    the stream's figures out; the database being down fails the refresh)."""
    snap = Snapshot(up=True, refreshed_at=time.monotonic())
    async with sessions() as session:
        row = (await session.execute(_COUNTS)).mappings().one()
        snap.counts = {k: float(v or 0) for k, v in row.items()}
        snap.work_items = {s.value: 0 for s in WorkItemStatus}
        snap.work_items.update({s: int(n) for s, n in (await session.execute(_ITEMS)).all()})
        snap.work_orders = {s.value: 0 for s in WorkOrderStatus}
        snap.work_orders.update({s: int(n) for s, n in (await session.execute(_ORDERS)).all()})
        snap.models = {
            str(model): (int(calls), int(t_in), int(t_out), float(cost))
            for model, calls, t_in, t_out, cost in (await session.execute(_MODELS)).all()
        }
    try:
        snap.stream_length = int(await redis.xlen(stream))
        for group in await redis.xinfo_groups(stream) if snap.stream_length else []:
            name = group["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            lag = group.get("lag")
            snap.groups[name] = (int(group.get("pending") or 0), None if lag is None else int(lag))
    except Exception as exc:  # no stream yet, or Redis away: the database figures still count
        log.debug("platform_metrics_stream_unavailable", error_type=type(exc).__name__)
    return snap


class PlatformMetrics(Collector):
    """A Prometheus collector of the last :class:`Snapshot`, refreshed by :meth:`refresh`."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        min_interval_s: float = 10.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.timeout_s = timeout_s
        self.snapshot = Snapshot()
        registry.register(self)

    async def refresh(
        self, sessions: async_sessionmaker[AsyncSession], redis: Any, stream: str
    ) -> None:
        """Read the figures again unless the last refresh is recent."""
        last = self.snapshot.refreshed_at
        if last and time.monotonic() - last < self.min_interval_s:
            return
        try:
            async with asyncio.timeout(self.timeout_s):  # a scrape never hangs on the database
                self.snapshot = await read_snapshot(sessions, redis, stream)
        except Exception as exc:
            log.warning("platform_metrics_failed", error_type=type(exc).__name__)
            self.snapshot.up = False
            self.snapshot.refreshed_at = time.monotonic()

    def collect(self) -> Iterator[Any]:
        snap = self.snapshot
        yield GaugeMetricFamily(
            "myloware_platform_metrics_up",
            "1 when the last refresh of these figures read the database",
            value=1 if snap.up else 0,
        )
        if not snap.refreshed_at or not snap.counts:
            return
        for name, help_text, values in (
            ("myloware_work_items", "Work items by status", snap.work_items),
            ("myloware_work_orders", "Work orders by status", snap.work_orders),
        ):
            family = GaugeMetricFamily(name, help_text, labels=["status"])
            for status, count in sorted(values.items()):
                family.add_metric([status], count)
            yield family
        c = snap.counts
        for name, key, help_text in (
            ("myloware_approvals_waiting", "approvals_waiting", "Approval requests waiting"),
            (
                "myloware_approvals_oldest_age_seconds",
                "approvals_oldest_s",
                "Age of the oldest waiting approval request",
            ),
            (
                "myloware_approvals_overdue",
                "approvals_overdue",
                "Waiting approval requests past their SLA (due_at)",
            ),
            ("myloware_outbox_backlog", "outbox_backlog", "Outbox events not yet published"),
            (
                "myloware_outbox_oldest_age_seconds",
                "outbox_oldest_s",
                "Age of the oldest unpublished outbox event (relay lag)",
            ),
            ("myloware_dead_letters_open", "dead_letters_open", "Dead letters not replayed"),
        ):
            yield GaugeMetricFamily(name, help_text, value=c.get(key, 0.0))
        calls = CounterMetricFamily(
            "myloware_model_calls", "Agent attempts that called a model", labels=["model"]
        )
        tokens = CounterMetricFamily(
            "myloware_model_tokens", "Model tokens spent", labels=["model", "direction"]
        )
        cost = CounterMetricFamily(
            "myloware_model_cost_usd", "Model cost in US dollars", labels=["model"]
        )
        for model, (n, t_in, t_out, usd) in sorted(snap.models.items()):
            calls.add_metric([model], n)
            tokens.add_metric([model, "in"], t_in)
            tokens.add_metric([model, "out"], t_out)
            cost.add_metric([model], usd)
        yield from (calls, tokens, cost)
        if snap.stream_length is not None:
            yield GaugeMetricFamily(
                "myloware_events_stream_length",
                "Entries in the events stream",
                value=snap.stream_length,
            )
            pending = GaugeMetricFamily(
                "myloware_events_pending",
                "Events delivered to a consumer group and not yet acknowledged",
                labels=["group"],
            )
            lag = GaugeMetricFamily(
                "myloware_events_lag",
                "Events a consumer group has not yet read (Redis 7+)",
                labels=["group"],
            )
            for group, (n_pending, n_lag) in sorted(snap.groups.items()):
                pending.add_metric([group], n_pending)
                if n_lag is not None:
                    lag.add_metric([group], n_lag)
            yield from (pending, lag)
