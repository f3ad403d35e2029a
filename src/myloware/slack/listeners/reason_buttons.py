"""Reject or Escalate on a card: open the modal that asks why (unlinked users are told no)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.slack.cards import REJECT, CardAction
from myloware.slack.decisions import NOT_LINKED, is_linked
from myloware.slack.listeners._common import (
    card_title,
    reply_to,
    slack_context,
    slack_refusal,
    tell,
)
from myloware.slack.modal import ReasonRequest, reason_modal


async def reason_requested(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    logger: Logger,
) -> None:
    await ack()
    user, channel = body["user"]["id"], reply_to(body)
    if not is_linked(slack_context(context), user):
        await tell(client, channel=channel, user=user, text=NOT_LINKED)
        return
    request = ReasonRequest(
        action=CardAction.decode(action["value"]),
        decision="REJECTED" if action["action_id"] == REJECT else "ESCALATED",
        channel=channel,
    )
    view = reason_modal(request, card_title(body))
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:  # e.g. the click's trigger expired (3 s) or was used already
        error = slack_refusal(exc)
        logger.warning("slack views.open failed: %s", error)
        button = "Reject" if request.decision == "REJECTED" else "Escalate"
        await tell(
            client,
            channel=channel,
            user=user,
            text=f":warning: Slack did not open the form for your reason ({error}); "
            f"nothing was decided. Click {button} again.",
        )
