"""Commas read as full stops and invented accents, undone in names and addresses of
documents read by OCR only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.layout import document_lines
from myloware.extraction.ocr_repair import fix_label_misreads, one_letter_fit, repair_ocr_fields
from myloware.records import DocumentType, FieldValue

RECEIPT = (
    "TSH POWER HARDWÀRE TRADING\n"
    "NO.23 BATU 10, TAMAN SENTOSA. JALAN KAPAR,\n"
    "42200 KLANG, SELANGOR.\n"
    "TAX INVOICE\nDATE: 04/12/2017\nTOTAL : 99.00\n"
)


def _field(value: str) -> FieldValue:
    return FieldValue(value=value, confidence=0.8, raw=value)


def test_a_full_stop_between_address_parts_is_read_as_a_comma() -> None:
    """After a word of four letters or more, or a number; not after an abbreviation
    (``NO.``, ``JLN.``), inside a number or at the end; a doubled stop is one. Glued to
    the next part as well."""
    fields = repair_ocr_fields(
        {
            "vendor_address": _field(
                "NO.23 JLN. KAPAR 10. TAMAN SENTOSA. KENARI 5. 42200 KLANG 1.5. LUMPUR.."
            )
        },
        "plain ascii",
    )
    assert (
        fields["vendor_address"].value
        == "NO.23 JLN. KAPAR 10, TAMAN SENTOSA, KENARI 5, 42200 KLANG 1.5. LUMPUR."
    )
    assert str(fields["vendor_address"].raw).startswith("NO.23 JLN. KAPAR 10. TAMAN")
    units = repair_ocr_fields(
        {"vendor_address": _field("9. JALAN 19/9. SEKSYEN U3/G. SUBANG 1851-B. KG. NO.1. JLN")},
        "plain ascii",
    )
    assert (
        units["vendor_address"].value == "9, JALAN 19/9, SEKSYEN U3/G, SUBANG 1851-B, KG. NO.1. JLN"
    )
    # glued to the next part too (a comma there in 68 of 69 SROIE truths); not in a number,
    # after an abbreviation or before an initial
    glued = repair_ocr_fields(
        {"vendor_address": _field("LOTP.T. 28, SS21/60.Damansara, PETALING.57000 KLANG.SEL.")},
        "plain ascii",
    )
    assert (
        glued["vendor_address"].value
        == "LOTP.T. 28, SS21/60, Damansara, PETALING, 57000 KLANG, SEL."
    )
    # a number, short and long abbreviations, a domain and a unit's letter keep the stop
    for kept in (
        "BATU 12.5 JLN.KAPAR",
        "Hauptstr.12, 10115 Berlin",
        "Bahnhofstr. 3, Blvd.Haussmann",
        "Komp.Perindustrian, acme.com.my",
        "Suite 12.A",
    ):
        fields = repair_ocr_fields({"vendor_address": _field(kept)}, "plain ascii")
        assert fields["vendor_address"].value == kept


def test_a_single_accent_on_the_page_is_folded_in_names_and_addresses_only() -> None:
    """One accented letter on an OCR'd page is a misreading; a page with several keeps them,
    and fields other than names and addresses are left alone."""
    fields = {"vendor_name": _field("HARDWÀRE"), "invoice_number": _field("NÀ-1")}
    once = repair_ocr_fields(fields, "TSH HARDWÀRE")
    assert once["vendor_name"].value == "HARDWARE"
    assert once["invoice_number"].value == "NÀ-1"
    german = repair_ocr_fields({"vendor_name": _field("Müller Straße")}, "Müller Straße Köln")
    assert german["vendor_name"].value == "Müller Straße"


def test_extract_repairs_only_what_ocr_read() -> None:
    """The same text from a scan is repaired; typed or from a text layer it is not."""
    typed = LoadedDocument.from_text(RECEIPT)
    scanned = replace(typed, ocr_pages=(1,))
    as_typed = extract(typed, DocumentType.INVOICE).values()
    as_scanned = extract(scanned, DocumentType.INVOICE).values()
    assert as_typed["vendor_name"] == "TSH POWER HARDWÀRE TRADING"
    assert as_scanned["vendor_name"] == "TSH POWER HARDWARE TRADING"
    assert "TAMAN SENTOSA. JALAN" in as_typed["vendor_address"]
    assert "TAMAN SENTOSA, JALAN" in as_scanned["vendor_address"]


def test_anchor_words_misread_by_one_character_are_spelled_right() -> None:
    """Same length, one character off, exactly one anchor word: fixed, in the token's case;
    four letters only before a colon; other words and two-off tokens stay."""
    assert fix_label_misreads("Tota| Inclusive GST: 217.00") == "Total Inclusive GST: 217.00"
    assert fix_label_misreads("Anount Incl. GST 5.00") == "Amount Incl. GST 5.00"
    assert fix_label_misreads("INVOICE DAIE: 6/1/2018") == "INVOICE DATE: 6/1/2018"
    for kept in ("DAIE 6/1/2018", "VALVE GRAND 5.00", "TOT', 73.00", "Amounts due"):
        assert fix_label_misreads(kept) == kept


def test_an_i_for_the_one_of_an_amount_after_rm() -> None:
    assert fix_label_misreads("AMT PAID incL GST: RMI11.90") == "AMT PAID incL GST: RM111.90"
    assert fix_label_misreads("TOTAL RM l5.00 RM |2.00") == "TOTAL RM 15.00 RM 12.00"
    assert fix_label_misreads("RMIT UNIVERSITY 2018") == "RMIT UNIVERSITY 2018"
    assert fix_label_misreads("FORMI2 TERMl0 FORM I2") == "FORMI2 TERMl0 FORM I2"


def test_an_amount_split_before_its_decimal_point_is_joined_on_a_scan() -> None:
    """``TOTAL RM 15<TAB>.15``: OCR boxed the cents apart; joined on a page read by OCR only,
    each character keeping its offset."""
    text = "SUBTOTAL RM 12.99\nSvr Chrg 10% 2.16\nTOTAL\tRM\t15\t.15\nCASH RM 100.00\n"
    typed = LoadedDocument.from_text(text)
    scanned = replace(typed, ocr_pages=(1,))
    line = document_lines(scanned)[2]
    assert line.text == "TOTAL\tRM\t15.15"
    assert text[line.offsets[-3]] == "." and text[line.offsets[-4]] == "5"
    assert document_lines(typed)[2].text == "TOTAL\tRM\t15\t.15"
    assert extract(scanned, DocumentType.INVOICE).values()["total_amount"] == "15.15"


def test_a_misread_sdn_bhd_before_a_registration_number_keeps_the_name_line() -> None:
    """``MART 57B 519537-X)``, ``MART 5/8 (519537-X)``: ``S/B`` read with digits (and the
    registration number's bracket lost) made the name line look like a code; on a scan the
    name is read again. A fraction elsewhere stays."""
    for top in ("99 SPEED MART 57B 519537-X)", "99 SPEED MART 5/8 (519537-X)"):
        text = f"{top}\nTAMAN BERKELEY\n41150 KLANG, SELANGOR\nTOTAL RM 2.50\n"
        scanned = replace(LoadedDocument.from_text(text), ocr_pages=(1,))
        values = extract(scanned, DocumentType.INVOICE).values()
        assert values["vendor_name"] == "99 SPEED MART S/B"
        assert values["vendor_address"] == "TAMAN BERKELEY 41150 KLANG, SELANGOR"
    for kept in (  # fractions, numbers, codes: not a registration number ending the line
        "PIPE 5/8 1.50\nBOLT 57B 2.00",
        "PVC PIPE 5/8\t100234 C",
        "QTY 578 123456 X 2.00",
        "Invoice 57812345-K",
        "ABC SDN BHD 57800123-X",
        "ELBOW 5/8 9555123-X 2.00",
    ):
        assert fix_label_misreads(kept) == kept


def test_only_pages_read_by_ocr_get_their_anchor_words_fixed() -> None:
    """The misread label makes the total on a scan; typed, the text is left as it is."""
    text = "SUB TOTAL 251.00\nTota| Inclusive GST: 217.00\nTotal Qty 3\n"
    typed = LoadedDocument.from_text(text)
    scanned = replace(typed, ocr_pages=(1,))
    assert [line.text for line in document_lines(typed)][1].startswith("Tota|")
    assert [line.text for line in document_lines(scanned)][1].startswith("Total Inclusive")
    assert extract(scanned, DocumentType.INVOICE).values()["total_amount"] == "217.00"


@pytest.mark.parametrize(
    ("name", "address", "name_after", "address_after"),
    [
        (  # a 0 or 1 among capitals is a letter; ordinals, codes with one letter, other
            # digits, lower case and addresses stay as read
            "URBAN 1DEA YONG S0ON 1ST A1 OLIVE9 t1e",
            "LOT 1F-01, 1ST FLR",
            "URBAN IDEA YONG SOON 1ST A1 OLIVE9 t1e",
            "LOT 1F-01, 1ST FLR",
        ),
        (  # an underscore between letters is a space, a doubled bracket one; an underscore
            # beside a digit or a space stays, and addresses keep theirs for the place words
            "AIK_HUAT MOTOR(( SUNGAI RENGIT) A_1 TA _K",
            "JALAN_SS2, SE_ANGOR",
            "AIK HUAT MOTOR( SUNGAI RENGIT) A_1 TA _K",
            "JALAN_SS2, SELANGOR",
        ),
        (  # brackets that nest and close are the name's own
            "KEDAI (CAWANGAN (KL)) SDN BHD",
            "JALAN SS2",
            "KEDAI (CAWANGAN (KL)) SDN BHD",
            "JALAN SS2",
        ),
    ],
)
def test_what_ocr_adds_to_a_name_is_taken_out(
    name: str, address: str, name_after: str, address_after: str
) -> None:
    """``URBAN 1DEA``, ``S0ON``, ``AIK_HUAT`` and ``MOTOR((`` are misreadings of a name."""
    fields = {"vendor_name": _field(name), "vendor_address": _field(address)}
    repaired = repair_ocr_fields(fields, "plain ascii")
    assert repaired["vendor_name"].value == name_after
    assert repaired["vendor_address"].value == address_after


def test_a_two_word_legal_form_misread_by_one_letter_is_spelled_right() -> None:
    """``SON BHD``, ``Sdh Bhd``, ``PTE LTO`` and ``5/B`` are a company's legal form misread;
    one word alone (``RESTAURANT SIN DU``), two letters wrong or an address stay as read."""
    names = {
        "KEE ONG SON BHD": "KEE ONG SDN BHD",  # three-letter words before the form
        "SEAFOOD RESTAURANT SDN. DHD.": "SEAFOOD RESTAURANT SDN. BHD.",
        "Guardian Health Sdh Bhd": "Guardian Health Sdn Bhd",
        "ACME ASIA PTE LTO": "ACME ASIA PTE LTD",
        "99 SPEED MART 5/B": "99 SPEED MART S/B",
        "RESTAURANT SIN DU": "RESTAURANT SIN DU",
        "SUPER SEVEN SBN 3HD": "SUPER SEVEN SBN 3HD",
        "Acme Pty Ltd": "Acme Pty Ltd",  # a form of its own (Australia), not PTE
        "KEE PAT LTD": "KEE PAT LTD",  # a/v: not a letter OCR confuses
        "ACME ßN BHD": "ACME ßN BHD",  # upper-cases to more letters: left alone
    }
    for read, right in names.items():
        fields = {"vendor_name": _field(read), "vendor_address": _field("LOT 5/B SIN BHD")}
        repaired = repair_ocr_fields(fields, "plain ascii")
        assert repaired["vendor_name"].value == right
        assert repaired["vendor_address"].value == "LOT 5/B SIN BHD"


def test_lot_and_a_number_glued_to_no_read_with_digits_for_letters() -> None:
    """``1.OT`` / ``10T`` opening an address before a number is ``LOT``; ``NO29O`` is
    ``NO290``; a postcode's ``D`` between digits is a zero; ``10T BLOCK``, ``NOON``, a unit
    ``12D`` and a short code stay."""
    for read, right in {
        "1.OT 1851-A, JALAN KPB 6": "LOT 1851-A, JALAN KPB 6",
        "10T 1851-A, JALAN KPB 6": "LOT 1851-A, JALAN KPB 6",
        "NO29O, JALAN AIR PANAS": "NO290, JALAN AIR PANAS",
        "10T BLOCK C, NOON PLAZA": "10T BLOCK C, NOON PLAZA",
        "SEKSYEN U13, 4D170 SHAH ALAM": "SEKSYEN U13, 40170 SHAH ALAM",
        "LOT 12D, 3D HOUSE, 40D1 ROAD": "LOT 12D, 3D HOUSE, 40D1 ROAD",  # units, a short code
    }.items():
        fields = repair_ocr_fields({"vendor_address": _field(read)}, "plain ascii")
        assert fields["vendor_address"].value == right


def test_an_o_in_a_number_and_a_speck_after_a_comma_in_an_address() -> None:
    """``29O`` is 290 where the token holds only digits and ``O``; ``NO``, ``G3O`` and a
    name stay. ``,/`` and ``,'`` before a word are a comma and a space."""
    fields = {
        "vendor_address": _field("NO 29O, JALAN AIR, LOT G3O, 40300 Shah Alam,/Selangor,'D.E"),
        "vendor_name": _field("SHOP 29O"),
    }
    repaired = repair_ocr_fields(fields, "plain ascii")
    assert (
        repaired["vendor_address"].value
        == "NO 290, JALAN AIR, LOT G3O, 40300 Shah Alam, Selangor, D.E"
    )
    assert repaired["vendor_name"].value == "SHOP 29O"


def test_an_address_word_one_letter_off_is_spelled_right() -> None:
    """A state, street type or country misread by one letter OCR confuses (or a stray mark)
    is spelled right in the case printed; another first letter, a letter OCR does not
    confuse, a short word and a company name stay."""
    address = "Lot 3, Jalau Pelabur, Setangor, JA:AN SS4, SE_ANGOR, Jahor, Malaysla, Leve1 2"
    kept = "DAISO JAPAN, Laman Rimbunan, Jln Tamn, Kenara Dion, U13/X, SS21"
    fields = {
        "vendor_address": _field(f"{address} {kept}"),
        "vendor_name": _field("JAIAN TRADING"),
    }
    repaired = repair_ocr_fields(fields, "plain ascii")
    assert repaired["vendor_address"].value == (
        "Lot 3, Jalan Pelabur, Selangor, JALAN SS4, SELANGOR, Johor, Malaysia, Level 2 " + kept
    )
    assert repaired["vendor_name"].value == "JAIAN TRADING"
    # a letter that upper-cases to two ("ß") cannot be respelled one for one
    assert one_letter_fit("Glaß", ("CLASS",)) is None
    assert one_letter_fit("Glass", ("CLASS",)) == "CLASS"
