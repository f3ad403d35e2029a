"""Small documents made on the fly for tests: text-layer PDFs, rendered images, e-mails."""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.message import EmailMessage

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont


def make_pdf(
    pages: Sequence[Sequence[tuple[float, float, str]]], *, user_password: str = ""
) -> bytes:
    """A text-layer PDF: each page is a list of (x mm, y mm from top, text)."""
    pdf = FPDF()
    if user_password:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.set_font("helvetica", size=12)
    for items in pages:
        pdf.add_page()
        for x, y, text in items:
            pdf.text(x, y, text)
    return bytes(pdf.output())


def pdf_from_lines(lines: Sequence[str], *, left_mm: float = 20, step_mm: float = 7) -> bytes:
    """A one-page PDF with one text line per entry; TABs split a line into two columns."""
    items: list[tuple[float, float, str]] = []
    for row, line in enumerate(lines):
        y = 20 + row * step_mm
        left, _, right = line.partition("\t")
        if left:
            items.append((left_mm, y, left))
        if right:
            items.append((130, y, right))
    return make_pdf([items])


def render_image(
    rows: Sequence[tuple[str, str | None]], *, width: int = 640, size: int = 26, fmt: str = "PNG"
) -> bytes:
    """A white image with one (label, right-column value) per row, like a scanned receipt."""
    step = int(size * 1.9)
    image = Image.new("RGB", (width, 24 + step * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    for row, (label, amount) in enumerate(rows):
        draw.text((16, 12 + row * step), label, fill="black", font=font)
        if amount:
            draw.text((width - 170, 12 + row * step), amount, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def make_eml(subject: str, body: str, attachments: Sequence[tuple[str, bytes, str]] = ()) -> bytes:
    """An e-mail with a text body and (filename, data, media type) attachments."""
    message = EmailMessage()
    message["From"] = "billing@acme.example"
    message["To"] = "ap@customer.example"
    message["Subject"] = subject
    message.set_content(body)
    for filename, data, media_type in attachments:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
