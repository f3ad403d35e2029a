"""The App Home tab opened: publish what waits for the user (views.publish)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.services.tenants import is_active
from myloware.slack.home import MAX_SHOWN, home_view
from myloware.slack.listeners._common import slack_context, slack_refusal
from myloware.slack.waiting import Waiting, queue_url, waiting_for


async def home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, logger: Logger
) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab
    slack = slack_context(context)
    connector, user = slack.connector, str(event.get("user") or "")
    person = connector.config.principal_for(user, connector.tenant_id)
    groups = sorted(person.groups) if person else []
    waiting: list[Waiting] | None = None
    if person is not None:
        async with slack.deps.inflight.track(), slack.deps.sessions() as session:
            active = await is_active(session, connector.tenant_id)
            waiting = (
                await waiting_for(
                    session,
                    slack.deps.settings,
                    tenant_id=connector.tenant_id,
                    groups=groups,
                    limit=MAX_SHOWN + 1,
                )
                if active
                else None
            )
    view = home_view(waiting, groups=groups, queue=queue_url(slack.deps.settings))
    try:
        await client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:
        logger.warning("slack views.publish failed: %s", slack_refusal(exc))


async def link_clicked(ack: AsyncAck) -> None:
    """A link button opens the page in the browser; Slack tells the app too."""
    await ack()
