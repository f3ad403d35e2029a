"""The buyer's address and VAT id, and the payee's bank account, from a document's lines.

The buyer's block is the one :func:`~myloware.extraction.parties.find_parties` found by its
role label (``Käufer``, ``Bill to``, ``Client``...): its address is read as the vendor's is,
and a VAT id printed in it is the buyer's. Outside the block, a VAT id after a label that
names the buyer (``Ihre USt-IdNr.``, ``Customer VAT``, ``TVA client``) is the buyer's too.
A VAT id must have its country's shape (:mod:`myloware.extraction.vat_ids`), except one
printed after a tax-id label inside the buyer's block (``USt.-Id.-Nr.: DE1234567890``): that
is read as printed, with a lower confidence, so a reviewer sees the malformed id rather than
none. The vendor's own is never taken for the buyer's.
"""

from __future__ import annotations

from myloware.extraction import labels, references
from myloware.extraction.bank import find_bic, find_iban
from myloware.extraction.layout import Line, field_from, field_from_lines
from myloware.extraction.parties import Party
from myloware.extraction.vat_ids import find_vat_id
from myloware.extraction.vendor_address import read_address
from myloware.records import FieldValue

_BUYER_TAX_LABEL_RE = labels.label_re("buyer_tax_id")


def _vat_in_block(buyer: Party, vendor_id: str | None) -> FieldValue | None:
    for line in [*buyer.name_lines, *buyer.block]:
        found = find_vat_id(line.flat)
        if found is not None and found[0] != vendor_id:
            value, start, end = found
            return field_from(value, 0.85, line, start, end)
    return None


def _labelled_in_block(buyer: Party, vendor_id: str | None) -> FieldValue | None:
    """A VAT-id-like code after a tax-id label in the buyer's block, whatever its shape."""
    found = references.find_tax_id([*buyer.name_lines, *buyer.block])
    if found is None:
        return None
    value = found.value.replace(" ", "").upper()
    if value == vendor_id or not references.looks_like_vat_id(value):
        return None
    return field_from(value, 0.55, found.line, found.start, found.end)


def _vat_by_label(lines: list[Line], vendor_id: str | None) -> FieldValue | None:
    for pos, line in enumerate(lines):
        label = _BUYER_TAX_LABEL_RE.search(line.flat)
        if label is None:
            continue
        places = [(line, label.end()), *((nxt, 0) for nxt in lines[pos + 1 : pos + 2])]
        for where, offset in places:
            found = find_vat_id(where.flat, offset)
            if found is not None and found[0] != vendor_id:
                value, start, end = found
                return field_from(value, 0.85, where, start, end)
    return None


def buyer_fields(
    lines: list[Line], buyer: Party | None, vendor_tax_id: FieldValue | None
) -> dict[str, FieldValue]:
    """``buyer_address`` and ``buyer_tax_id``, where the document shows them."""
    fields: dict[str, FieldValue] = {}
    vendor_id = str(vendor_tax_id.value).replace(" ", "").upper() if vendor_tax_id else None
    if buyer is not None:
        address_lines, address = read_address([*buyer.name_lines[-1:], *buyer.block], 0)
        if address_lines:
            fields["buyer_address"] = field_from_lines(address, 0.7, address_lines)
    in_block = (
        (_vat_in_block(buyer, vendor_id) or _labelled_in_block(buyer, vendor_id))
        if buyer is not None
        else None
    )
    tax_id = in_block or _vat_by_label(lines, vendor_id)
    if tax_id is not None:
        fields["buyer_tax_id"] = tax_id
    return fields


def bank_fields(lines: list[Line]) -> dict[str, FieldValue]:
    """``iban`` (checksum verified) and ``bic``, where the document prints them."""
    fields: dict[str, FieldValue] = {}
    for name, finder in (("iban", find_iban), ("bic", find_bic)):
        hit = finder(lines)
        if hit is not None:
            fields[name] = field_from(hit.value, hit.confidence, hit.line, hit.start, hit.end)
    return fields
