"""Inlining of local ``$ref`` s, so that a compiled validator need not resolve them per record.

``jsonschema`` looks every ``$ref`` up through the ``referencing`` registry each time it
validates an instance; on the canonical schemas that is some 40 % of the time. Replacing a
local reference (``#/$defs/amount``) by the subschema it points at validates the same
instances with the same errors, faster. References that are not local JSON pointers,
recursive ones, and ones into subschemas that set their own ``$id`` / anchors are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

# Keywords whose values are data, not subschemas: never look for references inside them.
_DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default"})
# Keywords that describe rather than constrain: a sibling of $ref may override the target's.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "deprecated"})
# A subschema with one of these changes base URIs or anchors: inlining it could change meaning.
_SCOPE_KEYWORDS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$dynamicRef"})


def inline_local_refs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with its local, non-recursive ``$ref`` s replaced by their targets."""
    return dict(_walk(schema, schema, ()))


def _walk(node: Any, root: Mapping[str, Any], trail: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_walk(item, root, trail) for item in node]
    if not isinstance(node, Mapping):
        return node
    walked = {
        key: value if key in _DATA_KEYWORDS else _walk(value, root, trail)
        for key, value in node.items()
        if key != "$ref"
    }
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return walked
    target = _resolve(ref, root) if ref not in trail else None
    if not isinstance(target, Mapping) or _SCOPE_KEYWORDS & set(target):
        return {**walked, "$ref": ref}
    expanded = _walk(target, root, (*trail, ref))
    if (set(expanded) & set(walked)) - _ANNOTATIONS:
        return {**walked, "allOf": [expanded, *walked.get("allOf", [])]}
    return {**expanded, **walked}


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    """The node a local JSON-pointer reference (``#/a/b``) points at, or ``None``."""
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
