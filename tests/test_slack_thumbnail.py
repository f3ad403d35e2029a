"""The approval card's thumbnail: the first page through a signed, expiring link that Slack
can fetch without signing in, only where the platform has a public URL."""

from __future__ import annotations

import io
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from pydantic import SecretStr

from myloware.auth.page_links import link_is_valid, link_key, signed_page_path
from myloware.settings import Settings
from tests.einvoice_support import two_page_invoice
from tests.governance_support import submit_waiting_invoice, wait_for_item_status
from tests.pipeline_support import items_of
from tests.slack_support import FINANCE, SlackHarness

PUBLIC = "https://myloware.example.com"
ITEM, TENANT = uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The test platform, as if it were reachable at a public URL."""
    return settings.model_copy(update={"public_url": PUBLIC})


def test_a_link_verifies_only_as_signed_and_until_it_expires(settings: Settings) -> None:
    """Another key, tenant, item, page or a later expiry fails, and so does the link once
    expired."""
    key = link_key(settings.jwt_secret)
    query = parse_qs(urlsplit(signed_page_path(key, tenant_id=TENANT, work_item_id=ITEM)).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]

    def valid(
        signer: bytes = key,
        tenant: uuid.UUID = TENANT,
        item: uuid.UUID = ITEM,
        number: int = 1,
        until: int = expires,
        now: float | None = None,
    ) -> bool:
        return link_is_valid(
            signer,
            tenant_id=tenant,
            work_item_id=item,
            number=number,
            expires=until,
            signature=signature,
            now=now,
        )

    assert valid()
    assert not valid(signer=link_key(SecretStr("another-secret-" + "x" * 32)))
    assert not valid(tenant=uuid.uuid4())
    assert not valid(item=uuid.uuid4())
    assert not valid(number=2)
    assert not valid(until=expires + 1)
    assert not valid(now=expires + 1)


async def test_a_pdf_card_shows_its_first_page_through_a_signed_link(
    slack: SlackHarness,
) -> None:
    """The card of an uploaded PDF has an image block whose URL, on the public base URL,
    serves page 1 as a PNG without any credential; altered or expired, it is 404."""
    r = await slack.api.post(
        "/v1/work-orders/upload",
        files=[("files", ("big.pdf", two_page_invoice(total="1.190,00"), "application/pdf"))],
        data={"type": "INVOICE"},
        headers=slack.headers,
    )
    assert r.status_code == 201, r.text
    [item] = await items_of(slack.api, r.json()["data"]["id"], slack.headers)
    await wait_for_item_status(slack.api, item["id"], slack.headers, "AWAITING_APPROVAL")
    blocks = slack.slack.message(*await slack.card(FINANCE))["blocks"]
    [image] = [b for b in blocks if b["type"] == "image"]
    assert image["image_url"].startswith(f"{PUBLIC}/v1/page-links/{item['id']}/1?")
    assert image["alt_text"].startswith("First page of Invoice")
    link = image["image_url"].removeprefix(PUBLIC)
    page = await slack.api.get(link)  # no Authorization header: as Slack fetches it
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(page.content)).size[0] > 0
    path, query = link.split("?")
    signature = parse_qs(query)["signature"][0]
    forged = signature[:-1] + ("1" if signature[-1] == "0" else "0")  # one digit changed
    altered = f"{path}?{query.replace(signature, forged)}"
    assert (await slack.api.get(altered)).status_code == 404
    assert (await slack.api.get(link.replace("/1?", "/2?"))).status_code == 404  # signed: page 1
    expired = signed_page_path(
        link_key(slack.api.settings.jwt_secret),
        tenant_id=uuid.UUID(parse_qs(query)["tenant"][0]),
        work_item_id=uuid.UUID(item["id"]),
        expires=int(time.time()) - 1,
    )
    assert (await slack.api.get(expired)).status_code == 404


async def test_a_typed_in_document_has_no_thumbnail(slack: SlackHarness) -> None:
    """Text has no pages: its card has no image block."""
    await submit_waiting_invoice(slack.api, slack.headers)
    blocks = slack.slack.message(*await slack.card(FINANCE))["blocks"]
    assert [b for b in blocks if b["type"] == "image"] == []
