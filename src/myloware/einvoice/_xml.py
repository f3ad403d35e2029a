"""Safe XML parsing and the small path helpers the CII and UBL readers share.

An e-invoice is untrusted input: the parser never resolves entities, never touches the
network, keeps libxml2's limits on (``huge_tree`` off) and a document that declares a DTD
is refused outright — no invoice syntax needs one, and a DTD is where XML bombs (billion
laughs) and external entities (XXE, reading local files) live. Every failure is a
:class:`~myloware.errors.DocumentError` with a reason.

Paths are local names joined by ``/`` with ``|`` between alternatives
(``"ExchangedDocument|HeaderExchangedDocument/ID"``): the readers check the root's namespace
first, and the CII versions differ in element names rather than in structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeAlias

from lxml import etree

from myloware.errors import DocumentError

Element: TypeAlias = Any  # lxml.etree._Element; lxml ships no type information

_SPACES = re.compile(r"\s+")


_DTD_REFUSED = (
    "the XML declares a DTD (entity declarations): refused, as e-invoices never need one and "
    "a DTD can hide an XML bomb or read local files"
)


def parse_xml(data: bytes) -> Element:
    """The root element of ``data``; :class:`DocumentError` when it is unsafe or broken."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # before libxml2 sees it (UTF-8 and kin)
        raise DocumentError(_DTD_REFUSED)
    parser = etree.XMLParser(  # one per call: lxml parsers are not thread-safe
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root: Element = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"the XML is not well-formed: {exc.msg}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise DocumentError(_DTD_REFUSED)
    return root


def local_name(el: Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def namespace(el: Element) -> str:
    return etree.QName(el).namespace or "" if isinstance(el.tag, str) else ""


def _children(el: Element, names: str) -> Iterator[Element]:
    wanted = names.split("|")
    return (child for child in el if local_name(child) in wanted)


def find_all(el: Element | None, path: str) -> list[Element]:
    """Every element at ``path`` below ``el`` (document order)."""
    if el is None:
        return []
    found = [el]
    for step in path.split("/"):
        found = [child for parent in found for child in _children(parent, step)]
    return found


def find(el: Element | None, path: str) -> Element | None:
    """The first element at ``path`` below ``el``, or None."""
    found = find_all(el, path)
    return found[0] if found else None


def text(el: Element | None, path: str = "") -> str | None:
    """The text at ``path`` (``el`` itself when empty), stripped; None when absent or blank."""
    target = find(el, path) if path else el
    if target is None or target.text is None:
        return None
    value = target.text.strip()
    return value or None


def one_line(value: str | None) -> str | None:
    """``value`` with every run of whitespace (newlines too) as one space."""
    if value is None:
        return None
    squashed = _SPACES.sub(" ", value).strip()
    return squashed or None


def joined(parts: list[str | None], separator: str = ", ") -> str | None:
    """The non-empty ``parts`` as one line, or None when there are none."""
    kept = [p for part in parts if (p := one_line(part))]
    return separator.join(kept) or None


def compact(value: str | None) -> str | None:
    """An identifier without its spaces, upper-case (``de89 3704 …`` → ``DE893704…``)."""
    if value is None:
        return None
    squashed = _SPACES.sub("", value).upper()
    return squashed or None
