"""Temporal TLS, mutual TLS and API-key settings become ``Client.connect``'s arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.service import TLSConfig

from myloware.errors import ConfigurationError
from myloware.settings import Settings
from myloware.temporal_client import api_key_for, connect, tls_config_for


def settings_with(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings'


def pem(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + body + b"\n-----END CERTIFICATE-----\n")
    return path


def test_no_tls_settings_mean_plain_grpc() -> None:
    """The default (the embedded dev server): no TLS and no API key."""
    settings = settings_with()
    assert tls_config_for(settings) is False
    assert api_key_for(settings) is None


def test_empty_values_mean_unset() -> None:
    """Empty variables (a .env line or a Helm value left blank) are not paths or keys."""
    settings = settings_with(
        temporal_tls_ca_cert="", temporal_tls_server_name=" ", temporal_api_key=""
    )
    assert tls_config_for(settings) is False
    assert api_key_for(settings) is None


def test_tls_on_alone_uses_the_system_roots() -> None:
    assert tls_config_for(settings_with(temporal_tls=True)) is True


def test_an_api_key_is_sent_and_implies_tls() -> None:
    """Temporal Cloud's API keys travel over TLS only; the key is handed over unmasked."""
    settings = settings_with(temporal_api_key="tcld-key-123")
    assert api_key_for(settings) == "tcld-key-123"
    assert tls_config_for(settings) is True
    assert "tcld-key-123" not in repr(settings)


def test_ca_client_cert_key_and_server_name_make_a_mutual_tls_config(tmp_path: Path) -> None:
    """The files' bytes and the server name reach TLSConfig's fields."""
    ca = pem(tmp_path, "ca.pem", b"CA")
    cert = pem(tmp_path, "client.pem", b"CLIENT")
    key = tmp_path / "client.key"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n")
    settings = settings_with(
        temporal_tls_ca_cert=ca,
        temporal_tls_client_cert=cert,
        temporal_tls_client_key=key,
        temporal_tls_server_name="temporal.internal",
    )
    config = tls_config_for(settings)
    assert isinstance(config, TLSConfig)
    assert config.server_root_ca_cert == ca.read_bytes()
    assert config.client_cert == cert.read_bytes()
    assert config.client_private_key == key.read_bytes()
    assert config.domain == "temporal.internal"


def test_a_ca_alone_gives_server_only_tls(tmp_path: Path) -> None:
    ca = pem(tmp_path, "ca.pem", b"CA")
    config = tls_config_for(settings_with(temporal_tls_ca_cert=ca))
    assert isinstance(config, TLSConfig)
    assert config.server_root_ca_cert == ca.read_bytes()
    assert config.client_cert is None and config.client_private_key is None
    assert config.domain is None


def test_a_client_cert_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MYLOWARE_TEMPORAL_TLS_CLIENT_KEY"):
        settings_with(temporal_tls_client_cert=pem(tmp_path, "client.pem", b"C"))


def test_a_cert_path_that_does_not_exist_is_a_clear_configuration_error(tmp_path: Path) -> None:
    """The error names the setting and the path, before any connection is tried."""
    missing = tmp_path / "nowhere" / "ca.pem"
    settings = settings_with(temporal_tls_ca_cert=missing)
    with pytest.raises(ConfigurationError, match="MYLOWARE_TEMPORAL_TLS_CA_CERT") as caught:
        tls_config_for(settings)
    assert str(missing) in str(caught.value)


async def test_connect_fails_on_a_missing_cert_before_dialling(tmp_path: Path) -> None:
    """connect() builds its TLS config from the settings: a missing key file stops it with
    the configuration error (the address is never dialled)."""
    settings = settings_with(
        temporal_tls_client_cert=pem(tmp_path, "client.pem", b"C"),
        temporal_tls_client_key=tmp_path / "missing.key",
    )
    with pytest.raises(ConfigurationError, match="MYLOWARE_TEMPORAL_TLS_CLIENT_KEY"):
        await connect(settings, "127.0.0.1:1")
