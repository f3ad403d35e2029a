"""The canonical form of a policy: a plain dict (every default written out, durations as
shorthand, decimals without trailing zeros) and a sha256 digest of its sorted, compact JSON.

Two documents that mean the same thing have the same digest however they were written
(YAML or JSON, ``"PT4H"`` or ``"4h"``, defaults spelled out or left implicit); any change of
meaning changes it, so callers can notice a document edited without a new version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from myloware.policy._model import Policy


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The policy as plain JSON-compatible data that :func:`load_policy` reads back."""
    return policy.model_dump(mode="json")


def policy_digest(policy: Policy) -> str:
    """The hex sha256 of the policy's canonical JSON (64 characters)."""
    text = json.dumps(
        policy_to_dict(policy), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
