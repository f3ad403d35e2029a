"""What an e-invoice says, in MyloWare's terms: :class:`EInvoice` and its :class:`LineItem` s.

Values are kept as the XML states them (amounts and quantities as decimal strings, dates as
ISO strings), so nothing is lost to rounding before JsonRestyler makes them canonical.
:meth:`EInvoice.as_dict` / :meth:`EInvoice.from_dict` carry one through JSON (the stored
CONTEXT doc of a work item).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class LineItem:
    """One invoice line: what was sold, how many, at what net unit price, for what net amount,
    at what VAT rate (percent)."""

    description: str
    amount: str | None
    quantity: str | None = None
    unit_price: str | None = None
    tax_rate: str | None = None


@dataclass(frozen=True, slots=True)
class EInvoice:
    """The structured data of one European e-invoice (EN 16931 and its predecessors).

        ``syntax`` is ``"CII"`` or ``"UBL"``; ``standard`` names the specification the
        guideline id (``guideline``, BT-24) points at ("Factur-X/ZUGFeRD", "ZUGFeRD 1",
        "XRechnung", "Peppol BIS" or plain "UBL"/"CII"), ``profile`` its profile where it has one
        (MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED ...). ``source`` is the attachment's file
        name when the XML came out of a PDF. ``subtotal`` is the tax basis (net, after document
        level allowances and charges), ``total_amount`` the total with tax (BT-112). ``iban`` and
    ``bic`` are the payee's account (BT-84, BT-86), ``buyer_tax_id`` the buyer's VAT id (BT-48).
    """

    syntax: str
    standard: str
    guideline: str | None = None
    profile: str | None = None
    source: str | None = None
    type_code: str | None = None
    invoice_number: str | None = None
    invoice_date: str | None = None
    due_date: str | None = None
    currency: str | None = None
    vendor_name: str | None = None
    vendor_address: str | None = None
    vendor_tax_id: str | None = None
    buyer_name: str | None = None
    buyer_address: str | None = None
    buyer_tax_id: str | None = None
    po_number: str | None = None
    payment_terms: str | None = None
    iban: str | None = None
    bic: str | None = None
    subtotal: str | None = None
    tax_amount: str | None = None
    tax_rate: str | None = None
    total_amount: str | None = None
    amount_due: str | None = None
    line_items: tuple[LineItem, ...] = ()

    @property
    def label(self) -> str:
        """How people name it: ``"Factur-X/ZUGFeRD CII, EXTENDED"``, ``"XRechnung UBL"``."""
        label = f"{self.standard} {self.syntax}" if self.standard != self.syntax else self.syntax
        return f"{label}, {self.profile}" if self.profile else label

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (line items as dicts)."""
        data = asdict(self)
        data["line_items"] = [asdict(item) for item in self.line_items]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EInvoice:
        """The inverse of :meth:`as_dict`; unknown keys (from a later version) are ignored."""
        known = {f.name for f in fields(cls)} - {"line_items"}
        items = tuple(
            LineItem(**{k: v for k, v in item.items() if k in _ITEM_KEYS})
            for item in data.get("line_items") or ()
            if isinstance(item, dict)
        )
        return cls(**{k: v for k, v in data.items() if k in known}, line_items=items)


_ITEM_KEYS = frozenset(f.name for f in fields(LineItem))
