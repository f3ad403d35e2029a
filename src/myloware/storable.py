"""Text PostgreSQL can store: no NUL character, no lone UTF-16 surrogate.

PostgreSQL refuses ``\\u0000`` in ``text`` and ``jsonb`` (psycopg raises ``DataError``), and a
lone surrogate (``"\\ud800"`` is valid JSON) cannot be encoded as UTF-8 at all. Both would
surface as a 500 from deep inside a repository. So input is checked where it enters:

* :class:`StorableModel` — the base of every request model: any string in any field, at any
  depth of a dict or list (keys included), that PostgreSQL cannot store makes the model
  invalid, which the API answers with 422 naming the field;
* :func:`storable_text` — for values that are better cleaned than refused (a file name from
  an upload, a Slack share or an e-mail attachment).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FILENAME_DROP = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def unstorable(value: object) -> str | None:
    """Why ``value`` (a string, or dicts and lists of them) cannot be stored; None if it can."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        if found.group() == "\x00":
            return "text may not contain NUL characters (\\u0000)"
        return "text may not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key) or unstorable(item)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = unstorable(item)
            if problem:
                return problem
    return None


def storable_text(value: str) -> str:
    """``value`` without control characters (NUL included) and lone surrogates: for names."""
    return _FILENAME_DROP.sub("", value)


class StorableModel(BaseModel):
    """A request model whose strings PostgreSQL can store (else a validation error)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, BaseModel):  # a nested model checked itself
            return value
        problem = unstorable(value)
        if problem:
            raise ValueError(problem)
        return value
