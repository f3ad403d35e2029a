"""The Run Trace UI in a real browser (system Chromium through Playwright); skipped without one."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient, items_of, wait_for_order
from tests.ui_support import FIXTURES, bearer

if TYPE_CHECKING:
    from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
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
