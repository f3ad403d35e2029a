"""The ``slack`` consumer of the event stream: post approval cards and keep them current, and
answer documents that arrived through Slack.

* ``approval.requested`` posts the open card to the approver group's channel.
* ``approval.escalated`` closes the cards of the lower tiers ("escalated to … by …") and posts
  an open card to the new group's channel.
* ``approval.approved`` / ``rejected`` / ``expired`` close every card of the request.
* ``work_order.completed`` / ``failed`` of an order from Slack: the outcome in the thread the
  files were shared in (:mod:`myloware.slack.results`).

Where each card went (channel and ``ts`` per request tier) is kept in ``slack_messages``,
written in the consumer's transaction, so a redelivered event does not post twice once its
first delivery committed. Events of one request are handled one at a time (a transaction-scoped
advisory lock on the request id), whatever the number of consumers. Cards are rendered from
the database as it is when the event is handled, and an open card is only posted while the
request is still pending at that tier, so events handled out of order never resurrect
buttons on a decided request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import ApprovalRequest, ApprovalRequestStatus
from myloware.db.models.slack import SlackMessage
from myloware.events import Event, Handler
from myloware.events.catalogue import APPROVAL_FINAL, EventType
from myloware.events.consumer import Relevance
from myloware.services.slack_connectors import SlackConfig, SlackConnector, tenant_connector
from myloware.settings import Settings
from myloware.slack import results
from myloware.slack.cards import CardFacts, Outcome, card_text, closed_card, open_card
from myloware.slack.client import slack_error, web_client
from myloware.slack.facts import load_card_facts

log = structlog.get_logger(__name__)

CONSUMER_GROUP = "slack"
REQUESTED = EventType.APPROVAL_REQUESTED
ESCALATED = EventType.APPROVAL_ESCALATED
FINAL = APPROVAL_FINAL
HANDLED = {REQUESTED, ESCALATED, *FINAL}
#: chat.update errors meaning the card is gone: nothing left to update
GONE = {"message_not_found", "channel_not_found", "cant_update_message", "is_archived"}
LOCK_BITS = (1 << 63) - 1  # advisory lock keys are signed 64-bit integers


def slack_relevance(sessions: async_sessionmaker[AsyncSession]) -> Relevance:
    """The consumer's pre-check: approval events (cards), and settled orders that arrived
    through Slack (one query a batch); everything else is acknowledged untouched."""

    async def relevant(events: Sequence[Event]) -> list[bool]:
        settled = [results.order_id_of(e) for e in events if e.event_type in results.SETTLED]
        ids = [order_id for order_id in settled if order_id is not None]
        ours: set[uuid.UUID] = set()
        if ids:
            async with sessions() as session:
                ours = await results.from_slack(session, ids)
        return [
            event.tenant_id is not None
            and (
                event.event_type in HANDLED
                or (event.event_type in results.SETTLED and results.order_id_of(event) in ours)
            )
            for event in events
        ]

    return relevant


def slack_event_handler(
    settings: Settings, *, client_for: Callable[[SlackConfig], AsyncWebClient] = web_client
) -> Handler:
    """The handler for ``StreamConsumer(group="slack", handler=...)``."""

    async def handle(event: Event, session: AsyncSession) -> None:
        if event.event_type in results.SETTLED:
            await results.answer_in_thread(session, event, settings, client_for)
            return
        if event.event_type not in HANDLED or event.tenant_id is None:
            return
        connector = await tenant_connector(session, event.tenant_id)
        if connector is None:
            return  # this tenant has no Slack workspace
        request = await _request(session, event)
        if request is None:
            return
        facts = await load_card_facts(session, request, settings)
        cards = _Cards(session, connector, client_for(connector.config), facts)
        if event.event_type == REQUESTED:
            await cards.post_if_pending(request, tier=0)
        elif event.event_type == ESCALATED:
            if request.status is ApprovalRequestStatus.PENDING:  # else the final event wins
                tier = int(event.payload.get("tier", request.tier))
                await cards.close(request.id, _outcome(event, connector.config), below_tier=tier)
                await cards.post_if_pending(request, tier=tier)
        else:
            await cards.close(request.id, _outcome(event, connector.config))

    return handle


async def _request(session: AsyncSession, event: Event) -> ApprovalRequest | None:
    """The event's approval request, read once this transaction holds the request's lock."""
    try:
        request_id = uuid.UUID(str(event.payload["request_id"]))
    except (KeyError, ValueError):
        log.warning("slack_event_without_request", event_id=str(event.event_id))
        return None
    # Serialise the handling of one request's events across consumers (an advisory lock, so
    # the workflow's own row lock is never held up by a Slack call): a card being posted is
    # committed before a decision event looks for it.
    await session.execute(select(func.pg_advisory_xact_lock(request_id.int & LOCK_BITS)))
    request = await session.get(ApprovalRequest, request_id, populate_existing=True)
    if request is None or request.tenant_id != event.tenant_id:
        return None
    return request


def _outcome(event: Event, config: SlackConfig) -> Outcome:
    payload = event.payload
    decision = event.event_type.removeprefix("approval.").upper()
    return Outcome(
        decision=decision,
        decided_by=config.display_name(str(payload.get("decided_by") or "someone")),
        reason=payload.get("reason"),
        next_group=payload.get("approver_group") if decision == "ESCALATED" else None,
    )


class _Cards:
    """The cards of one request in one workspace."""

    def __init__(
        self,
        session: AsyncSession,
        connector: SlackConnector,
        client: AsyncWebClient,
        facts: CardFacts,
    ) -> None:
        self._session = session
        self._connector = connector
        self._client = client
        self._facts = facts
        self._log = log.bind(approval_request_id=str(facts.action.request_id))

    async def post_if_pending(self, request: ApprovalRequest, *, tier: int) -> None:
        """Post the open card for ``tier`` unless the request moved on or it was posted."""
        if request.status is not ApprovalRequestStatus.PENDING or request.tier != tier:
            return
        posted = await self._session.scalar(
            select(SlackMessage.id).where(
                SlackMessage.request_id == request.id, SlackMessage.tier == tier
            )
        )
        if posted is not None:
            return
        channel = self._connector.config.channel_for(request.approver_group)
        if channel is None:
            self._log.warning("slack_no_channel_for_group", group=request.approver_group)
            return
        try:
            reply = await self._client.chat_postMessage(
                channel=channel,
                text=card_text(self._facts),
                blocks=open_card(self._facts),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise slack_error(exc, "chat.postMessage") from None
        self._session.add(
            SlackMessage(
                tenant_id=request.tenant_id,
                request_id=request.id,
                tier=tier,
                channel=str(reply["channel"]),
                ts=str(reply["ts"]),
            )
        )
        await self._session.flush()
        self._log.info("slack_card_posted", channel=reply["channel"], tier=tier)

    async def close(
        self, request_id: uuid.UUID, outcome: Outcome, *, below_tier: int | None = None
    ) -> None:
        """Replace the buttons of the request's cards (those below ``below_tier``) by the
        outcome."""
        query = select(SlackMessage).where(SlackMessage.request_id == request_id)
        if below_tier is not None:
            query = query.where(SlackMessage.tier < below_tier)
        for message in (await self._session.scalars(query.order_by(SlackMessage.tier))).all():
            try:
                await self._client.chat_update(
                    channel=message.channel,
                    ts=message.ts,
                    text=card_text(self._facts, outcome),
                    blocks=closed_card(self._facts, outcome),
                )
            except SlackApiError as exc:
                if exc.response.get("error") in GONE:
                    self._log.warning("slack_card_gone", error=exc.response.get("error"))
                    continue
                raise slack_error(exc, "chat.update") from None
            self._log.info("slack_card_closed", decision=outcome.decision, tier=message.tier)
