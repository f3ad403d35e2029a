"""Documents arriving by e-mail, on the real stack: an admin opens an inbox, a mail server
delivers a message to it over SMTP (Python's smtplib against the API's aiosmtpd listener),
and its body and attachments become one work order that is processed. Unknown mailboxes,
foreign senders, oversized and repeated messages are answered as SMTP expects."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import select, update

from myloware.db.base import ConnectorStatus, TenantStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Connector, Tenant, WorkItem, WorkOrder
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient, api_with_worker, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE


@pytest.fixture
async def mail_api(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[AppClient]:
    async with api_with_worker(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        smtp_port=0,
        max_body_bytes=64 * 1024,
    ) as client:
        yield client


def _port(client: AppClient) -> int:
    port: int = client.app.state.myloware.smtp_port
    return port


def _message(to: str, sender: str = "billing@vendor.example", **kw: Any) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = kw.get("subject", "Invoice INV-2024-0042")
    message["Message-ID"] = kw.get("message_id", "<inv-0042@vendor.example>")
    message.set_content(kw.get("body", "Please find our invoice attached."))
    for name, data in kw.get("attachments", [("invoice.txt", TEXT_INVOICE.encode())]):
        kind = ("text", "plain") if name.endswith(".txt") else ("application", "octet-stream")
        message.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return message


def _send(
    port: int,
    message: EmailMessage | bytes,
    sender: str = "billing@vendor.example",
    rcpts: tuple[str, ...] = (),
) -> tuple[int, bytes]:
    """Deliver like a mail server, step by step: the first refusal, or the answer to DATA."""
    data = (
        message
        if isinstance(message, bytes)
        else message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    )
    to = rcpts or (str(message["To"]) if isinstance(message, EmailMessage) else "",)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo("mx.vendor.example")
        code, text = smtp.mail(sender)
        if code != 250:
            return code, text
        for address in to:
            code, text = smtp.rcpt(address)
            if code != 250:
                return code, text
        return smtp.data(data)


def _rcpt(port: int, sender: str, address: str) -> tuple[int, bytes]:
    """The answer to RCPT TO alone (nothing of the message sent)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo("mx.vendor.example")
        smtp.mail(sender)
        return smtp.rcpt(address)


async def _open_inbox(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    r = await client.post("/v1/connectors/email", json=body, headers=headers)
    assert r.status_code == 201, r.text
    address: str = r.json()["message"].removeprefix("send documents to ")
    assert address.startswith(r.json()["data"]["config"]["mailbox"] + "@myloware.localhost")
    return address


async def _orders(database_url: str) -> list[WorkOrder]:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = list((await session.scalars(select(WorkOrder))).all())
    await engine.dispose()
    return rows


async def test_a_mailed_invoice_becomes_a_processed_work_order(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    admin = token_for("acme", "admin", "work_orders:read")
    address = await _open_inbox(mail_api, admin, allowed_senders=["*@vendor.example"])
    mail = _message(address)
    code, answer = await asyncio.to_thread(_send, _port(mail_api), mail)
    assert code == 250
    [order] = await _orders(database_url)
    assert answer == f"2.0.0 Queued as work order {order.id}".encode()
    assert order.created_by == "email:billing@vendor.example"
    assert order.metadata_["email"]["subject"] == "Invoice INV-2024-0042"
    reader = (await mail_api.get(f"/v1/work-orders/{order.id}", headers=token_for("acme"))).text
    assert address.split("@")[0] not in reader  # the inbox's address is the admins' secret
    done = await wait_for_order(mail_api, str(order.id), admin)
    assert done["status"] == "COMPLETED"
    items = (await mail_api.get(f"/v1/work-orders/{order.id}/work-items", headers=admin)).json()
    names = sorted(i["filename"] for i in items["data"])
    assert names == ["Invoice INV-2024-0042.eml (body)", "invoice.txt"]
    [invoice] = [i for i in items["data"] if i["filename"] == "invoice.txt"]
    assert invoice["result"]["fields"]["invoice_number"] == "INV-2024-0042"

    # the sending server retries (our answer was lost, say): the same order, nothing new
    again = await asyncio.to_thread(_send, _port(mail_api), mail)  # byte for byte
    assert again == (code, answer) and len(await _orders(database_url)) == 1


async def test_mail_that_may_not_come_in_is_refused_the_smtp_way(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    admin = token_for("acme", "admin")
    address = await _open_inbox(mail_api, admin, allowed_senders=["*@vendor.example"])
    port = _port(mail_api)
    mailbox = address.split("@")[0]
    unknown = await asyncio.to_thread(
        _send, port, _message("in-0000000000000000@myloware.localhost")
    )
    elsewhere = await asyncio.to_thread(_send, port, _message(f"{mailbox}@other.example"))
    stranger = await asyncio.to_thread(_send, port, _message(address), sender="x@evil.example")
    bounce = await asyncio.to_thread(_send, port, _message(address), sender="")
    two = await asyncio.to_thread(_send, port, _message(address), rcpts=(address, address))
    big = _message(address, attachments=[("huge.bin", b"x" * (80 * 1024))])  # no SIZE given
    too_big = await asyncio.to_thread(_send, port, big)
    assert unknown[0] == 550 and elsewhere[0] == 550
    assert stranger == (550, b"5.7.1 This sender may not send to this mailbox")
    assert await asyncio.to_thread(_rcpt, port, "x@evil.example", address) == stranger
    assert bounce[0] == 550  # the null sender of bounces never makes an order
    assert two == (452, b"4.5.3 One inbox per message, please")
    assert too_big[0] == 552
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Connector).values(status=ConnectorStatus.INACTIVE))
    await engine.dispose()
    closed = await asyncio.to_thread(_send, port, _message(address))
    assert closed[0] == 550
    assert await _orders(database_url) == []


async def test_a_disabled_tenants_inbox_refuses_mail_with_the_reason_and_makes_nothing(
    mail_api: AppClient,
    token_for: TokenFor,
    database_url: str,
    tenants: dict[str, uuid.UUID],
) -> None:
    address = await _open_inbox(mail_api, token_for("acme", "admin"))
    port = _port(mail_api)

    async def set_status(status: TenantStatus) -> None:
        engine = create_engine(database_url, pool_size=1)
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                update(Tenant).where(Tenant.id == tenants["acme"]).values(status=status)
            )
        await engine.dispose()

    await set_status(TenantStatus.DISABLED)
    with structlog.testing.capture_logs() as events:
        refused = await asyncio.to_thread(_send, port, _message(address))
    assert refused == (550, b"5.2.1 This mailbox is disabled and takes no mail")
    [logged] = [e for e in events if e["event"] == "email_refused"]
    assert logged["reason"] == "tenant_disabled"
    assert logged["tenant_id"] == str(tenants["acme"])
    assert await _orders(database_url) == []

    await set_status(TenantStatus.ACTIVE)  # enabled again: the same message is taken
    code, answer = await asyncio.to_thread(_send, port, _message(address))
    assert code == 250 and answer.startswith(b"2.0.0 Queued as work order")
    [order] = await _orders(database_url)
    assert order.tenant_id == tenants["acme"]


async def test_opening_an_inbox_is_for_admins_and_checks_its_input(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    r = await mail_api.post("/v1/connectors/email", json={}, headers=token_for("acme"))
    assert r.status_code == 403
    admin = token_for("acme", "admin")
    for body in ({"allowed_senders": ["has space"]}, {"document_type": "X"}, {"extra": 1}):
        r = await mail_api.post("/v1/connectors/email", json=body, headers=admin)
        assert r.status_code == 422, body
    first = await _open_inbox(mail_api, admin, document_type="INVOICE")
    second = await _open_inbox(mail_api, admin)
    assert first != second  # each inbox its own generated address
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        assert len((await session.scalars(select(Connector))).all()) == 2
        assert (await session.scalars(select(WorkItem))).all() == []
    await engine.dispose()


async def test_odd_headers_are_read_as_nothing_not_bounced_for_days(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    """A Message-ID the parser chokes on and a subject with a NUL in it: taken (the sending
    server would retry a 451 for days), the odd values dropped."""
    address = await _open_inbox(mail_api, token_for("acme", "admin"))
    raw = (
        f"From: a@vendor.example\r\nTo: {address}\r\nMessage-ID: <<>>@@\r\n"
        "Subject: =?utf-8?q?Inv=00oice?=\r\n\r\nInvoice No: INV-9\r\nTotal EUR 1.00\r\n"
    ).encode()
    code, _ = await asyncio.to_thread(_send, _port(mail_api), raw, "a@vendor.example", (address,))
    assert code == 250
    [order] = await _orders(database_url)
    assert order.metadata_["email"]["subject"] == "Invoice"
    assert order.metadata_["email"]["inbox_id"]


async def test_an_inbox_lets_in_whom_its_admin_says_and_keeps_its_address(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    admin = token_for("acme", "admin")
    address = await _open_inbox(mail_api, admin, allowed_senders=["*@vendor.example"])
    port = _port(mail_api)
    assert (await asyncio.to_thread(_rcpt, port, "ap@new.example", address))[0] == 550
    [inbox] = (await mail_api.get("/v1/connectors", headers=admin)).json()["data"]
    path = f"/v1/connectors/{inbox['id']}/email"
    body = {"allowed_senders": ["*@new.example"], "document_type": "INVOICE"}
    assert (
        await mail_api.put(path, json=body, headers=token_for("globex", "admin"))
    ).status_code == 404
    r = await mail_api.put(path, json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["config"]["mailbox"] == address.split("@")[0]  # the same address
    assert (await asyncio.to_thread(_rcpt, port, "ap@new.example", address))[0] == 250
    assert (await asyncio.to_thread(_rcpt, port, "x@vendor.example", address))[0] == 550
    bad = await mail_api.put(path, json={"allowed_senders": ["a b"]}, headers=admin)
    assert bad.status_code == 422


async def test_a_storage_failure_asks_the_sender_to_retry_and_loses_nothing(
    mail_api: AppClient,
    token_for: TokenFor,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Our side failing (the file store full) is 451, not a permanent refusal: the sending
    server keeps the message, and its retry is taken once we are back."""
    address = await _open_inbox(mail_api, token_for("acme", "admin"))
    blobs = mail_api.app.state.myloware.blobs
    real_put = blobs.put

    def full(data: bytes) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blobs, "put", full)
    mail = _message(address)
    code, _ = await asyncio.to_thread(_send, _port(mail_api), mail)
    assert code == 451 and await _orders(database_url) == []
    monkeypatch.setattr(blobs, "put", real_put)
    code, _ = await asyncio.to_thread(_send, _port(mail_api), mail)
    assert code == 250 and len(await _orders(database_url)) == 1


async def test_a_damaged_inbox_defers_mail_until_repaired_and_put_is_for_inboxes_only(
    mail_api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    admin = token_for("acme", "admin")
    address = await _open_inbox(mail_api, admin)
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        inbox = await session.scalar(select(Connector))
        assert inbox is not None
        inbox.config = {**inbox.config, "allowed_senders": "not a list"}  # edited by hand
    await engine.dispose()
    deferred = await asyncio.to_thread(_rcpt, _port(mail_api), "a@vendor.example", address)
    assert deferred[0] == 451  # waits at the sender, never bounced
    path = f"/v1/connectors/{inbox.id}/email"
    repaired = await mail_api.put(path, json={"allowed_senders": []}, headers=admin)
    assert repaired.status_code == 200, repaired.text
    assert (await asyncio.to_thread(_rcpt, _port(mail_api), "a@vendor.example", address))[0] == 250
    hook = await mail_api.post(
        "/v1/connectors",
        json={"name": "hook", "config": {"url": "https://example.com/hook", "events": ["*"]}},
        headers=admin,
    )
    assert hook.status_code == 201, hook.text
    wrong = await mail_api.put(
        f"/v1/connectors/{hook.json()['data']['id']}/email", json={}, headers=admin
    )
    assert wrong.status_code == 404 and "not an e-mail inbox" in wrong.text
