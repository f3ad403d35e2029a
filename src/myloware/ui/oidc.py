"""Sign-in through an OpenID Connect identity provider: authorization code flow with PKCE.

Authlib's OAuth 2 client builds the authorization URL (``state``, ``nonce``, an S256 code
challenge) and redeems the code at the token endpoint (client secret in the Basic header,
or none for a public client); joserfc (Authlib's JOSE library) verifies the ID token
against the provider's published keys: signature, issuer, audience, expiry and nonce. The
provider's discovery document and keys are read at each sign-in (two small requests, so a
rotated key is never stale).

What the ID token says becomes the person's principal: the subject (``email``, else
``sub``), the approver groups in ``MYLOWARE_OIDC_GROUPS_CLAIM`` (a list, or one string),
the tenant (a slug or id) in ``MYLOWARE_OIDC_TENANT_CLAIM``, else ``MYLOWARE_OIDC_TENANT``,
and the capabilities ``MYLOWARE_OIDC_CAPABILITIES``.

The flow's secrets (state, nonce, code verifier, where to go afterwards) wait in a sealed,
HttpOnly cookie scoped to ``/ui/oidc`` for ten minutes; ``SameSite=Lax``, because the
provider's redirect back is a navigation from another site.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from myloware import secretbox
from myloware.auth.principal import TENANT_CAPABILITIES, Principal, parse_capabilities
from myloware.errors import AuthError, ConfigurationError, NotFoundError
from myloware.services.tenants import get_tenant
from myloware.settings import Settings

try:  # Authlib's client runs on httpx2 where it is installed, else on httpx
    import httpx2

    _HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover - depends on the environment
    _HTTP_ERRORS = (httpx.HTTPError,)

FLOW_COOKIE = "mlw_oidc_flow"
FLOW_COOKIE_PATH = "/ui/oidc"
FLOW_TTL_SECONDS = 600
TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Flow:
    """One sign-in under way: what the callback must see again."""

    state: str
    nonce: str
    code_verifier: str
    next_path: str

    def seal(self) -> str:
        return secretbox.seal(
            json.dumps([self.state, self.nonce, self.code_verifier, self.next_path])
        )

    @classmethod
    def unseal(cls, sealed: str | None) -> Flow:
        try:
            state, nonce, verifier, next_path = json.loads(secretbox.unseal(sealed or ""))
            return cls(str(state), str(nonce), str(verifier), str(next_path))
        except (ConfigurationError, ValueError, TypeError):
            raise AuthError(
                "the sign-in took too long or was started elsewhere; try again"
            ) from None


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    secret = settings.oidc_client_secret
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_S,
    )


async def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            answer = await client.get(url)
        answer.raise_for_status()
        document = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise AuthError(f"the identity provider's {what} could not be read ({exc})") from None
    if not isinstance(document, dict):
        raise AuthError(f"the identity provider's {what} is not a JSON object")
    return document


async def _discover(settings: Settings) -> dict[str, Any]:
    issuer = str(settings.oidc_issuer).rstrip("/")
    meta = await _get_json(f"{issuer}/.well-known/openid-configuration", "discovery")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not isinstance(meta.get(k), str)]
    if missing:
        raise AuthError(f"the identity provider's discovery document lacks {missing}")
    return meta


async def begin(settings: Settings, redirect_uri: str, next_path: str) -> tuple[str, Flow]:
    """The provider's authorization URL to send the browser to, and the flow to keep."""
    flow = Flow(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
        next_path=next_path,
    )
    meta = await _discover(settings)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"],
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
        )
    return url, flow


async def finish(
    settings: Settings, redirect_uri: str, flow: Flow, *, state: str, code: str
) -> dict[str, Any]:
    """Redeem ``code`` and return the verified ID token's claims; AuthError otherwise."""
    if not state or not hmac.compare_digest(state, flow.state):
        raise AuthError("the sign-in's state does not match; start again")
    meta = await _discover(settings)
    async with _client(settings, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=flow.code_verifier
            )
        except (OAuth2Error, OAuthError, *_HTTP_ERRORS, ValueError) as exc:
            raise AuthError(f"the identity provider refused the sign-in ({exc})") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise AuthError("the identity provider sent no ID token")
    keys = await _get_json(meta["jwks_uri"], "keys")
    return _verified_claims(settings, meta["issuer"], id_token, keys, flow.nonce)


def _verified_claims(
    settings: Settings, issuer: str, id_token: str, keys: dict[str, Any], nonce: str
) -> dict[str, Any]:
    try:
        decoded = jwt.decode(id_token, KeySet.import_key_set(keys))  # type: ignore[arg-type]
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": str(settings.oidc_client_id)},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise AuthError(f"the identity provider's ID token is not valid ({exc})") from None
    return dict(decoded.claims)


def _text(value: object) -> str:
    """A claim's value as text PostgreSQL can store (no NUL)."""
    return str(value).replace("\x00", "").strip()


def _groups(claims: dict[str, Any], claim: str) -> frozenset[str]:
    value = claims.get(claim, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return frozenset()
    return frozenset(_text(g)[:64] for g in value if _text(g))


async def principal_of(settings: Settings, db: AsyncSession, claims: dict[str, Any]) -> Principal:
    """The person the ID token names, in the tenant it maps to; AuthError when that tenant
    does not exist."""
    claim = settings.oidc_tenant_claim
    tenant = _text(claims.get(claim) or "") if claim else ""
    tenant = tenant or settings.oidc_tenant
    try:
        tenant_id: uuid.UUID = (await get_tenant(db, tenant=tenant)).id
    except NotFoundError:
        raise AuthError(f"your sign-in maps to tenant '{tenant}', which does not exist") from None
    groups = _groups(claims, settings.oidc_groups_claim)
    caps = oidc_capabilities(settings, groups)
    email = claims.get("email")
    subject = _text(email) if isinstance(email, str) and _text(email) else _text(claims["sub"])
    return Principal(
        subject=subject[:255],
        tenant_id=tenant_id,
        capabilities=caps,
        kind="oidc",
        groups=groups,
    )


def oidc_capabilities(settings: Settings, groups: frozenset[str] = frozenset()) -> frozenset[str]:
    """The capabilities a provider's sign-in by a member of ``groups`` gets: everyone's
    (``MYLOWARE_OIDC_CAPABILITIES``) and their groups' (``MYLOWARE_OIDC_GROUP_CAPABILITIES``).
    A wrong name is a ConfigurationError naming the setting: ``create_app`` checks every
    group at start-up, so a typo stops the API instead of turning sign-ins into a 500."""
    try:
        caps = parse_capabilities(settings.oidc_capabilities, known=TENANT_CAPABILITIES)
    except ValueError as exc:
        raise ConfigurationError(f"MYLOWARE_OIDC_CAPABILITIES: {exc}") from None
    for group, extra in settings.oidc_group_capabilities.items():
        try:
            granted = parse_capabilities(extra, known=TENANT_CAPABILITIES)
        except ValueError as exc:
            raise ConfigurationError(
                f"MYLOWARE_OIDC_GROUP_CAPABILITIES, group {group!r}: {exc}"
            ) from None
        if group in groups:
            caps |= granted
    return caps
