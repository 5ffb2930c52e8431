"""Domain errors: a stable kebab-case ``code`` and a human message, no HTTP status.

Codes reuse the UiTPAS error catalogue where the meaning is the same (``invalid-uitpas-number``,
``maximum-reached``…). The API maps classes to statuses in one place (``api/errors.py``); the CLI
prints the message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PassEngineError(Exception):
    code: ClassVar[str] = "passengine-error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]  # a more specific code for this instance
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(PassEngineError):
    code = "invalid-input"


class NotFound(PassEngineError):
    code = "not-found"


class Conflict(PassEngineError):
    code = "conflict"


class QuotaExceeded(PassEngineError):
    code = "maximum-reached"


class StatusExpired(PassEngineError):
    code = "social-tariff-expired"


class InvalidCardNumber(InvalidInput):
    code = "invalid-uitpas-number"


class InvalidChipNumber(InvalidInput):
    code = "invalid-chip-number"


class InvalidInsz(InvalidInput):
    code = "invalid-insz-number"
