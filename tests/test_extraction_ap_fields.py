"""The fields accounts payable pays by, read from an invoice's text: IBAN, BIC, VAT ids,
purchase-order number and payment terms, in English, German, French, Dutch, Spanish and
Italian."""

from __future__ import annotations

from typing import Any

import pytest

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.bank import iban_checksum_ok
from myloware.extraction.learned import keys_of
from myloware.extraction.vat_ids import find_vat_id, vat_id
from myloware.records import CanonicalRecord, DocumentType


def _record(text: str) -> CanonicalRecord:
    return extract(LoadedDocument.from_text(text), DocumentType.INVOICE)


def _values(text: str) -> dict[str, Any]:
    return _record(text).values()


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
    ],
)
def test_valid_ibans_pass_the_checksum(iban: str) -> None:
    """The published example IBAN of each country has check digits ≡ 1 mod 97."""
    assert iban_checksum_ok(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # one digit misread
        "DE8937040044053201300",  # a digit short of Germany's 22 characters
        "XX89370400440532013000",  # no such country
    ],
)
def test_misread_ibans_fail_the_checksum(iban: str) -> None:
    """A wrong digit, a wrong length or an unknown country fails."""
    assert not iban_checksum_ok(iban)


def test_iban_printed_in_groups_is_read_compact_with_its_span() -> None:
    """``IBAN: DE89 3704 0044 0532 0130 00`` yields the compact IBAN and points at the print."""
    text = "Rechnung Nr. 7\nBankverbindung IBAN: DE89 3704 0044 0532 0130 00 BIC: COBADEFFXXX\n"
    record = _record(text)
    iban = record.fields["iban"]
    assert iban.value == "DE89370400440532013000" and iban.confidence > 0.8
    assert iban.span is not None
    assert text[iban.span[0] : iban.span[1]] == "DE89 3704 0044 0532 0130 00"
    assert record.fields["bic"].value == "COBADEFFXXX"


def test_labelled_iban_with_a_bad_checksum_is_kept_with_low_confidence() -> None:
    """A misprinted IBAN is shown to a person at low confidence, not silently dropped."""
    record = _record("Invoice no. 12\nIBAN: DE89 3704 0044 0532 0130 01\n")
    iban = record.fields["iban"]
    assert iban.value == "DE89370400440532013001" and iban.confidence < 0.5


def test_labelled_bic_of_the_wrong_length_is_kept_with_low_confidence() -> None:
    """``Verkäufer-BIC: COBADEFXXX`` (ten characters, a BIC has 8 or 11) is shown as printed,
    unsure; a well-formed BIC anywhere after a label still wins."""
    bic = _record("Rechnung Nr. 5\nVerkäufer-BIC: COBADEFXXX\n").fields["bic"]
    assert bic.value == "COBADEFXXX" and bic.confidence < 0.5
    both = _record("Rechnung Nr. 5\nBIC: COBADEFXXX\nSWIFT: DEUTDEFF500\n").fields["bic"]
    assert both.value == "DEUTDEFF500" and both.confidence > bic.confidence


def test_unlabelled_text_that_looks_like_a_bic_is_not_one() -> None:
    """Eight capitals without a BIC/SWIFT label (``RECHNUNG``) are not read as a BIC."""
    assert "bic" not in _values("RECHNUNGEN\nRechnung Nr. 5\nSWIFTING AROUND\n")


@pytest.mark.parametrize(
    ("printed", "compact"),
    [
        ("DE 123 456 789", "DE123456789"),
        ("FR 40 303265045", "FR40303265045"),
        ("NL123456789B01", "NL123456789B01"),
        ("IT 12345678901", "IT12345678901"),
        ("ESB12345678", "ESB12345678"),
        ("ATU12345678", "ATU12345678"),
        ("BE0123.456.789", "BE0123456789"),
        ("CHE-123.456.789 MWST", "CHE123456789MWST"),
        ("GB 123 4567 89", "GB123456789"),
    ],
)
def test_vat_ids_are_read_by_their_countrys_shape(printed: str, compact: str) -> None:
    """Each country's VAT id is recognised as printed and returned compact."""
    assert vat_id(printed) == compact


@pytest.mark.parametrize("text", ["DE12345678", "DE1234567890", "NL123456789", "FR1234", "XX123"])
def test_numbers_without_their_countrys_shape_are_not_vat_ids(text: str) -> None:
    """A digit too few or too many, a missing NL 'B01' or an unknown prefix is refused."""
    assert vat_id(text) is None


def test_a_vat_id_is_never_cut_inside_a_run_of_digits() -> None:
    """``DE19787878784`` (two digits too many) is not shortened into a German id."""
    assert find_vat_id("USt.-Id.-Nr.: DE19787878784") is None
    assert find_vat_id("USt-IdNr. DE 123 456 789 Musterstadt") == ("DE123456789", 10, 24)


def test_buyer_vat_id_comes_from_the_buyers_block_not_the_sellers() -> None:
    """With both parties' VAT ids printed, each goes to its own field."""
    values = _values(
        "Rechnung Nr. 2024-1\n"
        "Verkäufer\nName: Lieferant GmbH\nLieferantenstraße 20\n80333 München\n"
        "USt-IdNr.: DE123456789\n"
        "Käufer\nName: Kunden AG\nKundenstraße 15\n69876 Frankfurt\n"
        "USt-IdNr.: DE987654321\n"
        "Gesamtbetrag 119,00 EUR\n"
    )
    assert values["vendor_tax_id"] == "DE123456789"
    assert values["buyer_tax_id"] == "DE987654321"
    assert "Kundenstraße 15" in values["buyer_address"]


def test_a_malformed_buyer_vat_id_in_the_buyers_block_is_kept_with_low_confidence() -> None:
    """``DE1234567890`` (a digit too many for Germany) after the buyer's ``USt.-Id.-Nr.`` is
    read as printed, unsure, so a reviewer sees it; unlabelled, it is not taken."""
    text = (
        "Rechnung Nr. 2024-1\n"
        "Verkäufer\nName: Lieferant GmbH\nLieferantenstraße 20\n80333 München\n"
        "USt-IdNr.: DE123456789\n"
        "Käufer\nName: Kunden AG\nKundenstraße 15\n69876 Frankfurt\n"
        "{label}DE1234567890\n"
        "Gesamtbetrag 119,00 EUR\n"
    )
    record = _record(text.format(label="USt.-Id.-Nr.: "))
    assert record.values()["buyer_tax_id"] == "DE1234567890"
    assert record.fields["buyer_tax_id"].confidence < 0.7
    assert "buyer_tax_id" not in _values(text.format(label="Kundenkonto "))


def test_buyer_vat_id_by_a_label_that_names_the_customer() -> None:
    """``Customer VAT: …`` outside any block is the buyer's id."""
    values = _values(
        "INVOICE\nInvoice no. 881\nAcme Ltd\nVAT no. GB123456789\n"
        "Customer VAT: IE1234567T\nTotal 120.00 EUR\n"
    )
    assert values["buyer_tax_id"] == "IE1234567T"


@pytest.mark.parametrize(
    ("lines", "po", "terms"),
    [
        ("PO number: 4500012345\nPayment terms: Net 30 days", "4500012345", "Net 30 days"),
        ("Bestellnummer: B-2024-77\nZahlungsbedingungen: 14 Tage netto", "B-2024-77",
         "14 Tage netto"),
        ("Bon de commande : BC-5521\nConditions de paiement : 30 jours fin de mois", "BC-5521",
         "30 jours fin de mois"),
        ("Inkoopordernummer: IO-9981\nBetalingsvoorwaarden: 30 dagen netto", "IO-9981",
         "30 dagen netto"),
        ("Pedido: PED-3310\nCondiciones de pago: 60 días", "PED-3310", "60 días"),
        ("Ordine: ORD-1204\nCondizioni di pagamento: bonifico a 30 giorni", "ORD-1204",
         "bonifico a 30 giorni"),
    ],
)  # fmt: skip
def test_po_number_and_payment_terms_are_read_in_each_language(
    lines: str, po: str, terms: str
) -> None:
    """The purchase-order and payment-terms labels of six languages are understood."""
    values = _values(f"Invoice no. 4711\n{lines}\nTotal 100.00 EUR\n")
    assert values["po_number"] == po
    assert values["payment_terms"] == terms


def test_an_order_date_is_not_taken_for_the_order_number() -> None:
    """``Fecha de pedido: 12/03/2024`` holds a date, not a purchase-order number."""
    assert "po_number" not in _values("Factura nº 55\nFecha de pedido: 12/03/2024\nTotal 10,00 €\n")


def test_terms_under_a_heading_skip_the_tables_header_and_join_wrapped_lines() -> None:
    """A terms table's column headers are not the terms; a sentence wrapped over two lines
    is read whole, and the next section's heading is left out."""
    values = _values(
        "Rechnung Nr. 9\nZahlungsbedingungen\nBeschreibung Fälligkeit Teilzahlung\n"
        "Bis zum 14.02.2025 erhalten Sie 2,000 % Skonto, bis zum\n31.03.2025 ohne Abzug\n"
        "Steueraufschlüsselung\nGesamtbetrag 119,00 EUR\n"
    )
    assert values["payment_terms"] == (
        "Bis zum 14.02.2025 erhalten Sie 2,000 % Skonto, bis zum 31.03.2025 ohne Abzug"
    )


def test_an_iban_identifies_the_vendor_when_learning_from_approvals() -> None:
    """The IBAN an approved invoice was paid to is an exact memory key, spaces aside."""
    assert keys_of({"iban": "DE89 3704 0044 0532 0130 00"}) == {"iban": "de89370400440532013000"}
