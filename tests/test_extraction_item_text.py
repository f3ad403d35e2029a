"""Line items read from plain text by the order of the table header's columns."""

from __future__ import annotations

from typing import Any

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.item_text import find_text_items, header_columns
from myloware.extraction.layout import document_lines


def _items(text: str) -> list[dict[str, Any]]:
    items = extract(LoadedDocument.from_text(text)).values().get("line_items")
    return list(items or [])


def _rows(items: list[dict[str, Any]]) -> list[tuple[str, float | None, str | None, str]]:
    return [(i["description"], i["quantity"], i["unit_price"], i["amount"]) for i in items]


GERMAN_WRAPPED = """\
Rechnung Nr. 2024-17 vom 03.02.2024
Positionsdaten
Pos Referenzen Beschreibung Nettopreis Menge Einheit Steuersatz Nettobetrag
000001
Art-Nr-Lieferant:
4006381333931 (GTIN)
Gartenschlauch 20m 12,50 4 Stk 19 %
50,00
Bruttopreis : 12,50
2 Montage vor Ort
durch Fachbetrieb
80,00 1,5 Std 19% 120,00
• Leistungszeitraum: bis 31.01.2024
- Ventil Teil B § 4 Ziff. 2 62.000 MK1914
Umsatzsteueraufschlüsselung
Umsatzsteuer (S) 170,00 19 32,30
Rechnungssumme ohne USt. 170,00
Steuerbetrag 32,30
Bruttosumme 202,30
"""


def test_german_rows_fill_the_header_columns_across_wrapped_lines() -> None:
    """A row's numbers fill Nettopreis, Menge, Nettobetrag in the header's order, the amount
    may sit on the next line, and a description may wrap above its numbers."""
    assert _rows(_items(GERMAN_WRAPPED)) == [
        ("Gartenschlauch 20m", 4.0, "12.50", "50.00"),
        ("Montage vor Ort durch Fachbetrieb", 1.5, "80.00", "120.00"),
    ]


def test_notes_codes_and_the_tax_summary_are_not_items() -> None:
    """Labelled notes, article codes, a note's ``62.000`` without cents and the VAT breakdown
    after the items add no rows."""
    lines = document_lines(LoadedDocument.from_text(GERMAN_WRAPPED))
    items = find_text_items(lines)
    assert len(items) == 2
    assert all("GTIN" not in item.description for item in items)
    assert all(item.confidence == 0.8 for item in items)  # quantity × price = amount


QUANTITY_FIRST = """\
Rechnung 99
Menge Produkt USt. Preis Gesamtbetrag
1,00 Gestaltung
(Stunde): Entwurf
7% 160,00 € 160,00 €
400,00 Luftballon: Bunt, ca. 500ml 19% 0,79 € 316,00 €
Nettobetrag: 476,00 €
"""


def test_a_quantity_column_left_of_the_description_is_read_first() -> None:
    """With ``Menge`` before ``Produkt`` the first number is the quantity and the words after
    it, over lines and through colons, are the description; the unit ``€`` is skipped."""
    assert _rows(_items(QUANTITY_FIRST)) == [
        ("Gestaltung (Stunde): Entwurf", 1.0, "160.00", "160.00"),
        ("Luftballon: Bunt, ca. 500ml", 400.0, "0.79", "316.00"),
    ]


ENGLISH_PAGES = """\
Invoice INV-88
Description Qty Unit price Amount
1 Consulting hours 3 150.00 450.00
Travel ex\ufffepenses 1 80.00 80.00
Page 1 of 2
Description Qty Unit price Amount
Hosting (annual) 12 20.00 240.00
Subtotal 770.00
VAT 20% 154.00
Total 924.00
"""


def test_a_header_repeated_on_the_next_page_continues_the_table() -> None:
    """Rows after the header printed again on page 2 are items too; a leading position number
    is dropped and pdfium's line-end hyphen mark is printed as a hyphen."""
    assert _rows(_items(ENGLISH_PAGES)) == [
        ("Consulting hours", 3.0, "150.00", "450.00"),
        ("Travel ex-penses", 1.0, "80.00", "80.00"),
        ("Hosting (annual)", 12.0, "20.00", "240.00"),
    ]


FRENCH = """\
Facture F-301
Désignation Prix unitaire Quantité Montant
Cartouche d'encre 24,90 3 74,70
Papier A4 (carton) 31,00 2 62,00
Total HT 136,70
"""


def test_the_header_order_decides_which_number_is_the_quantity() -> None:
    """With ``Prix unitaire`` before ``Quantité`` the first number is the price, the second
    the quantity."""
    assert _rows(_items(FRENCH)) == [
        ("Cartouche d'encre", 3.0, "24.90", "74.70"),
        ("Papier A4 (carton)", 2.0, "31.00", "62.00"),
    ]


def test_header_columns_name_a_description_and_two_number_columns() -> None:
    """A line-item header in any language gives its columns in order; the payment-terms table
    (``Beschreibung Fälligkeit Teilzahlung``) and a line with amounts are not headers."""
    assert header_columns("Omschrijving Aantal Prijs Bedrag") == [
        "col_description",
        "col_quantity",
        "col_unit_price",
        "col_amount",
    ]
    assert header_columns("Descrizione Quantità Prezzo unitario Importo") == [
        "col_description",
        "col_quantity",
        "col_unit_price",
        "col_amount",
    ]
    assert header_columns("Beschreibung Fälligkeit Teilzahlung") is None
    assert header_columns("Description 2 10,00 20,00") is None


def test_a_table_whose_rows_never_complete_gives_no_items() -> None:
    """Rows with fewer numbers than the header's columns and no amount after them are not
    guessed into items."""
    text = "Beschreibung Nettopreis Menge Nettobetrag\nSchraube 10 Stk\nHinweis folgt\n"
    assert find_text_items(document_lines(LoadedDocument.from_text(text))) == []
