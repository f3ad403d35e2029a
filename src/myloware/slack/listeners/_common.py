"""What every listener shares: its MyloWare context and a private reply."""

from __future__ import annotations

import structlog
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.slack.decisions import SlackContext

log = structlog.get_logger(__name__)


def slack_context(context: AsyncBoltContext) -> SlackContext:
    """The MyloWare context the gateway attached to this request."""
    found = context.get("myloware")
    if not isinstance(found, SlackContext):
        raise RuntimeError("Slack request without a MyloWare context (not routed by the gateway)")
    return found


async def tell(client: AsyncWebClient, *, channel: str, user: str, text: str) -> bool:
    """An ephemeral message only ``user`` sees in ``channel``; False (logged) when Slack
    refused it (the bot left the channel, say): what happened stays done either way."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response else "no_response"
        log.warning("slack_reply_failed", channel=channel, error=error)
        return False
    return True
