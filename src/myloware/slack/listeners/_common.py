"""What every listener shares: its MyloWare context and a private reply."""

from __future__ import annotations

from typing import Any

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


def reply_to(body: dict[str, Any]) -> str:
    """Where to answer a click privately: the card's channel, or — a click in the App Home,
    which has no channel — the user's own direct messages with the app (their user id)."""
    channel = body.get("channel") or {}
    return str(channel.get("id") or body["user"]["id"])


async def tell(client: AsyncWebClient, *, channel: str, user: str, text: str) -> bool:
    """An ephemeral message only ``user`` sees in ``channel`` (a direct message when
    ``channel`` is the user: see :func:`reply_to`); False (logged) when Slack refused it
    (the bot left the channel, say): what happened stays done either way."""
    try:
        if channel == user:
            await client.chat_postMessage(channel=user, text=text)
        else:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        error = slack_refusal(exc)
        log.warning("slack_reply_failed", channel=channel, error=error)
        return False
    return True


def slack_refusal(exc: SlackApiError) -> str:
    """Slack's error code for a refused Web API call."""
    return str(exc.response.get("error", "unknown_error")) if exc.response else "no_response"


def card_title(body: dict[str, Any]) -> str | None:
    """The clicked card's header text, to remind the user what a modal is about."""
    for block in body.get("message", {}).get("blocks", []):
        if block.get("type") == "header":
            return str(block["text"]["text"])
    return None
