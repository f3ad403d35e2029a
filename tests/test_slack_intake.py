"""Documents arriving through Slack, on the real stack with Slack emulated: files shared in an
intake channel or a direct message become a work order, the bot answers in the thread when
it is taken and again when it is processed; strangers, other channels, foreign links and
Slack's sign-in page instead of a file are refused without losing anything."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import structlog
from sqlalchemy import update

from myloware.db.base import TenantStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Tenant, WorkItem, WorkOrder
from myloware.settings import Settings
from myloware.slack.intake import TENANT_DISABLED
from tests.pipeline_support import wait_for_order
from tests.polling import eventually
from tests.rows import read_rows
from tests.slack_emulator import post_event
from tests.slack_support import (
    ALICE,
    ALICE_DM,
    FINANCE,
    INBOX,
    SECRET,
    STRANGER,
    SlackHarness,
)
from tests.test_pipeline_e2e import TEXT_INVOICE

TICKET = b"Subject: VPN drops every ten minutes\n\nPlease help, I cannot work like this."


async def _orders(database_url: str) -> list[WorkOrder]:
    return await read_rows(database_url, WorkOrder)


async def _items(database_url: str) -> list[WorkItem]:
    return sorted(await read_rows(database_url, WorkItem), key=lambda i: i.position)


async def _share(slack: SlackHarness, channel: str, user: str, *files: Any, **kw: Any) -> str:
    """``user`` shares ``files`` in ``channel``; the message's ts."""
    body = slack.slack.file_share(slack.workspace, channel, user, list(files), **kw)
    r = await post_event(slack.api, body, signing_secret=SECRET)
    assert r.status_code == 200, r.text
    return str(body["event"]["ts"])


async def test_files_shared_in_the_inbox_channel_are_processed_and_answered_in_thread(
    slack: SlackHarness, database_url: str
) -> None:
    emu, ws = slack.slack, slack.workspace
    invoice = emu.host_file(ws, "acme-invoice.txt", TEXT_INVOICE.encode(), "text/plain")
    ticket = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    body = emu.file_share(ws, INBOX, ALICE, [invoice, ticket], text="two for you")
    ts = str(body["event"]["ts"])
    assert (await post_event(slack.api, body, signing_secret=SECRET)).status_code == 200

    receipt, result = await eventually(lambda: emu.replies(INBOX, ts)[:2] if len(
        emu.replies(INBOX, ts)) >= 2 else None, timeout_s=30)  # fmt: skip
    assert receipt["text"].startswith(":inbox_tray: Got 2 documents: work order <")
    assert "/ui/work-orders/" in receipt["text"]
    [order] = await _orders(database_url)
    assert order.created_by == "alice@acme.example"
    assert order.metadata_["source"] == "slack"
    assert order.metadata_["slack"] == {
        "team": ws.team_id,
        "channel": INBOX,
        "ts": ts,
        "user": ALICE,
    }
    items = await _items(database_url)
    assert [i.filename for i in items] == ["acme-invoice.txt", "vpn.txt"]
    assert {d[1] for d in emu.downloads} == {ws.bot_token}  # fetched with the bot token

    text = result["text"]
    assert text.startswith(":white_check_mark: All 2 processed (work order <")
    assert "acme-invoice.txt>" in text and "(invoice): Vendor: ACME Office Supplies Ltd" in text
    assert "Total: 60.00 EUR" in text and "vpn.txt> (ticket)" in text
    assert f"/ui/work-items/{items[0].id}|" in text

    # Slack retries the same event (no answer within 3 s, say) as a new request, signed at
    # its own time (an exact replay of the first request would be refused): nothing is made
    # twice
    again = await post_event(slack.api, body, signing_secret=SECRET, timestamp=int(time.time()) + 1)
    assert again.status_code == 200
    await slack.listeners_finished(2)  # the first share's listener and the retry's
    assert len(await _orders(database_url)) == 1 and len(emu.replies(INBOX, ts)) == 2


async def test_a_direct_message_with_a_file_is_taken_too(
    slack: SlackHarness, database_url: str
) -> None:
    emu, ws = slack.slack, slack.workspace
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    ts = await _share(slack, ALICE_DM, ALICE, shared, channel_type="im")
    [receipt] = await eventually(lambda: emu.replies(ALICE_DM, ts)[:1])
    assert "Got 1 document:" in receipt["text"]
    assert len(await _orders(database_url)) == 1


async def test_strangers_other_channels_and_bots_submit_nothing(
    slack: SlackHarness, database_url: str
) -> None:
    emu, ws = slack.slack, slack.workspace
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    ts = await _share(slack, INBOX, STRANGER, shared)
    [told] = await eventually(lambda: emu.replies(INBOX, ts)[:1])
    assert "isn't linked to a MyloWare user" in told["text"]
    await slack.listeners_finished(1)  # the stranger's
    bot = emu.file_share(ws, INBOX, ALICE, [shared])
    bot["event"]["bot_id"] = ws.bot_id  # an app's upload
    assert (await post_event(slack.api, bot, signing_secret=SECRET)).status_code == 200
    elsewhere = await _share(slack, FINANCE, ALICE, shared)  # not an intake channel
    # the share elsewhere was looked at and left; the bot's upload never reached a listener
    await slack.listeners_finished(2)
    assert await _orders(database_url) == []
    assert emu.downloads == []  # nothing was even fetched
    assert emu.replies(FINANCE, elsewhere) == [] and emu.replies(INBOX, bot["event"]["ts"]) == []


async def test_a_disabled_tenants_workspace_takes_nothing_and_says_why(
    slack: SlackHarness, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(Tenant).where(Tenant.id == tenants["acme"]).values(status=TenantStatus.DISABLED)
        )
    await engine.dispose()
    emu, ws = slack.slack, slack.workspace
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    with structlog.testing.capture_logs() as events:
        ts = await _share(slack, INBOX, ALICE, shared)
        [told] = await eventually(lambda: emu.replies(INBOX, ts)[:1])
        await slack.listeners_finished(1)
    assert told["text"] == TENANT_DISABLED
    [refused] = [e for e in events if e["event"] == "slack_intake_refused"]
    assert refused["reason"] == "tenant_disabled"
    assert refused["tenant_id"] == str(tenants["acme"])
    assert emu.downloads == []  # not even fetched
    assert await _orders(database_url) == []


async def test_an_order_claiming_to_come_from_slack_makes_the_bot_say_nothing(
    slack: SlackHarness, database_url: str
) -> None:
    """An API client writes its order's metadata as it likes: it cannot make the bot post
    into a channel (where to answer is recorded by the intake alone)."""
    forged = {"source": "slack", "slack": {"team": slack.workspace.team_id, "channel": INBOX,
              "ts": "1700000000.000100", "user": ALICE}}  # fmt: skip
    r = await slack.api.post(
        "/v1/work-orders",
        json={"metadata": forged, "work_items": [{"content": TICKET.decode()}]},
        headers=slack.headers,
    )
    await wait_for_order(slack.api, r.json()["data"]["id"], slack.headers)
    # a real share settles after it: once that is answered, the consumer is past the forged
    # order's event (one stream, read in order) — and never posted for it
    emu, ws = slack.slack, slack.workspace
    ts = await _share(slack, INBOX, ALICE, emu.host_file(ws, "t.txt", TICKET, "text/plain"))
    await eventually(lambda: len(emu.replies(INBOX, ts)) == 2, timeout_s=30)
    assert emu.replies(INBOX, "1700000000.000100") == []
    assert {c.args.get("thread_ts") for c in emu.calls_to("chat.postMessage")} == {ts}


async def test_a_share_inside_a_thread_is_answered_in_that_thread(
    slack: SlackHarness, database_url: str
) -> None:
    emu, ws = slack.slack, slack.workspace
    body = emu.file_share(ws, INBOX, ALICE, [emu.host_file(ws, "t.txt", TICKET, "text/plain")])
    body["event"]["thread_ts"] = parent = "1700000000.000200"
    await post_event(slack.api, body, signing_secret=SECRET)
    replies = await eventually(lambda: r if len(r := emu.replies(INBOX, parent)) == 2 else None)
    assert "Got 1 document" in replies[0]["text"] and "All 1 processed" in replies[1]["text"]


async def test_too_many_files_are_refused_whole_and_a_failure_is_told(
    slack: SlackHarness, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, ws = slack.slack, slack.workspace
    one = emu.host_file(ws, "t.txt", TICKET, "text/plain")
    limit = slack.api.settings.max_items_per_order
    ts = await _share(slack, INBOX, ALICE, *[{**one, "id": f"F{i}"} for i in range(limit + 1)])
    [refused] = await eventually(lambda: emu.replies(INBOX, ts)[:1])
    assert (
        f"That is {limit + 1} documents; one message may bring at most {limit}" in refused["text"]
    )
    assert emu.downloads == []

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr("myloware.slack.intake.prepare_items", broken)
    ts = await _share(slack, INBOX, ALICE, one)
    [told] = await eventually(lambda: emu.replies(INBOX, ts)[:1])
    assert "something went wrong while I was taking these files" in told["text"]
    assert await _orders(database_url) == []


async def test_files_slack_will_not_hand_over_are_skipped_with_the_reason(
    slack: SlackHarness, database_url: str, settings: Settings
) -> None:
    """Slack's sign-in page instead of the file, a link to another host (the token must not
    go there), a file over the size limit: each is named in the thread; the good one is
    taken."""
    emu, ws = slack.slack, slack.workspace
    good = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    unauthorised = emu.host_file(ws, "scan.pdf", b"%PDF-1.4", "application/pdf")
    unauthorised["url_private_download"] += "&sabotage"  # served, but as Slack's sign-in page
    emu._state.files[unauthorised["id"]] = ("xoxb-someone-else", b"%PDF-1.4", "application/pdf")
    foreign = {**good, "id": "F0EVIL", "name": "evil.txt",
               "url_private_download": "https://files.slack.com@evil.example/steal"}  # fmt: skip
    plain = {**good, "id": "F0PLAIN", "name": "plain.txt",
             "url_private_download": "http://files.slack.com/files-pri/T-F/plain.txt"}  # fmt: skip
    huge = {**good, "id": "F0HUGE", "name": "huge.pdf", "size": settings.max_file_bytes + 1}
    ts = await _share(slack, INBOX, ALICE, good, unauthorised, foreign, plain, huge)
    [receipt] = await eventually(lambda: emu.replies(INBOX, ts)[:1], timeout_s=20)
    text = receipt["text"]
    assert "Got 1 document:" in text
    assert "skipped scan.pdf: Slack refused the download (missing files:read?)" in text
    assert "skipped evil.txt: not a Slack file link" in text  # the host is evil.example
    assert "skipped plain.txt: not a Slack file link" in text  # Slack's host, but not https
    assert "skipped huge.pdf:" in text and "over the" in text
    assert [i.filename for i in await _items(database_url)] == ["vpn.txt"]
    assert {d[0] for d in emu.downloads} == {good["id"], unauthorised["id"]}

    nothing = await _share(slack, INBOX, ALICE, foreign)
    [refused] = await eventually(lambda: emu.replies(INBOX, nothing)[:1])
    assert refused["text"].startswith(":warning: I couldn't take any of these files.")
    assert len(await _orders(database_url)) == 1

    # a file Slack hands over but nobody can read: taken, and its failure told in the thread
    broken = emu.host_file(ws, "broken.pdf", b"%PDF-1.7 not really", "application/pdf")
    ts = await _share(slack, INBOX, ALICE, broken)
    replies = await eventually(lambda: r if len(r := emu.replies(INBOX, ts)) == 2 else None)
    failed = replies[1]["text"]
    assert failed.startswith(":warning: 0 of 1 processed, 1 failed")
    assert "• :x: <" in failed and "broken.pdf>: failed:" in failed


async def test_a_share_being_taken_when_the_api_stops_is_finished_first(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> None:
    """Bolt acknowledged the event (Slack will not send it again), the file is still
    downloading: the API's shutdown waits for the listener, and the order is there the
    moment the API has stopped."""
    from tests.pipeline_support import app_client
    from tests.slack_emulator import SlackEmulator
    from tests.slack_support import acme_workspace, store_connector

    workspace = acme_workspace()
    async with SlackEmulator(workspace) as emu:
        await store_connector(database_url, tenants["acme"], emu.api_url)
        async with app_client(
            settings,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as api:
            slow = emu.host_file(workspace, "vpn.txt", TICKET, "text/plain", delay_s=1.5)
            body = emu.file_share(workspace, INBOX, ALICE, [slow])
            assert (await post_event(api, body, signing_secret=SECRET)).status_code == 200
            await eventually(lambda: emu.downloads)  # under way; now the API stops
        [order] = await _orders(database_url)
        assert order.metadata_["source"] == "slack"


async def test_a_malformed_file_share_is_ignored_or_read_as_far_as_it_makes_sense(
    slack: SlackHarness, database_url: str
) -> None:
    emu, ws = slack.slack, slack.workspace
    shared = emu.host_file(ws, "vpn.txt", TICKET, "text/plain")
    odd = emu.file_share(ws, INBOX, ALICE, [shared])
    odd["event"]["files"] = {"not": "a list"}
    assert (await post_event(slack.api, odd, signing_secret=SECRET)).status_code == 200
    await slack.listeners_finished(1)
    assert emu.replies(INBOX, str(odd["event"]["ts"])) == []  # nothing to take: left alone
    odd_links = [
        {**shared, "name": "number.txt", "url_private_download": 123},
        {**shared, "name": "port.txt", "url_private_download": "https://files.slack.com:x/y"},
    ]
    ts = await _share(slack, INBOX, ALICE, {**shared, "size": "lots"}, "not a file", *odd_links)
    [receipt] = await eventually(lambda: emu.replies(INBOX, ts)[:1])
    assert "Got 1 document" in receipt["text"]  # the unreadable size capped while downloading
    assert "skipped number.txt: Slack gave no download link" in receipt["text"]
    assert "skipped port.txt: the download failed (InvalidURL)" in receipt["text"]
    assert len(await _orders(database_url)) == 1
