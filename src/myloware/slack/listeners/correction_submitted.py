"""The correction modal was submitted: correct and approve through the decision service.

Slack waits 3 seconds for the answer to a submission, and only that answer can show errors
beside the inputs (``response_action: errors``). So the decision gets
:data:`ANSWER_WITHIN_S`: decided by then, the modal closes (or shows the workflow's
validation errors by field); still running, the modal turns into *Checking…* and is updated
(``views.update``) with the outcome once the decision is done. Either way the person is told
in the card's channel, privately, as for the other buttons.
"""

from __future__ import annotations

import asyncio
from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.db.base import ApprovalDecision
from myloware.slack.correction import (
    CorrectRequest,
    input_blocks,
    notice_view,
    problems_by_block,
    submitted_corrections,
)
from myloware.slack.decisions import Reply, decide
from myloware.slack.listeners._common import slack_context, slack_refusal, tell

ANSWER_WITHIN_S = 2.0  # of Slack's 3 s for a view_submission's answer
NOTHING_CHANGED = "Nothing changed: edit a field, or close this and click Approve."
NOTHING_DECIDED = ":information_source: Nothing to correct, so nothing was decided."


async def correction_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    logger: Logger,
) -> None:
    request = CorrectRequest.decode(view["private_metadata"])
    user = body["user"]["id"]
    corrections, problems = submitted_corrections(view)
    blocks = input_blocks(view)
    if not corrections and not problems:  # an approval without corrections is Approve's
        if blocks:
            await ack(response_action="errors", errors={blocks[0]: NOTHING_CHANGED})
        else:
            await ack()
            await tell(client, channel=request.channel, user=user, text=NOTHING_DECIDED)
        return
    if problems:
        await ack(response_action="errors", errors=problems)
        return
    deciding = asyncio.ensure_future(
        decide(
            slack_context(context),
            slack_user_id=user,
            action=request.action,
            decision=ApprovalDecision.APPROVED,
            corrections=corrections,
        )
    )
    done, _ = await asyncio.wait({deciding}, timeout=ANSWER_WITHIN_S)
    if done:
        reply = deciding.result()
        refused = problems_by_block(view, reply.problems)
        if refused:
            await ack(response_action="errors", errors=refused)
            return
        await ack()
    else:
        await ack(response_action="update", view=notice_view("Checking your corrections…"))
        reply = await deciding
        await _show_outcome(client, view["id"], reply, logger)
    await tell(client, channel=request.channel, user=user, text=reply.text)


async def _show_outcome(client: AsyncWebClient, view_id: str, reply: Reply, logger: Logger) -> None:
    """The modal, now *Checking…*, says how the decision went."""
    text = reply.text
    if reply.problems:
        listed = "\n".join(f"• {name or 'record'}: {why}" for name, why in reply.problems.items())
        text += f"\n{listed}\nClick Correct… on the card to try again."
    try:
        await client.views_update(view_id=view_id, view=notice_view(text))
    except SlackApiError as exc:  # closed meanwhile: the ephemeral message still says it
        logger.warning("slack views.update failed: %s", slack_refusal(exc))
