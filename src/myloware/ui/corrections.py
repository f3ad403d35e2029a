"""The correction form of the decision panel: every field of the document type's schema,
line items as editable rows, and the form read back as the corrections the API takes.

Plain HTML (the pages run no script): a scalar field is an input ``fix.<name>`` left blank
to keep its value; a list of objects (``line_items``) is a table of rows
``row.<field>.<n>.<column>`` with a ``row.<field>.<n>.remove`` box, a few empty rows to add,
and ``row.<field>.shown``, the rows as the page showed them. Only a table whose rows differ
from what was shown becomes a correction (the whole new list); the workflow then
re-normalises and re-validates the record exactly as for the API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

FIX_PREFIX = "fix."
ROW_PREFIX = "row."
EMPTY_ROWS = 3  # rows offered to add line items


@dataclass(frozen=True, slots=True)
class ScalarField:
    name: str
    required: bool
    value: Any  # as extracted (None: missing)
    hint: str  # what the schema expects, e.g. an amount with two places


@dataclass(frozen=True, slots=True)
class RowTable:
    name: str
    required: bool
    columns: list[str]
    required_columns: set[str]
    rows: list[dict[str, str]]  # as shown, every column a string ("" when empty)
    spare: int = EMPTY_ROWS

    @property
    def shown(self) -> str:
        return json.dumps(self.rows, sort_keys=True)


@dataclass(frozen=True, slots=True)
class CorrectionForm:
    scalars: list[ScalarField] = field(default_factory=list)
    tables: list[RowTable] = field(default_factory=list)


def _resolve(schema: Mapping[str, Any], prop: Any) -> dict[str, Any]:
    """A property with a local ``$ref`` followed (its own keys win)."""
    if not isinstance(prop, Mapping):
        return {}
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return {**_resolve(schema, target), **{k: v for k, v in prop.items() if k != "$ref"}}
    return dict(prop)


def _types(prop: Mapping[str, Any]) -> set[str]:
    kind = prop.get("type")
    return {kind} if isinstance(kind, str) else set(kind or [])


def _hint(prop: Mapping[str, Any]) -> str:
    return str(prop.get("title") or prop.get("description") or "")


def cell(value: Any) -> str:
    """A value as a form input shows it."""
    return "" if value is None else str(value)


def correction_form(schema: Mapping[str, Any], values: Mapping[str, Any]) -> CorrectionForm:
    """Every property of ``schema`` as a form input, filled with the record's ``values``."""
    required = set(schema.get("required") or [])
    scalars, tables = [], []
    for name, raw in (schema.get("properties") or {}).items():
        prop = _resolve(schema, raw)
        item = _resolve(schema, prop.get("items")) if "array" in _types(prop) else {}
        if item and "object" in _types(item):
            columns = list((item.get("properties") or {}).keys())
            current = values.get(name) or []
            rows = [
                {c: cell(row.get(c)) for c in columns}
                for row in current
                if isinstance(row, Mapping)
            ]
            tables.append(
                RowTable(
                    name=name,
                    required=name in required,
                    columns=columns,
                    required_columns=set(item.get("required") or []),
                    rows=rows,
                )
            )
            continue
        scalars.append(
            ScalarField(
                name=name, required=name in required, value=values.get(name), hint=_hint(prop)
            )
        )
    # the missing required fields first: they are what stops the record
    scalars.sort(key=lambda f: not (f.required and f.value in (None, "")))
    return CorrectionForm(scalars=scalars, tables=tables)


def corrections_from_form(form: FormData) -> dict[str, Any]:
    """The corrections a submitted form asks for: the scalar inputs that were filled in, and
    each table whose rows differ from the ones the page showed (as the whole new list)."""
    corrections: dict[str, Any] = {
        key[len(FIX_PREFIX) :]: value.strip()
        for key, value in form.multi_items()
        if key.startswith(FIX_PREFIX) and isinstance(value, str) and value.strip()
    }
    cells: dict[str, dict[int, dict[str, str]]] = {}
    removed: set[tuple[str, int]] = set()
    shown: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not key.startswith(ROW_PREFIX) or not isinstance(value, str):
            continue
        parts = key[len(ROW_PREFIX) :].split(".")
        if len(parts) == 2 and parts[1] == "shown":
            try:
                shown[parts[0]] = json.loads(value)
            except json.JSONDecodeError:
                shown[parts[0]] = None
            continue
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        table, index, column = parts[0], int(parts[1]), parts[2]
        if column == "remove":
            removed.add((table, index))
            continue
        cells.setdefault(table, {}).setdefault(index, {})[column] = value.strip()
    for table, rows in cells.items():
        kept = [
            rows[i] for i in sorted(rows) if (table, i) not in removed and any(rows[i].values())
        ]
        before = [r for r in shown.get(table) or [] if isinstance(r, dict) and any(r.values())]
        if kept == before:
            continue  # unchanged: no correction
        corrections[table] = [{c: v for c, v in row.items() if v} for row in kept]
    return corrections


def entered_keys(key: str) -> bool:
    """The inputs a refused form puts back as the person typed them."""
    return key == "reason" or key.startswith((FIX_PREFIX, ROW_PREFIX))
