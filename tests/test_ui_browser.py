"""The Run Trace UI in a real browser (system Chromium through Playwright); skipped without one."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.auth_support import TokenFor
from tests.einvoice_support import two_page_invoice
from tests.governance_support import BIG_INVOICE, publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient, items_of, wait_for_order
from tests.ui_support import FIXTURES, bearer

if TYPE_CHECKING:
    from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
#: set to a folder (e.g. ``docs``) to keep the viewer's screenshots; a temporary one otherwise
SCREENSHOTS = os.environ.get("MYLOWARE_UI_SCREENSHOTS")
playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve the (already started) app over HTTP on a free local port, in this event loop."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no "started" event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_person_signs_in_and_follows_a_value_to_its_source(
    stack: AppClient, token_for: TokenFor
) -> None:
    """Login returns to the item; a value lights its span; links from elsewhere stay signed in."""
    headers = token_for("acme")
    r = await stack.post(
        "/v1/work-orders",
        json={"work_items": [{"content": (FIXTURES / "invoice.txt").read_text()}]},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    await wait_for_order(stack, order_id, headers)
    [item] = await items_of(stack, order_id, headers)
    async with (
        serving(stack.app) as base,
        playwright_api.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(f"{base}/ui/work-items/{item['id']}")
        assert "/ui/login" in page.url
        await page.fill("#credential", bearer(headers))
        await page.click("button[type=submit]")
        await page.wait_for_url(f"**/ui/work-items/{item['id']}")
        await page.click("a.src[data-field='invoice_number']")
        lit = await page.eval_on_selector_all("pre.doc mark.on", "ms => ms.map(m => m.textContent)")
        assert lit == ["NW-7731"]
        elsewhere = await context.new_page()  # a link in another site, e.g. a Slack message
        await elsewhere.set_content(f'<a href="{base}/ui/work-orders/{order_id}">order</a>')
        await elsewhere.click("a")
        await elsewhere.wait_for_url(f"**/ui/work-orders/{order_id}")
        assert "Work order" in await elsewhere.inner_text("h1")
        display = await page.eval_on_selector("header.topbar", "h => getComputedStyle(h).display")
        assert display == "flex"  # the stylesheet loaded under the CSP
        await browser.close()
    assert problems == []


async def test_the_document_viewer_links_fields_and_their_boxes(
    stack: AppClient, token_for: TokenFor, tmp_path: Path
) -> None:
    """The PDF's pages show beside the fields; a value lights its box, a box its field, zoom
    widens the pages, and at 390 px the viewer stacks below the fields without side-scrolling."""
    headers = token_for("acme")
    r = await stack.post(
        "/v1/work-orders/upload",
        files=[("files", ("northwind.pdf", two_page_invoice(), "application/pdf"))],
        data={"type": "INVOICE"},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    await wait_for_order(stack, order_id, headers)
    [item] = await items_of(stack, order_id, headers)
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    async with serving(stack.app) as base, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(f"{base}/ui/work-items/{item['id']}")
        await page.fill("#credential", bearer(headers))
        await page.click("button[type=submit]")
        await page.wait_for_url(f"**/ui/work-items/{item['id']}")
        first = page.locator("#page-1 img")
        await first.scroll_into_view_if_needed()
        await page.wait_for_function(
            "() => { const i = document.querySelector('#page-1 img');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        assert await first.evaluate("i => i.naturalWidth / i.naturalHeight") < 1  # portrait A4

        await page.click("a.src[data-field='invoice_number']")
        lit = await page.eval_on_selector_all(
            ".sheet a.box.on", "bs => bs.map(b => b.dataset.fields)"
        )
        assert lit == ["invoice_number"]
        assert await page.get_attribute("tr.on", "id") == "field-invoice_number"

        await page.click(".sheet a.box[data-fields='invoice_date']")
        assert await page.get_attribute("tr.on", "id") == "field-invoice_date"
        lit = await page.eval_on_selector_all(
            ".sheet a.box.on", "bs => bs.map(b => b.dataset.fields)"
        )
        assert lit == ["invoice_date"]
        shared = ".sheet a.box[data-fields~='total_amount']"
        both = (await page.get_attribute(shared, "data-fields") or "").split()
        await page.click("a.src[data-field='invoice_date']")
        await page.click(shared)  # one box for the fields read from one line: all selected
        rows = await page.eval_on_selector_all("tr.on", "rs => rs.map(r => r.id)")
        assert sorted(rows) == sorted(f"field-{name}" for name in both)
        assert "total_amount" in both
        await page.click(".sheet a.box[data-fields='invoice_date']")
        await page.locator("#viewer").screenshot(path=str(shots / "ui-document-viewer.png"))
        await page.screenshot(path=str(shots / "ui-item-with-pages.png"), full_page=False)

        width = "() => document.querySelector('#page-1 .sheet').getBoundingClientRect().width"
        before = await page.evaluate(width)
        await page.click("[data-zoom='in']")
        assert await page.evaluate(width) > before * 1.2
        assert await page.inner_text("#zoom-level") == "125%"
        await page.click("[data-zoom='fit']")
        assert await page.evaluate(width) == before

        await page.set_viewport_size({"width": 390, "height": 844})
        fields_bottom = await page.evaluate(
            "() => document.querySelector('#fields .fields').getBoundingClientRect().bottom"
        )
        viewer_top = await page.evaluate(
            "() => document.getElementById('viewer').getBoundingClientRect().top"
        )
        assert viewer_top >= fields_bottom  # stacked, not side by side
        viewer_right = await page.evaluate(
            "() => document.getElementById('viewer').getBoundingClientRect().right"
        )
        assert viewer_right <= 390
        await page.locator("#viewer").screenshot(path=str(shots / "ui-document-viewer-390.png"))
        await browser.close()
    assert problems == []


async def test_keys_move_through_the_queue_and_decide(
    stack: AppClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """j and k move between waiting items, r focuses the reason box (keys there type text),
    and a approves the item shown."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for(
        "acme", "work_orders:read", "work_orders:write", "approvals:decide", groups=("finance",)
    )
    _, first = await submit_waiting_invoice(stack, headers)
    _, second = await submit_waiting_invoice(stack, headers, BIG_INVOICE.replace("GX-1001", "GX-2"))
    async with serving(stack.app) as base, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = await (await browser.new_context()).new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{base}/ui/work-items/{first}")
        await page.fill("#credential", bearer(headers))
        await page.click("button[type=submit]")
        await page.wait_for_url(f"**/ui/work-items/{first}")
        await page.keyboard.press("j")
        await page.wait_for_url(f"**/ui/work-items/{second}#decide")
        await page.keyboard.press("k")
        await page.wait_for_url(f"**/ui/work-items/{first}#decide")
        await page.wait_for_selector("#decide-form")
        await page.keyboard.press("r")
        focused = await page.evaluate(
            "document.activeElement.tagName + '#' + document.activeElement.id"
        )
        assert focused == "TEXTAREA#reason", (focused, problems)
        await page.keyboard.type("ja")  # typed into the box, not taken as keys
        assert await page.input_value("#reason") == "ja" and first in page.url
        await page.evaluate("document.activeElement.blur()")
        await page.keyboard.press("a")
        await page.wait_for_url("**done=APPROVED")
        await browser.close()
