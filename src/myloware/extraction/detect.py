"""Document type detection: invoice/receipt, support ticket or project status report.

Each type collects evidence from keywords (English and German, with French/Dutch invoice
words) and structure: amounts with two decimals and total labels for invoices, a
``Subject:`` line and first-person help requests for tickets, section headings and RAG
status words for status reports. The confidence is the winning share of the evidence.
"""

from __future__ import annotations

import re

from myloware.documents.model import LoadedDocument
from myloware.extraction.layout import document_lines, repaired_text
from myloware.extraction.money import find_money
from myloware.records import DocumentType

_INVOICE_RE = re.compile(
    r"(?<![A-Za-z])(?:INVOICE|RECEIPT|TOTAL|SUBTOTAL|SUB-TOTAL|GST|VAT|TAX|AMOUNT|QTY|PRICE|CASH|"
    r"CHANGE|RECHNUNG|QUITTUNG|BETRAG|SUMME|MWST|UST|FACTURE|MONTANT|TVA|FACTUUR|BEDRAG|BTW|"
    r"FACTURA|IMPORTE|IVA|BILL\s*TO|DUE\s*DATE|PAYMENT\s*TERMS|FAKTURA|RAZEM)(?![A-Za-z])",
    re.IGNORECASE,
)
_TICKET_RE = re.compile(
    r"(?<![A-Za-z])(?:TICKET|SUPPORT|HELP|ISSUE|PROBLEM|ERROR|CRASH(?:ED|ES)?|BUG|UNABLE|CANNOT|"
    r"CAN'T|NOT\s+WORKING|ASSIST(?:ANCE)?|RESOLVE|TROUBLESHOOT\w*|ACCOUNT|LOGIN|PASSWORD|"
    r"I\s+AM|I\s+HAVE|MY|COULD\s+YOU|PLEASE\s+HELP|DEAR|HILFE|FEHLER|PROBLEME?|ANFRAGE|"
    r"UNTERSTÜTZUNG|KUNDENSERVICE|FUNKTIONIERT|ICH|MEIN|MEINE|SEHR\s+GEEHRTE)(?![A-Za-z])",
    re.IGNORECASE,
)
_STATUS_RE = re.compile(
    r"(?<![A-Za-z])(?:STATUS\s+REPORT|PROJECT|MILESTONES?|ACCOMPLISHMENTS?|ACHIEVEMENTS|"
    r"NEXT\s+STEPS|RISKS?|BLOCKERS|RAG|ON\s+TRACK|AT\s+RISK|OFF\s+TRACK|%\s*COMPLETE|"
    r"REPORTING\s+PERIOD|SPRINT|DELIVERABLES?|SCHEDULE|WEEK\s+ENDING|OVERALL\s+STATUS|"
    r"STATUSBERICHT|PROJEKT|MEILENSTEINE?|NÄCHSTE\s+SCHRITTE|RISIKEN|FORTSCHRITT)(?![A-Za-z])",
    re.IGNORECASE,
)
_SUBJECT_RE = re.compile(
    r"^\s*(?:SUBJECT|BETREFF|OBJET|ONDERWERP|ASUNTO)\s*:", re.IGNORECASE | re.M
)
_PROSE_RE = re.compile(r"\b[a-z]{3,}[.!?](?:\s|$)")  # a sentence ending in a lower-case word
_STATUS_TITLE_RE = re.compile(r"STATUS\s*(?:REPORT|UPDATE)|STATUSBERICHT|PROJECT\s+STATUS", re.I)


def type_scores(text: str) -> dict[DocumentType, float]:
    """Evidence per document type in ``text`` (non-negative; comparable across types)."""
    money = sum(1 for line in text.splitlines() for m in find_money(line) if m.decimals)
    invoice = len(_INVOICE_RE.findall(text)) + 0.5 * min(money, 12)
    ticket = float(len(_TICKET_RE.findall(text)))
    status = 1.5 * len(_STATUS_RE.findall(text))
    if _SUBJECT_RE.search(text[:300]):
        ticket += 6
    if money == 0 and _PROSE_RE.search(text):
        ticket += 1  # plain prose with no amounts reads as a message
    if _STATUS_TITLE_RE.search(text[:400]):
        status += 6
    return {
        DocumentType.INVOICE: invoice,
        DocumentType.TICKET: ticket,
        DocumentType.STATUS_REPORT: status,
    }


def detect_type(doc: LoadedDocument) -> tuple[DocumentType, float]:
    """The most likely document type and a confidence in 0..1."""
    return detect_type_of_text(repaired_text(document_lines(doc)))


def detect_type_of_text(text: str) -> tuple[DocumentType, float]:
    """:func:`detect_type` for text whose lines are already repaired."""
    scores = type_scores(text)
    best = max(scores, key=lambda t: scores[t])
    total = sum(scores.values())
    if total <= 0:
        return DocumentType.INVOICE, 0.0
    share = scores[best] / total
    strength = min(1.0, scores[best] / 6)
    return best, round(share * strength, 3)
