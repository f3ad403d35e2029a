"""What kind of value each canonical field holds, read from the built-in JSON Schemas.

The schemas in :mod:`myloware.schemas` are the contract; this module derives from them the
normaliser each field needs, so the two cannot drift apart:

* ``format: date`` → DATE; the two-place amount pattern → AMOUNT; ``^[A-Z]{3}$`` → CURRENCY;
  ``^[a-z]{2}$`` → LANGUAGE; ``format: email`` → EMAIL; ``enum`` → ENUM; ``number`` → NUMBER;
* arrays of strings → STRING_LIST; arrays of objects → OBJECT_LIST (with the item's kinds);
* any other string → TEXT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from myloware.records import DocumentType
from myloware.schemas import load_builtin_schema

AMOUNT_PATTERN = r"^-?\d+\.\d{2}$"


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    CURRENCY = "currency"
    LANGUAGE = "language"
    EMAIL = "email"
    ENUM = "enum"
    NUMBER = "number"
    STRING_LIST = "string_list"
    OBJECT_LIST = "object_list"


@dataclass(frozen=True)
class FieldKind:
    """A field's kind, with the allowed values of an enum and the item kinds of object lists."""

    kind: Kind
    choices: tuple[str, ...] = ()
    item_fields: dict[str, FieldKind] = field(default_factory=dict)
    required_item_fields: tuple[str, ...] = ()


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/name``), merging sibling keywords over it."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    merged = dict(_resolve(target, root))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _types(node: dict[str, Any]) -> set[str]:
    declared = node.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def _kind_of(node: dict[str, Any], root: dict[str, Any]) -> FieldKind:
    node = _resolve(node, root)
    types = _types(node)
    if "enum" in node:
        return FieldKind(Kind.ENUM, tuple(v for v in node["enum"] if isinstance(v, str)))
    if "array" in types:
        items = _resolve(node.get("items", {}), root)
        if "object" in _types(items):
            props = items.get("properties", {})
            return FieldKind(
                Kind.OBJECT_LIST,
                item_fields={name: _kind_of(sub, root) for name, sub in props.items()},
                required_item_fields=tuple(items.get("required", ())),
            )
        return FieldKind(Kind.STRING_LIST)
    if "number" in types or "integer" in types:
        return FieldKind(Kind.NUMBER)
    pattern = node.get("pattern")
    if node.get("format") == "date":
        return FieldKind(Kind.DATE)
    if node.get("format") == "email":
        return FieldKind(Kind.EMAIL)
    if pattern == AMOUNT_PATTERN:
        return FieldKind(Kind.AMOUNT)
    if pattern == "^[A-Z]{3}$":
        return FieldKind(Kind.CURRENCY)
    if pattern == "^[a-z]{2}$":
        return FieldKind(Kind.LANGUAGE)
    return FieldKind(Kind.TEXT)


@cache
def field_kinds(document_type: DocumentType) -> dict[str, FieldKind]:
    """``{canonical field name: FieldKind}`` for ``document_type``'s current schema."""
    schema = load_builtin_schema(document_type)
    return {name: _kind_of(node, schema) for name, node in schema.get("properties", {}).items()}
