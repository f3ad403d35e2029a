"""Reading policy documents (YAML or JSON) into :class:`Policy`, and the shipped default.

Syntax errors, duplicate keys and invalid content all raise
:class:`~myloware.errors.ValidationFailed` with a readable message (and the list of problems
in ``details["errors"]``); a file that cannot be read raises
:class:`~myloware.errors.ConfigurationError`.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from myloware.errors import ConfigurationError, ValidationFailed
from myloware.policy._errors import invalid_policy
from myloware.policy._model import Policy

PolicyFormat = Literal["yaml", "json"]


def _duplicate_key(node: Any) -> Any:
    """The first key node written twice in one mapping anywhere under ``node``, or None."""
    stack, visited = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in visited:  # an alias of a node already checked
            continue
        visited.add(id(current))
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        return key
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def load_policy(text: str, *, fmt: PolicyFormat = "yaml") -> Policy:
    """Parse and validate a policy document written in YAML (default) or JSON."""
    return policy_from_dict(_parse(text, fmt))


def load_policy_file(path: str | os.PathLike[str]) -> Policy:
    """Read a policy file; ``.json`` files are JSON, anything else YAML."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read policy file {file}: {exc}") from exc
    fmt: PolicyFormat = "json" if file.suffix.lower() == ".json" else "yaml"
    return load_policy(text, fmt=fmt)


def policy_from_dict(data: Any) -> Policy:
    """Validate already-parsed policy data (e.g. a stored JSON column)."""
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise ValidationFailed(f"a policy document must be a mapping at the top level, got {kind}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise invalid_policy(exc, data) from None


def default_policy() -> Policy:
    """The shipped default policy (``myloware/policy/default.yaml``), a fresh copy."""
    return _default().model_copy(deep=True)


@cache
def _default() -> Policy:
    text = resources.files("myloware.policy").joinpath("default.yaml").read_text("utf-8")
    return load_policy(text)


def _parse(text: str, fmt: PolicyFormat) -> Any:
    if fmt == "yaml":
        try:
            duplicate = _duplicate_key(yaml.compose(text, Loader=yaml.SafeLoader))
            if duplicate is not None:
                mark = duplicate.start_mark
                raise ValidationFailed(
                    f"policy document is not valid YAML: duplicate key {duplicate.value!r} "
                    f"at line {mark.line + 1}, column {mark.column + 1}"
                )
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationFailed(f"policy document is not valid YAML: {exc}") from None
    if fmt == "json":
        try:
            return json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"policy document is not valid JSON: {exc}") from None
    raise ValidationFailed(f"unknown policy format {fmt!r}; use 'yaml' or 'json'")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise ValidationFailed(f"policy document is not valid JSON: duplicate key {key!r}")
        mapping[key] = value
    return mapping
