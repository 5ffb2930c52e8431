"""Domain errors: a stable snake_case ``code`` and a human message, no HTTP status.

The API maps classes to statuses in one place (``api/errors.py``); the CLI prints the message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PassEngineError(Exception):
    code: ClassVar[str] = "passengine_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]  # a more specific code for this instance
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(PassEngineError):
    code = "invalid_input"


class NotFound(PassEngineError):
    code = "not_found"


class Conflict(PassEngineError):
    code = "conflict"


class QuotaExceeded(PassEngineError):
    code = "maximum_reached"


class StatusExpired(PassEngineError):
    code = "social_tariff_expired"


class InvalidCardNumber(InvalidInput):
    code = "invalid_uitpas_number"


class InvalidChipNumber(InvalidInput):
    code = "invalid_chip_number"


class InvalidInsz(InvalidInput):
    code = "invalid_insz_number"
