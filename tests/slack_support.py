"""Slack on the real stack for tests: acme's workspace on the emulator, its connector, the
relay and the consumer groups (the ``slack`` fixture lives in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis

from myloware.db.engine import create_engine, session_factory
from myloware.events import OutboxRelay
from myloware.loops import InFlight
from myloware.runtime.consumers import run_consumers
from myloware.slack import CONSUMER_GROUP, SlackConfig, add_slack_connector
from myloware.slack.modal import REASON_BLOCK, REASON_INPUT
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy
from tests.pipeline_support import AppClient
from tests.polling import eventually
from tests.slack_emulator import SlackEmulator, Workspace, post_interaction

TEAM, TOKEN, SECRET = "T0ACME", "xoxb-acme-test-token", "acme-signing-secret-0123456789"
FINANCE, LEADS, GENERAL = "C0FINANCE", "C0LEADS", "C0APPROVALS"
INBOX, ALICE_DM, STRANGER_DM = "C0INBOX", "D0ALICE", "D0STRANGER"  # where documents arrive
ALICE, LENA, SAM, STRANGER = "U0ALICE", "U0LENA", "U0SAM", "U0STRANGER"
APPROVER_CAPS = ("work_orders:read", "work_orders:write", "approvals:decide")


@dataclass
class SlackHarness:
    api: AppClient
    slack: SlackEmulator
    headers: dict[str, str]
    workspace: Workspace

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return [
            c.reply
            for c in self.slack.calls_to("chat.postMessage")
            if c.reply["ok"] and c.reply["channel"] == channel
        ]

    async def card(self, channel: str) -> tuple[str, str]:
        """(channel, ts) of the first card posted to ``channel``."""
        reply = await eventually(lambda: self.posted(channel))
        return channel, reply[0]["ts"]

    def ephemerals(self, user: str) -> list[str]:
        return [
            str(c.args["text"])
            for c in self.slack.calls_to("chat.postEphemeral")
            if c.args.get("user") == user
        ]

    async def told(self, user: str, count: int = 1) -> str:
        """The ``count``-th ephemeral message ``user`` received (waits for it)."""
        found = await eventually(lambda: len(self.ephemerals(user)) >= count)
        assert found
        return self.ephemerals(user)[count - 1]

    async def click(self, card: tuple[str, str], action_id: str, user: str) -> httpx.Response:
        payload = self.slack.click(*card, action_id, user)
        return await post_interaction(self.api, payload, signing_secret=SECRET)

    async def give_reason(self, user: str, reason: str, opened: int = 1) -> httpx.Response:
        """Submit the ``opened``-th modal opened so far with ``reason``."""
        views = await eventually(
            lambda: [c for c in self.slack.calls_to("views.open") if c.reply["ok"]][opened - 1 :]
        )
        view_id = views[0].reply["view"]["id"]
        payload = self.slack.submit(view_id, user, {REASON_BLOCK: {REASON_INPUT: reason}})
        return await post_interaction(self.api, payload, signing_secret=SECRET)

    @property
    def inflight(self) -> InFlight:
        """The API's record of the Slack listeners running and finished."""
        inflight: InFlight = self.api.app.state.myloware.slack_inflight
        return inflight

    async def listeners_finished(self, count: int) -> None:
        """Wait until exactly ``count`` Slack listeners have finished so far and none runs.

        A listener runs after its request was answered; this is how a test knows that the
        requests it sent have been dealt with before it checks that nothing came of them.
        """
        inflight = self.inflight
        await eventually(
            lambda: inflight.finished >= count and not inflight.running,
            message=f"{count} Slack listeners never finished",
        )
        assert inflight.finished == count, f"{inflight.finished} listeners ran, not {count}"

    def is_closed(self, card: tuple[str, str]) -> dict[str, Any] | None:
        message = self.slack.message(*card)
        closed = "edited" in message and not [
            b for b in message["blocks"] if b["type"] == "actions"
        ]
        return message if closed else None


async def store_connector(
    database_url: str, tenant_id: uuid.UUID, api_url: str, **extra: Any
) -> None:
    """Acme's SLACK connector (``extra``: more config, e.g. an ``app_token``)."""
    config = SlackConfig.model_validate(
        {
            "team_id": TEAM,
            "bot_token": TOKEN,
            "signing_secret": SECRET,
            "channels": {"finance": FINANCE, "finance-leads": LEADS},
            "default_channel": GENERAL,
            "users": {
                ALICE: {"subject": "alice@acme.example", "groups": ["finance"]},
                LENA: {"subject": "lena@acme.example", "groups": ["finance-leads"]},
                SAM: {"subject": "sam@acme.example", "groups": ["support"]},
            },
            "intake_channels": [INBOX],
            "api_url": api_url,
            **extra,
        }
    )
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        add_slack_connector(session, tenant_id=tenant_id, config=config)
    await engine.dispose()


@contextlib.asynccontextmanager
async def slack_consumer(
    stack: AppClient, database_url: str, redis_url: str
) -> AsyncIterator[None]:
    """The outbox relay and the platform's consumer groups as ``myloware relay`` runs them."""
    settings = stack.settings
    engine = create_engine(database_url, pool_size=4)
    sessions = session_factory(engine)
    redis = aioredis.from_url(redis_url)
    relay = OutboxRelay(sessions, redis, stream=settings.events_stream)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run(stop, poll_interval=0.05)),
        asyncio.create_task(run_consumers(settings, sessions, redis, stop, block_ms=50)),
    ]
    await eventually(  # the groups exist before anything is published
        lambda: _has_group(redis, settings.events_stream, CONSUMER_GROUP),
        timeout_s=10,
        message="the slack consumer group was never created",
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await redis.aclose()
        await engine.dispose()


async def _has_group(redis: aioredis.Redis, stream: str, group: str) -> bool:
    try:
        groups = await redis.xinfo_groups(stream)
    except aioredis.ResponseError:  # no stream yet
        return False
    return any(g["name"] in (group, group.encode()) for g in groups)


def acme_workspace(**extra: Any) -> Workspace:
    """Acme's workspace as the emulator serves it (``extra``: e.g. an ``app_token``)."""
    channels = {
        FINANCE: "finance",
        LEADS: "finance-leads",
        GENERAL: "approvals",
        INBOX: "invoices-inbox",
        ALICE_DM: "",
        STRANGER_DM: "",
    }
    return Workspace(
        team_id=TEAM, bot_token=TOKEN, signing_secret=SECRET, channels=channels, **extra
    )


LOADED_TRIGGER_TTL_S = 30.0


@contextlib.asynccontextmanager
async def slack_harness(
    stack: AppClient,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    redis_url: str,
    token_for: TokenFor,
) -> AsyncIterator[SlackHarness]:
    """Acme's workspace on the emulator, its connector row, the router, the consumer."""
    workspace = acme_workspace()
    # Slack's triggers live 3 s; a loaded CI machine has stalled a first click's handling for
    # as long (the emulator, the API and the worker share one event loop). The tests here are
    # about what the clicks do, so their triggers live longer; one test sets 0 to see expiry.
    async with SlackEmulator(workspace, trigger_ttl_s=LOADED_TRIGGER_TTL_S) as emulator:
        await store_connector(database_url, tenants["acme"], emulator.api_url)
        await publish_policy(database_url, tenants["acme"])
        async with slack_consumer(stack, database_url, redis_url):
            yield SlackHarness(
                api=stack,
                slack=emulator,
                headers=token_for("acme", *APPROVER_CAPS, groups=("finance",)),
                workspace=workspace,
            )
