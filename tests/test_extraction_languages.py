"""The rules extractor on invoices in German, French, Dutch, Spanish, Italian and English."""

from __future__ import annotations

from typing import Any

import pytest

from myloware.documents.model import LoadedDocument, TextLine
from myloware.extraction import extract
from myloware.extraction.layout import document_lines
from myloware.normalize.amounts import parse_amount
from myloware.normalize.dates import parse_date


def _values(text: str) -> dict[str, Any]:
    return extract(LoadedDocument.from_text(text)).values()


def _boxed(rows: list[tuple[str, float]]) -> LoadedDocument:
    """A document whose lines carry boxes, as the PDF loader builds them (cells TAB-separated)."""
    lines: list[TextLine] = []
    offset = 0
    for text, top in rows:
        lines.append(TextLine(text, offset, offset + len(text), 1, (30.0, top, 560.0, top + 10)))
        offset += len(text) + 1
    return LoadedDocument(text="\n".join(t for t, _ in rows), lines=tuple(lines))


GERMAN = """\
Handelsrechnung (380) Nr. 471102 vom 05.06.2018
Währung: EUR
Liefer- und Leistungsdatum: 03.06.2018
Verkäufer
Nummer: 549910
Name: Lieferant GmbH
Anschrift: Lieferantenstraße 20
DE 80333 München
Steuernummer: 201/113/40209
USt.-Id.-Nr.: DE123456789
Käufer/Leistungsempfänger
Nummer: GE2020211
Name: Kunden AG Mitte
Anschrift: Kundenstraße 15
DE 69876 Frankfurt
Belegsummen
Positionssumme 1.000,00
Gesamtbetrag der Zuschläge 30,00
Gesamtbetrag der Abschläge -30,00
Rechnungssumme ohne USt. 1.000,00
Steuerbetrag 190,00
Bruttosumme 1.190,00
Erhaltene Anzahlungen 500,00
Zahlbetrag 690,00
Fälligkeitsdatum: 05.07.2018
"""


def test_german_invoice_reads_labelled_blocks_and_belegsummen() -> None:
    """Title line, Verkäufer/Käufer blocks, VAT id and the sums that add up are read."""
    values = _values(GERMAN)
    assert values["invoice_number"] == "471102"
    assert values["invoice_date"] == "2018-06-05"
    assert values["due_date"] == "2018-07-05"
    assert values["vendor_name"] == "Lieferant GmbH"
    assert values["buyer_name"] == "Kunden AG Mitte"
    assert values["vendor_tax_id"] == "DE123456789"
    assert values["currency"] == "EUR"
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "1000.00",
        "190.00",
        "1190.00",
    )


FRENCH = """\
Au bon moulin SARL - 12 rue des Lilas - 84340 Malaucène - France
TVA : FR11999999998 - SIRET : 99999999800010
Facture n° FA-2020-0012 du 03/02/2020
Acheteur :
Ma jolie boutique
35 rue de la République
69001 Lyon
Date d'échéance 04/03/2020
Total HT 200,00 €
Total TVA 40,00 €
Total TTC 240,00 €
"""


def test_french_invoice_reads_facture_tva_and_ttc() -> None:
    """Facture n°/du, Acheteur, the TVA number before the SIRET, HT + TVA = TTC."""
    values = _values(FRENCH)
    assert values["invoice_number"] == "FA-2020-0012"
    assert values["invoice_date"] == "2020-02-03"
    assert values["due_date"] == "2020-03-04"
    assert values["vendor_name"] == "Au bon moulin SARL"
    assert values["buyer_name"] == "Ma jolie boutique"
    assert values["vendor_tax_id"] == "FR11999999998"
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "200.00",
        "40.00",
        "240.00",
    )


DUTCH = """\
Factuur 2020-17 van 1 maart 2020
Leverancier:
Bakkerij De Molen B.V.
Molenstraat 4
3500 MJ Utrecht
Klant:
Strategic Corp
Factuurdatum: 01-03-2020
Vervaldatum: 31-03-2020
Subtotaal 100,00
BTW 21,00
Totaal incl. BTW 121,00
"""


def test_dutch_invoice_reads_factuur_btw_and_leverancier() -> None:
    """Factuurdatum, vervaldatum, Leverancier/Klant blocks and subtotaal + BTW = totaal."""
    values = _values(DUTCH)
    assert values["invoice_number"] == "2020-17"
    assert values["invoice_date"] == "2020-03-01"
    assert values["due_date"] == "2020-03-31"
    assert values["vendor_name"] == "Bakkerij De Molen B.V."
    assert values["buyer_name"] == "Strategic Corp"
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "100.00",
        "21.00",
        "121.00",
    )


SPANISH = """\
Factura nº F-2021-33 de 12 de marzo de 2021
Proveedor:
Aceites del Sur S.L.
Calle Mayor 5
41700 Dos Hermanas
Cliente:
Me gusta olive
Fecha de vencimiento: 11/04/2021
Base imponible 1.000,00
IVA 21% 210,00
Total factura 1.210,00
"""


def test_spanish_invoice_reads_factura_iva_and_proveedor() -> None:
    """Factura nº/de with a month name, Proveedor/Cliente, base imponible + IVA = total."""
    values = _values(SPANISH)
    assert values["invoice_number"] == "F-2021-33"
    assert values["invoice_date"] == "2021-03-12"
    assert values["due_date"] == "2021-04-11"
    assert values["vendor_name"] == "Aceites del Sur S.L."
    assert values["buyer_name"] == "Me gusta olive"
    assert values["tax_rate"] == 21.0
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "1000.00",
        "210.00",
        "1210.00",
    )


ITALIAN = """\
Fattura n. 12/2022 del 3 maggio 2022
Fornitore:
Pasta Fresca S.r.l.
Via Roma 10
00100 Roma
Cliente:
Trattoria Da Mario
Data di scadenza: 02/06/2022
Imponibile 500,00
IVA 22% 110,00
Totale documento 610,00
"""


def test_italian_invoice_reads_fattura_iva_and_fornitore() -> None:
    """Fattura n./del with an Italian month, Fornitore/Cliente, imponibile + IVA = totale."""
    values = _values(ITALIAN)
    assert values["invoice_number"] == "12/2022"
    assert values["invoice_date"] == "2022-05-03"
    assert values["due_date"] == "2022-06-02"
    assert values["vendor_name"] == "Pasta Fresca S.r.l."
    assert values["buyer_name"] == "Trattoria Da Mario"
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "500.00",
        "110.00",
        "610.00",
    )


def test_english_seller_and_buyer_side_by_side_are_told_apart_by_column() -> None:
    """'Seller:<TAB>Buyer:' columns: the left column is the seller, the right one the buyer."""
    doc = _boxed(
        [
            ("VAT Invoice no. FS/22/09/51", 40),
            ("Seller:\tBuyer:", 140),
            ("SwissDev Ltd\tSimFin Analytics GmbH", 154),
            ("Pcim 938\tPfälzer Ufer 4", 165),
            ("32-432 Pcim\t06108 Halle", 176),
            ("VAT no.: PL6812077987\tVAT no.: DE303303712", 198),
            ("Net amount\tVAT rate\tTax\tGross value", 340),
            ("Total:\t390.00 EUR\t0.00 EUR\t390.00 EUR", 372),
            ("1855.07 PLN\t0.00 PLN\t1855.07 PLN", 383),
        ]
    )
    values = extract(doc).values()
    assert values["vendor_name"] == "SwissDev Ltd"
    assert values["buyer_name"] == "SimFin Analytics GmbH"
    assert values["total_amount"] == "390.00"
    assert values["currency"] == "EUR"


def test_sender_line_names_seller_and_the_address_window_the_buyer() -> None:
    """Without role labels, 'Name ● street ● town' is the seller and the name under it the buyer."""
    values = _values(
        "Bei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen\n"
        "Theodor Est\nBahnstr. 42\n88802 Spielkreis\n"
        "Rechnung # RE-20140703/502 vom 03.07.2014\n"
        "Summe netto: 496,00 €\nZuzügl. USt: 75,04 €\nSumme inkl. USt: 571,04 €\n"
    )
    assert values["vendor_name"] == "Bei Spiel GmbH"
    assert values["buyer_name"] == "Theodor Est"
    assert values["invoice_number"] == "RE-20140703/502"
    assert values["invoice_date"] == "2014-07-03"
    assert values["total_amount"] == "571.04"


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("Description\tQuantity\tUnit Price\tAmount", "Office Chair\t3.00 Units\t70.00\t$ 210.00"),
        ("Beschreibung\tMenge\tEinzelpreis\tBetrag", "Bürostuhl\t3 Stk\t70,00\t210,00 €"),
        ("Désignation\tQuantité\tPrix unitaire\tMontant", "Chaise\t3\t70,00 €\t210,00 €"),
        ("Omschrijving\tAantal\tPrijs\tBedrag", "Stoel\t3\t70,00\t210,00"),
        ("Descripción\tCantidad\tPrecio unitario\tImporte", "Silla\t3\t70,00\t210,00"),
        ("Descrizione\tQuantità\tPrezzo unitario\tImporto", "Sedia\t3\t70,00\t210,00"),
    ],
)
def test_line_items_are_read_under_their_column_headers(header: str, row: str) -> None:
    """The quantity is the cell under the quantity column, never the amount, in each language."""
    doc = _boxed([("Invoice INV-1", 20), (header, 300), (row, 320), ("Total\t210,00", 400)])
    items = extract(doc).get("line_items")
    assert items is not None and len(items) == 1
    assert items[0]["quantity"] == 3.0
    assert (items[0]["unit_price"], items[0]["amount"]) == ("70.00", "210.00")


def test_section_subtotals_do_not_end_the_item_table() -> None:
    """Rows after a section's 'Subtotal' line are still items; the table ends at the total."""
    doc = _boxed(
        [
            ("Description\tQuantity\tUnit Price\tAmount", 300),
            ("[1] Beeswax XL\t1.00 kg\t42.00\t$ 42.00", 320),
            ("Subtotal $ 42.00", 340),
            ("[2] Luxury Truffles\t15.00 g\t10.00\t$ 150.00", 360),
            ("Subtotal\t$ 192.00", 380),
            ("Total\t$ 192.00", 400),
        ]
    )
    items = extract(doc).get("line_items")
    assert [(i["description"], i["quantity"], i["amount"]) for i in items] == [
        ("[1] Beeswax XL", 1.0, "42.00"),
        ("[2] Luxury Truffles", 15.0, "150.00"),
    ]


def test_totals_table_reads_each_amount_under_its_label() -> None:
    """'Grondslag | BTW bedrag | Totaal' over a row of amounts gives net, tax and total."""
    doc = _boxed(
        [
            ("Factuur VF1005193039", 20),
            ("BTW %\tGrondslag\tBTW bedrag\tTotaal", 440),
            ("21 %\t41,31\t8,68\t49,99", 450),
        ]
    )
    values = extract(doc).values()
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "41.31",
        "8.68",
        "49.99",
    )


def test_totals_under_an_unseparated_header_are_read_by_arithmetic() -> None:
    """Plain text loses the cells of a totals table: of the row's amounts, the one triple
    where net + tax = gross goes under Nettobetrag, MwSt-Betrag and Endbetrag."""
    values = _values(
        "Rechnung Nr. 4711\n"
        "Warenwert Zu-/Abschlag Skonto Nettobetrag MwSt-Betrag MwSt-% Endbetrag\n"
        "1062,60 15,00 -21,55 1056,05 200,65 19,0 1256,70\n"
    )
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "1056.05",
        "200.65",
        "1256.70",
    )


def test_an_overlong_row_under_a_totals_header_is_not_searched() -> None:
    """The triples of a row are searched only in a row of at most 12 amounts (a totals row is
    short; the search grows with the cube of its length): the same net + tax = gross among
    fillers is read in a row of 12 and not in one of 13."""
    fillers = [f"{5000 * 2**k},00" for k in range(10)]

    def read(row: list[str]) -> dict[str, Any]:
        return _values(f"Rechnung Nr. 4711\nNettobetrag MwSt-Betrag Endbetrag\n{' '.join(row)}\n")

    short = read(["100,00", "19,00", "119,00", *fillers[:9]])
    assert (short["subtotal"], short["tax_amount"]) == ("100.00", "19.00")
    long = read(["100,00", "19,00", "119,00", *fillers])
    assert "subtotal" not in long and "tax_amount" not in long


def test_a_label_split_by_the_pdf_text_is_still_read() -> None:
    """``Br uttosumme`` (kerning extracted as a space) is the gross total, not the amount
    left to pay after a prepayment."""
    values = _values(
        "Handelsrechnung Nr. 471102 vom 13.11.2019\n"
        "Rechnungssumme ohne USt. 624,90\nSteuerbetrag 46,25\nBr uttosumme 671,15\n"
        "Erhaltene Anzahlungen -201,00\nZahlbetrag 470,15\n"
    )
    assert (values["total_amount"], values["tax_amount"]) == ("671.15", "46.25")


def test_dates_of_a_month_first_invoice_are_read_month_first() -> None:
    """A payment dated 11/17/2017 shows the invoice writes month first: its issue date
    11/03/2017 is November 3rd and its due date 12/03/2017 December 3rd."""
    text = "Invoice FA-2017-0008\nInvoice Date 11/03/2017\nDue Date 12/03/2017\nTotal 623.00 €\n"
    values = _values(text + "Payment 11/17/2017 623.00 €\n")
    assert (values["invoice_date"], values["due_date"]) == ("2017-11-03", "2017-12-03")
    day_first = _values(text)
    assert (day_first["invoice_date"], day_first["due_date"]) == ("2017-03-11", "2017-03-12")


def test_credit_note_total_is_negative() -> None:
    """A credit note's totals are negative, and still add up."""
    values = _values(
        "Avoir AV-2017-0005\nTotal HT -218,48 €\nTotal taxes -14,99 €\nTotal TTC -233,47 €\n"
    )
    assert values["total_amount"] == "-233.47"
    assert values["subtotal"] == "-218.48"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25.04.2018", "2018-04-25"),
        ("25. April 2018", "2018-04-25"),
        ("1er mars 2020", "2020-03-01"),
        ("3 maart 2020", "2020-03-03"),
        ("12 de marzo de 2021", "2021-03-12"),
        ("3 maggio 2022", "2022-05-03"),
    ],
)
def test_european_dates_parse(text: str, iso: str) -> None:
    """Day-first numeric dates and month names in German, French, Dutch, Spanish, Italian."""
    assert str(parse_date(text)) == iso


@pytest.mark.parametrize(
    ("text", "amount"), [("1.234,56", "1234.56"), ("1 234,56 €", "1234.56"), ("21,3", "21.3")]
)
def test_european_amounts_parse(text: str, amount: str) -> None:
    """Decimal commas with dot or space thousands separators."""
    assert str(parse_amount(text)) == amount


def test_split_label_words_are_joined_with_their_offsets_and_others_left_alone() -> None:
    """Only a space that splits a lexicon word in two non-words goes: ``Br uttosumme`` is
    joined (offsets still point into the source), ``SUB TOTAL`` and ``inner halb`` are not."""
    text = "Br uttosumme 671,15\nSUB TOTAL 5.00\nZahlbar inner halb 30 Tagen"
    lines = document_lines(LoadedDocument.from_text(text))
    assert [line.text for line in lines] == [
        "Bruttosumme 671,15",
        "SUB TOTAL 5.00",
        "Zahlbar inner halb 30 Tagen",
    ]
    start, end = lines[0].span(0, len("Bruttosumme"))
    assert text[start:end] == "Br uttosumme"
