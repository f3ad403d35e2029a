"""JWT bearer tokens (PyJWT) and API keys (random secrets stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import jwt
from cachetools import TTLCache

from myloware.auth.principal import Principal, parse_capabilities
from myloware.errors import AuthError
from myloware.settings import Settings

API_KEY_PREFIX = "mlw_"


def issue_token(
    settings: Settings,
    *,
    tenant_id: uuid.UUID,
    capabilities: list[str] | tuple[str, ...],
    subject: str,
    ttl_seconds: int | None = None,
    groups: list[str] | tuple[str, ...] = (),
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "tenant": str(tenant_id),
        "caps": sorted(parse_capabilities(capabilities)),
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + (ttl_seconds if ttl_seconds is not None else settings.jwt_ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    if groups:
        claims["groups"] = sorted(set(groups))
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), settings.jwt_algorithm)


def decode_token(settings: Settings, token: str) -> Principal:
    """Verify signature, expiry and issuer; translate every PyJWT error into AuthError."""
    return _decode(settings, token)[0]


def _decode(settings: Settings, token: str) -> tuple[Principal, float]:
    """The token's principal and its expiry (Unix seconds); AuthError when it is not valid."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "tenant", "caps"]},
        )
        principal = Principal(
            subject=str(claims["sub"]),
            tenant_id=uuid.UUID(str(claims["tenant"])),
            capabilities=parse_capabilities(list(claims["caps"])),
            kind="jwt",
            groups=frozenset(str(g) for g in claims.get("groups", [])),
        )
        return principal, float(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    except (ValueError, TypeError):
        raise AuthError("invalid token: malformed claims") from None


class VerifiedTokens:
    """Tokens this process has verified, with their principals, so that a client sending the
    same token again is not verified again (PyJWT's decode was about a tenth of a read's CPU).

    A token's claims cannot change, so a hit answers what :func:`decode_token` would: each
    entry is kept for at most ``ttl_s`` and never past the token's ``exp`` (then the token
    is decoded again, which refuses it). Only valid tokens are kept; the tenant's status is
    checked on every request after this, as before."""

    def __init__(self, settings: Settings, *, maxsize: int = 10_000, ttl_s: float = 300) -> None:
        self.settings = settings
        self._known: TTLCache[str, tuple[Principal, float]] = TTLCache(maxsize, ttl_s)

    def principal(self, token: str) -> Principal:
        """The token's principal; AuthError when it is invalid or expired."""
        known = self._known.get(token)
        if known is None or time.time() >= known[1]:
            known = self._known[token] = _decode(self.settings, token)
        return known[0]


def new_api_key() -> tuple[str, str, str]:
    """Return (key, prefix, sha256) for a fresh key; only prefix and hash are stored."""
    secret = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}{secret}"
    return key, key[: len(API_KEY_PREFIX) + 8], hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
