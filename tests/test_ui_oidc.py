"""Sign-in through an OpenID Connect provider (a local one speaking the real protocol):
authorization code with PKCE, a verified ID token, approver groups and tenant from claims."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import AuditLog, UiSession
from myloware.settings import Settings
from myloware.ui.session import SESSION_COOKIE
from tests.auth_support import TokenFor
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.pipeline_support import AppClient, app_client
from tests.rows import read_rows
from tests.ui_support import serving


@dataclass
class Idp:
    provider: OidcProvider
    ui: AppClient


@pytest.fixture
async def idp(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[Idp]:
    """The provider on a real socket, and the app configured to use it."""
    provider = OidcProvider()
    async with serving(provider.app()) as base:
        provider.issuer = base
        configured = settings.model_copy(
            update={
                "oidc_issuer": base,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": SecretStr(CLIENT_SECRET),
                "oidc_tenant_claim": "org",
                "oidc_tenant": "acme",
                "oidc_display_name": "Acme SSO",
            }
        )
        async with app_client(
            configured,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as ui:
            yield Idp(provider, ui)


async def _round_trip(idp: Idp, next_path: str = "/ui/approvals") -> httpx.Response:
    """Start at the UI, follow the provider's redirect over HTTP, come back with the code."""
    start = await idp.ui.get("/ui/oidc/start", params={"next": next_path})
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/ui/oidc/callback"
    return await idp.ui.get(f"{back.path}?{back.query}")


async def test_a_person_signs_in_through_the_provider_with_their_groups(
    idp: Idp, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    """The login page offers the provider; the code comes back, PKCE and the client secret
    are checked by the provider, and the session carries the groups claim."""
    page = await idp.ui.get("/ui/login")
    assert "Sign in with Acme SSO" in page.text
    idp.provider.person = {"sub": "u-1", "email": "fiona@acme.test", "groups": ["finance"]}
    start = await idp.ui.get("/ui/oidc/start", params={"next": "/ui/approvals"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"]
    assert query["scope"] == ["openid email profile"]
    idp.ui.cookies.clear()

    done = await _round_trip(idp)
    assert done.status_code == 200 and "/ui/approvals" in done.text  # moves on from our page
    session = done.cookies[SESSION_COOKIE]
    assert idp.provider.token_requests[-1]["code_verifier"]
    idp.ui.cookies.clear()
    approvals = await idp.ui.get("/ui/approvals", headers={"Cookie": f"{SESSION_COOKIE}={session}"})
    assert approvals.status_code == 200 and "fiona@acme.test" in approvals.text
    [row] = await read_rows(database_url, UiSession)
    assert row.subject == "fiona@acme.test" and row.tenant_id == tenants["acme"]
    assert row.account_id is None


async def test_the_tenant_comes_from_its_claim(
    idp: Idp, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    """A person whose ``org`` claim names globex signs in to globex, one without it to acme
    (NULs in claims dropped); an unknown tenant is named in the refusal."""
    idp.provider.person = {"sub": "u-2", "org": "globex", "groups": "support"}
    assert (await _round_trip(idp)).status_code == 200
    [row] = await read_rows(database_url, UiSession)
    assert row.tenant_id == tenants["globex"]
    idp.ui.cookies.clear()
    idp.provider.person = {"sub": "u-\x00", "email": "nul\x00@acme.test", "groups": ["a\x00"]}
    assert (await _round_trip(idp)).status_code == 200  # what PostgreSQL cannot store: dropped
    subjects = await read_rows(database_url, UiSession.subject, tenant_id=tenants["acme"])
    assert subjects == ["nul@acme.test"]
    idp.ui.cookies.clear()
    idp.provider.person = {"sub": "u-3", "org": "initech"}
    refused = await _round_trip(idp)
    assert refused.status_code == 401 and "tenant &#39;initech&#39;" in refused.text


@pytest.mark.parametrize(
    ("tamper", "other_key"),
    [({"nonce": "replayed"}, False), ({"aud": "someone-else"}, False), ({}, True)],
)
async def test_a_forged_or_misdirected_id_token_is_refused(
    idp: Idp, database_url: str, tamper: dict[str, str], other_key: bool
) -> None:
    """Another nonce, another audience or a key the provider does not publish: no session."""
    idp.provider.person = {"sub": "u-4", "groups": ["finance"]}
    idp.provider.tamper = tamper
    if other_key:
        idp.provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    refused = await _round_trip(idp)
    assert refused.status_code == 401 and "ID token is not valid" in refused.text
    assert SESSION_COOKIE not in refused.cookies
    assert await read_rows(database_url, UiSession) == []


async def test_a_callback_without_its_flow_or_with_another_state_signs_nobody_in(
    idp: Idp, database_url: str
) -> None:
    """A code delivered to a browser that did not start the flow, a wrong state, or the
    provider's own refusal: the login page says so and nothing is stored."""
    idp.provider.person = {"sub": "u-5"}
    start = await idp.ui.get("/ui/oidc/start")
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(start.headers["location"])
    back = parse_qs(urlsplit(at_provider.headers["location"]).query)
    wrong_state = await idp.ui.get(
        "/ui/oidc/callback", params={"code": back["code"][0], "state": "guessed"}
    )
    assert wrong_state.status_code == 401 and "state does not match" in wrong_state.text
    idp.ui.cookies.clear()
    no_flow = await idp.ui.get(
        "/ui/oidc/callback", params={"code": back["code"][0], "state": back["state"][0]}
    )
    assert no_flow.status_code == 401 and "try again" in no_flow.text
    denied = await idp.ui.get(
        "/ui/oidc/callback", params={"error": "access_denied", "error_description": "no way"}
    )
    assert denied.status_code == 401 and "the identity provider said no way" in denied.text
    assert await read_rows(database_url, UiSession) == []


async def test_without_a_provider_the_oidc_pages_are_not_found(api: AppClient) -> None:
    """Unconfigured, the login page offers no provider and its routes answer 404."""
    assert "Sign in with" not in (await api.get("/ui/login")).text.replace(
        "Sign in with the token", ""
    )
    assert (await api.get("/ui/oidc/start")).status_code == 404
    assert (await api.get("/ui/oidc/callback", params={"code": "x"})).status_code == 404


async def test_an_admin_signs_a_provider_person_out_by_name(
    idp: Idp, token_for: TokenFor, database_url: str
) -> None:
    """No local account to sign out: the admin names the person; their session ends, the
    audit says who did it, and another tenant's admin cannot end it."""
    idp.provider.person = {"sub": "u-2", "email": "gil@acme.test", "groups": ["finance"]}
    idp.ui.cookies.clear()
    done = await _round_trip(idp)
    session = done.cookies[SESSION_COOKIE]
    idp.ui.cookies.clear()
    cookie = {"Cookie": f"{SESSION_COOKIE}={session}"}
    assert (await idp.ui.get("/ui/approvals", headers=cookie)).status_code == 200

    other = await idp.ui.post(
        "/v1/sessions/sign-out",
        json={"subject": "gil@acme.test"},
        headers=token_for("globex", "admin"),
    )
    assert other.json()["data"]["sessions_ended"] == 0  # not globex's person
    ended = await idp.ui.post(
        "/v1/sessions/sign-out",
        json={"subject": "gil@acme.test"},
        headers=token_for("acme", "admin"),
    )
    assert ended.status_code == 200 and ended.json()["data"]["sessions_ended"] == 1
    after = await idp.ui.get("/ui/approvals", headers=cookie)
    assert after.status_code in (302, 303) and "/ui/login" in after.headers["location"]
    assert await read_rows(database_url, UiSession) == []
    audit = await read_rows(database_url, AuditLog)
    assert [a.details["subject"] for a in audit if a.action == "ui.sign_out_subject"] == [
        "gil@acme.test",
        "gil@acme.test",
    ]


def test_a_wrong_capability_name_stops_the_app_at_start(settings: Settings) -> None:
    """A typo in MYLOWARE_OIDC_CAPABILITIES is refused when the API starts, naming the
    setting, instead of failing every provider sign-in with a 500."""
    from myloware.api.app import create_app
    from myloware.errors import ConfigurationError

    wrong = settings.model_copy(
        update={
            "oidc_issuer": "https://idp.example",
            "oidc_client_id": CLIENT_ID,
            "oidc_capabilities": ["approvals:decide", "work_order:read"],
        }
    )
    with pytest.raises(ConfigurationError, match=r"MYLOWARE_OIDC_CAPABILITIES.*work_order:read"):
        create_app(wrong, database_url="", redis_url="", temporal_address="")


async def test_members_of_a_group_get_its_capabilities(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tenants: dict[str, uuid.UUID]
) -> None:
    """MYLOWARE_OIDC_GROUP_CAPABILITIES adds a group's capabilities to everyone's; a wrong
    name in it stops the app at start, naming the group."""
    from myloware.api.app import create_app
    from myloware.errors import ConfigurationError
    from myloware.ui.oidc import principal_of

    configured = settings.model_copy(
        update={"oidc_tenant": "acme", "oidc_group_capabilities": {"it-admins": ["admin"]}}
    )
    async with sessions() as db:
        lead = await principal_of(configured, db, {"sub": "a", "groups": ["finance", "it-admins"]})
        clerk = await principal_of(configured, db, {"sub": "b", "groups": ["finance"]})
    assert lead.capabilities == {"work_orders:read", "approvals:decide", "admin"}
    assert lead.is_admin and lead.tenant_id == tenants["acme"]
    assert clerk.capabilities == {"work_orders:read", "approvals:decide"}
    assert not clerk.is_admin
    wrong = configured.model_copy(
        update={
            "oidc_issuer": "https://idp.example",
            "oidc_client_id": CLIENT_ID,
            "oidc_group_capabilities": {"ops": ["tenants:admin"]},  # not a tenant's to give
        }
    )
    with pytest.raises(ConfigurationError, match=r"GROUP_CAPABILITIES, group 'ops'.*tenants:admin"):
        create_app(wrong, database_url="", redis_url="", temporal_address="")
