"""Connector secrets sealed at rest: webhook signing secrets, Slack bot tokens and signing
secrets are stored encrypted in ``connectors.config``.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under ``MYLOWARE_SECRETS_KEY``
(one or more comma-separated keys: the first seals, every one opens, so keys rotate by
prepending a new one). Outside production, without a key, one is derived from the JWT secret
so development needs no setup. The column type :class:`SealedJSON` seals the secret fields
when a row is written and opens them when it is read, so no caller handles ciphertext; a
value written before sealing existed (plain text) is read as it is and sealed when the row is
next written (``myloware migrate`` with ``MYLOWARE_SECRETS_KEY`` set reseals every connector).

The key is configured once per process from its settings (:func:`configure`, called where the
API, the relay and ``myloware up`` start). A process that was not configured refuses to seal
or open rather than fall back to a development key.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from myloware.errors import ConfigurationError
from myloware.settings import Environment, Settings

PREFIX = "enc:v1:"
SEALED_FIELDS = frozenset({"secret", "bot_token", "signing_secret", "app_token"})

_box: MultiFernet | None = None
_explicit = False  # the key came from MYLOWARE_SECRETS_KEY, not derived for development


def keys_for(settings: Settings) -> list[bytes]:
    """The Fernet keys ``settings`` give (the first one seals)."""
    if settings.secrets_key is not None:
        raw = [k.strip() for k in settings.secrets_key.get_secret_value().split(",")]
        keys = [k.encode() for k in raw if k]
        for key in keys:
            try:
                Fernet(key)
            except ValueError:
                raise ConfigurationError(
                    "MYLOWARE_SECRETS_KEY must be Fernet keys (32 url-safe base64 bytes, e.g. "
                    'from `python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"`), comma-separated'
                ) from None
        if keys:
            return keys
    if settings.env is Environment.PRODUCTION:
        raise ConfigurationError("MYLOWARE_SECRETS_KEY must be set in production")
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"myloware connector secrets"
    ).derive(settings.jwt_secret.get_secret_value().encode())
    return [base64.urlsafe_b64encode(derived)]


def configure(settings: Settings) -> None:
    """Use ``settings``' keys in this process from now on."""
    global _box, _explicit
    _box = MultiFernet([Fernet(k) for k in keys_for(settings)])
    _explicit = settings.secrets_key is not None


def configured() -> bool:
    return _box is not None


def explicitly_keyed() -> bool:
    """Whether the key was given (``MYLOWARE_SECRETS_KEY``): only then are stored rows
    resealed in bulk, so a development key never seals a production database's secrets."""
    return _box is not None and _explicit


def _current() -> MultiFernet:
    if _box is None:
        raise ConfigurationError("connector secrets: no key configured in this process")
    return _box


def seal(value: str) -> str:
    """Always encrypts: what callers hold is plain text (rows are opened when read), even a
    secret that happens to start with the prefix."""
    return PREFIX + _current().encrypt(value.encode()).decode()


def unseal(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # stored before sealing existed
    try:
        return _current().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ConfigurationError(
            "a stored connector secret cannot be opened with MYLOWARE_SECRETS_KEY (was the key "
            "changed? keep the old key after the new one until `myloware migrate` resealed)"
        ) from None


def _map(config: Any, fn: Any) -> Any:
    if not isinstance(config, dict):
        return config
    return {
        k: fn(v) if k in SEALED_FIELDS and isinstance(v, str) and v else v
        for k, v in config.items()
    }


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """JSONB whose top-level secret fields (``SEALED_FIELDS``) are sealed at rest."""

    impl = JSONB
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _map(value, seal)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return _map(value, unseal)
