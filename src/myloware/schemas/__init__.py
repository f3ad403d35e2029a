"""The built-in, versioned JSON Schemas (draft 2020-12) of the canonical document records.

One file per document type and version, ``<type>.v<version>.json``, describing the plain
``{field: value}`` view of a :class:`~myloware.records.CanonicalRecord` (its ``values()``).
Each schema carries two annotations besides standard keywords: ``x-document-type`` and
``x-schema-version``; its ``description`` says which fields are required and why.

The database seeding code inserts :func:`builtin_schema_rows` into the ``schemas`` table;
SchemaGuard validates against whichever version is active there.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from myloware.records import DocumentType

SCHEMA_VERSION = "1"

_FILE_STEMS: dict[DocumentType, str] = {
    DocumentType.INVOICE: "invoice",
    DocumentType.TICKET: "ticket",
    DocumentType.STATUS_REPORT: "status_report",
}


class SchemaRow(NamedTuple):
    """What one row of the ``schemas`` table needs: name, version, type and definition."""

    name: str
    version: str
    document_type: DocumentType
    definition: dict[str, Any]


@cache
def _schema_text(stem: str, version: str) -> str:
    return resources.files(__name__).joinpath(f"{stem}.v{version}.json").read_text("utf-8")


def load_builtin_schema(document_type: DocumentType) -> dict[str, Any]:
    """A fresh copy of the built-in current-version schema of ``document_type``."""
    schema: dict[str, Any] = json.loads(_schema_text(_FILE_STEMS[document_type], SCHEMA_VERSION))
    return schema


def load_builtin_schemas() -> dict[DocumentType, dict[str, Any]]:
    """Fresh copies of the built-in current-version schemas, one per document type."""
    return {doc_type: load_builtin_schema(doc_type) for doc_type in DocumentType}


def builtin_schema_rows() -> list[SchemaRow]:
    """``(name, version, document_type, definition)`` rows for seeding the ``schemas`` table."""
    return [
        SchemaRow(_FILE_STEMS[doc_type], SCHEMA_VERSION, doc_type, definition)
        for doc_type, definition in load_builtin_schemas().items()
    ]


__all__ = [
    "SCHEMA_VERSION",
    "SchemaRow",
    "builtin_schema_rows",
    "load_builtin_schema",
    "load_builtin_schemas",
]
