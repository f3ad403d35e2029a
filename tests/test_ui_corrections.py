"""The decision panel's correction form: every schema field offered, line-item rows read
back as one correction only when they changed (pure functions, no services)."""

from __future__ import annotations

import json

from starlette.datastructures import FormData, UploadFile

from myloware.records import DocumentType
from myloware.schemas import load_builtin_schema
from myloware.ui.corrections import correction_form, corrections_from_form

INVOICE = load_builtin_schema(DocumentType.INVOICE)


def test_every_schema_field_is_offered_missing_required_ones_first() -> None:
    """An invoice read without its total still offers total_amount (first, as required),
    every other property, and its line items as rows with their columns."""
    form = correction_form(INVOICE, {"vendor_name": "Globex", "invoice_number": "GX-1"})
    names = [f.name for f in form.scalars]
    assert names[0] == "total_amount" and form.scalars[0].required
    assert set(names) | {"line_items"} == set(INVOICE["properties"])
    [table] = form.tables
    assert table.name == "line_items" and table.rows == []
    assert table.columns == ["description", "quantity", "unit_price", "amount", "tax_rate"]
    assert table.required_columns == {"description", "amount"}


def test_the_fields_accounts_payable_pays_by_are_offered_with_their_format() -> None:
    """INVOICE version 2's buyer VAT id, IBAN and BIC are form inputs; IBAN and BIC say how
    to write them."""
    form = correction_form(INVOICE, {"iban": "DE89370400440532013000"})
    by_name = {f.name: f for f in form.scalars}
    assert {"buyer_tax_id", "iban", "bic", "po_number", "payment_terms"} <= set(by_name)
    assert by_name["iban"].value == "DE89370400440532013000"
    assert "no spaces" in by_name["iban"].hint and "8 or 11" in by_name["bic"].hint


def _form(shown: list[dict[str, str]], **inputs: str) -> FormData:
    pairs: list[tuple[str, str | UploadFile]] = [
        ("row.line_items.shown", json.dumps(shown, sort_keys=True))
    ]
    pairs += [(key.replace("__", "."), value) for key, value in inputs.items()]
    return FormData(list(pairs))


ROW = {"description": "Desk", "quantity": "1", "unit_price": "", "amount": "120.00"}


def test_unchanged_rows_and_blank_inputs_correct_nothing() -> None:
    form = _form(
        [ROW],
        fix__invoice_date="  ",
        row__line_items__0__description="Desk",
        row__line_items__0__quantity="1",
        row__line_items__0__unit_price="",
        row__line_items__0__amount="120.00",
        row__line_items__1__description="",
        row__line_items__1__amount="",
    )
    assert corrections_from_form(form) == {}


def test_rows_edited_added_and_removed_become_the_whole_new_list() -> None:
    """Row 0 removed, row 1 edited, a new row added: one correction, blank cells left out."""
    shown = [ROW, {**ROW, "description": "Chair", "amount": "80.00"}]
    form = _form(
        shown,
        fix__total_amount="230.00",
        row__line_items__0__description="Desk",
        row__line_items__0__amount="120.00",
        row__line_items__0__remove="1",
        row__line_items__1__description="Chair",
        row__line_items__1__amount="90.00",
        row__line_items__2__description="Lamp",
        row__line_items__2__quantity="2",
        row__line_items__2__amount="140.00",
        row__line_items__3__description="",
    )
    assert corrections_from_form(form) == {
        "total_amount": "230.00",
        "line_items": [
            {"description": "Chair", "amount": "90.00"},
            {"description": "Lamp", "quantity": "2", "amount": "140.00"},
        ],
    }


def test_removing_every_row_clears_the_line_items() -> None:
    form = _form(
        [ROW],
        row__line_items__0__description="Desk",
        row__line_items__0__amount="120.00",
        row__line_items__0__remove="1",
    )
    assert corrections_from_form(form) == {"line_items": []}
