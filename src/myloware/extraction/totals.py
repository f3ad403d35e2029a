"""Total, subtotal, tax amount and tax rate of an invoice or receipt.

The total is chosen among labelled amounts by evidence, not position alone:

* the label's strength: a final total (``ROUNDED TOTAL``, ``NETT TOTAL``, ``GRAND TOTAL``,
  ``TOTAL INCL. GST``, ``AMOUNT DUE``, ``Summe brutto``, ``Total TTC``, ``Factuur totaal``)
  beats a plain ``TOTAL``; subtotals, quantities, discounts, tax lines, amounts excluding
  tax and payments (cash, tendered, ``Total Amount Collected``) are never totals;
* a rounding adjustment applied to a total gives the rounded total as a candidate (printed
  anywhere, when cash tendered − change confirms it);
* consistency: the amount equal to ``cash tendered − change``, or to ``subtotal + tax``, and
  amounts printed several times get a bonus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from myloware.extraction import labels
from myloware.extraction.column_totals import column_totals
from myloware.extraction.layout import Line
from myloware.extraction.money import Money, find_money

_GROSS = labels.alternation("gross_total", "amount_due")
_NET = labels.alternation("net_total")
_TAX_LABELS = labels.alternation("tax_amount")

_FINAL_TOTAL_RE = re.compile(
    r"(?<![A-Za-z])(?:"
    r"ROUND(?:ED|ING)?\s*(?:D\s*)?TOTAL|TOTAL\s*(?:AMOUNT\s*)?ROUNDED|NETT\s*TOTAL|GRAND\s*TOTAL|"
    r"TOTAL\s*(?:AMOUNT\s*)?(?:PAYABLE|DUE)|AM(?:OUN)?T\s*(?:PAYABLE|DUE)|BALANCE\s*DUE|"
    r"TOTAL\s*(?:SALES\s*)?\(?\s*(?:(?:GST|TAX|VAT|SST)\s*)?INCL(?:USIVE|UDED|\.)?(?:\s*OF)?"
    r"\s*(?:GST|TAX|VAT|SST)?|TOTAL\s*INC\.?\s*(?:GST|TAX|VAT)|"
    r"AM(?:OUN)?T\s*PAID(?!\s*EXCL)|AMOUNT\s*INCL(?:USIVE|[.,])?\s*(?:OF\s*)?(?:GST|TAX|VAT)|"
    r"(?:AMOUNT\s*)?TO\s*BE\s*PAID|TO\s*PAY\b|INVOICE\s*TOTAL|TOTAL\s*(?:AMOUNT\s*)?PAID|"
    r"TOTAL\s*TTC|MONTANT\s*TTC|NET\s*[AÀ]\s*PAYER|"
    r"SUMME\s*BRUTTO|BRUTTOBETRAG|GESAMTBETRAG|RECHNUNGSBETRAG|ENDBETRAG|ZU\s*ZAHLEN|GESAMTSUMME|"
    r"TE\s*BETALEN|FACTUUR\s*TOTAAL|TOTAAL\s*(?:INCL|BEDRAG)|TOTAL\s*A\s*PAGAR|IMPORTE\s*TOTAL|"
    r"NALE[ZŻ]NO[SŚ][CĆ]\s*OG[OÓ][LŁ]EM|DO\s*ZAP[LŁ]ATY|"
    rf"(?:{_GROSS})(?![A-Za-z]))",
    re.IGNORECASE,
)
_TOTAL_RE = re.compile(
    r"(?<![A-Za-z])(?:TOTAL|TOTAAL|TOTALE|SUMME|GESAMT|MONTANT\s*TOTAL|RAZEM|NETT?\s*AMT|DUE)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_NOT_TOTAL_RE = re.compile(
    r"SUB(?:\s*-?\s*T|\b|\.)|QTY|QUANTITY|ITEMS?\b|PCS|DISC|SAVING|REBATE|POINTS?|WEIGHT|CHANGE|TENDER|CASH\b|"
    r"COLLECTED|"
    r"EXCL|EXCLUDING|EX\.?\s*TAX|EXKL|NETTO|\bHT\b|HORS\s*TAXE|BEFORE\s*TAX|^\s*\(|"
    r"TOTAL\s*(?:GST|TAX|VAT|SST|MWST|UST|BTW)|(?:GST|TAX|VAT)\s*TOTAL|SUMMARY|BALANCE\s*(?:B/?F|"
    r"BROUGHT)|OHNE|\bTAXES\b|OFFEN|RESIDUAL",
    re.IGNORECASE,
)
_SUBTOTAL_RE = re.compile(
    r"SUB\s*-?\s*TOTAL|TOTAL\s*(?:SALES\s*)?\(?\s*EXCL(?:UDING|\.)?|TOTAL\s*EX\.?\s*(?:TAX|"
    r"GST|VAT)|"
    r"TOTAL\s*HT|MONTANT\s*HT|GESAMTNETTO|NETTOBETRAG|ZWISCHENSUMME|NETTO|TOTAAL\s*EXCL|SUBTOTAAL|"
    rf"AMOUNT\s*BEFORE\s*TAX|NET\s*AMOUNT|TOTAL\s*NET|{_NET}",
    re.IGNORECASE,
)
_TAX_RE = re.compile(
    r"(?<![A-Za-z])(?:TOTAL\s*)?(?:GST|SST|VAT|TVA|MWST|UST\.?|USt\.?|BTW|IVA|SALES\s*TAX|"
    rf"TAX|{_TAX_LABELS})(?![A-Za-z])",
    re.IGNORECASE,
)
_NOT_TAX_RE = re.compile(
    r"REG|\bID\b|\bNO\b|NUMBER|NUMMER|NR\.?|INVOICE|SUMMARY|INCL|INCLUSIVE|EXCL|\bCODE\b|#|"
    r"RECHNUNG|FACTU|PRICE|PRIJZEN|TOTAL\s*SALES|ID\s*NO|IDENTIFICATION",
    re.IGNORECASE,
)
# the currency may be glued to the word (OCR: "CASHRM 70.30", "CHANGERM 10.00")
_CASH_RE = re.compile(
    r"(?<![A-Za-z])(?:CASH|TENDERED|BAR|PAID|VISA|MASTER|CARD)(?:RM)?(?![A-Za-z])", re.I
)
_CHANGE_RE = re.compile(r"(?<![A-Za-z])(?:CHANGE|RÜCKGELD|WECHSELGELD)(?:RM)?(?![A-Za-z])", re.I)
_ROUNDING_RE = re.compile(
    r"(?<![A-Za-z])ROUND(?:ING)?\s*(?:ADJ|AMT|OFF)?|ROUR\s*DING|RUNDUNG|ARRONDI", re.I
)
_HARD_EXCLUDE_RE = re.compile(r"^\s*\(|CHANGE|TENDER|SUMMARY", re.I)
# Sums of charges, allowances and prepayments ("Gesamtbetrag der Zuschläge") are not totals.
_ADJUSTMENT_RE = re.compile(
    r"ZUSCHL[ÄA]G|ABSCHL[ÄA]G|RABATT|ALLOWANCES?|SURCHARGES?|REMISES?|KORTING|DESCUENTO|SCONTO|"
    r"ANZAHLUNG|PREPAYMENTS?|PREPAID|ACOMPTE|ANTICIPO",
    re.I,
)
_TAX_SUMMARY_RE = re.compile(
    r"(?:GST|TAX|VAT|SST|BTW|MWST)\s*(?:SUMMARY|CODE|RATE|%)|SUMMARY\s+.*(?:GST|TAX|VAT)|"
    r"RATE\s+.*(?:GST|TAX|VAT)",
    re.I,
)
_PERCENT_RE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")


@dataclass(frozen=True, slots=True)
class AmountHit:
    """A labelled amount: which line it is on and where in that line."""

    value: Decimal
    line: Line
    money: Money
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Totals:
    """What :func:`find_totals` found; ``tax_rate`` is ``(percent, line, start, end)``."""

    total: AmountHit | None
    subtotal: AmountHit | None
    tax: AmountHit | None
    tax_rate: tuple[Decimal, Line, int, int] | None
    confidence: float


def _amount_after(lines: list[Line], pos: int, label_end: int) -> AmountHit | None:
    """The amount right of a label on line ``pos``, or alone on the next line."""
    line = lines[pos]
    after = [m for m in find_money(line.flat) if m.start >= label_end - 1]
    if after:
        return AmountHit(after[-1].value, line, after[-1])
    if pos + 1 < len(lines):
        nxt = lines[pos + 1]
        found = find_money(nxt.flat)
        letters = sum(ch.isalpha() for ch in nxt.flat)
        if len(found) == 1 and letters <= 3:
            return AmountHit(found[0].value, nxt, found[0])
    return None


def _labelled(
    lines: list[Line], label: re.Pattern[str], exclude: re.Pattern[str] | None
) -> list[tuple[int, AmountHit]]:
    """Every ``(line index, amount)`` printed after ``label`` on lines without ``exclude``."""
    hits: list[tuple[int, AmountHit]] = []
    for pos, line in enumerate(lines):
        m = label.search(line.flat)
        if m is None or (exclude is not None and exclude.search(line.flat)):
            continue
        hit = _amount_after(lines, pos, m.end())
        if hit is not None:
            hits.append((pos, hit))
    return hits


def _cash_minus_change(lines: list[Line]) -> Decimal | None:
    """Cash tendered minus change given, when both are printed."""
    cash = [h for _, h in _labelled(lines, _CASH_RE, _CHANGE_RE)]
    change = [h for _, h in _labelled(lines, _CHANGE_RE, None)]
    if not cash or not change:
        return None
    paid, back = cash[0].value, change[0].value
    return paid - back if paid >= back >= 0 else None


def _summary_start(lines: list[Line]) -> int:
    """Index of the first tax-summary table header (its rows repeat totals per tax code)."""
    for pos, line in enumerate(lines):
        text = line.flat
        if _TAX_SUMMARY_RE.search(text) and not any(m.decimals for m in find_money(text)):
            return pos
    return len(lines)


def _is_total_label(text: str) -> tuple[re.Match[str] | None, bool]:
    """The total label on a line and whether it names a final total."""
    if _HARD_EXCLUDE_RE.search(text) or _ADJUSTMENT_RE.search(text):
        return None, False
    final = _FINAL_TOTAL_RE.search(text)
    if final is not None:
        return final, True
    plain = _TOTAL_RE.search(text)
    if plain is None or _NOT_TOTAL_RE.search(text):
        return None, False
    return plain, False


def _only_amount(text: str) -> Money | None:
    """The single amount of a line that holds nothing else but a currency sign."""
    money = [m for m in find_money(text) if m.decimals]
    if len(money) != 1:
        return None
    rest = text[: money[0].start] + text[money[0].end :]
    return money[0] if not any(ch.isalpha() for ch in rest) else None


def _total_candidates(lines: list[Line]) -> list[AmountHit]:
    """Labelled totals (not rows of the tax summary), weighted by label strength and rounding."""
    candidates: list[AmountHit] = []
    last_rounding = -10
    summary = _summary_start(lines)
    for pos, line in enumerate(lines):
        text = line.flat
        if (
            pos > summary
            and len([m for m in find_money(text) if m.decimals]) > 1
            and not (_is_total_label(text)[0] and _adds_up(text))
        ):
            continue  # a row of the tax summary table (not its "net, tax, gross" total row)
        if _ROUNDING_RE.search(text) and not _FINAL_TOTAL_RE.search(text):
            money = [m for m in find_money(text) if m.decimals]
            if money and abs(money[-1].value) >= 1:  # a "rounding" line printing the rounded total
                candidates.append(AmountHit(money[-1].value, line, money[-1], 3.0))
            last_rounding = pos
            continue
        label, final = _is_total_label(text)
        if label is None:
            alone = _only_amount(text)
            if pos - last_rounding == 1 and alone is not None:
                candidates.append(AmountHit(alone.value, line, alone, 3.0))
            elif (paired := _total_cell_pair(line)) is not None:
                weight = 3.0 if 0 < pos - last_rounding <= 2 else 2.0
                candidates.append(replace(paired, score=weight))
            continue
        hit = _amount_after(lines, pos, label.end())
        if hit is None or hit.value == 0:
            continue
        weight = 3.0 if final or 0 < pos - last_rounding <= 2 else 2.0
        if not final and _PERCENT_RE.search(text[: hit.money.start] if hit.line is line else text):
            weight -= 0.5  # one tax rate's part ("Total 0% supplies: 35.14"), not the whole
        if hit.value < 0:  # a credit note's total; a positive total wins where there is one
            weight -= 1.5
        candidates.append(AmountHit(hit.value, hit.line, hit.money, weight))
    return candidates


def _total_cell_pair(line: Line) -> AmountHit | None:
    """A total label cell and its amount cell on a row that pairs several labels with values
    (``Total Saving 0.00 | Total 41.50``), where another pair keeps the row as a whole from
    being a total: the last such pair."""
    found = None
    for (label, _, _), (value, start, _) in pairwise(line.cells()):
        money = _only_amount(value)
        if money is not None and money.value != 0 and _is_total_label(label)[0] is not None:
            at = replace(money, start=money.start + start, end=money.end + start)
            found = AmountHit(money.value, line, at)
    return found


def _adds_up(text: str) -> bool:
    """A row whose last amount is the sum of the two before it (net, tax, gross)."""
    money = [m.value for m in find_money(text) if m.decimals]
    return len(money) >= 3 and money[-3] + money[-2] == money[-1]


def _rounding_after(lines: list[Line], pos: int) -> AmountHit | None:
    """A rounding adjustment printed within three lines below line ``pos``."""
    for nxt in range(pos + 1, min(pos + 4, len(lines))):
        m = _ROUNDING_RE.search(lines[nxt].flat)
        if m is not None and not _FINAL_TOTAL_RE.search(lines[nxt].flat):
            found = [x for x in find_money(lines[nxt].flat) if x.start >= m.end() - 1]
            if found:
                return AmountHit(found[-1].value, lines[nxt], found[-1])
    return None


def _rounded_values(lines: list[Line], candidates: list[AmountHit]) -> set[Decimal]:
    """Totals implied by applying a printed rounding adjustment to a candidate above it."""
    implied: set[Decimal] = set()
    for c in candidates:
        rounding = _rounding_after(lines, c.line.index)
        if rounding is not None and rounding.value != 0 and abs(rounding.value) < 1:
            implied.add(c.value + rounding.value)
    return implied


def _confirmed_rounded(
    lines: list[Line], confirmed: set[Decimal], candidates: list[AmountHit]
) -> list[AmountHit]:
    """A rounded total that cash minus change confirms, where it is printed without a label
    OCR could read (``RH 60.30 J`` under ``ROUNDING ADJ -0.01``): the first line that prints
    it, as a final total."""
    have = {c.value for c in candidates}
    found: list[AmountHit] = []
    for value in confirmed - have:
        hit = next(
            (
                AmountHit(value, line, m, 3.0)
                for line in lines
                for m in find_money(line.flat)
                if m.value == value and m.decimals
            ),
            None,
        )
        if hit is not None:
            found.append(hit)
    return found


def _best_total(
    candidates: list[AmountHit], expected: set[Decimal], implied: set[Decimal]
) -> tuple[AmountHit | None, float]:
    """The candidate with the most evidence (ties: the larger, then the later amount)."""
    if not candidates:
        return None, 0.0
    counts: dict[Decimal, int] = {}
    for c in candidates:
        counts[c.value] = counts.get(c.value, 0) + 1

    def score(c: AmountHit) -> tuple[float, Decimal, int]:
        bonus = (2.0 if c.value in expected else 0.0) + (1.0 if c.value in implied else 0.0)
        return (c.score + bonus + 0.5 * (counts[c.value] - 1), c.value, c.line.index)

    best = max(candidates, key=score)
    confidence = min(0.95, 0.45 + 0.1 * score(best)[0])
    return best, confidence


def _taxes(lines: list[Line]) -> tuple[list[AmountHit], tuple[Decimal, Line, int, int] | None]:
    """Every tax amount printed on a tax line (not a tax id, summary, net or gross line), in
    order, and the first tax rate."""
    amounts: list[AmountHit] = []
    rate: tuple[Decimal, Line, int, int] | None = None
    for pos, line in enumerate(lines):
        text = line.flat
        m = _TAX_RE.search(text)
        if m is None or _NOT_TAX_RE.search(text) or _SUBTOTAL_RE.search(text):
            continue
        if _FINAL_TOTAL_RE.search(text[: m.start()]):
            continue
        pct = _PERCENT_RE.search(text)
        if pct is not None and rate is None:
            value = Decimal(pct.group(1).replace(",", "."))
            if 0 <= value <= 30:
                rate = (value, line, pct.start(), pct.end())
        found = [
            x
            for x in find_money(text)
            if x.start >= m.end() - 1
            and (pct is None or x.start >= pct.end() or x.end <= pct.start())
        ]
        if found:
            amounts.append(AmountHit(found[-1].value, line, found[-1]))
        elif pct is None and (hit := _amount_after(lines, pos, m.end())) is not None:
            amounts.append(hit)
    return amounts, rate


def _balanced(
    nets: list[AmountHit], taxes: list[AmountHit], totals: list[AmountHit]
) -> tuple[AmountHit, AmountHit, AmountHit] | None:
    """The best-scored total that equals a printed net plus a printed tax (latest net first)."""
    for total in sorted(totals, key=lambda c: (c.score, c.line.index), reverse=True):
        for net in reversed(nets):
            for tax in taxes:
                if net.value + tax.value == total.value and net.line is not total.line:
                    return net, tax, total
    return None


def _printed_sum(
    lines: list[Line], subtotal: AmountHit | None, tax: AmountHit | None
) -> AmountHit | None:
    """Subtotal plus tax where it is printed below both: the total under a label OCR could
    not read (``TOT', : RM 73.00`` under ``Sub Total RM 68.87`` and ``GST/TAX 6% RM 4.13``)."""
    if subtotal is None or tax is None or tax.value <= 0:
        return None
    value, below = subtotal.value + tax.value, max(subtotal.line.index, tax.line.index)
    return next(
        (
            AmountHit(value, line, m)
            for line in lines[below + 1 :]
            for m in find_money(line.flat)
            if m.decimals and m.value == value
        ),
        None,
    )


def _fallback_total(
    lines: list[Line],
    change_total: Decimal | None,
    subtotal: AmountHit | None,
    tax: AmountHit | None,
) -> tuple[AmountHit | None, float]:
    """No labelled total: cash minus change, else subtotal plus tax printed below them, else
    cash tendered, else the subtotal."""
    cash = _labelled(lines, _CASH_RE, _CHANGE_RE)
    if cash and change_total is not None and change_total > 0:
        _, hit = cash[0]
        return AmountHit(change_total, hit.line, hit.money), 0.45
    printed = _printed_sum(lines, subtotal, tax)
    if printed is not None:
        return printed, 0.45
    if cash and change_total is None and cash[0][1].value > 0:
        return cash[0][1], 0.3
    if subtotal is not None:
        return subtotal, 0.35
    return None, 0.0


def find_totals(lines: list[Line]) -> Totals:
    """Total, subtotal, tax amount and tax rate of the document (any may be None)."""
    subtotals = _labelled(lines, _SUBTOTAL_RE, None)
    subtotal = subtotals[-1][1] if subtotals else None
    taxes, rate = _taxes(lines)
    tax = taxes[0] if taxes else None
    expected: set[Decimal] = set()
    change_total = _cash_minus_change(lines)
    if change_total is not None and change_total > 0:
        expected.add(change_total)
    if subtotal is not None and tax is not None:
        expected.add(subtotal.value + tax.value)
    candidates = _total_candidates(lines)
    columns = {
        concept: [AmountHit(m.value, line, m, 2.5) for line, m in hits]
        for concept, hits in column_totals(lines).items()
    }
    nets = [h for _, h in subtotals] + columns["net_total"]
    taxes += columns["tax_amount"]
    candidates += columns["gross_total"]
    subtotal = subtotal or (nets[-1] if nets else None)
    tax = tax or (taxes[0] if taxes else None)
    implied = _rounded_values(lines, candidates)
    candidates += _confirmed_rounded(lines, implied & expected, candidates)
    total, confidence = _best_total(candidates, expected, implied)
    if total is None:
        total, confidence = _fallback_total(lines, change_total, subtotal, tax)
    balanced = _balanced(nets, taxes, candidates)
    if balanced is not None:
        net, tax_hit, gross = balanced
        rounded = total is not None and total.value in implied
        if not rounded and (total is None or gross.score >= total.score):
            total, confidence = gross, max(confidence, 0.9)
        if total is not None and abs(gross.value - total.value) < Decimal("0.1"):
            subtotal, tax = net, tax_hit  # the net and tax that add up to the total
    return Totals(total, subtotal, tax, rate, confidence)
