"""What every listener shares: its MyloWare context and a private reply."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from myloware.slack.decisions import SlackContext


def slack_context(context: AsyncBoltContext) -> SlackContext:
    """The MyloWare context the gateway attached to this request."""
    found = context.get("myloware")
    if not isinstance(found, SlackContext):
        raise RuntimeError("Slack request without a MyloWare context (not routed by the gateway)")
    return found


async def tell(client: AsyncWebClient, *, channel: str, user: str, text: str) -> None:
    """An ephemeral message only ``user`` sees in ``channel``."""
    await client.chat_postEphemeral(channel=channel, user=user, text=text)
