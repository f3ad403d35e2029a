"""Documents arriving through Slack: files shared with the bot become a work order.

A ``message`` event of subtype ``file_share`` — in a channel listed in the connector's
``intake_channels``, or in a direct message to the bot — from a Slack user listed in
``users`` becomes one work order of the connector's tenant, one item per file (an ``.eml``
splits as in the upload API), submitted as that user. Then:

* the bot answers in the message's thread: what it took, the work order, what it skipped;
* when the order settles, the ``slack`` event consumer answers in the same thread with each
  document's outcome (:mod:`myloware.slack.results`).

Files are fetched from ``url_private_download`` with the bot token (scope ``files:read``),
only over https from Slack's file host (``files.slack.com``; in development and test the
configured API's host), never followed elsewhere, each at most ``MYLOWARE_MAX_FILE_BYTES``,
all of a message within :data:`DOWNLOAD_DEADLINE_S`, and at most :data:`CONCURRENT` messages
at once per process. Slack answers a download it does not authorise with its HTML sign-in
page and a 200: such an answer is refused, not stored as the document. The same message
delivered again creates nothing twice: the order's idempotency key is the message's team,
channel and ``ts``, checked before anything is downloaded. Where to answer is recorded in
``slack_intakes`` with the order, by this module only — never taken from the order's
metadata, which is the submitter's to write.

A disabled tenant's workspace takes nothing: the share is answered with
:data:`TENANT_DISABLED`, logged as ``slack_intake_refused`` (``reason=tenant_disabled``), and
no file is fetched and no order made.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.db.audit import ClientInfo
from myloware.db.models import SlackIntake
from myloware.errors import MylowareError
from myloware.services.schemas import WorkOrderCreate
from myloware.services.slack_connectors import SLACK_API_URL, SlackConfig
from myloware.services.tenants import is_active
from myloware.services.uploads import UploadedFile, prepare_items
from myloware.services.work_orders import create_work_order, find_by_idempotency_key
from myloware.slack.cards import escape
from myloware.slack.decisions import SlackContext

log = structlog.get_logger(__name__)

SLACK_FILE_HOST = "files.slack.com"
DOWNLOAD_TIMEOUT_S = 30.0  # per read
DOWNLOAD_DEADLINE_S = 120.0  # all files of one message
CONCURRENT = 4  # messages taken at once per process (each holds its files in memory)
_taking = asyncio.Semaphore(CONCURRENT)
NOT_LINKED = (
    "Sorry, your Slack account isn't linked to a MyloWare user, so I can't take documents "
    "from you. Ask your MyloWare admin to add you to the Slack connector."
)
TENANT_DISABLED = (
    "Sorry, this workspace's MyloWare tenant is disabled, so I can't take documents. "
    "Nothing was submitted. Ask your MyloWare admin."
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
            size=_size(data.get("size")),
            url=_text(data.get("url_private_download") or data.get("url_private")),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _size(value: object) -> int:
    """Slack's ``size``; 0 (unknown) when it is not a number — the download is capped anyway."""
    try:
        return max(int(str(value or 0)), 0)
    except ValueError:
        return 0


class Skipped(MylowareError):
    """A shared file that is not taken; the message says why, for the person who shared it."""


def allowed_origins(config: SlackConfig) -> set[tuple[str, str]]:
    """(scheme, host) pairs the bot token may be sent to for a download: Slack's file host
    over https, and the API the connector was configured with when that is not Slack
    (development and test only: the connector API refuses another ``api_url`` in
    production)."""
    origins = {("https", SLACK_FILE_HOST)}
    if config.api_url != SLACK_API_URL:
        api = urlsplit(config.api_url)
        origins.add((api.scheme, api.hostname or ""))
    return origins


async def download(
    http: httpx.AsyncClient, config: SlackConfig, shared: SharedFile, max_bytes: int
) -> bytes:
    """The file's bytes; :class:`Skipped` with the reason when it cannot be taken."""
    if shared.url is None:
        raise Skipped(f"{shared.name}: Slack gave no download link (an external file?)")
    if shared.size > max_bytes:
        raise Skipped(f"{shared.name}: {shared.size:,} bytes, over the {max_bytes:,} limit")
    try:
        url = urlsplit(shared.url)
        origin = (url.scheme, url.hostname)
    except ValueError:  # a port that is no number, say
        origin = ("", None)
    if origin not in allowed_origins(config):
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
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise Skipped(f"{shared.name}: the download failed ({type(exc).__name__})") from exc
    return bytes(data)


def is_intake(config: SlackConfig, event: dict[str, Any]) -> bool:
    """A file share by a person in an intake channel or a direct message to the bot."""
    files = event.get("files")
    if event.get("bot_id") or not event.get("user") or not isinstance(files, list) or not files:
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
    user, channel = str(event["user"]), str(event["channel"])
    thread = str(event.get("thread_ts") or event["ts"])  # a share inside a thread: that one
    principal = config.submitter_for(user, connector.tenant_id)
    if principal is None:
        await reply(client, channel, thread, NOT_LINKED)
        return None
    key = f"slack:{config.team_id}:{channel}:{event['ts']}"
    async with slack.deps.sessions() as session:
        if not await is_active(session, connector.tenant_id):
            log.warning(
                "slack_intake_refused",
                reason="tenant_disabled",
                tenant_id=str(connector.tenant_id),
                connector_id=str(connector.id),
                channel=channel,
            )
            await reply(client, channel, thread, TENANT_DISABLED)
            return None
        earlier = await find_by_idempotency_key(session, tenant_id=connector.tenant_id, key=key)
    if earlier is not None:
        return earlier.id  # the same message again: answered the first time
    limit = settings.max_items_per_order
    if len(event["files"]) > limit:
        await reply(client, channel, thread, too_many(len(event["files"]), limit))
        return None
    async with _taking:
        uploads, skipped = await _download_all(http, config, event["files"], settings)
        if not uploads:
            await reply(client, channel, thread, receipt(None, 0, skipped, settings))
            return None
        prepared = await asyncio.to_thread(
            prepare_items, uploads, doc_type=None, put=slack.deps.blobs.put
        )
    if len(prepared) > limit:  # e-mails split into more documents than an order may hold
        await reply(client, channel, thread, too_many(len(prepared), limit))
        return None
    origin = {"team": config.team_id, "channel": channel, "ts": thread, "user": user}
    async with slack.deps.sessions() as session:
        order, created = await create_work_order(
            session,
            principal=principal,
            payload=WorkOrderCreate(
                metadata={"source": "slack", "slack": origin},
                work_items=[p.item for p in prepared],
            ),
            idempotency_key=key,
            client=ClientInfo(user_agent=f"slack/{config.team_id}/{user}"),
            items_extra=[p.extra for p in prepared],
            linked=lambda order_id: [
                SlackIntake(
                    work_order_id=order_id,
                    tenant_id=connector.tenant_id,
                    team_id=config.team_id,
                    channel=channel,
                    thread_ts=thread,
                    user_id=user,
                )
            ],
        )
        await session.commit()
    if not created:
        return order.id  # a concurrent delivery of the same message made it first
    await slack.deps.start(order.id, connector.tenant_id)
    await reply(client, channel, thread, receipt(order.id, len(prepared), skipped, settings))
    return order.id


async def _download_all(
    http: httpx.AsyncClient, config: SlackConfig, files: list[dict[str, Any]], settings: Any
) -> tuple[list[UploadedFile], list[str]]:
    """The files that could be fetched, and why each other one was skipped."""
    uploads: list[UploadedFile] = []
    skipped: list[str] = []
    pending = [SharedFile.from_event(f) for f in files if isinstance(f, dict)]
    try:
        async with asyncio.timeout(DOWNLOAD_DEADLINE_S):
            while pending:
                shared = pending[0]
                try:
                    data = await download(http, config, shared, settings.max_file_bytes)
                except Skipped as exc:
                    skipped.append(exc.message)
                else:
                    uploads.append(UploadedFile(shared.name, data, shared.mimetype))
                pending.pop(0)
    except TimeoutError:
        skipped += [
            f"{f.name}: the downloads took over {DOWNLOAD_DEADLINE_S:.0f} s" for f in pending
        ]
    return uploads, skipped


def too_many(count: int, limit: int) -> str:
    return (
        f":warning: That is {count} documents; one message may bring at most {limit}. "
        "Nothing was taken: share them in smaller groups."
    )


def receipt(order_id: uuid.UUID | None, taken: int, skipped: list[str], settings: Any) -> str:
    lines = []
    if order_id is not None:
        noun = "document" if taken == 1 else "documents"
        link = f"{settings.base_url}/ui/work-orders/{order_id}"
        lines.append(
            f":inbox_tray: Got {taken} {noun}: work order <{link}|{str(order_id)[:8]}>. "
            "I'll answer here when they are processed."
        )
    else:
        lines.append(":warning: I couldn't take any of these files.")
    lines += [f"• skipped {escape(reason)}" for reason in skipped]
    return "\n".join(lines)


async def reply(client: AsyncWebClient, channel: str, ts: str, text: str) -> None:
    """A message in the thread of ``ts``; a refusal (the bot left the channel) is logged."""
    try:
        await client.chat_postMessage(channel=channel, thread_ts=ts, text=text)
    except SlackApiError as exc:  # what was taken stays taken; the order page says the rest
        error = exc.response.get("error", "unknown_error") if exc.response else "no_response"
        log.warning("slack_reply_failed", channel=channel, error=error)
