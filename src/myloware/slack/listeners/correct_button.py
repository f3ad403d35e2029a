"""Correct… on a card: open the modal with the record's fields (unlinked users are told no)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.errors import MylowareError
from myloware.slack.cards import CardAction
from myloware.slack.correction import CorrectRequest, correction_modal
from myloware.slack.decisions import NOT_LINKED, is_linked
from myloware.slack.facts import correction_inputs
from myloware.slack.listeners._common import (
    card_title,
    reply_to,
    slack_context,
    slack_refusal,
    tell,
)


async def correct_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    logger: Logger,
) -> None:
    await ack()
    slack = slack_context(context)
    user, channel = body["user"]["id"], reply_to(body)
    if not is_linked(slack, user):
        await tell(client, channel=channel, user=user, text=NOT_LINKED)
        return
    request = CorrectRequest(action=CardAction.decode(action["value"]), channel=channel)
    try:
        async with slack.deps.sessions() as session:
            schema, values = await correction_inputs(
                session,
                tenant_id=slack.connector.tenant_id,
                work_item_id=request.action.work_item_id,
            )
    except MylowareError as exc:
        await tell(client, channel=channel, user=user, text=f":warning: {exc.message}")
        return
    view = correction_modal(request, schema, values, card_title(body))
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:  # the click's trigger expired (3 s), say
        error = slack_refusal(exc)
        logger.warning("slack views.open failed: %s", error)
        await tell(
            client,
            channel=channel,
            user=user,
            text=f":warning: Slack did not open the correction form ({error}); nothing was "
            "changed. Click Correct… again.",
        )
