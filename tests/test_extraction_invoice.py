"""The rules extractor on invoices and receipts (fixtures in tests/fixtures/extraction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from myloware.documents.model import LoadedDocument, TextLine
from myloware.errors import ExtractionError
from myloware.extraction import extract
from myloware.extraction import lexicon as lx
from myloware.extraction.vendor_name import clean_name, is_marker
from myloware.records import CanonicalRecord, DocumentType

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"


def _extract(name: str) -> tuple[LoadedDocument, CanonicalRecord]:
    doc = LoadedDocument.from_text((FIXTURES / name).read_text("utf-8"), name=name)
    return doc, extract(doc)


def test_receipt_fields() -> None:
    """A Malaysian receipt yields vendor, address, date, number, tax id and the final total."""
    _, record = _extract("receipt_my.txt")
    assert record.document_type is DocumentType.INVOICE and record.extractor == "rules"
    assert record.values() | {"line_items": None} == {
        "vendor_name": "KEDAI RUNCIT MAJU JAYA SDN BHD",
        "vendor_address": "NO. 12, JALAN MAWAR 3, TAMAN BUNGA RAYA, 43000 KAJANG, SELANGOR.",
        "invoice_date": "2018-03-07",
        "invoice_number": "CS00012345",
        "vendor_tax_id": "001234567890",
        "subtotal": "30.61",
        "tax_amount": "1.84",
        "tax_rate": 6.0,
        "total_amount": "32.45",
        "currency": "MYR",
        "line_items": None,
    }


def test_an_address_goes_on_after_a_comma_past_the_postcode() -> None:
    """Past the postcode only address-like lines continue an address, and a line of a few
    words after one that ends with a comma (a district, a state); not without the comma,
    and not a business name."""
    header = "SINNATHAMBY HOLDINGS SDN. BHD.\nNO.17, 18 & 41, JALAN BESAR,\n39100 BRINCHANG,\n"
    tail = "GST Reg.:002120876032\nTOTAL: 13.50\n"
    cases = {
        "CAMERON HIGHLANDS,\nPAHANG\n": ", CAMERON HIGHLANDS, PAHANG",
        "CAMERON\nHIGHLANDS\n": ", CAMERON",
        "KEDAI RUNCIT BAHAGIA\n": ",",
        "Max Mustermann\n": ",",  # a person's name in mixed case
        "ORIGINAL\n": ",",  # a title
    }
    for lines, rest in cases.items():
        record = extract(LoadedDocument.from_text(header + lines + tail), DocumentType.INVOICE)
        assert record.get("vendor_address") == "NO.17, 18 & 41, JALAN BESAR, 39100 BRINCHANG" + rest


def test_a_stamps_date_above_the_name_does_not_end_the_header() -> None:
    """``PAID`` / ``13 MAR 2018`` stamped above the name: a line holding only a date is not
    the address that ends the vendor's name lines, so the legal name below still wins."""
    text = (
        "PAID\n13 MAR 2018\nMR. D.I.Y. (M) SDN BHD\n(CO Reg :860671-D)\n"
        "LOT 1851-A, JALAN KPB 6,\n43300 SERI KEMBANGAN, SELANGOR\nTOTAL 9.00\n"
    )
    record = extract(LoadedDocument.from_text(text), DocumentType.INVOICE)
    assert record.get("vendor_name") == "MR. D.I.Y. (M) SDN BHD"


def test_a_code_alone_on_its_line_does_not_end_the_header() -> None:
    """A printer's warning and a code above the name (``A06015``: a letter and five digits,
    one token) are not the address that ends the vendor's name lines; the legal name below
    them and its address are read."""
    text = (
        "PCL XL error\nWarning:\tIllegalMediaSource\nA06015\nNORTHWIND TRADING SDN BHD\n"
        "(867388-U)\n12, Jalan Tampoi 7/4,Kawasan Perindustrian\nTampoi,81200 Johor Bahru\n"
        "TOTAL 9.00\n"
    )
    record = extract(LoadedDocument.from_text(text), DocumentType.INVOICE)
    assert record.get("vendor_name") == "NORTHWIND TRADING SDN BHD"
    assert str(record.get("vendor_address")).startswith("12, Jalan Tampoi 7/4")


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("GARDENIA BAKERLES (KL) SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD"),
        ("VERBENA CONFECTIUNERY SDN BHD", "VERBENA CONFECTIONERY SDN BHD"),
        ("KEDAI HARDWAKE SDN BND", "KEDAI HARDWARE SDN BHD"),
        ("NORTH SUPPLIER SDN BHD", "NORTH SUPPLIER SDN BHD"),  # a word of its own
        ("GARDENIA BAKERLEZ SDN BHD", "GARDENIA BAKERLEZ SDN BHD"),  # two letters off
    ],
)
def test_a_business_word_one_letter_off_is_spelled_right(read: str, name: str) -> None:
    """A business word of seven letters or more (``BAKERIES``, ``CONFECTIONERY``,
    ``HARDWARE``) misread by one letter, and ``SDN BND``, are spelled right in a name."""
    text = f"{read}\nLOT 1851-A, JALAN KPB 6,\n43300 SERI KEMBANGAN\nTOTAL 10.00\n"
    record = extract(LoadedDocument.from_text(text), DocumentType.INVOICE)
    assert record.get("vendor_name") == name


def test_address_parts_ocr_glued_into_one_token_still_end_the_header() -> None:
    """``Tampoi,81200`` is address parts without their spaces, not a code: it ends the name
    lines as an address does; a code alone (``A06015``) does not."""
    assert is_marker("Tampoi,81200") and is_marker("LOT1851-A,JALAN")
    assert not is_marker("A06015")


def test_a_line_of_many_spaces_is_read_in_linear_time() -> None:
    """A trailing-registration check once tried every space of a long run as its start
    (100,000 spaces ran for minutes), and every split of a bracket's numbers where it never
    closes (a 48 KB line: 15 s) or closes before more text (5 s); it answers now, as for
    any other line."""
    line = " " * 100_000 + "ACME TRADING"
    assert not is_marker(line)
    assert lx.strip_registration(line + " (123456-X)") == "ACME TRADING"
    # an unclosed bracket before a long run of numbers (a text layer's flattened table)
    unclosed = "ACME TRADING (" + "12345 " * 20_000
    assert lx.strip_registration(unclosed) == unclosed.strip()
    assert lx.REG_INSIDE_RE.search(unclosed) is None
    # a bracket that closes before more text (each split of its numbers was tried: 5 s)
    closed = "ACME TRADING (" + "12345 " * 8_000 + ") X"
    assert lx.strip_registration(closed) == closed
    assert lx.strip_registration("ACME TRADING (519537-X)") == "ACME TRADING"


def test_only_what_is_no_name_goes_after_a_legal_form() -> None:
    """Glued letters and a misread registration number go; a legal form glued to another
    (``CO.KGAA``) and a short code with a hyphen stay."""
    assert clean_name("ACME SDN. BHD.LLT") == "ACME SDN. BHD."
    assert clean_name("ACME SDN BHD 8OZTZ5-U") == "ACME SDN BHD"
    assert clean_name("HENKEL AG & CO.KGAA") == "HENKEL AG & CO.KGAA"
    assert clean_name("ACME INC 2024-A") == "ACME INC 2024-A"


def test_a_registration_number_that_lost_its_opening_bracket_is_stripped() -> None:
    """``99 SPEED MART S/B 519537-X)``: the scan lost the ``(``; the line is still a name."""
    assert lx.strip_registration("99 SPEED MART S/B 519537-X)") == "99 SPEED MART S/B"
    assert lx.is_name_like("99 SPEED MART S/B 519537-X)")


def test_receipt_line_items() -> None:
    """Table rows become items with quantity × unit price = amount."""
    _, record = _extract("receipt_my.txt")
    assert record.get("line_items") == [
        {"description": "MILO 1KG", "quantity": 2.0, "unit_price": "14.50", "amount": "29.00"},
        {"description": "ROTI GARDENIA", "quantity": 1.0, "unit_price": "3.45", "amount": "3.45"},
    ]


def test_every_field_points_at_its_source_text() -> None:
    """Each field read from the text has a span covering its raw value; inferred ones have none."""
    doc, record = _extract("receipt_my.txt")
    for name, fv in record.fields.items():
        assert 0.0 < fv.confidence <= 1.0, name
        if fv.span is None:
            continue
        start, end = fv.span
        assert " ".join(doc.text[start:end].split()) == " ".join((fv.raw or "").split()), name
    total_span = record.fields["total_amount"].span
    assert total_span is not None
    assert doc.text[slice(*total_span)] == "32.45"
    # No currency sign on this receipt: MYR is inferred from the Malaysian legal form.
    unplaced = {name for name, fv in record.fields.items() if fv.span is None}
    assert unplaced == {"currency"}


def test_german_invoice() -> None:
    """German labels, decimal commas, month names and the 'zzgl. 19 % USt.' tax line are read."""
    _, record = _extract("invoice_de.txt")
    values = record.values()
    assert record.language == "de"
    assert {
        k: values[k]
        for k in (
            "vendor_name",
            "vendor_address",
            "vendor_tax_id",
            "invoice_number",
            "invoice_date",
            "due_date",
            "subtotal",
            "tax_amount",
            "tax_rate",
            "total_amount",
            "currency",
            "payment_terms",
        )
    } == {
        "vendor_name": "Muster Software GmbH",
        "vendor_address": "Hauptstraße 5 10115 Berlin",
        "vendor_tax_id": "DE123456789",
        "invoice_number": "RE-2023-0042",
        "invoice_date": "2023-03-14",
        "due_date": "2023-03-28",
        "subtotal": "1000.00",
        "tax_amount": "190.00",
        "tax_rate": 19.0,
        "total_amount": "1190.00",
        "currency": "EUR",
        "payment_terms": "14 Tage netto",
    }
    assert values["line_items"] == [
        {"description": "Beratung", "quantity": 4.0, "unit_price": "250.00", "amount": "1000.00"}
    ]


def test_letter_spaced_pdf_text_is_repaired() -> None:
    """'T o t a l  $ 4 9 . 0 0' text is read; spans point into the original spaced text."""
    doc, record = _extract("invoice_letterspaced.txt")
    assert record.get("vendor_name") == "Acme Cloud Inc."
    assert record.get("invoice_number") == "AB12-0007"
    assert record.get("invoice_date") == "2023-06-02"
    assert record.get("total_amount") == "49.00"
    assert record.get("currency") == "USD"
    assert record.get("tax_rate") == 0.0  # subtotal equals total: no tax charged
    span = record.fields["invoice_number"].span
    assert span is not None and doc.text[span[0] : span[1]] == "A B 1 2 - 0 0 0 7"


def test_an_email_address_under_the_title_is_not_the_invoice_number() -> None:
    """A letterhead's e-mail line between ``INVOICE`` and its number is skipped; an address
    never gives the number, even where nothing else follows the title."""
    head = "Sammy Stone\tINVOICE\nsammy4@example.com\n"
    numbered = LoadedDocument.from_text(head + "# INV-0042\nDate: Jan 1, 2022\nTotal: $12.50\n")
    assert extract(numbered).get("invoice_number") == "INV-0042"
    bare = LoadedDocument.from_text(head + "Date: Jan 1, 2022\nTotal: $12.50\n")
    assert extract(bare).get("invoice_number") is None


@pytest.mark.parametrize(
    ("top", "name"),
    [
        ("RSK\nSYL ROASTED DELIGHTS SDN. BHD.", "SYL ROASTED DELIGHTS SDN. BHD."),
        ("MR.\nD.I.Y. (M) SDN BHD", "MR. D.I.Y. (M) SDN BHD"),
        ("POPULAR\nBOOK CO. (M) SDN BHD", "POPULAR BOOK CO. (M) SDN BHD"),
        ('dev"\nWAHIN HARDWARE SDN BHD', "WAHIN HARDWARE SDN BHD"),  # OCR junk from a logo
        ("Phis\nWESTERN EASTERN\nSTATIONERY SDN. BHD", "WESTERN EASTERN STATIONERY SDN. BHD"),
        ("4二日\nAMANO MALAYSIA SDN BHD", "AMANO MALAYSIA SDN BHD"),
        ("Mr.\nD.I.Y. (M) SDN BHD", "Mr. D.I.Y. (M) SDN BHD"),  # a title is no logo junk
        # a logo repeating the name, a letter or two misread
        ("Nor's Kitchern Grocer\nNORS KITCHEN GROCER SDN. BHD", "NORS KITCHEN GROCER SDN. BHD"),
        ("TOKYO KITCHEN\nTOKYO FOOD SDN BHD", "TOKYO KITCHEN TOKYO FOOD SDN BHD"),  # a trade name
        ("OE\nAEON CO. (M) BHD", "AEON CO. (M) BHD"),  # its last legal form makes it whole
        ("SLF CASH &CARRY\t<97", "SLF CASH &CARRY"),  # a mark after the name is not of it
        ("THE: TOAST F&B SDN BHD", "THE TOAST F&B SDN BHD"),  # an article is no label
        ("Company: TOAST F&B SDN BHD", "TOAST F&B SDN BHD"),
        ("TOAST F&B , SDN BHD", "TOAST F&B, SDN BHD"),  # a text layer's space before a comma
        # what a scan glues after the legal form: letters, a registration number misread
        ("SKCA HARDWARE SDN. BHD.LLT", "SKCA HARDWARE SDN. BHD."),
        ("MOONLIGHT CAKE HOUSE SDN BHD 8OZTZ5-U", "MOONLIGHT CAKE HOUSE SDN BHD"),
        ("HENKEL AG & CO.KGAA", "HENKEL AG & CO.KGAA"),  # a legal form glued is one
    ],
)
def test_a_logos_letters_over_a_whole_legal_name_are_not_part_of_it(top: str, name: str) -> None:
    """Letters OCR read from a logo stay out of the name below when that name is whole
    (two or more words before its legal form); a short line that begins the name joins it.
    A mark after the name and a label before it are not part of it; an article is none."""
    text = f"{top}\nLOT 1851-A, JALAN KPB 6,\n43300 SERI KEMBANGAN\nTOTAL 10.00\n"
    assert (
        extract(LoadedDocument.from_text(text), DocumentType.INVOICE).values()["vendor_name"]
        == name
    )


def test_buyer_block_is_not_the_vendor() -> None:
    """The company after 'Bill to' is the buyer, never the vendor."""
    _, record = _extract("invoice_letterspaced.txt")
    assert "Example" not in record.get("vendor_name")


@pytest.mark.parametrize(
    ("lines", "total"),
    [
        (
            [
                "TOTAL AMT RM 60.31",
                "ROUNDING ADJ -0.01",
                "RM 60.30",
                "CASH RM 70.30",
                "CHANGE RM 10.00",
            ],
            "60.30",
        ),
        (
            [  # the rounded total's label misread: cash minus change confirms 60.31 - 0.01
                "TOTAL AMT 60.31",
                "ROUNDING ADJ -0.01",
                "RH 60.30 J",
                "CASHRM 70.30",
                "CHANGERM 10.00",
            ],
            "60.30",
        ),
        (
            [
                "TOTAL: 9.00",
                "ROUNDING ADJUSTMENT: 0.00",
                "ROUND D TOTAL (RM): 9.00",
                "CASH 10.00",
                "CHANGE 1.00",
            ],
            "9.00",
        ),
        (
            [
                "SUB TOTAL 68.87",
                "GST 6% 4.13",
                "TOTAL INCL. GST 73.00",
                "CASH 100.00",
                "CHANGE 27.00",
            ],
            "73.00",
        ),
        (
            [  # two label/value pairs on one row: the row's "Total" pair still counts
                "Total with GST @ 6%\t41.48",
                "Qty 8\tRounding\t0.02",
                "Total Saving\t0.00\tTotal\t41.50",
            ],
            "41.50",
        ),
        (
            [  # a total per tax rate, printed twice, is a part of the whole
                "Total 0% supplies: 35.14",
                "Total 6% supplies (Inc. GST): 38.41",
                "Total 0% supplies: 35.14",
                "Total Payd 73.55",
            ],
            "73.55",
        ),
        (
            [  # the total's label misread beyond repair: subtotal + tax is printed below them
                "Sub Total RM 68.87",
                "GST/TAX 6% RM 4.13",
                "TOT', : RM 73.00",
                "CA. RM 73.00",
            ],
            "73.00",
        ),
        (
            [
                "TOTAL QTY: 2",
                "TOTAL SALES (EXCLUDING GST): 20.00",
                "TOTAL GST 1.20",
                "TOTAL SALES: 21.20",
            ],
            "21.20",
        ),
        (
            ["Gesamtnetto 170,42", "zzgl. 19 % Ust. 32,38", "Summe brutto (in EURO) 202,80"],
            "202.80",
        ),
        (["Total HT : 46,68 €", "TVA 20% : 9,34 €", "Total TTC : 56,02 €"], "56.02"),
        (["CASH 29.68", "CHANGE 0.00", "GST SUMMARY AMOUNT TAX", "TOTAL: 28.00 1.68"], "29.68"),
        (
            ["AMT PAID INCL GST : RM111.90", "AMT PAID EXCL. GST :RM 105.57", "GST AMT : RM5.33"],
            "111.90",
        ),
        (  # OCR read the full stop after "Incl" as a comma; the amount tendered is no total
            ["Amount Incl, GST\t5.00 RM", "Accepted total\t10.00 RM", "Change\t5.00 RM"],
            "5.00",
        ),
        (  # the amount collected is the payment, not the total
            ["Sub Total Amount\t234.40", "Total Amount\t234.40", "Total Amount Collected\t239.40"],
            "234.40",
        ),
    ],
)
def test_final_total_is_preferred(lines: list[str], total: str) -> None:
    """Rounded/inclusive totals beat subtotals, tax lines and quantities; cash − change confirms."""
    record = extract(
        LoadedDocument.from_text("ACME TRADING\n" + "\n".join(lines)), DocumentType.INVOICE
    )
    assert record.get("total_amount") == total


def test_layout_box_and_page_are_reported() -> None:
    """When lines carry page and box, fields report them."""
    text = "ACME TRADING\nTOTAL 12.50"
    lines = (
        TextLine("ACME TRADING", 0, 12, 1, (10.0, 10.0, 90.0, 20.0)),
        TextLine("TOTAL 12.50", 13, 24, 2, (10.0, 50.0, 90.0, 60.0)),
    )
    record = extract(LoadedDocument(text=text, lines=lines, pages=2), DocumentType.INVOICE)
    total = record.fields["total_amount"]
    assert (total.value, total.page, total.box, total.span) == (
        "12.50",
        2,
        (10.0, 50.0, 90.0, 60.0),
        (19, 24),
    )


def test_empty_document_is_an_extraction_error() -> None:
    """A document without text cannot be extracted."""
    with pytest.raises(ExtractionError):
        extract(LoadedDocument.from_text("  \n "))
