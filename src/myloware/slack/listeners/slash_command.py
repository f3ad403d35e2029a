"""``/myloware …``: answered in the acknowledgement itself, visible to the caller only."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from myloware.slack.commands import answer
from myloware.slack.listeners._common import slack_context


async def command_received(
    ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
) -> None:
    """A read of the database fits in Slack's 3 s, so the answer is the ack (ephemeral)."""
    text = await answer(
        slack_context(context),
        slack_user_id=str(command.get("user_id") or ""),
        text=str(command.get("text") or ""),
    )
    await ack(text=text, response_type="ephemeral")
