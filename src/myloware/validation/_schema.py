"""JSON Schema checking: compiled validators, cached, and their errors turned into Issues.

Compiling a schema (meta-validation, reference resolution set-up) costs far more than
validating one record, so validators are compiled once per distinct schema content and kept
in a small LRU cache keyed by the schema's canonical JSON text. A schema loaded afresh from
the database for every document therefore still hits the cache. Local ``$ref`` s are
inlined before compiling (see :mod:`._inline`), which saves their per-record look-ups.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing.exceptions import Unresolvable

from myloware.errors import ValidationFailed
from myloware.validation._inline import inline_local_refs
from myloware.validation._report import Issue
from myloware.validation._values import describe

_JSON_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def schema_version(schema: Mapping[str, Any]) -> str | None:
    """The ``x-schema-version`` annotation of a schema, if it has one."""
    version = schema.get("x-schema-version")
    return None if version is None else str(version)


def schema_fields(schema: Mapping[str, Any]) -> tuple[str, ...]:
    """The top-level field names a schema defines."""
    return tuple(schema.get("properties", {}))


def required_groups(schema: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The schema's required fields as groups of which at least one must be filled.

    Top-level ``required`` names are groups of one; a top-level ``anyOf`` whose every
    branch only demands one field (``{"required": ["subject"]}`` | ``{"required":
    ["summary"]}``) is one group of those fields.
    """
    groups: list[tuple[str, ...]] = [(name,) for name in schema.get("required", ())]
    alternatives = _alternative_fields(schema.get("anyOf", ()))
    if alternatives:
        groups.append(alternatives)
    return tuple(groups)


def check_schema(record_values: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Issue]:
    """Issues for everything in ``record_values`` that ``schema`` rejects."""
    validator = compiled_validator(schema)
    try:
        errors = list(validator.iter_errors(record_values))
    except Unresolvable as exc:
        raise ValidationFailed(f"schema has an unresolvable reference: {exc}") from exc
    return [issue for error in errors for issue in _issues_for(error)]


def compiled_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The cached, compiled draft 2020-12 validator (with format checks) for ``schema``."""
    try:
        fingerprint = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"schema is not JSON-serialisable: {exc}") from exc
    return _compile(fingerprint)


@lru_cache(maxsize=64)
def _compile(fingerprint: str) -> Draft202012Validator:
    schema = json.loads(fingerprint)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValidationFailed(
            f"not a valid JSON Schema (draft 2020-12): {exc.message}",
            details={"schema_path": "/".join(map(str, exc.absolute_path))},
        ) from exc
    return Draft202012Validator(
        inline_local_refs(schema), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _alternative_fields(branches: Iterable[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for branch in branches:
        required = branch.get("required") if isinstance(branch, Mapping) else None
        if not isinstance(required, list) or len(required) != 1:
            return ()
        names.append(required[0])
    return tuple(names)


def format_path(parts: Iterable[str | int]) -> str:
    """``("line_items", 2, "amount")`` → ``"line_items[2].amount"``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _issues_for(error: ValidationError) -> list[Issue]:
    path = format_path(error.absolute_path)
    keyword = error.validator
    if keyword == "required":
        return [_missing(path, error)]
    if keyword == "additionalProperties":
        return _unknown_fields(path, error)
    if keyword in ("anyOf", "oneOf"):
        return [_alternatives(path, error)]
    code, message = _describe(path, error)
    return [Issue(code=code, field=path, message=message)]


def _missing(path: str, error: ValidationError) -> Issue:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    missing = [name for name in error.validator_value if name not in instance]
    name = next((n for n in missing if repr(n) in error.message), missing[0] if missing else "")
    field = _child(path, name)
    return Issue(code="required", field=field, message=f"{field} is required")


def _unknown_fields(path: str, error: ValidationError) -> list[Issue]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    extras = [name for name in error.instance if name not in known]
    return [
        Issue(
            code="unknown_field",
            field=_child(path, name),
            message=f"{_child(path, name)} is not a field of this schema",
        )
        for name in extras
    ]


def _alternatives(path: str, error: ValidationError) -> Issue:
    names = _alternative_fields(error.validator_value)
    if names:
        fields = [_child(path, name) for name in names]
        return Issue(
            code="required",
            field=fields[0],
            message=f"one of {', '.join(fields)} is required",
        )
    return Issue(code="invalid_value", field=path, message=f"{describe(path)}: {error.message}")


def _describe(path: str, error: ValidationError) -> tuple[str, str]:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    subject = describe(path)
    title = error.schema.get("title") if isinstance(error.schema, Mapping) else None
    if keyword == "type":
        if instance is None:
            return "required", f"{subject} must not be null"
        return (
            "invalid_type",
            f"{subject} must be {_type_names(expected)}, not {_json_type(instance)}",
        )
    if keyword == "enum":
        allowed = ", ".join(str(v) for v in expected if v is not None)
        tail = " (or null)" if None in expected else ""
        return "invalid_enum", f"{subject} must be one of {allowed}{tail}, not {instance!r}"
    if keyword in ("format", "pattern"):
        what = title or (f"{expected}" if keyword == "format" else f"value matching {expected}")
        return "invalid_format", f"{subject}: {instance!r} is not a valid {what}"
    if keyword in ("minLength", "minItems") and expected == 1:
        return "required", f"{subject} must not be empty"
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return "out_of_range", f"{subject} is out of range: {error.message}"
    return "invalid_value", f"{subject}: {error.message}"


def _type_names(expected: str | Sequence[str]) -> str:
    names = [expected] if isinstance(expected, str) else [n for n in expected if n != "null"]
    text = " or ".join(f"a{'n' if n[0] in 'aeiou' else ''} {n}" for n in names)
    return text + (" or null" if not isinstance(expected, str) and "null" in expected else "")


def _json_type(instance: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(instance), type(instance).__name__)
