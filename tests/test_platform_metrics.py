"""The operator's figures on /metrics: work by status, approvals waiting and overdue, dead
letters, model tokens and cost, the events stream; platform-wide, never per tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from myloware.db.base import AttemptStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import ApprovalRequest, Attempt
from myloware.services.platform_metrics import PlatformMetrics
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient
from tests.test_events_dead_letters import dead_letter


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _add(database_url: str, *rows: Any, overdue: uuid.UUID | None = None) -> None:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        session.add_all(rows)
        if overdue is not None:
            await session.execute(
                update(ApprovalRequest)
                .where(ApprovalRequest.work_item_id == overdue)
                .values(due_at=datetime.now(UTC) - timedelta(minutes=5))
            )
    await engine.dispose()


async def test_metrics_show_work_approvals_dead_letters_and_model_spend(
    stack: AppClient, token_for: TokenFor, tenants: dict[str, uuid.UUID], database_url: str
) -> None:
    acme = tenants["acme"]
    await publish_policy(database_url, acme)
    headers = token_for("acme", "work_orders:read", "work_orders:write")
    _, item_id = await submit_waiting_invoice(stack, headers)
    attempt = Attempt(
        tenant_id=acme,
        work_item_id=uuid.UUID(item_id),
        agent_id="extractor",
        status=AttemptStatus.COMPLETED,
        input={},
        model="gpt-test",
        tokens_in=1200,
        tokens_out=300,
        cost_usd=Decimal("0.0125"),
    )
    await _add(database_url, attempt, dead_letter(acme), overdue=uuid.UUID(item_id))

    text = (await stack.get("/metrics")).text
    found = samples(text)
    assert found[("myloware_platform_metrics_up", ())] == 1
    assert found[("myloware_work_items", (("status", "AWAITING_APPROVAL"),))] == 1
    assert found[("myloware_work_items", (("status", "FAILED"),))] == 0  # every status shown
    assert found[("myloware_work_orders", (("status", "AWAITING_APPROVAL"),))] == 1
    assert found[("myloware_approvals_waiting", ())] == 1
    assert found[("myloware_approvals_overdue", ())] == 1
    assert found[("myloware_approvals_oldest_age_seconds", ())] > 0
    assert found[("myloware_dead_letters_open", ())] == 1
    assert found[("myloware_model_calls_total", (("model", "gpt-test"),))] == 1
    tokens_in = (("direction", "in"), ("model", "gpt-test"))
    assert found[("myloware_model_tokens_total", tokens_in)] == 1200
    tokens_out = (("direction", "out"), ("model", "gpt-test"))
    assert found[("myloware_model_tokens_total", tokens_out)] == 300
    assert found[("myloware_model_cost_usd_total", (("model", "gpt-test"),))] == 0.0125
    # the order's events wait in the outbox (no relay runs here) or are in the stream
    backlog = found[("myloware_outbox_backlog", ())]
    assert backlog + found[("myloware_events_stream_length", ())] >= 1
    assert (found[("myloware_outbox_oldest_age_seconds", ())] > 0) == (backlog > 0)
    # platform-wide: no tenant's id is a label anywhere
    assert str(acme) not in text and "acme" not in text

    # the worker (in this process here) timed each stage it ran
    stages = samples(generate_latest(REGISTRY).decode())
    for agent in ("RecordGen", "ExtractorLLM", "SchemaGuard", "Policy"):
        key = ("myloware_stage_duration_seconds_count", (("agent", agent), ("status", "COMPLETED")))
        assert stages.get(key, 0) >= 1, agent


class _Broken:
    def __call__(self) -> Any:
        raise ConnectionRefusedError("database down")


async def test_a_failed_refresh_keeps_the_last_figures_and_says_so(
    clean_db: str,
) -> None:
    registry = CollectorRegistry()
    metrics = PlatformMetrics(registry, min_interval_s=0)
    engine = create_engine(clean_db, pool_size=1)

    class NoRedis:
        async def xlen(self, stream: str) -> int:
            raise ConnectionError("redis down")

    try:
        await metrics.refresh(session_factory(engine), NoRedis(), "s")
        first = samples(generate_latest(registry).decode())
        assert first[("myloware_platform_metrics_up", ())] == 1
        assert first[("myloware_approvals_waiting", ())] == 0
        assert ("myloware_events_stream_length", ()) not in first  # Redis down: left out

        await metrics.refresh(_Broken(), NoRedis(), "s")  # type: ignore[arg-type]
        after = samples(generate_latest(registry).decode())
        assert after[("myloware_platform_metrics_up", ())] == 0
        assert after[("myloware_approvals_waiting", ())] == 0  # the last figures stay
    finally:
        await engine.dispose()
