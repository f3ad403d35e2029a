"""Plain text, HTML, DOCX and e-mail loading, format detection and the size limits."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import docx
import pytest
from fpdf import FPDF

from myloware.documents import (
    DocumentLimits,
    LoadedDocument,
    is_supported,
    load_document,
    sniff,
)
from myloware.errors import DocumentError, UnsupportedDocument
from myloware.settings import Settings

LIMITS = DocumentLimits(max_bytes=1_000_000, max_pages=5, ocr_enabled=False)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def small_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.text(20, 30, text)
    return bytes(pdf.output())


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def lines_of(document: LoadedDocument) -> list[str]:
    return [line.text for line in document.lines if line.text]


# --- limits and generic failures -------------------------------------------------------------


def test_limits_come_from_settings() -> None:
    """DocumentLimits.from_settings copies the file size, page and OCR settings."""
    settings = Settings(max_file_bytes=1234, max_pages=7, ocr_enabled=False)
    assert DocumentLimits.from_settings(settings) == DocumentLimits(1234, 7, False)


def test_empty_file_is_refused() -> None:
    """Zero bytes fail with 'the file is empty'."""
    with pytest.raises(DocumentError, match="empty"):
        load_document(b"", filename="nothing.txt", limits=LIMITS)


def test_oversized_file_is_refused_before_reading() -> None:
    """A file over max_bytes fails with its size and the limit."""
    with pytest.raises(DocumentError, match=r"too big: 101 bytes; at most 100 bytes"):
        load_document(b"x" * 101, limits=DocumentLimits(max_bytes=100))


def test_unsupported_binary_names_what_was_found() -> None:
    """Unknown binary data is UnsupportedDocument, and the message says what it looked like."""
    with pytest.raises(UnsupportedDocument, match="binary data of an unknown kind") as caught:
        load_document(bytes(range(256)) * 4, filename="report.pdf", limits=LIMITS)
    assert ".pdf" in caught.value.message
    assert caught.value.details["media_type"] == "application/octet-stream"


def test_zip_archive_is_unsupported_and_named() -> None:
    """A ZIP that is not a Word document is reported as a ZIP archive."""
    with pytest.raises(UnsupportedDocument, match="ZIP archive"):
        load_document(zip_bytes({"a.txt": b"hello"}), filename="a.zip", limits=LIMITS)


def test_whitespace_only_text_has_no_text() -> None:
    """A text file with only whitespace fails with 'no text found'."""
    with pytest.raises(DocumentError, match="no text found"):
        load_document(b"  \r\n\t \n", filename="blank.txt", limits=LIMITS)


# --- sniffing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"%PDF-1.4\n...", None, "application/pdf"),
        (b"\x00junk before %PDF-1.4\n", "x.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", None, "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", None, "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", None, "image/tiff"),
        (b"Hello, world\n", None, "text/plain"),
        (b"Hello, world\n", "invoice.pdf", "text/plain"),
        (b"BMW invoice for service\n", None, "text/plain"),
        (b"a,b,c\n1,2,3\n", "items.csv", "text/csv"),
        (b"<!DOCTYPE html><html><body>Hi</body></html>", None, "text/html"),
        (b"<p>Hi</p>", "page.htm", "text/html"),
        (b"From: a@example.com\nTo: b@example.com\nSubject: Hi\n\nBody", None, "message/rfc822"),
        (b"Subject: printer broken\n\nIt jams.", None, "text/plain"),
        (b"Subject: printer broken\n\nIt jams.", "ticket.eml", "message/rfc822"),
        (b"{\\rtf1\\ansi hello}", None, "application/rtf"),
    ],
)
def test_sniff_trusts_content_before_names(
    data: bytes, filename: str | None, expected: str
) -> None:
    """Magic bytes decide binary formats; text kinds use content, then the name."""
    assert sniff(data, filename) == expected


def test_sniff_recognises_docx_and_other_office_zips() -> None:
    """A ZIP with word/document.xml is DOCX; a spreadsheet ZIP is not supported."""
    assert sniff(zip_bytes({"word/document.xml": b"<w/>"})) == DOCX
    xlsx = sniff(zip_bytes({"xl/workbook.xml": b"<x/>"}))
    assert xlsx.endswith("spreadsheetml.sheet") and not is_supported(xlsx)


def test_sniff_uses_declared_type_for_ambiguous_text() -> None:
    """For text without a telling name, a declared media type picks the text kind."""
    assert sniff(b"a;b\n1;2\n", "upload", "text/csv; charset=utf-8") == "text/csv"


# --- plain text ------------------------------------------------------------------------------


def test_utf8_text_with_bom_and_crlf_is_normalised() -> None:
    """The UTF-8 BOM is dropped and CRLF / CR become LF."""
    data = "\ufeffInvoice Nº 7\r\nTotal: 12,50 €\rEnd".encode()
    loaded = load_document(data, filename="a.txt", limits=LIMITS)
    assert loaded.text == "Invoice Nº 7\nTotal: 12,50 €\nEnd"
    assert lines_of(loaded) == ["Invoice Nº 7", "Total: 12,50 €", "End"]
    assert loaded.media_type == "text/plain"


def test_windows_1252_text_is_decoded_sensibly() -> None:
    """Non-UTF-8 text falls back to cp1252, so €, dashes and accents survive."""
    data = "Café – total 5 €".encode("cp1252")
    assert load_document(data, limits=LIMITS).text == "Café – total 5 €"


def test_utf16_text_with_bom_is_decoded() -> None:
    """A UTF-16 BOM selects UTF-16 decoding."""
    data = "Résumé\r\nline two".encode("utf-16")
    assert load_document(data, limits=LIMITS).text == "Résumé\nline two"


def test_form_feeds_in_text_start_new_pages() -> None:
    """A form feed in plain text starts the next page."""
    loaded = load_document(b"page one\n\fpage two", limits=LIMITS)
    assert loaded.pages == 2
    assert loaded.lines[-1].page == 2


# --- HTML ------------------------------------------------------------------------------------

HTML_PAGE = b"""<!doctype html><html><head><title>Ignored title</title>
<style>p { color: red }</style><script>var secret = 1;</script></head>
<body><h1>Invoice  #123</h1><p>Hello <b>Bob</b>,<br>thanks for your order.</p>
<div>Line A</div><ul><li>First</li><li>Second</li></ul>
<table><thead><tr><th>Item</th><th>Qty</th><th>Price</th></tr></thead>
<tbody><tr><td>Coffee</td><td>2</td><td>4.50</td></tr>
<tr><td>Tea &amp; cake</td><td>1</td><td>3.00</td></tr></tbody></table>
<p>Total:&nbsp;12.00</p></body></html>"""


def test_html_keeps_blocks_as_lines_and_tables_as_tab_rows() -> None:
    """Headings, paragraphs, list items and table rows become lines; cells are TAB-joined."""
    loaded = load_document(HTML_PAGE, filename="invoice.html", limits=LIMITS)
    assert loaded.media_type == "text/html"
    assert lines_of(loaded) == [
        "Invoice #123",
        "Hello Bob,",
        "thanks for your order.",
        "Line A",
        "- First",
        "- Second",
        "Item\tQty\tPrice",
        "Coffee\t2\t4.50",
        "Tea & cake\t1\t3.00",
        "Total: 12.00",
    ]


def test_html_drops_scripts_styles_and_head() -> None:
    """Script, style and title text never reach the document text."""
    text = load_document(HTML_PAGE, limits=LIMITS).text
    assert "secret" not in text and "color" not in text and "Ignored" not in text


# --- DOCX ------------------------------------------------------------------------------------


def make_docx() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "ACME Supplies Ltd - Header"
    document.add_heading("Status report", level=1)
    document.add_paragraph("Project: Apollo")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, [("Task", "Owner", "Status"),
                                        ("Design", "Ann", "GREEN"),
                                        ("Build", "Bob", "AMBER")], strict=True):  # fmt: skip
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Merged label"
    merged.cell(0, 2).text = "value"
    document.add_paragraph("Next steps follow.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_and_tables_are_read_in_order() -> None:
    """Header, paragraphs and table rows (TAB-joined, merged cells once) keep document order."""
    loaded = load_document(make_docx(), filename="report.docx", limits=LIMITS)
    assert loaded.media_type == DOCX
    assert lines_of(loaded) == [
        "ACME Supplies Ltd - Header",
        "Status report",
        "Project: Apollo",
        "Task\tOwner\tStatus",
        "Design\tAnn\tGREEN",
        "Build\tBob\tAMBER",
        "Merged label\tvalue",
        "Next steps follow.",
    ]


def test_corrupt_docx_is_refused() -> None:
    """A ZIP that claims to be a Word document but is not readable fails as corrupt."""
    data = zip_bytes({"word/document.xml": b"<not really xml"})
    with pytest.raises(DocumentError, match="Word document"):
        load_document(data, filename="broken.docx", limits=LIMITS)


# --- e-mail ----------------------------------------------------------------------------------


def make_email(*, html_only: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Customer <jane@example.com>"
    message["To"] = "support@myloware.example"
    message["Subject"] = "Invoice INV-9 and items"
    message["Date"] = "Fri, 15 Mar 2024 10:00:00 +0000"
    if html_only:
        message.set_content("<html><body><p>Hello,</p><p>see <b>attached</b>.</p></body></html>",
                            subtype="html")  # fmt: skip
    else:
        message.set_content("Hello,\r\nplease find the invoice attached.\r\n")
        message.add_alternative("<p>Hello, <b>HTML</b> version</p>", subtype="html")
    message.add_attachment(small_pdf("Invoice INV-9 total 99.00"), maintype="application",
                           subtype="pdf", filename="inv-9.pdf")  # fmt: skip
    message.add_attachment("sku,qty\nA-1,3\n", subtype="csv", filename="items.csv")
    message.add_attachment(zip_bytes({"x.txt": b"x"}), maintype="application", subtype="zip",
                           filename="photos.zip")  # fmt: skip
    return bytes(message)


def test_email_body_prefers_plain_text_and_lists_headers() -> None:
    """The text is a header summary then the text/plain body, not the HTML alternative."""
    loaded = load_document(make_email(), filename="mail.eml", limits=LIMITS)
    assert loaded.media_type == "message/rfc822"
    assert loaded.text.startswith("From: Jane Customer <jane@example.com>\n")
    assert "Subject: Invoice INV-9 and items" in loaded.text
    assert loaded.text.endswith("Hello,\nplease find the invoice attached.")
    assert "HTML" not in loaded.text


def test_email_attachments_are_loaded_as_documents() -> None:
    """Each readable attachment becomes a LoadedDocument with its own name and type."""
    loaded = load_document(make_email(), limits=LIMITS)
    pdf, csv = loaded.attachments
    assert (pdf.name, pdf.media_type) == ("inv-9.pdf", "application/pdf")
    assert pdf.text == "Invoice INV-9 total 99.00"
    assert pdf.lines[0].box is not None
    assert (csv.name, csv.media_type, csv.text) == ("items.csv", "text/csv", "sku,qty\nA-1,3\n")


def test_email_reports_unreadable_attachments_instead_of_failing() -> None:
    """An unsupported attachment is listed with the reason, and the message still loads."""
    loaded = load_document(make_email(), limits=LIMITS)
    attachments_line = next(
        line.text for line in loaded.lines if line.text.startswith("Attachments:")
    )
    assert "inv-9.pdf; items.csv; photos.zip (not read: unsupported file type" in attachments_line
    assert "ZIP archive" in attachments_line


def test_html_only_email_body_is_converted_to_text() -> None:
    """Without a text/plain part, the HTML body is turned into text."""
    loaded = load_document(make_email(html_only=True), limits=LIMITS)
    assert loaded.text.endswith("Hello,\n\nsee attached.")


def test_attachments_obey_the_same_limits() -> None:
    """An attachment over the page limit is skipped with the reason; the message loads."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(3):
        pdf.add_page()
        pdf.text(20, 30, f"page {number}")
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["Subject"] = "long report"
    message.set_content("see attachment")
    message.add_attachment(bytes(pdf.output()), maintype="application", subtype="pdf",
                           filename="long.pdf")  # fmt: skip
    loaded = load_document(bytes(message), limits=DocumentLimits(max_pages=2))
    assert loaded.attachments == ()
    assert "long.pdf (not read: the PDF has 3 pages; at most 2 allowed)" in loaded.text


def test_deeply_nested_forwarded_emails_stop_at_the_nesting_limit() -> None:
    """Messages attached inside messages are read only a few levels deep."""
    inner = EmailMessage()
    inner["From"] = "level0@example.com"
    inner["Subject"] = "level 0"
    inner.set_content("innermost")
    for level in range(1, 5):
        outer = EmailMessage()
        outer["From"] = f"level{level}@example.com"
        outer["Subject"] = f"level {level}"
        outer.set_content(f"body {level}")
        outer.add_attachment(inner)
        inner = outer
    loaded = load_document(bytes(inner), limits=LIMITS)
    depth = 0
    while loaded.attachments:
        (loaded,) = loaded.attachments
        depth += 1
    assert depth == 3
    assert "nested more than 3 deep" in loaded.text


def test_an_email_whose_charset_python_does_not_know_is_read_not_refused() -> None:
    from myloware.services.uploads import UploadedFile, split_email

    raw = (
        b'From: a@example.org\nSubject: Invoice 7\nContent-Type: text/plain; charset="x-unknown"'
        b"\n\nTotal due: 12.50 EUR\n"
    )
    [body] = split_email(UploadedFile("mail.eml", raw, "message/rfc822"))
    assert body.filename == "mail.eml (body)"
    assert body.data.decode() == "Subject: Invoice 7\nFrom: a@example.org\n\nTotal due: 12.50 EUR\n"
