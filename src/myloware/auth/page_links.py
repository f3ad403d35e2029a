"""Signed, expiring links to one page picture of a work item, for readers that cannot sign
in — Slack fetching a card's thumbnail from ``image_url``.

A link names the tenant, the item, the page and an expiry (Unix seconds) and carries
``HMAC-SHA256(key, "<tenant>:<item>:<page>:<expires>")``; the key is derived from the JWT
secret (:func:`link_key`), so rotating that secret revokes every link. Anyone holding a
link sees that one page until it expires, and nothing else: the route checks the signature
and the expiry before it reads anything.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from urllib.parse import urlencode

from pydantic import SecretStr

PATH = "/v1/page-links/{work_item_id}/{number}"
LINK_TTL_S = 7 * 24 * 3600  # a card is re-rendered (and re-signed) on every update


def link_key(jwt_secret: SecretStr) -> bytes:
    """The links' HMAC key: the JWT secret's, separated from its use for tokens."""
    return hashlib.sha256(b"myloware:page-link:" + jwt_secret.get_secret_value().encode()).digest()


def _signature(
    key: bytes, tenant_id: uuid.UUID, work_item_id: uuid.UUID, number: int, expires: int
) -> str:
    message = f"{tenant_id}:{work_item_id}:{number}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_page_path(
    key: bytes,
    *,
    tenant_id: uuid.UUID,
    work_item_id: uuid.UUID,
    number: int = 1,
    expires: int | None = None,
) -> str:
    """The path and query of a link to page ``number``, valid until ``expires``."""
    until = int(time.time()) + LINK_TTL_S if expires is None else expires
    query = {
        "tenant": str(tenant_id),
        "expires": str(until),
        "signature": _signature(key, tenant_id, work_item_id, number, until),
    }
    path = PATH.format(work_item_id=work_item_id, number=number)
    return f"{path}?{urlencode(query)}"


def link_is_valid(
    key: bytes,
    *,
    tenant_id: uuid.UUID,
    work_item_id: uuid.UUID,
    number: int,
    expires: int,
    signature: str,
    now: float | None = None,
) -> bool:
    """Whether the link was signed with ``key`` and has not expired."""
    if expires < (time.time() if now is None else now):
        return False
    expected = _signature(key, tenant_id, work_item_id, number, expires)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
