"""The Run Trace UI in a real browser (system Chromium through Playwright); skipped without one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.auth_support import TokenFor
from tests.einvoice_support import two_page_invoice
from tests.governance_support import BIG_INVOICE, publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient, items_of, wait_for_order
from tests.ui_support import FIXTURES, bearer, publish, serving

if TYPE_CHECKING:
    pass

CHROMIUM = Path("/usr/bin/chromium")
#: set to a folder (e.g. ``docs``) to keep the viewer's screenshots; a temporary one otherwise
SCREENSHOTS = os.environ.get("MYLOWARE_UI_SCREENSHOTS")
#: the elements that reach past a 390 px screen: what a failure names
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391).slice(0, 8)
  .map(e => [e.tagName.toLowerCase(), e.className, Math.round(e.getBoundingClientRect().right)])"""
#: form controls a screen reader could not name: no <label>, no aria-label(ledby)
UNLABELLED = """[...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.type !== 'button')
  .filter(e => !e.labels.length && !e.getAttribute('aria-label')
    && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120))"""
playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")


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
        await page.click("#token-submit")
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
        await page.click("#token-submit")
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


async def test_both_api_documentation_pages_render_offline(stack: AppClient) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc) draw the API's operations with nothing from
    outside the app: every request that completes is to the app's own origin (ReDoc's
    "powered by" logo points at its CDN; the CSP blocks it and nothing needs it)."""
    async with (
        serving(stack.app) as base,
        playwright_api.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        requested: list[str] = []
        problems: list[str] = []
        page.on("requestfinished", lambda r: requested.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(f"{base}/docs")
        await page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        assert "/v1/work-orders" in await page.inner_text(".swagger-ui")
        await page.goto(f"{base}/redoc")
        await page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
        assert "work-orders" in (await page.inner_text("body")).lower()
        await browser.close()
    outside = [u for u in requested if not u.startswith((base, "data:", "blob:"))]
    assert outside == []
    assert [p for p in problems if "logo-mini.svg" not in p] == []


async def test_every_page_fits_a_phone_without_sideways_scrolling(
    stack: AppClient, token_for: TokenFor
) -> None:
    """At 390 px wide the lists, the order, the trace, the approvals queue and the cost and
    accuracy reports fit the screen (no horizontal scrolling), "Sign out" stays visible, and
    every form control has a label a screen reader can name."""
    headers = token_for("acme")
    r = await stack.post(
        "/v1/work-orders",
        json={"work_items": [{"content": (FIXTURES / "invoice.txt").read_text()}]},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    await wait_for_order(stack, order_id, headers)
    [item] = await items_of(stack, order_id, headers)
    pages = [
        "/ui",
        "/ui/approvals",
        f"/ui/work-orders/{order_id}",
        f"/ui/work-items/{item['id']}",
        "/ui/costs",
        "/ui/accuracy",
    ]
    async with (
        serving(stack.app) as base,
        playwright_api.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"{base}/ui/login")
        await page.fill("#credential", bearer(headers))
        await page.click("#token-submit")
        await page.wait_for_url(f"{base}/ui**")
        await page.keyboard.press("Tab")  # the first stop: the skip link, shown when focused
        skip = page.get_by_role("link", name="Skip to content")
        assert await skip.evaluate("e => e === document.activeElement")
        assert await skip.is_visible()
        too_wide, unlabelled = {}, {}
        for path in pages:
            await page.goto(f"{base}{path}")
            width = await page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = await page.evaluate(OVERFLOWING)
            unlabelled[path] = await page.evaluate(UNLABELLED)
            sign_out = page.get_by_role("button", name="Sign out")
            assert await sign_out.is_visible(), f"no visible Sign out on {path}"
            box = await sign_out.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, path
        if SCREENSHOTS:
            await page.goto(f"{base}/ui")
            await page.screenshot(path=str(Path(SCREENSHOTS) / "ui-orders-390.png"))
        await browser.close()
    assert too_wide == {}
    assert {path: names for path, names in unlabelled.items() if names} == {}


async def test_a_decision_taken_elsewhere_shows_on_the_waiting_item_page(
    stack: AppClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    clean_redis: str,
) -> None:
    """An item page waits for a decision; the item is approved through the API (as from
    another tab or Slack): without a reload the page says who decided and disables its
    buttons, and its orders list in another tab updates the order's status by itself."""
    await publish_policy(database_url, tenants["acme"])
    owner = token_for(
        "acme", "work_orders:read", "work_orders:write", "approvals:decide", groups=("finance",)
    )
    order_id, item_id = await submit_waiting_invoice(stack, owner)
    await publish(database_url, clean_redis, stack.settings)  # what happened so far
    async with serving(stack.app) as base, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(f"{base}/ui/login?next=/ui/work-items/{item_id}")
        await page.fill("#credential", bearer(owner))
        await page.click("#token-submit")
        await page.wait_for_url(f"**/ui/work-items/{item_id}")
        orders = await context.new_page()
        await orders.goto(f"{base}/ui")
        await page.wait_for_selector("#live-state:not([hidden])")  # the stream is open
        await orders.wait_for_selector("#live-state:not([hidden])")
        assert "awaiting approval" in await orders.inner_text(f"tr:has(a[href$='{order_id}'])")
        approved = await stack.post(
            "/v1/approvals",
            json={"work_item_id": item_id, "decision": "APPROVED", "reason": "fine"},
            headers=owner,
        )
        assert approved.status_code == 200
        await publish(database_url, clean_redis, stack.settings)
        await page.wait_for_selector("#live-banner:not([hidden])")
        banner = await page.inner_text("#live-banner")
        assert banner.startswith("Approved by user@acme at ") and "out of date" in banner
        assert await page.eval_on_selector_all(
            "form[action$='/decision'] button", "bs => bs.every(b => b.disabled)"
        )
        await wait_for_order(stack, order_id, owner)
        await publish(database_url, clean_redis, stack.settings)  # work_order.completed
        await orders.wait_for_function(
            "id => !document.querySelector(`tr:has(a[href$='${id}'])`)"
            ".innerText.includes('awaiting approval')",
            arg=order_id,
        )
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
        await page.click("#token-submit")
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


async def test_a_person_signs_in_with_a_username_and_password(
    api: AppClient, token_for: TokenFor
) -> None:
    """A wrong password is said on the page; the right one lands on the page asked for."""
    password = "correct horse battery"
    r = await api.post(
        "/v1/accounts",
        json={"username": "alice", "password": password, "capabilities": ["work_orders:read"]},
        headers=token_for("acme", "admin"),
    )
    assert r.status_code == 201, r.text
    async with serving(api.app) as base, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page()
        await page.goto(f"{base}/ui/approvals")
        assert await page.evaluate(UNLABELLED) == []
        await page.fill("#username", "alice")
        await page.fill("#password", "not the password")
        await page.click("#password-submit")
        problem = await page.inner_text(".flash.bad")
        assert "the username or password is not right" in problem
        await page.fill("#username", "Alice")
        await page.fill("#password", password)
        await page.click("#password-submit")
        await page.wait_for_url("**/ui/approvals")
        assert "alice" in await page.inner_text("header.topbar")
        await browser.close()
