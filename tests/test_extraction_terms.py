"""Payment terms printed under their heading: paragraphs, term tables and their due dates."""

from __future__ import annotations

from typing import Any

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract


def _values(text: str) -> dict[str, Any]:
    return extract(LoadedDocument.from_text(text)).values()


def _terms(body: str) -> Any:
    text = f"Rechnung Nr. 12\nZahlungsbedingungen\nBeschreibung Fälligkeit Teilzahlung\n{body}"
    return _values(text + "Gesamtbetrag 119,00 EUR\n").get("payment_terms")


def test_a_paragraph_is_read_over_its_sentences_up_to_the_next_heading() -> None:
    """Full stops inside a paragraph do not end it, a line ending in a lower-case word wraps
    into a label-like word (``Rechnungsbetrag``), and the next heading is left out."""
    body = (
        "Der Betrag wird von Ihrer Kreditkarte abgebucht. Bitte nicht überweisen,\n"
        "da sonst doppelt gezahlt wird. Die Buchung erfolgt mit dem\n"
        "Rechnungsbetrag in Euro.\n"
        "Zahlungsart\n"
        "Kreditkarte\n"
    )
    assert _terms(body) == (
        "Der Betrag wird von Ihrer Kreditkarte abgebucht. Bitte nicht überweisen, da sonst "
        "doppelt gezahlt wird. Die Buchung erfolgt mit dem Rechnungsbetrag in Euro."
    )


def test_rows_of_a_terms_table_are_joined_by_semicolons_without_their_due_dates() -> None:
    """Each row's due-date column (a date the row already states) ends the row and is left
    out; a row that opens like the one above starts a new term."""
    body = (
        "Bis zum 10.03.2025 erhalten Sie 3,000 % Skonto\n"
        "Bis zum 31.03.2025 ohne Abzug 31.03.2025\n"
        "Abschläge Bezug Innerhalb Basisbetrag Prozent Betrag\n"
    )
    assert _terms(body) == (
        "Bis zum 10.03.2025 erhalten Sie 3,000 % Skonto; Bis zum 31.03.2025 ohne Abzug"
    )


def test_a_row_wrapped_before_its_due_date_is_one_term() -> None:
    """``… Skonto €`` / ``1749,30 € 06.06.2026``: the amount on the next line belongs to the
    row, the date after it is the due-date column."""
    body = (
        "Bei Zahlung bis zum 06.06.2026 zahlen Sie mit 2,00 % Skonto €\n"
        "1749,30 € 06.06.2026\n"
        "Bis zum 13.06.2026 ohne Abzug 13.06.2026\n"
        "Zahlungsart\n"
    )
    assert _terms(body) == (
        "Bei Zahlung bis zum 06.06.2026 zahlen Sie mit 2,00 % Skonto € 1749,30 €; "
        "Bis zum 13.06.2026 ohne Abzug"
    )


def test_a_short_term_is_not_joined_with_the_page_footer_after_it() -> None:
    """A short line without a full stop is a whole term: the footer below is not added."""
    assert _terms("Zahlbar sofort rein netto\nMusterfirma GmbH, Seite 2 von 2\n") == (
        "Zahlbar sofort rein netto"
    )


def test_a_sentence_naming_a_service_is_not_a_table_header() -> None:
    """``Die Leistung wurde …`` holds a column word (``Leistung``) but is prose, not the
    header row of a table, so it is read as the terms."""
    assert _terms("Die Leistung wurde vor Ort erbracht und wird abgebucht.\n") == (
        "Die Leistung wurde vor Ort erbracht und wird abgebucht."
    )


def test_pdfiums_split_word_mark_reads_as_a_hyphen() -> None:
    """pdfium marks a hyphen it printed where a word was split with U+FFFE; it reads ``-``."""
    body = "Erteilen Sie uns ein SEPA\ufffeLastschriftmandat.\n"
    assert _terms(body) == "Erteilen Sie uns ein SEPA-Lastschriftmandat."


def test_a_cash_discount_deadline_is_not_the_due_date() -> None:
    """``Bis zum 14.02. … Skonto`` sets the discount's deadline; the invoice is due on the
    date without deduction."""
    body = (
        "Bis zum 14.02.2025 erhalten Sie 2,000 % Skonto\n"
        "Bis zum 31.03.2025 ohne Abzug 31.03.2025\n"
        "Zahlungsart\n"
    )
    assert (
        _values(f"Rechnung Nr. 12\nZahlungsbedingungen\n{body}Gesamtbetrag 119,00 EUR\n")[
            "due_date"
        ]
        == "2025-03-31"
    )


def test_a_due_date_without_discount_keeps_the_first_due_label() -> None:
    """Where no discount is offered the first due-labelled date is the due date."""
    text = "Invoice 7\nDue date: 05/04/2025\nPayable by 30/04/2025\nTotal 10.00\n"
    assert _values(text)["due_date"] == "2025-04-05"
