"""The ``slack`` event handler on real PostgreSQL: idempotent, order-proof, failures retried."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.base import WorkItemStatus
from myloware.db.engine import transaction
from myloware.db.models import ApprovalRequest, ApprovalRequestStatus, WorkItem, WorkOrder
from myloware.db.models.slack import SlackMessage
from myloware.events import Event
from myloware.settings import Settings
from myloware.slack import SlackConfig, SlackDeliveryError, add_slack_connector
from myloware.slack.notifier import slack_event_handler
from tests.slack_emulator import SlackEmulator, Workspace

TEAM, TOKEN, CHANNEL = "T0ACME", "xoxb-notifier-test", "C0FINANCE"


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    workspace = Workspace(
        team_id=TEAM, bot_token=TOKEN, signing_secret="s", channels={CHANNEL: "finance"}
    )
    async with SlackEmulator(workspace) as slack:
        yield slack


async def _pending_request(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> ApprovalRequest:
    async with transaction(sessions) as session:
        order = WorkOrder(tenant_id=tenant_id, workflow_id="wo-test", created_by="test")
        session.add(order)
        await session.flush()
        item = WorkItem(
            tenant_id=tenant_id,
            work_order_id=order.id,
            content="invoice",
            status=WorkItemStatus.AWAITING_APPROVAL,
        )
        session.add(item)
        await session.flush()
        request = ApprovalRequest(
            tenant_id=tenant_id,
            work_item_id=item.id,
            workflow_id="wi-test",
            policy_name="finance",
            policy_version="2",
            approver_group="finance",
            sla_seconds=3600,
            due_at=datetime.now(UTC) + timedelta(hours=1),
            reasons={"rules": ["big: large amount (total 2000 > 1000)"]},
            explanation="needs finance",
        )
        session.add(request)
    return request


async def _connect(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, api_url: str, token: str
) -> None:
    config = SlackConfig.model_validate(
        {
            "team_id": TEAM,
            "bot_token": token,
            "signing_secret": "s",
            "channels": {"finance": CHANNEL},
            "api_url": api_url,
        }
    )
    async with transaction(sessions) as session:
        add_slack_connector(session, tenant_id=tenant_id, config=config)


def _event(kind: str, request: ApprovalRequest, **payload: Any) -> Event:
    return Event(
        event_id=uuid.uuid4(),
        event_type=f"approval.{kind}",
        tenant_id=request.tenant_id,
        aggregate_type="work_item",
        aggregate_id=request.work_item_id,
        payload={"request_id": str(request.id), "work_item_id": str(request.work_item_id)}
        | payload,
        created_at=datetime.now(UTC),
    )


async def _handle(sessions: async_sessionmaker[AsyncSession], event: Event) -> None:
    handler = slack_event_handler(Settings(public_url="https://mw.example"))
    async with transaction(sessions) as session:
        await handler(event, session)


async def _cards(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SlackMessage)) or 0)


async def test_a_card_is_posted_once_even_when_the_event_comes_twice(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    emulator: SlackEmulator,
) -> None:
    """Handling approval.requested again (a redelivery) posts no second card."""
    request = await _pending_request(sessions, tenants["acme"])
    await _connect(sessions, tenants["acme"], emulator.api_url, TOKEN)
    event = _event("requested", request)
    await _handle(sessions, event)
    await _handle(sessions, event)
    [call] = emulator.calls_to("chat.postMessage")
    assert call.reply["channel"] == CHANNEL
    assert f"https://mw.example/ui/work-items/{request.work_item_id}" in str(call.args["blocks"])
    assert await _cards(sessions) == 1


async def test_a_decision_handled_before_the_request_leaves_no_buttons_behind(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    emulator: SlackEmulator,
) -> None:
    """Events out of order: once the request is decided, approval.requested posts nothing."""
    request = await _pending_request(sessions, tenants["acme"])
    await _connect(sessions, tenants["acme"], emulator.api_url, TOKEN)
    async with transaction(sessions) as session:
        row = await session.get(ApprovalRequest, request.id)
        assert row is not None
        row.status = ApprovalRequestStatus.APPROVED
    await _handle(sessions, _event("approved", request, decided_by="alice@acme.example"))
    await _handle(sessions, _event("requested", request))
    assert emulator.calls == []


async def test_slack_refusing_the_token_fails_the_event_for_a_retry(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    emulator: SlackEmulator,
) -> None:
    """invalid_auth from Slack raises SlackDeliveryError (the consumer retries, then
    dead-letters) and records no card."""
    request = await _pending_request(sessions, tenants["acme"])
    await _connect(sessions, tenants["acme"], emulator.api_url, "xoxb-revoked")
    with pytest.raises(SlackDeliveryError, match="invalid_auth"):
        await _handle(sessions, _event("requested", request))
    assert await _cards(sessions) == 0


async def test_tenants_without_a_slack_connector_are_left_alone(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    emulator: SlackEmulator,
) -> None:
    """No SLACK connector for the tenant: the handler does nothing."""
    await _connect(sessions, tenants["globex"], emulator.api_url, TOKEN)
    request = await _pending_request(sessions, tenants["acme"])
    await _handle(sessions, _event("requested", request))
    assert emulator.calls == []
