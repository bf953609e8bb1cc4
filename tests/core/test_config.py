"""Settings: safe defaults and a generated secret kept in the data directory."""

from __future__ import annotations

import logging

import pytest

from core.config import listening_at, load_settings, warn_if_generated


def test_secret_is_generated_once_and_kept(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("LEARNGRAPH_SECRET_KEY", raising=False)
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path / "data"))
    first = load_settings()
    second = load_settings()
    assert first.secrets_generated and len(first.secret_key) >= 48
    assert second.secret_key == first.secret_key
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
    with caplog.at_level(logging.WARNING):
        warn_if_generated(first)
    assert "generated secret key" in caplog.text


def test_given_secret_and_production_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNGRAPH_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LEARNGRAPH_ENV", "production")
    monkeypatch.setenv("LEARNGRAPH_FACE_PORTS", "pickatale=3115, codelabs=8080")
    monkeypatch.setenv("LEARNGRAPH_ALLOWED_ORIGINS", "https://app.example, https://b.example,")
    settings = load_settings()
    assert settings.secret_key == "from-the-environment"
    assert not settings.secrets_generated
    assert not (tmp_path / "secret_key").exists()
    assert settings.graphql_introspection is False
    assert settings.face_ports == {"pickatale": 3115, "codelabs": 8080}
    assert settings.database_url is None
    assert settings.allowed_origins == ("https://app.example", "https://b.example")


def test_llm_provider_is_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNGRAPH_LLM_PROVIDER", " Bedrock ")
    assert load_settings().llm_provider == "bedrock"
    monkeypatch.setenv("LEARNGRAPH_LLM_PROVIDER", "openai")
    with pytest.raises(ValueError, match="LEARNGRAPH_LLM_PROVIDER must be one of anthropic, "
                                         "bedrock; got 'openai'"):
        load_settings()


def test_trusted_proxies_are_addresses_or_cidr_blocks(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNGRAPH_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1, 192.168.1.7/24")
    assert [str(n) for n in load_settings().trusted_proxies] == [
        "10.0.0.0/8", "127.0.0.1/32", "::1/128", "192.168.1.0/24"]
    monkeypatch.setenv("LEARNGRAPH_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
    with pytest.raises(ValueError, match=r"LEARNGRAPH_TRUSTED_PROXIES: 'proxy\.local' is not"):
        load_settings()


def test_public_url_is_where_the_server_listens_unless_given(tmp_path, monkeypatch):
    """A server on another port links its stored files there, not to port 8000."""
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LEARNGRAPH_PUBLIC_URL", raising=False)
    settings = load_settings()
    assert listening_at(settings, host="127.0.0.1", port=8742).public_url == (
        "http://localhost:8742")
    assert listening_at(settings, host="0.0.0.0", port=80).public_url == "http://localhost:80"
    assert listening_at(settings, host="10.1.2.3", port=9000).public_url == (
        "http://10.1.2.3:9000")
    assert listening_at(settings, host="fd00::1", port=9000).public_url == (
        "http://[fd00::1]:9000")
    monkeypatch.setenv("LEARNGRAPH_PUBLIC_URL", "https://learn.example")
    settings = load_settings()
    assert listening_at(settings, host="127.0.0.1", port=8742).public_url == (
        "https://learn.example")
