"""More ground truth for a set whose truth is "the CII XML embedded in the PDF" (zugferd).

The set's ``<id>.json`` was written before the INVOICE schema had the fields accounts payable
pays by; its source, the XML attached to ``<id>.pdf``, states them exactly. For such a set
(``meta.ground_truth`` names the embedded XML) the scorer reads these fields from the
attachment with XPath, independently of :mod:`myloware.einvoice` (so the e-invoice reader is
checked, not compared with itself), under their canonical names:

* ``buyer_tax_id`` — the buyer's ``SpecifiedTaxRegistration/ID`` of scheme ``VA`` (BT-48);
* ``po_number`` — the header agreement's ``BuyerOrderReferencedDocument/IssuerAssignedID``
  (``ID`` in ZUGFeRD 1; BT-13), not a line's order reference;
* ``payment_terms`` — every ``SpecifiedTradePaymentTerms/Description`` joined by ``"; "``;
* ``iban`` / ``bic`` — the first payment means' ``IBANID`` / ``BICID`` (BT-84, BT-86),
  without spaces.

A value the set's own file already gives is never replaced. Addresses are not added: the
XML's address parts have no single printed form to compare a reading with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from lxml import etree

from myloware.einvoice import attached_xml

XML_FIELDS = ("buyer_tax_id", "po_number", "payment_terms", "iban", "bic")
_MAX_XML_BYTES = 10_000_000
_SPACES_RE = re.compile(r"\s+")


def _path(*steps: str) -> str:
    """An XPath of ``steps`` by local name (``A|B``: either), anywhere below the root."""
    return "//" + "/".join(
        "*[" + " or ".join(f"local-name()='{name}'" for name in step.split("|")) + "]"
        for step in steps
    )


_XPATHS: dict[str, str] = {
    "buyer_tax_id": _path("BuyerTradeParty", "SpecifiedTaxRegistration", "ID") + "[@schemeID='VA']",
    # the document's order (BT-13), not a line's: CII D16B's and ZUGFeRD 1's header agreement
    "po_number": _path(
        "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement",
        "BuyerOrderReferencedDocument",
        "IssuerAssignedID|ID",
    ),
    "payment_terms": _path("SpecifiedTradePaymentTerms", "Description"),
    "iban": _path("PayeePartyCreditorFinancialAccount", "IBANID"),
    "bic": _path("PayeeSpecifiedCreditorFinancialInstitution", "BICID"),
}
_COMPACT = frozenset({"buyer_tax_id", "iban", "bic"})


def with_xml_fields(fields: dict[str, str], dataset_dir: Path) -> dict[str, str]:
    """A set's mapping ``fields`` plus the :data:`XML_FIELDS` under their own names, when the
    set's truth comes from embedded XML (judged by its first truth file)."""
    first = next((p for p in sorted(dataset_dir.glob("*.json")) if p.name != "mapping.json"), None)
    if first is None or not from_embedded_xml(json.loads(first.read_text("utf-8"))):
        return fields
    mapped = set(fields.values())
    return {**fields, **{name: name for name in XML_FIELDS if name not in mapped}}


def from_embedded_xml(truth: dict[str, Any]) -> bool:
    """True when a truth file says its values come from the XML embedded in the PDF."""
    meta = truth.get("meta")
    source = str(meta.get("ground_truth", "")) if isinstance(meta, dict) else ""
    return "embedded" in source.lower() and "xml" in source.lower()


def xml_values(xml: bytes) -> dict[str, str]:
    """The :data:`XML_FIELDS` a CII document states (absent ones left out)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root: Any = etree.fromstring(xml, parser)
    values: dict[str, str] = {}
    for name, xpath in _XPATHS.items():
        texts = [_SPACES_RE.sub(" ", el.text).strip() for el in root.xpath(xpath) if el.text]
        texts = [t for t in texts if t]
        if not texts:
            continue
        if name in _COMPACT:
            values[name] = texts[0].replace(" ", "").upper()
        else:
            values[name] = "; ".join(texts) if name == "payment_terms" else texts[0]
    return values


def supplement(truth: dict[str, Any], pdf: Path) -> dict[str, Any]:
    """``truth`` with the :data:`XML_FIELDS` of ``pdf``'s attached XML added, where the
    truth comes from that XML and does not give them itself."""
    if not from_embedded_xml(truth) or not pdf.is_file():
        return truth
    document = pdfium.PdfDocument(str(pdf))
    try:
        attached = attached_xml(document, max_bytes=_MAX_XML_BYTES)
    finally:
        document.close()
    if attached is None:
        return truth
    fields = dict(truth.get("fields") or {})
    for name, value in xml_values(attached[1]).items():
        fields.setdefault(name, value)
    return {**truth, "fields": fields}
