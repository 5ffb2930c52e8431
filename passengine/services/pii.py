"""Protection of national register numbers (INSZ).

Stored twice, never in clear: an HMAC-SHA256 under a server key (uniqueness across the system and
look-up by INSZ without decrypting anything), and AES-GCM ciphertext for the few clients allowed to
read the number back. A database dump alone reveals neither: both keys live outside the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from passengine.config import Settings
from passengine.domain.errors import InvalidInput
from passengine.domain.identifiers import validate_insz

_NONCE_BYTES = 12


class BadKey(InvalidInput):
    code = "bad-encryption-key"


class InszVault:
    def __init__(self, *, hash_key: bytes, encryption_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise BadKey("The INSZ encryption key must be 32 bytes (base64-encoded in settings).")
        self._hash_key = hash_key
        self._aead = AESGCM(encryption_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> InszVault:
        raw = settings.insz_encryption_key.get_secret_value()
        try:
            key = base64.urlsafe_b64decode(raw)
        except (binascii.Error, ValueError) as exc:
            raise BadKey("PASSENGINE_INSZ_ENCRYPTION_KEY is not valid base64.") from exc
        return cls(hash_key=settings.insz_hash_key.get_secret_value().encode(), encryption_key=key)

    def hash(self, insz: str) -> str:
        """The look-up key of a (valid) INSZ; separators are removed first."""
        return hmac.new(self._hash_key, validate_insz(insz).encode(), hashlib.sha256).hexdigest()

    def hash_valid(self, insz_digits: str) -> str:
        """As ``hash`` for a number already validated to 11 digits (bulk imports)."""
        return hmac.new(self._hash_key, insz_digits.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, insz_digits: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, insz_digits.encode(), b"insz")

    def decrypt(self, blob: bytes) -> str:
        try:
            return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], b"insz").decode()
        except InvalidTag as exc:
            raise BadKey("This INSZ cannot be decrypted with the configured key.") from exc
