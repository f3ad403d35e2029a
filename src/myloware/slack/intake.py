"""Documents arriving through Slack: files shared with the bot become a work order.

A ``message`` event of subtype ``file_share`` — in a channel listed in the connector's
``intake_channels``, or in a direct message to the bot — from a Slack user listed in
``users`` becomes one work order of the connector's tenant, one item per file (an ``.eml``
splits as in the upload API), submitted as that user. Then:

* the bot answers in the message's thread: what it took, the work order, what it skipped;
* when the order settles, the ``slack`` event consumer answers in the same thread with each
  document's outcome (:mod:`myloware.slack.results`).

Files are fetched from ``url_private_download`` with the bot token (scope ``files:read``),
only from Slack's file host (``files.slack.com``; in development and test the configured
API's host), never followed elsewhere, and each at most ``MYLOWARE_MAX_FILE_BYTES``. Slack
answers a download it does not authorise with its HTML sign-in page and a 200: such an answer
is refused, not stored as the document. A retried event (Slack retries when it gets no
answer within 3 s) creates nothing twice: the order's idempotency key is the message's team,
channel and ``ts``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from slack_sdk.web.async_client import AsyncWebClient

from myloware.errors import MylowareError
from myloware.services.audit import ClientInfo
from myloware.services.schemas import WorkOrderCreate
from myloware.services.uploads import UploadedFile, prepare_items
from myloware.services.work_orders import create_work_order
from myloware.slack.config import SLACK_API_URL, SlackConfig
from myloware.slack.decisions import SlackContext
from myloware.slack.facts import base_url

log = structlog.get_logger(__name__)

SLACK_FILE_HOST = "files.slack.com"
DOWNLOAD_TIMEOUT_S = 30.0
NOT_LINKED = (
    "Sorry, your Slack account isn't linked to a MyloWare user, so I can't take documents "
    "from you. Ask your MyloWare admin to add you to the Slack connector."
)


@dataclass(frozen=True, slots=True)
class SharedFile:
    """One file of a ``file_share`` message, as Slack describes it."""

    id: str
    name: str
    mimetype: str
    size: int
    url: str | None

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> SharedFile:
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name") or data.get("title") or data.get("id") or "file")[:512],
            mimetype=str(data.get("mimetype") or "application/octet-stream"),
            size=int(data.get("size") or 0),
            url=data.get("url_private_download") or data.get("url_private"),
        )


class Skipped(MylowareError):
    """A shared file that is not taken; the message says why, for the person who shared it."""


def allowed_hosts(config: SlackConfig) -> set[str]:
    """Where the bot token may be sent for a download: Slack's file host, and the API host
    the connector was configured with when that is not Slack (development and test only:
    the connector API refuses another ``api_url`` in production)."""
    hosts = {SLACK_FILE_HOST}
    if config.api_url != SLACK_API_URL:
        hosts.add(urlsplit(config.api_url).hostname or "")
    return hosts


async def download(
    http: httpx.AsyncClient, config: SlackConfig, shared: SharedFile, max_bytes: int
) -> bytes:
    """The file's bytes; :class:`Skipped` with the reason when it cannot be taken."""
    if shared.url is None:
        raise Skipped(f"{shared.name}: Slack gave no download link (an external file?)")
    if shared.size > max_bytes:
        raise Skipped(f"{shared.name}: {shared.size:,} bytes, over the {max_bytes:,} limit")
    url = urlsplit(shared.url)
    if url.scheme not in ("https", "http") or url.hostname not in allowed_hosts(config):
        raise Skipped(f"{shared.name}: not a Slack file link")
    headers = {"Authorization": f"Bearer {config.bot_token.get_secret_value()}"}
    try:
        async with http.stream("GET", shared.url, headers=headers) as response:
            if response.status_code != 200:
                raise Skipped(f"{shared.name}: Slack answered {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if kind == "text/html" and not shared.mimetype.startswith("text/html"):
                raise Skipped(f"{shared.name}: Slack refused the download (missing files:read?)")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise Skipped(f"{shared.name}: over the {max_bytes:,} byte limit")
    except httpx.HTTPError as exc:
        raise Skipped(f"{shared.name}: the download failed ({type(exc).__name__})") from exc
    return bytes(data)


def is_intake(config: SlackConfig, event: dict[str, Any]) -> bool:
    """A file share by a person in an intake channel or a direct message to the bot."""
    if event.get("bot_id") or not event.get("user") or not event.get("files"):
        return False
    return event.get("channel_type") == "im" or event.get("channel") in config.intake_channels


async def take_shared_files(
    slack: SlackContext,
    event: dict[str, Any],
    client: AsyncWebClient,
    http: httpx.AsyncClient,
) -> uuid.UUID | None:
    """The ``file_share`` listener's work: the new (or already made) work order's id, or
    None when nothing was taken (the person is told why)."""
    connector, settings = slack.connector, slack.deps.settings
    config = connector.config
    if not is_intake(config, event):
        return None
    user, channel, ts = str(event["user"]), str(event["channel"]), str(event["ts"])
    principal = config.submitter_for(user, connector.tenant_id)
    if principal is None:
        await _reply(client, channel, ts, NOT_LINKED)
        return None
    files = [SharedFile.from_event(f) for f in event["files"][: settings.max_items_per_order]]
    uploads: list[UploadedFile] = []
    skipped: list[str] = []
    for shared in files:
        try:
            data = await download(http, config, shared, settings.max_file_bytes)
        except Skipped as exc:
            skipped.append(exc.message)
            continue
        uploads.append(UploadedFile(filename=shared.name, data=data, media_type=shared.mimetype))
    if not uploads:
        await _reply(client, channel, ts, _receipt(None, 0, skipped, settings))
        return None
    prepared = await asyncio.to_thread(
        prepare_items, uploads, doc_type=None, put=slack.deps.blobs.put
    )
    payload = WorkOrderCreate(
        metadata={
            "source": "slack",
            "slack": {"team": config.team_id, "channel": channel, "ts": ts, "user": user},
        },
        work_items=[p.item for p in prepared[: settings.max_items_per_order]],
    )
    async with slack.deps.sessions() as session:
        order, created = await create_work_order(
            session,
            principal=principal,
            payload=payload,
            idempotency_key=f"slack:{config.team_id}:{channel}:{ts}",
            client=ClientInfo(user_agent=f"slack/{config.team_id}/{user}"),
            items_extra=[p.extra for p in prepared[: settings.max_items_per_order]],
        )
    if not created:
        return order.id  # a retried event: answered the first time
    await _start(slack, order.id)
    await _reply(
        client, channel, ts, _receipt(order.id, len(payload.work_items), skipped, settings)
    )
    return order.id


async def _start(slack: SlackContext, order_id: uuid.UUID) -> None:
    """Start the order's workflow; when Temporal is down the worker's sweep starts it."""
    from myloware.workflows.client import start_work_order

    try:
        client = await slack.deps.temporal()
        await start_work_order(client, slack.deps.settings, order_id, slack.connector.tenant_id)
    except Exception as exc:  # the order is stored; the sweep retries the start
        log.warning("workflow_start_deferred", work_order_id=str(order_id), error=str(exc))


def _receipt(order_id: uuid.UUID | None, taken: int, skipped: list[str], settings: Any) -> str:
    lines = []
    if order_id is not None:
        noun = "document" if taken == 1 else "documents"
        link = f"{base_url(settings)}/ui/work-orders/{order_id}"
        lines.append(
            f":inbox_tray: Got {taken} {noun}: work order <{link}|{str(order_id)[:8]}>. "
            "I'll answer here when they are processed."
        )
    else:
        lines.append(":warning: I couldn't take any of these files.")
    lines += [f"• skipped {reason}" for reason in skipped]
    return "\n".join(lines)


async def _reply(client: AsyncWebClient, channel: str, ts: str, text: str) -> None:
    from slack_sdk.errors import SlackApiError

    try:
        await client.chat_postMessage(channel=channel, thread_ts=ts, text=text)
    except SlackApiError as exc:  # what was taken stays taken; the order page says the rest
        error = exc.response.get("error", "unknown_error") if exc.response else "no_response"
        log.warning("slack_reply_failed", channel=channel, error=error)
