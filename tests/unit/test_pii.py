from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from passengine.config import Settings
from passengine.domain.errors import InvalidInsz
from passengine.services.pii import BadKey, InszVault

INSZ = "85073003328"


class TestInszVault:
    def test_hash_is_stable_and_ignores_separators(self, vault: InszVault) -> None:
        assert vault.hash(INSZ) == vault.hash("85.07.30-033.28") == vault.hash_valid(INSZ)
        assert INSZ not in vault.hash(INSZ)

    def test_hash_depends_on_the_server_key(self, vault: InszVault) -> None:
        other = InszVault(hash_key=b"another key", encryption_key=b"k" * 32)
        assert other.hash(INSZ) != vault.hash(INSZ)

    def test_hash_refuses_an_invalid_number(self, vault: InszVault) -> None:
        with pytest.raises(InvalidInsz):
            vault.hash("85073003329")

    def test_ciphertext_round_trips_and_never_contains_the_number(self, vault: InszVault) -> None:
        blob = vault.encrypt(INSZ)
        assert INSZ.encode() not in blob
        assert vault.encrypt(INSZ) != blob  # a fresh nonce every time
        assert vault.decrypt(blob) == INSZ

    def test_another_key_cannot_decrypt(self, vault: InszVault) -> None:
        other = InszVault(hash_key=b"x", encryption_key=b"k" * 32)
        with pytest.raises(BadKey):
            other.decrypt(vault.encrypt(INSZ))

    def test_a_key_of_the_wrong_size_is_refused(self) -> None:
        short = base64.urlsafe_b64encode(b"too short").decode()
        with pytest.raises(BadKey):
            InszVault.from_settings(Settings(environment="test", insz_encryption_key=short))  # type: ignore[arg-type]


class TestSettings:
    def test_production_refuses_development_secrets(self) -> None:
        with pytest.raises(ValidationError, match="PASSENGINE_INSZ_HASH_KEY"):
            Settings(environment="production")

    def test_production_accepts_its_own_secrets(self) -> None:
        key = base64.urlsafe_b64encode(b"p" * 32).decode()
        settings = Settings(
            environment="production",
            insz_hash_key="prod-hash",  # type: ignore[arg-type]
            insz_encryption_key=key,  # type: ignore[arg-type]
            token_secret="a-production-token-secret-of-32-bytes",  # type: ignore[arg-type]
        )
        assert settings.environment == "production"
