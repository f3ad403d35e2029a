"""The document viewer: pages rendered from the stored upload, and each field's box on them.

Rendering and box placement are checked on their own, then through the API and the Run Trace
on the real stack: tenant isolation, page count and PNG pictures, ETag revalidation, and boxes
that are exactly the boxes the pipeline's record holds.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
from PIL import Image

from myloware.documents import mediatypes as kinds
from myloware.documents.blobs import blob_ref
from myloware.documents.pages import RENDER_LONGEST_SIDE, page_sizes, render_page
from myloware.errors import NotFoundError
from myloware.ui.trace import FieldRow
from myloware.ui.viewer import field_boxes
from tests.auth_support import TokenFor
from tests.einvoice_support import two_page_invoice
from tests.governance_support import publish_policy, wait_for_item_status
from tests.pipeline_support import AppClient, attempts_of, items_of, wait_for_order
from tests.ui_support import bearer, sign_in

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(data)) as picture:
        return picture.size


# --- rendering and boxes on their own ------------------------------------------------------


def test_pdf_pages_have_their_sizes_in_points_and_render_as_bounded_pngs() -> None:
    """Two A4 pages; a page renders to a PNG of at most the render size; page 3 is not found."""
    data = two_page_invoice()
    pages = page_sizes(data, kinds.PDF)
    assert pages.unit == "pt" and len(pages.sizes) == 2
    assert (round(pages.sizes[0].width), round(pages.sizes[0].height)) == (595, 842)
    picture = render_page(data, kinds.PDF, 2)
    assert png_size(picture.png) == (picture.width, picture.height)
    assert picture.height == RENDER_LONGEST_SIDE  # portrait: the height is the longest side
    assert abs(picture.width / picture.height - 595.28 / 841.89) < 0.01
    with pytest.raises(NotFoundError):
        render_page(data, kinds.PDF, 3)
    with pytest.raises(NotFoundError):
        render_page(data, kinds.PDF, 0)


def test_an_image_page_is_measured_upright_as_its_boxes_are() -> None:
    """A photo whose EXIF says "turn a quarter" measures (and renders) turned, like OCR saw it."""
    stored = Image.new("RGB", (300, 120), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif)
    pages = page_sizes(buffer.getvalue(), kinds.JPEG)
    assert pages.unit == "px" and [(s.width, s.height) for s in pages.sizes] == [(120, 300)]
    picture = render_page(buffer.getvalue(), kinds.JPEG, 1)
    assert png_size(picture.png) == (120, 300)  # small pictures are never enlarged


def test_each_frame_of_a_tiff_is_a_page() -> None:
    """A two-frame TIFF (a faxed invoice) has two pages; each renders at its own size."""
    frames = [Image.new("RGB", (200, 100), "white"), Image.new("RGB", (120, 160), "white")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    pages = page_sizes(buffer.getvalue(), kinds.TIFF)
    assert [(s.width, s.height) for s in pages.sizes] == [(200, 100), (120, 160)]
    assert png_size(render_page(buffer.getvalue(), kinds.TIFF, 2).png) == (120, 160)
    with pytest.raises(NotFoundError):
        render_page(buffer.getvalue(), kinds.TIFF, 3)


def _row(name: str, **kw: Any) -> FieldRow:
    base: dict[str, Any] = {"value": "v", "confidence": 0.9, "span": None, "page": None}
    return FieldRow(name=name, raw=None, **(base | kw))


def test_field_boxes_use_the_records_box_or_the_lines_of_the_span() -> None:
    """Own box first; a multi-line value gets its lines' union on its first page; a corrected
    value keeps its box and says so; boxes off the page are clipped or dropped."""
    pages = page_sizes(two_page_invoice(), kinds.PDF)
    meta = {
        "lines": [
            [0, 10, 1, [50.0, 60.0, 200.0, 72.0]],
            [11, 30, 1, [40.0, 75.0, 260.0, 88.0]],
            [31, 40, 2, [40.0, 10.0, 90.0, 20.0]],
            [41, 50, 1, None],
        ]
    }
    rows = [
        _row("invoice_number", span=(0, 5), page=1, box=(100.0, 60.0, 150.0, 72.0)),
        _row("vendor_address", span=(3, 35)),  # lines 1-3: page 1's two lines only
        _row("invoice_date", span=(0, 4), page=1, box=(10.0, 5.0, 30.0, 9.0), corrected=True),
        _row("notes", span=(41, 45)),  # a line without a box: nothing to draw
        _row("total_amount", page=1, box=(590.0, 830.0, 700.0, 900.0)),  # half off the page
        _row("currency", page=3, box=(1.0, 1.0, 2.0, 2.0)),  # no such page
    ]
    boxes = {b.field: b for b in field_boxes(rows, meta, pages)}
    assert set(boxes) == {"invoice_number", "vendor_address", "invoice_date", "total_amount"}
    number = boxes["invoice_number"]
    assert (number.page, number.box, number.source) == (1, (100.0, 60.0, 150.0, 72.0), "record")
    assert number.left == pytest.approx(100 / 595.28 * 100, abs=0.01)
    assert number.top == pytest.approx(60 / 841.89 * 100, abs=0.01)
    address = boxes["vendor_address"]
    assert (address.page, address.box, address.source) == (1, (40.0, 60.0, 260.0, 88.0), "lines")
    assert boxes["invoice_date"].corrected and not number.corrected
    assert boxes["total_amount"].box == (590.0, 830.0, 595.28, 841.89)
    assert field_boxes(rows, meta, None) == []


# --- through the API and the Run Trace -----------------------------------------------------


async def _upload(
    client: httpx.AsyncClient, headers: dict[str, str], *files: tuple[str, bytes, str]
) -> list[dict[str, Any]]:
    r = await client.post(
        "/v1/work-orders/upload",
        files=[("files", f) for f in files],
        data={"type": "INVOICE"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    order = await wait_for_order(client, r.json()["data"]["id"], headers)
    assert order["status"] == "COMPLETED", order
    return await items_of(client, order["id"], headers)


async def _record_fields(
    client: httpx.AsyncClient, item_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    """The fields of the record the pipeline stored (the restyled one: boxes and spans)."""
    [restyled] = [
        a for a in await attempts_of(client, item_id, headers) if a["agent_id"] == "JsonRestyler"
    ]
    output = restyled["output"]
    return dict(output.get("record", output)["fields"])


async def test_pages_of_an_uploaded_pdf_and_where_its_fields_were_read(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Count, sizes, PNG pages, 404 past the last page, boxes equal to the record's boxes."""
    headers = token_for("acme")
    [item] = await _upload(stack, headers, ("nw.pdf", two_page_invoice(), "application/pdf"))
    r = await stack.get(f"/v1/work-items/{item['id']}/pages", headers=headers)
    assert r.status_code == 200, r.text
    view = r.json()["data"]
    assert (view["count"], view["unit"], view["media_type"]) == (2, "pt", "application/pdf")
    assert [p["image"] for p in view["pages"]] == [
        f"/v1/work-items/{item['id']}/pages/{n}" for n in (1, 2)
    ]
    assert round(view["pages"][0]["width"]) == 595 and round(view["pages"][0]["height"]) == 842

    fields = await _record_fields(stack, item["id"], headers)
    boxed = {name: fv for name, fv in fields.items() if fv.get("box")}
    assert {"invoice_number", "invoice_date"} <= set(boxed)
    from_record = {b["field"]: b for b in view["boxes"] if b["source"] == "record"}
    assert set(from_record) == set(boxed)
    for name, fv in boxed.items():
        assert from_record[name]["page"] == fv["page"]
        assert from_record[name]["box"] == pytest.approx(fv["box"], abs=0.01)
        assert not from_record[name]["corrected"]
    assert from_record["invoice_number"]["page"] == 1

    for number in (1, 2):
        page = await stack.get(view["pages"][number - 1]["image"], headers=headers)
        assert page.status_code == 200 and page.headers["content-type"] == "image/png"
        width, height = png_size(page.content)
        assert height == RENDER_LONGEST_SIDE and width < height
        assert "private" in page.headers["cache-control"]
    again = await stack.get(
        view["pages"][0]["image"], headers=headers | {"If-None-Match": page.headers["etag"]}
    )
    assert again.status_code == 200  # page 2's ETag is not page 1's
    etag = (await stack.get(view["pages"][0]["image"], headers=headers)).headers["etag"]
    same = await stack.get(view["pages"][0]["image"], headers=headers | {"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    for missing in (0, 3):
        r = await stack.get(f"/v1/work-items/{item['id']}/pages/{missing}", headers=headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_another_tenant_and_a_caller_without_a_token_get_no_page(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A foreign tenant gets 404 (even with the right ETag), a caller without a token 401,
    and a typed-in text item has no pages."""
    headers = token_for("acme")
    [item] = await _upload(stack, headers, ("nw.pdf", two_page_invoice(), "application/pdf"))
    first = f"/v1/work-items/{item['id']}/pages/1"
    etag = (await stack.get(first, headers=headers)).headers["etag"]
    foreign = token_for("globex")
    for path in (f"/v1/work-items/{item['id']}/pages", first):
        r = await stack.get(path, headers=foreign | {"If-None-Match": etag})
        assert r.status_code == 404 and b"PNG" not in r.content and "nw.pdf" not in r.text
        assert (await stack.get(path)).status_code == 401
    reader = token_for("acme", "work_orders:read")
    assert (await stack.get(first, headers=reader)).status_code == 200
    no_read = token_for("acme", "work_orders:write")
    assert (await stack.get(first, headers=no_read)).status_code == 403

    r = await stack.post(
        "/v1/work-orders", json={"work_items": [{"content": "Invoice No: X-1"}]}, headers=headers
    )
    order = await wait_for_order(stack, r.json()["data"]["id"], headers)
    [text_item] = await items_of(stack, order["id"], headers)
    r = await stack.get(f"/v1/work-items/{text_item['id']}/pages", headers=headers)
    assert r.json()["data"]["count"] == 0 and r.json()["data"]["boxes"] == []
    r = await stack.get(f"/v1/work-items/{text_item['id']}/pages/1", headers=headers)
    assert r.status_code == 404


async def test_the_run_trace_shows_the_pages_with_boxes_to_its_tenant_only(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """The item page has the page pictures and a box per boxed field; its picture route needs
    the UI session of the item's tenant."""
    headers = token_for("acme")
    [item] = await _upload(stack, headers, ("nw.pdf", two_page_invoice(), "application/pdf"))
    cookie = await sign_in(stack, bearer(headers))
    page = await stack.get(f"/ui/work-items/{item['id']}", headers=cookie)
    assert page.status_code == 200
    for number in (1, 2):
        assert f'src="/ui/work-items/{item["id"]}/pages/{number}"' in page.text
    assert 'class="box" data-fields="invoice_number"' in page.text
    assert 'class="box" data-fields="currency total_amount"' in page.text  # one line, one box
    assert 'class="onpage" data-field="invoice_number"' in page.text
    picture = await stack.get(f"/ui/work-items/{item['id']}/pages/1", headers=cookie)
    assert picture.status_code == 200 and picture.content.startswith(PNG_MAGIC)
    foreign = await sign_in(stack, bearer(token_for("globex")))
    denied = await stack.get(f"/ui/work-items/{item['id']}/pages/1", headers=foreign)
    assert denied.status_code == 404 and not denied.content.startswith(PNG_MAGIC)


async def test_a_lost_upload_leaves_the_trace_with_its_text(
    stack: AppClient, token_for: TokenFor
) -> None:
    """When the stored file is gone, the item has no pages (404 for a picture) and the Run
    Trace still answers, with the document text instead of the viewer."""
    headers = token_for("acme")
    data = two_page_invoice()
    [item] = await _upload(stack, headers, ("nw.pdf", data, "application/pdf"))
    state = stack.app.state.myloware
    state.blobs.path_for(blob_ref(data)).unlink()
    state.pages.sizes.clear()
    view = (await stack.get(f"/v1/work-items/{item['id']}/pages", headers=headers)).json()
    assert view["data"]["count"] == 0 and view["data"]["boxes"] == []
    r = await stack.get(f"/v1/work-items/{item['id']}/pages/1", headers=headers)
    assert r.status_code == 404
    cookie = await sign_in(stack, bearer(headers))
    trace = await stack.get(f"/ui/work-items/{item['id']}", headers=cookie)
    assert trace.status_code == 200 and 'id="viewer"' not in trace.text
    assert '<mark id="src-invoice_number"' in trace.text


async def test_a_corrected_field_keeps_the_box_it_was_first_read_from(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """After a person corrects the date (and the misprinted total), the date's box is where the
    pipeline read the original, marked corrected in the API and drawn so in the Run Trace."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    r = await stack.post(
        "/v1/work-orders/upload",
        files=[("files", ("big.pdf", two_page_invoice(total="1.190,00"), "application/pdf"))],
        data={"type": "INVOICE"},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    [item] = await items_of(stack, order_id, headers)
    await wait_for_item_status(stack, item["id"], headers, "AWAITING_APPROVAL")
    pages = f"/v1/work-items/{item['id']}/pages"
    [read] = [
        b
        for b in (await stack.get(pages, headers=headers)).json()["data"]["boxes"]
        if b["field"] == "invoice_date"
    ]
    assert not read["corrected"]
    r = await stack.post(
        "/v1/approvals",
        json={
            "work_item_id": item["id"],
            "decision": "APPROVED",
            "reason": "the date on the PO",
            "corrections": {"invoice_date": "2024-02-13", "total_amount": "119.00"},
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert (await wait_for_order(stack, order_id, headers))["status"] == "COMPLETED"
    view = (await stack.get(pages, headers=headers)).json()["data"]
    boxes = {b["field"]: b for b in view["boxes"]}
    assert boxes["invoice_date"]["corrected"] and boxes["total_amount"]["corrected"]
    assert not boxes["invoice_number"]["corrected"]
    assert boxes["invoice_date"]["box"] == read["box"] and boxes["invoice_date"]["page"] == 1
    assert view["record_source"] == "record version 1"
    cookie = await sign_in(stack, bearer(headers))
    trace = await stack.get(f"/ui/work-items/{item['id']}", headers=cookie)
    assert 'class="box corrected" data-fields="invoice_date"' in trace.text
    assert 'class="box" data-fields="invoice_number"' in trace.text


async def test_real_scans_and_pdfs_from_the_datasets(
    stack: httpx.AsyncClient, token_for: TokenFor, datasets_dir: Path
) -> None:
    """A SROIE receipt photo (OCR, pixels) and an invoice2data PDF (points): their pages
    measure as the files do, render as PNGs, and every box lies on its page."""
    receipt = datasets_dir / "sroie2019" / "dev" / "000.jpg"
    invoice = datasets_dir / "invoice2data" / "dev" / "AzureInterior.pdf"
    if not (receipt.is_file() and invoice.is_file()):
        pytest.skip("the SROIE receipt or the invoice2data PDF is missing")
    headers = token_for("acme")
    items = await _upload(
        stack,
        headers,
        (receipt.name, receipt.read_bytes(), "image/jpeg"),
        (invoice.name, invoice.read_bytes(), "application/pdf"),
    )
    by_name = {i["filename"]: i for i in items}
    with Image.open(receipt) as photo:
        receipt_size = photo.size
    pdf = pdfium.PdfDocument(invoice.read_bytes())
    invoice_size = pdf[0].get_size()
    pdf.close()
    expected = {
        receipt.name: ("px", receipt_size),
        invoice.name: ("pt", invoice_size),
    }
    for name, (unit, (width, height)) in expected.items():
        item = by_name[name]
        view = (await stack.get(f"/v1/work-items/{item['id']}/pages", headers=headers)).json()
        data = view["data"]
        assert data["unit"] == unit and data["count"] == 1
        assert data["pages"][0]["width"] == pytest.approx(width, abs=0.01)
        assert data["pages"][0]["height"] == pytest.approx(height, abs=0.01)
        assert data["boxes"], f"no field of {name} has a box"
        for b in data["boxes"]:
            x0, y0, x1, y1 = b["box"]
            assert b["page"] == 1 and 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        fields = await _record_fields(stack, item["id"], headers)
        for b in data["boxes"]:
            if b["source"] == "record":
                assert b["box"] == pytest.approx(fields[b["field"]]["box"], abs=0.01)
        picture = await stack.get(data["pages"][0]["image"], headers=headers)
        shown = png_size(picture.content)
        assert abs(shown[0] / shown[1] - width / height) < 0.01
