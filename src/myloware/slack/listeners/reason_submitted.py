"""The reason modal was submitted: close it, decide, and tell the user how it went."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from myloware.db.base import ApprovalDecision
from myloware.slack.decisions import decide
from myloware.slack.listeners._common import slack_context, tell
from myloware.slack.modal import ReasonRequest, submitted_reason


async def reason_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    logger: Logger,
) -> None:
    await ack()
    request = ReasonRequest.decode(view["private_metadata"])
    user = body["user"]["id"]
    reply = await decide(
        slack_context(context),
        slack_user_id=user,
        action=request.action,
        decision=ApprovalDecision(request.decision),
        reason=submitted_reason(view),
    )
    await tell(client, channel=request.channel, user=user, text=reply.text)
