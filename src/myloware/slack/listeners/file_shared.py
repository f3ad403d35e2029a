"""Files shared with the bot (``message`` events of subtype ``file_share``) become documents;
every other message is acknowledged and left alone."""

from __future__ import annotations

from collections.abc import Sequence
from re import Pattern
from typing import Any

import httpx
import structlog
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from myloware.slack.intake import DOWNLOAD_TIMEOUT_S, reply, take_shared_files
from myloware.slack.listeners._common import slack_context

FILE_SHARE: dict[str, str | Sequence[str | Pattern[Any] | None] | None] = {
    "type": "message",
    "subtype": "file_share",
}


log = structlog.get_logger(__name__)

FAILED = (
    ":warning: Sorry, something went wrong while I was taking these files, and nothing was "
    "submitted. Please share them again in a moment."
)


async def files_shared(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Runs after Bolt acknowledged the event (Slack will not send it again): a failure is
    told to the person in the thread instead of only reaching the log."""
    slack = slack_context(context)
    try:
        # redirects are not followed: the token must reach Slack's file host, nothing else
        async with (
            slack.deps.inflight.track(),
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=False) as http,
        ):
            await take_shared_files(slack, event, client, http)
    except Exception:
        log.exception("slack_intake_failed", channel=event.get("channel"), ts=event.get("ts"))
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        if event.get("channel") and thread:
            await reply(client, str(event["channel"]), thread, FAILED)


async def other_message(event: dict[str, Any]) -> None:
    """Plain chatter in the channels the bot is in: nothing to do (an unhandled event
    would be answered 404, and Slack would retry it)."""
