"""Approve on a card: decide at once (the button asks Slack's confirm dialog first)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from myloware.db.base import ApprovalDecision
from myloware.slack.cards import CardAction
from myloware.slack.decisions import decide
from myloware.slack.listeners._common import reply_to, slack_context, tell


async def approve_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    logger: Logger,
) -> None:
    await ack()
    user, channel = body["user"]["id"], reply_to(body)
    reply = await decide(
        slack_context(context),
        slack_user_id=user,
        action=CardAction.decode(action["value"]),
        decision=ApprovalDecision.APPROVED,
    )
    await tell(client, channel=channel, user=user, text=reply.text)
