"""What a UI session holds for each way of signing in, and how it is checked again.

A session (:mod:`myloware.ui.session`) keeps one sealed credential:

* a pasted JWT or API key, as is (the developers' sign-in);
* ``account:<id>`` for a local account signed in with its password: every request reads the
  account again, so disabling it (or a new password, which deletes its sessions) ends the
  sign-in at once;
* ``oidc:<json>`` for a person an identity provider vouched for: the subject, tenant,
  capabilities and approver groups read from the ID token at sign-in. It is sealed with
  ``MYLOWARE_SECRETS_KEY``, so nobody can write one; the tenant is checked on every request.

Only the sign-in routes make the last two (a pasted ``account:…`` is not a credential).
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal, parse_capabilities
from myloware.errors import AuthError
from myloware.services.accounts import account_principal
from myloware.ui.session import authenticate
from myloware.web.deps import check_tenant
from myloware.web.state import AppState

ACCOUNT_PREFIX = "account:"
OIDC_PREFIX = "oidc:"


def account_credential(account_id: uuid.UUID) -> str:
    return f"{ACCOUNT_PREFIX}{account_id}"


def oidc_credential(principal: Principal) -> str:
    return OIDC_PREFIX + json.dumps(
        {
            "sub": principal.subject,
            "tenant": str(principal.tenant_id),
            "caps": sorted(principal.capabilities),
            "groups": sorted(principal.groups),
        }
    )


def _oidc_principal(payload: str) -> Principal:
    try:
        claims = json.loads(payload)
        return Principal(
            subject=str(claims["sub"]),
            tenant_id=uuid.UUID(str(claims["tenant"])),
            capabilities=parse_capabilities(list(claims["caps"])),
            kind="oidc",
            groups=frozenset(str(g) for g in claims["groups"]),
        )
    except (ValueError, KeyError, TypeError):
        raise AuthError("the sign-in is damaged; sign in again") from None


async def session_principal(state: AppState, db: AsyncSession, credential: str) -> Principal:
    """The principal of a session's stored credential, checked again; AuthError else."""
    if credential.startswith(ACCOUNT_PREFIX):
        try:
            account_id = uuid.UUID(credential.removeprefix(ACCOUNT_PREFIX))
        except ValueError:
            raise AuthError("the sign-in is damaged; sign in again") from None
        return await check_tenant(state, db, await account_principal(db, account_id))
    if credential.startswith(OIDC_PREFIX):
        principal = _oidc_principal(credential.removeprefix(OIDC_PREFIX))
        return await check_tenant(state, db, principal)
    return await authenticate(state, db, credential)
