"""Documents arriving by e-mail, on the real stack: an admin opens an inbox, a mail server
delivers a message to it over SMTP (Python's smtplib against the API's aiosmtpd listener),
and its body and attachments become one work order that is processed. Unknown mailboxes,
foreign senders, oversized and repeated messages are answered as SMTP expects."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from myloware.db.base import ConnectorStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Connector, WorkItem, WorkOrder
from tests.pipeline_support import app_client, running_worker, unique_queue, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE


@pytest.fixture
async def mail_api(
    settings: Any, database_url: str, clean_redis: str, temporal_address: str, tenants: Any
) -> AsyncIterator[httpx.AsyncClient]:
    local = settings.model_copy(
        update={"task_queue": unique_queue(), "smtp_port": 0, "max_body_bytes": 64 * 1024}
    )
    async with (
        app_client(
            local,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as client,
        running_worker(local, database_url, temporal_address),
    ):
        yield client


def _port(client: httpx.AsyncClient) -> int:
    port: int = client.app.state.myloware.smtp_port  # type: ignore[attr-defined]
    return port


def _message(to: str, sender: str = "billing@vendor.example", **kw: Any) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = kw.get("subject", "Invoice INV-2024-0042")
    message["Message-ID"] = kw.get("message_id", "<inv-0042@vendor.example>")
    message.set_content(kw.get("body", "Please find our invoice attached."))
    for name, data in kw.get("attachments", [("invoice.txt", TEXT_INVOICE.encode())]):
        message.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return message


def _send(port: int, message: EmailMessage, sender: str | None = None) -> tuple[int, bytes]:
    """Deliver like a mail server: the answer to DATA (code, text), or the refusal."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        try:
            refused = smtp.send_message(message, from_addr=sender)
        except smtplib.SMTPRecipientsRefused as exc:
            return next(iter(exc.recipients.values()))
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error
        except smtplib.SMTPSenderRefused as exc:
            return exc.smtp_code, exc.smtp_error
        assert refused == {}
        return 250, b""


async def _open_inbox(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    r = await client.post("/v1/connectors/email", json=body, headers=headers)
    assert r.status_code == 201, r.text
    address = r.json()["message"].removeprefix("send documents to ")
    assert address.startswith(r.json()["data"]["config"]["mailbox"] + "@myloware.localhost")
    return address


async def _orders(database_url: str) -> list[WorkOrder]:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = list((await session.scalars(select(WorkOrder))).all())
    await engine.dispose()
    return rows


async def test_a_mailed_invoice_becomes_a_processed_work_order(
    mail_api: httpx.AsyncClient, token_for: Any, database_url: str
) -> None:
    admin = token_for("acme", "admin", "work_orders:read")
    address = await _open_inbox(mail_api, admin, allowed_senders=["*@vendor.example"])
    code, _ = await asyncio.to_thread(_send, _port(mail_api), _message(address))
    assert code == 250
    [order] = await _orders(database_url)
    assert order.created_by == "email:billing@vendor.example"
    assert order.metadata_["email"]["subject"] == "Invoice INV-2024-0042"
    done = await wait_for_order(mail_api, str(order.id), admin)
    assert done["status"] == "COMPLETED"
    items = (await mail_api.get(f"/v1/work-orders/{order.id}/work-items", headers=admin)).json()
    names = sorted(i["filename"] for i in items["data"])
    assert names == ["Invoice INV-2024-0042.eml (body)", "invoice.txt"]
    [invoice] = [i for i in items["data"] if i["filename"] == "invoice.txt"]
    assert invoice["result"]["fields"]["invoice_number"] == "INV-2024-0042"

    # the sending server retries (our answer was lost, say): the same order, nothing new
    code, _ = await asyncio.to_thread(_send, _port(mail_api), _message(address))
    assert code == 250 and len(await _orders(database_url)) == 1


async def test_mail_that_may_not_come_in_is_refused_the_smtp_way(
    mail_api: httpx.AsyncClient, token_for: Any, database_url: str
) -> None:
    admin = token_for("acme", "admin")
    address = await _open_inbox(mail_api, admin, allowed_senders=["*@vendor.example"])
    port = _port(mail_api)
    mailbox = address.split("@")[0]
    unknown = await asyncio.to_thread(
        _send, port, _message("in-0000000000000000@myloware.localhost")
    )
    elsewhere = await asyncio.to_thread(_send, port, _message(f"{mailbox}@other.example"))
    stranger = await asyncio.to_thread(_send, port, _message(address, sender="x@evil.example"))
    big = _message(address, attachments=[("huge.txt", b"x" * (80 * 1024))])
    too_big = await asyncio.to_thread(_send, port, big)
    assert unknown[0] == 550 and elsewhere[0] == 550
    assert stranger == (550, b"5.7.1 This sender may not send to this mailbox")
    assert too_big[0] == 552
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Connector).values(status=ConnectorStatus.INACTIVE))
    await engine.dispose()
    closed = await asyncio.to_thread(_send, port, _message(address))
    assert closed[0] == 550
    assert await _orders(database_url) == []


async def test_opening_an_inbox_is_for_admins_and_checks_its_input(
    mail_api: httpx.AsyncClient, token_for: Any, database_url: str
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
