"""The built-in, versioned JSON Schemas (draft 2020-12) of the canonical document records.

One file per document type and version, ``<type>.v<version>.json``, describing the plain
``{field: value}`` view of a :class:`~myloware.records.CanonicalRecord` (its ``values()``).
Each schema carries two annotations besides standard keywords: ``x-document-type`` and
``x-schema-version``; its ``description`` says which fields are required and why.

A type's versions are listed oldest first in :data:`BUILTIN_VERSIONS`; the last is the
current one, which the extractors fill and the loaders return. A later version only adds
optional fields, so a record of an earlier version is a record of the current one (INVOICE
2 adds ``buyer_tax_id``, ``iban``, ``bic`` and a line item's ``tax_rate`` to version 1).

The database seeding code inserts :func:`builtin_schema_rows` (every version) into the
``schemas`` table and activates a type's current version where a built-in one was active;
SchemaGuard validates against whichever version is active there.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from myloware.records import DocumentType

#: every built-in version of each type, oldest first; the last is the current one
BUILTIN_VERSIONS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.INVOICE: ("1", "2"),
    DocumentType.TICKET: ("1",),
    DocumentType.STATUS_REPORT: ("1",),
}

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


def current_version(document_type: DocumentType) -> str:
    """The version of ``document_type`` the extractors fill (its newest built-in one)."""
    return BUILTIN_VERSIONS[document_type][-1]


def schema_name(document_type: DocumentType) -> str:
    """The ``schemas`` row name of the built-in versions of ``document_type``."""
    return _FILE_STEMS[document_type]


def load_builtin_schema(document_type: DocumentType, version: str | None = None) -> dict[str, Any]:
    """A fresh copy of a built-in schema of ``document_type`` (default: the current one)."""
    version = version or current_version(document_type)
    if version not in BUILTIN_VERSIONS[document_type]:
        raise KeyError(f"no built-in {document_type.value} schema version {version}")
    schema: dict[str, Any] = json.loads(_schema_text(_FILE_STEMS[document_type], version))
    return schema


def load_builtin_schemas() -> dict[DocumentType, dict[str, Any]]:
    """Fresh copies of the built-in current-version schemas, one per document type."""
    return {doc_type: load_builtin_schema(doc_type) for doc_type in DocumentType}


def builtin_schema_rows() -> list[SchemaRow]:
    """Rows for seeding the ``schemas`` table: every built-in version, oldest first."""
    return [
        SchemaRow(_FILE_STEMS[doc_type], version, doc_type, load_builtin_schema(doc_type, version))
        for doc_type, versions in BUILTIN_VERSIONS.items()
        for version in versions
    ]


__all__ = [
    "BUILTIN_VERSIONS",
    "SchemaRow",
    "builtin_schema_rows",
    "current_version",
    "load_builtin_schema",
    "load_builtin_schemas",
    "schema_name",
]
