"""Files shared with the bot (``message`` events of subtype ``file_share``) become documents;
every other message is acknowledged and left alone."""

from __future__ import annotations

from collections.abc import Sequence
from re import Pattern
from typing import Any

import httpx
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from myloware.slack.intake import DOWNLOAD_TIMEOUT_S, take_shared_files
from myloware.slack.listeners._common import slack_context

FILE_SHARE: dict[str, str | Sequence[str | Pattern[Any] | None] | None] = {
    "type": "message",
    "subtype": "file_share",
}


async def files_shared(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # redirects are not followed: the token must reach Slack's file host and nothing else
    async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=False) as http:
        await take_shared_files(slack_context(context), event, client, http)


async def other_message(event: dict[str, Any]) -> None:
    """Plain chatter in the channels the bot is in: nothing to do (an unhandled event
    would be answered 404, and Slack would retry it)."""
