"""Settings are validated at start-up and refuse insecure production defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from myloware.errors import ConfigurationError
from myloware.settings import Environment, load_settings

STRONG = "x" * 48
KEY = "JmJ1TUNXSnZ4bEhBVmpwSm1mMXl5cGxrT0pqMjZlUzY="  # a Fernet key (32 bytes, base64)


def test_development_defaults_load() -> None:
    """Out of the box the settings load for development with the embedded services."""
    settings = load_settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.embedded


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({}, "MYLOWARE_JWT_SECRET"),
        ({"jwt_secret": "short"}, "MYLOWARE_JWT_SECRET"),
        ({"jwt_secret": STRONG, "secrets_key": KEY, "cors_origins": ["*"]}, "CORS"),
        ({"jwt_secret": STRONG}, "MYLOWARE_SECRETS_KEY"),
    ],
)
def test_production_refuses_insecure_values(overrides: dict[str, object], needle: str) -> None:
    """Production refuses the development secret, short secrets, wildcard CORS and a
    missing key for connector secrets."""
    with pytest.raises(ConfigurationError) as err:
        load_settings(env="production", **overrides)
    assert needle in err.value.message


def test_production_with_a_real_secret_loads() -> None:
    """A long random secret (and a secrets key) is accepted in production."""
    settings = load_settings(env="production", jwt_secret=STRONG, secrets_key=KEY)
    assert settings.env is Environment.PRODUCTION


def test_environment_variables_are_read_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """MYLOWARE_* variables configure the platform; invalid values give a readable error."""
    monkeypatch.setenv("MYLOWARE_API_PORT", "9123")
    assert load_settings().api_port == 9123
    monkeypatch.setenv("MYLOWARE_API_PORT", "not-a-port")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert "api_port" in err.value.message


def test_an_empty_model_key_means_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty ``MYLOWARE_OPENAI_API_KEY=`` line is no key: a chain that needs one refuses."""
    monkeypatch.setenv("MYLOWARE_OPENAI_API_KEY", "  ")
    monkeypatch.setenv("MYLOWARE_OPENAI_BASE_URL", "")
    settings = load_settings()
    assert settings.openai_api_key is None and settings.openai_base_url is None
    with pytest.raises(ConfigurationError) as err:
        load_settings(extractor="model", model_providers=["openai"])
    assert "MYLOWARE_OPENAI_API_KEY" in err.value.message


def test_a_copy_with_another_data_dir_uses_it(tmp_path: Path) -> None:
    """``model_copy(update={"data_dir": ...})`` moves every path under the new folder."""
    settings = load_settings()
    assert settings.data_path  # read once: nothing of it may stick to a copy
    moved = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    assert moved.data_path == (tmp_path / "elsewhere").resolve()
    assert moved.files_path == (tmp_path / "elsewhere" / "files").resolve()


def test_an_identity_provider_needs_its_client_id() -> None:
    """MYLOWARE_OIDC_ISSUER alone is refused with the setting it lacks; with it, it loads."""
    with pytest.raises(ConfigurationError, match="MYLOWARE_OIDC_CLIENT_ID"):
        load_settings(oidc_issuer="https://idp.example")
    loaded = load_settings(oidc_issuer="https://idp.example", oidc_client_id="myloware")
    assert loaded.oidc_groups_claim == "groups" and loaded.oidc_tenant == "default"


def test_links_point_at_the_public_url_else_the_api_url_else_host_and_port() -> None:
    """One answer for every link people open (Slack messages, set-password links)."""
    assert load_settings(api_host="10.0.0.5", api_port=9000).base_url == "http://10.0.0.5:9000"
    assert load_settings(api_url="http://api.local:8000/").base_url == "http://api.local:8000"
    both = load_settings(api_url="http://api.local:8000", public_url="https://mw.example/")
    assert both.base_url == "https://mw.example"
