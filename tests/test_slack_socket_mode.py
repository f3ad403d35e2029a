"""Slack over Socket Mode, on the real stack with Slack emulated: a connector with an app token
gets a WebSocket from the API process (no public URL), and the same listeners answer what
arrives over it — a file share becomes a work order, a card's Approve decides; deactivating
the connector closes its connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial

import pytest
from sqlalchemy import update

from myloware.db.base import ConnectorStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Connector
from myloware.settings import Settings
from myloware.slack.cards import APPROVE
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import api_with_worker, wait_for_order
from tests.polling import eventually
from tests.slack_emulator import SlackEmulator
from tests.slack_support import (
    ALICE,
    APPROVER_CAPS,
    FINANCE,
    INBOX,
    TEAM,
    SlackHarness,
    acme_workspace,
    slack_consumer,
    store_connector,
)
from tests.test_slack_intake import TICKET

APP_TOKEN = "xapp-1-A0MYLOWARE-1-0123456789abcdef"


@pytest.fixture
async def socket_slack(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
) -> AsyncIterator[SlackHarness]:
    workspace = acme_workspace(app_token=APP_TOKEN)
    async with SlackEmulator(workspace) as emulator:
        await store_connector(database_url, tenants["acme"], emulator.api_url, app_token=APP_TOKEN)
        await publish_policy(database_url, tenants["acme"])
        async with api_with_worker(
            settings,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
            slack_socket_refresh_s=0.2,
        ) as client:
            async with slack_consumer(client, database_url, clean_redis):
                yield SlackHarness(
                    api=client,
                    slack=emulator,
                    headers=token_for("acme", *APPROVER_CAPS, groups=("finance",)),
                    workspace=workspace,
                )


async def test_a_file_shared_over_socket_mode_becomes_a_work_order(
    socket_slack: SlackHarness,
) -> None:
    emu, ws = socket_slack.slack, socket_slack.workspace
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    body = emu.file_share(ws, INBOX, ALICE, [shared])
    ack = await emu.push(TEAM, "events_api", body)
    assert set(ack) == {"envelope_id"}  # acknowledged at once, nothing to answer
    ts = str(body["event"]["ts"])
    replies = await eventually(
        lambda: r if len(r := emu.replies(INBOX, ts)) == 2 else None, timeout_s=30
    )
    assert "Got 1 document" in replies[0]["text"] and "All 1 processed" in replies[1]["text"]
    [opened] = emu.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN  # the app token opened the connection, nothing else


async def test_approve_over_socket_mode_decides(socket_slack: SlackHarness) -> None:
    emu = socket_slack.slack
    order_id, _ = await submit_waiting_invoice(socket_slack.api, socket_slack.headers)
    card = await socket_slack.card(FINANCE)
    await emu.push(TEAM, "interactive", emu.click(*card, APPROVE, ALICE))
    order = await wait_for_order(socket_slack.api, order_id, socket_slack.headers, timeout_s=20)
    assert order["status"] == "COMPLETED"
    assert "You approved it" in await socket_slack.told(ALICE)


async def test_a_slash_command_over_socket_mode_is_answered_in_its_ack(
    socket_slack: SlackHarness,
) -> None:
    """``/myloware approvals`` over the socket: the acknowledgement carries the private
    answer, as Slack expects of a slash command in Socket Mode."""
    emu = socket_slack.slack
    await submit_waiting_invoice(socket_slack.api, socket_slack.headers)
    command = emu.slash_command(socket_slack.workspace, FINANCE, ALICE, "approvals")
    ack = await emu.push(TEAM, "slash_commands", command)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "1 waiting for you" in ack["payload"]["text"]


async def test_a_deactivated_connector_loses_its_connection(
    socket_slack: SlackHarness, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    emu = socket_slack.slack
    await eventually(lambda: emu.sockets.get(TEAM))
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(Connector)
            .where(Connector.tenant_id == tenants["acme"])
            .values(status=ConnectorStatus.INACTIVE)
        )
    await engine.dispose()
    await eventually(lambda: not emu.sockets.get(TEAM))
    opened = _opened_with(emu, APP_TOKEN)
    for n, team in enumerate(("T0GLOBEX", "T0INITECH")):  # two refreshes later: still closed
        token = f"xapp-1-A0{team}-{n}-refused"
        await store_connector(database_url, tenants["globex"], emu.api_url, team_id=team,
                              app_token=token)  # fmt: skip
        await eventually(partial(_opened_with, emu, token), message="no refresh saw it")
    assert _opened_with(emu, APP_TOKEN) == opened and not emu.sockets.get(TEAM)


def _opened_with(emu: SlackEmulator, token: str) -> int:
    """How often a Socket Mode connection was asked for with ``token``."""
    return len([c for c in emu.calls_to("apps.connections.open") if c.token == token])


async def test_another_workspaces_requests_and_a_refused_token_change_nothing(
    socket_slack: SlackHarness, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    """An event naming another team (the app installed elsewhere too) is acknowledged and
    dropped; a connector whose app token Slack refuses does not hold up the others."""
    emu, ws = socket_slack.slack, socket_slack.workspace
    await store_connector(
        database_url,
        tenants["globex"],
        emu.api_url,
        team_id="T0GLOBEX",
        app_token="xapp-1-A0GLOBEX-1-refused",
    )
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    body = emu.file_share(ws, INBOX, ALICE, [shared])
    body["team_id"] = body["authorizations"][0]["team_id"] = "T0ELSEWHERE"  # installed there
    ack = await emu.push(TEAM, "events_api", body)
    assert set(ack) == {"envelope_id"}
    # a share of acme's own after it, somewhere not watched: its listener is the only one run
    ours = emu.file_share(ws, FINANCE, ALICE, [shared])
    assert set(await emu.push(TEAM, "events_api", ours)) == {"envelope_id"}
    await socket_slack.listeners_finished(1)
    assert emu.downloads == [] and emu.replies(INBOX, str(body["event"]["ts"])) == []
    refused = await eventually(
        lambda: [c for c in emu.calls_to("apps.connections.open") if not c.reply["ok"]]
    )
    assert refused and refused[0].token == "xapp-1-A0GLOBEX-1-refused"
    assert emu.sockets.get(TEAM)  # acme's connection stands
