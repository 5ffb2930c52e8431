"""Settings from the environment (``PASSENGINE_`` prefix) or a ``.env`` file.

Zero configuration gives a SQLite file in the working directory and development secrets; the
validator refuses those development secrets when ``environment`` is ``production``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only secrets. A production deployment must set its own (see the validator).
DEV_INSZ_HASH_KEY = "dev-insz-hash-key-change-me"
DEV_INSZ_ENCRYPTION_KEY = "ZGV2LWluc3otZW5jcnlwdGlvbi1rZXktY2hhbmdlIG0="  # Fernet, 32 bytes
DEV_TOKEN_SECRET = "dev-token-secret-change-me-before-production"

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PASSENGINE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./passengine.db"
    timezone: str = "Europe/Brussels"
    insz_hash_key: SecretStr = SecretStr(DEV_INSZ_HASH_KEY)
    insz_encryption_key: SecretStr = SecretStr(DEV_INSZ_ENCRYPTION_KEY)
    token_secret: SecretStr = SecretStr(DEV_TOKEN_SECRET)
    fixtures_dir: Path = REPO_ROOT / "fixtures"
    host: str = "127.0.0.1"
    port: int = 8000
    token_lifetime_seconds: int = 900

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if len(self.token_secret.get_secret_value().encode()) < 32:
            raise ValueError("PASSENGINE_TOKEN_SECRET must be at least 32 bytes (HS256 keys)")
        if self.environment == "production":
            defaults = {
                "insz_hash_key": DEV_INSZ_HASH_KEY,
                "insz_encryption_key": DEV_INSZ_ENCRYPTION_KEY,
                "token_secret": DEV_TOKEN_SECRET,
            }
            for name, default in defaults.items():
                secret: SecretStr = getattr(self, name)
                if secret.get_secret_value() == default:
                    raise ValueError(
                        f"PASSENGINE_{name.upper()} still has its development value; "
                        "set a secret of your own in production"
                    )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
