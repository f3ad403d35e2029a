"""Extraction with a model (``model``) and the rules-then-model ``hybrid``.

The model is asked, through :class:`~myloware.models.ModelRouter`, for the canonical fields
of the document type as one JSON object following that type's canonical schema, every key
required and each allowed to be null (a field the document does not state is null; an
amount may also come as a JSON number — see :func:`model_schema`). Its values become
:class:`~myloware.records.FieldValue` s with a confidence that says how far they can be
trusted: a value found verbatim in the text gets its source span and
:data:`GROUNDED_CONFIDENCE`, any other :data:`MODEL_CONFIDENCE`. Nothing is trusted
unchecked: JsonRestyler normalises, SchemaGuard validates (schema and arithmetic) and the
Verifier re-reads the source, exactly as for the rules extractor.

Related memory (``examples``): the approved records of the tenant's most similar past
documents (:mod:`myloware.memory.related`) go into the prompt — only their
:data:`EXAMPLE_FIELDS` (who sent it, how it was routed) — as a guide to how names and fields
were read before, never as values: the model is told to take every value from the document,
and a value it copies from an example is not grounded in the text.

``hybrid`` runs the rules first and asks the model only when a field of the type's
:data:`KEY_FIELDS` is missing or below :data:`HYBRID_THRESHOLD`; the model's value replaces
only those fields.

A document that carries an e-invoice is never sent to a model in either mode: its
structured data is exact (see :mod:`myloware.extraction.einvoice`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from myloware.documents.model import LoadedDocument
from myloware.errors import ExtractionError
from myloware.extraction.detect import detect_type
from myloware.extraction.einvoice import EXTRACTOR_PREFIX as EINVOICE_EXTRACTOR
from myloware.extraction.extractor import extract
from myloware.extraction.language import detect_language
from myloware.models import ModelError, ModelReply, ModelRouter, Usage
from myloware.normalize.amounts import to_amount_string
from myloware.normalize.dates import find_dates, parse_date
from myloware.normalize.kinds import Kind, field_kinds
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema

log = structlog.get_logger(__name__)

MODEL_CONFIDENCE = 0.7
GROUNDED_CONFIDENCE = 0.85
HYBRID_THRESHOLD = 0.6
MAX_PROMPT_CHARS = 12_000
MAX_EXAMPLE_VALUE_CHARS = 200
KEY_FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.INVOICE: ("vendor_name", "invoice_date", "total_amount", "vendor_address"),
    DocumentType.TICKET: ("subject", "ticket_type", "queue", "priority"),
    DocumentType.STATUS_REPORT: ("project_name", "overall_status", "reporting_period_end"),
}
#: what a past approved record shows the model: how the sender and the routing were read —
#: no amounts, dates, line items or free text (less to leak, to inject, and to pay for)
EXAMPLE_FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.INVOICE: (
        "vendor_name", "vendor_address", "vendor_tax_id", "buyer_name", "currency",
        "tax_rate", "payment_terms",
    ),
    DocumentType.TICKET: ("ticket_type", "queue", "priority", "category", "language"),
    DocumentType.STATUS_REPORT: ("project_name", "author", "budget_status"),
}  # fmt: skip
SYSTEM = (
    "You extract fields from business documents for bookkeeping and support systems. Answer "
    "with one JSON object that follows the given schema. Use null for anything the document "
    "does not state; never guess. Copy names, numbers and addresses as printed; write dates as "
    "YYYY-MM-DD and amounts as plain decimal numbers without currency symbols."
)


Schema = dict[str, Any]


def model_schema(
    document_type: DocumentType, schema: Schema | None = None, only: Sequence[str] = ()
) -> dict[str, Any]:
    """The type's schema — ``schema`` (the version active in the ``schemas`` table) or the
    built-in canonical one — with every field required and each allowed to be null: the
    model answers each key, null where the document does not say (a grammar-constrained
    local model then cannot leave a field out — the small one left the vendor out of every
    receipt when it could); with ``only``, just those fields (``hybrid`` asks for what the
    rules missed: a short answer, which on a local model is most of the time saved)."""
    canonical = _usable(schema) or load_builtin_schema(document_type)
    properties = canonical["properties"]
    if only:
        properties = {name: properties[name] for name in only if name in properties}
    asked: dict[str, Any] = {
        "type": "object",
        "description": canonical.get("description", ""),
        "properties": {name: _nullable(spec) for name, spec in properties.items()},
        "required": list(properties),
        "additionalProperties": False,
    }
    if "$defs" in canonical:
        asked["$defs"] = canonical["$defs"]
    portable: dict[str, Any] = _for_the_grammar(asked)
    return portable


#: the longest free text the model may write for one value (see :func:`_for_the_grammar`)
MAX_ANSWER_CHARS = 300
#: the canonical schemas' amount types (a decimal string with two places)
_AMOUNTS = frozenset({"#/$defs/amount", "#/$defs/optional_amount"})


def _nullable(spec: Any) -> Any:
    """``spec`` that also accepts null (unchanged where it already does) — and, for an
    amount, a JSON number: offered only a quoted decimal or null, a small local model that
    wants to write a number writes null (the bundled one nulled every total);
    :func:`fields_from_reply` turns the number back into the decimal string."""
    if not isinstance(spec, dict):
        return spec
    described = {k: spec[k] for k in ("description", "title") if k in spec}
    if spec.get("$ref") in _AMOUNTS:
        options = [{"type": "number"}, {"$ref": "#/$defs/amount"}, {"type": "null"}]
        return {"anyOf": options, **described}
    kind = spec.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return spec
    if any({"type": "null"} in spec.get(key, []) for key in ("anyOf", "oneOf")):
        return spec
    return {"anyOf": [spec, {"type": "null"}], **described}


def _for_the_grammar(node: Any) -> Any:
    """``node`` as llama.cpp's grammar needs it, in one walk of the schema:

    * ``\\d`` in every ``pattern`` spelled ``[0-9]``: llama.cpp does not know ``\\d`` — it
      then accepts any string, and a small model asked for an amount wanders off
      ("crypto:0x000…") until the token limit;
    * a :data:`MAX_ANSWER_CHARS` limit on every free string (one without a length, pattern,
      format or enum of its own): every key must be answered, and the small local model
      asked for an address alone went on through the whole receipt (1,500 characters, a
      minute) — the grammar now closes the string in time."""
    if isinstance(node, list):
        return [_for_the_grammar(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: value.replace("\\d", "[0-9]")
        if key == "pattern" and isinstance(value, str)
        else _for_the_grammar(value)
        for key, value in node.items()
    }
    kind = node.get("type")
    is_text = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if is_text and not any(k in node for k in ("maxLength", "pattern", "format", "enum", "const")):
        out["maxLength"] = MAX_ANSWER_CHARS
    return out


Example = dict[str, Any]


def example_json(data: Example, document_type: DocumentType) -> str:
    """An approved record as compact JSON: only the type's :data:`EXAMPLE_FIELDS` that have
    a value, texts cut to :data:`MAX_EXAMPLE_VALUE_CHARS`, ``<`` ``>`` ``&`` escaped so no
    value can close the tags around it."""
    shown: dict[str, Any] = {}
    for name in EXAMPLE_FIELDS[document_type]:
        value = data.get(name)
        if value in (None, "", [], {}) or isinstance(value, dict | list):
            continue
        shown[name] = value[:MAX_EXAMPLE_VALUE_CHARS] if isinstance(value, str) else value
    text = json.dumps(shown, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def prompt_for(
    doc: LoadedDocument, document_type: DocumentType, examples: Sequence[Example] = ()
) -> str:
    text = doc.text[:MAX_PROMPT_CHARS]
    cut = "" if len(doc.text) <= MAX_PROMPT_CHARS else "\n[… the rest of the document is cut]"
    shown = "".join(f"<record>{example_json(e, document_type)}</record>\n" for e in examples)
    guide = (
        "Records approved earlier for similar documents — a guide to how names and fields "
        "were read, never a source of values: take every value from the document below.\n"
        f"{shown}\n"
        if shown
        else ""
    )
    return f"Document type: {document_type.value}\n\n{guide}<document>\n{text}{cut}\n</document>"


def _span(text: str, value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    needle = str(value).strip()
    if len(needle) < 2:
        return None
    # whole tokens only: "10" is not grounded by the "10" inside "10115"
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(part) for part in needle.split()) + r"(?!\w)"
    found = re.search(pattern, text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def _printed_date(text: str, value: Any) -> tuple[int, int] | None:
    """Where ``text`` prints the date ``value`` is (in any format), or None."""
    wanted = parse_date(str(value))
    if wanted is None:
        return None
    found = next((d for d in find_dates(text) if d.value == wanted), None)
    return (found.start, found.end) if found else None


def _usable(schema: Schema | None) -> Schema | None:
    """A stored schema the model can be asked for: a JSON Schema with ``properties``."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return schema
    return None


def fields_from_reply(
    data: dict[str, Any],
    doc: LoadedDocument,
    document_type: DocumentType,
    schema: Schema | None = None,
) -> dict[str, FieldValue]:
    """The model's answer as canonical fields (unknown keys and empty values dropped).

    A date must be printed to be read: a date the model gives that no date in the text
    equals (whatever its format) is invented — "never guess" is not always obeyed by a small
    model — and is dropped, so the field stays missing and the reviewer sees it."""
    known = (_usable(schema) or load_builtin_schema(document_type))["properties"]
    kinds = field_kinds(document_type)
    fields: dict[str, FieldValue] = {}
    for name, value in data.items():
        if name not in known or value is None or value == "" or value == []:
            continue
        if name in kinds and kinds[name].kind is Kind.AMOUNT and not isinstance(value, str):
            value = to_amount_string(value) or value  # a number, as :func:`_nullable` allows
        span = _span(doc.text, value)
        if span is None and name in kinds and kinds[name].kind is Kind.DATE:
            span = _printed_date(doc.text, value)
            if span is None:
                log.info("model_date_not_in_document", field=name)
                continue
        fields[name] = FieldValue(
            value=value,
            confidence=GROUNDED_CONFIDENCE if span else MODEL_CONFIDENCE,
            span=span,
            raw=doc.text[span[0] : span[1]] if span else None,
        )
    return fields


async def ask(
    router: ModelRouter,
    doc: LoadedDocument,
    document_type: DocumentType,
    schema: Schema | None = None,
    examples: Sequence[Example] = (),
    only: Sequence[str] = (),
) -> ModelReply:
    """One structured-output call for the fields of ``document_type`` (of ``schema``, the
    active version, when given; only the fields ``only`` names, when given)."""
    return await router.complete_json(
        system=SYSTEM,
        prompt=prompt_for(doc, document_type, examples),
        schema=model_schema(document_type, schema, only),
        schema_name=f"{document_type.value.lower()}_record",
    )


async def extract_with_model(
    doc: LoadedDocument,
    document_type: DocumentType | None,
    router: ModelRouter,
    schema: Schema | None = None,
    examples: Sequence[Example] = (),
) -> tuple[CanonicalRecord, Usage]:
    """Every field from the model. Raises :class:`ModelError` when no provider answered."""
    if not doc.text.strip():
        raise ExtractionError(
            "the document has no text to extract from", details={"name": doc.name}
        )
    if document_type is None:
        document_type, _ = detect_type(doc)
    reply = await ask(router, doc, document_type, schema, examples)
    record = CanonicalRecord(
        document_type=document_type,
        fields=fields_from_reply(reply.data, doc, document_type, schema),
        extractor=f"model:{reply.provider}",
        language=detect_language(doc.text),
    )
    return record, reply.usage


async def extract_model_or_rules(
    doc: LoadedDocument,
    document_type: DocumentType | None,
    router: ModelRouter,
    schema: Schema | None = None,
    examples: Sequence[Example] = (),
) -> tuple[CanonicalRecord, Usage]:
    """The ``model`` mode of the pipeline: the chain ends with the offline extractor.

    An INVOICE that carries an e-invoice is read from it, with no model call."""
    if doc.einvoice is not None and document_type in (None, DocumentType.INVOICE):
        return extract(doc, document_type), Usage()
    try:
        return await extract_with_model(doc, document_type, router, schema, examples)
    except ModelError as exc:
        log.warning("model_extraction_fell_back_to_rules", error=str(exc))
        record = extract(doc, document_type)
        fallback = record.model_copy(update={"extractor": "rules (fallback: no model answered)"})
        return fallback, exc.usage


#: per document type, the key fields measured on the dev sets: whether the model may fill
#: them (``ask``) and the evidence (``model_fields.json``, docs/models.md)
MODEL_FIELDS_FILE = Path(__file__).with_name("model_fields.json")


@functools.cache
def model_fields() -> dict[str, dict[str, Any]]:
    data: dict[str, Any] = json.loads(MODEL_FIELDS_FILE.read_text("utf-8"))
    return {name: fields for name, fields in data.items() if name != "about"}


def model_asked(document_type: DocumentType, name: str) -> bool:
    """Whether ``hybrid`` asks the model for this key field: where the model measured better
    than the rules on the dev sets, or where it was not measured yet."""
    measured = model_fields().get(document_type.value, {}).get(name)
    return measured is None or bool(measured["ask"])


def needs_model(record: CanonicalRecord) -> list[str]:
    """The key fields the rules left missing or unsure and the model reads better (none for
    an e-invoice's record)."""
    if record.extractor.startswith(EINVOICE_EXTRACTOR):
        return []
    return [
        name
        for name in KEY_FIELDS[record.document_type]
        if ((fv := record.fields.get(name)) is None or fv.confidence < HYBRID_THRESHOLD)
        and model_asked(record.document_type, name)
    ]


def model_supplied(record: CanonicalRecord, rules: CanonicalRecord | None = None) -> list[str]:
    """The fields whose value a model gave: every field of a ``model:`` or ``agent:`` record;
    for a ``hybrid:`` one, those that differ from the rules' record; none where the rules
    stand."""
    if record.extractor.startswith(("model:", "agent:")):
        return sorted(record.fields)
    if rules is None or not record.extractor.startswith("hybrid:"):
        return []
    if record.extractor.startswith("hybrid:rules"):  # no model answered
        return []
    return sorted(name for name, fv in record.fields.items() if rules.fields.get(name) != fv)


async def extract_hybrid(
    doc: LoadedDocument,
    document_type: DocumentType | None,
    router: ModelRouter,
    schema: Schema | None = None,
    rules: CanonicalRecord | None = None,
    examples: Sequence[Example] = (),
) -> tuple[CanonicalRecord, Usage]:
    """Rules first (``rules``: their record, when already made); the model only for what
    they could not read. Never fails for the model: when no provider answers, the rules'
    record stands (its ``extractor`` says so)."""
    record = rules or extract(doc, document_type)
    missing = needs_model(record)
    if not missing:
        return record, Usage()
    try:
        reply = await ask(router, doc, record.document_type, schema, examples, only=missing)
    except ModelError as exc:
        log.warning("hybrid_extraction_without_model", error=str(exc))
        return record.model_copy(
            update={"extractor": "hybrid:rules (model unavailable)"}
        ), exc.usage
    answered = fields_from_reply(reply.data, doc, record.document_type, schema)
    fields = dict(record.fields)
    for name in missing:
        if name in answered:
            fields[name] = answered[name]
    merged = record.model_copy(update={"fields": fields, "extractor": f"hybrid:{reply.provider}"})
    return merged, reply.usage
