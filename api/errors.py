"""The one map from domain errors to HTTP: problem+json (RFC 9457) with a stable code.

Bodies carry ``type`` (a URI ending in the code), ``title``, ``status``, ``detail``, ``code``,
``endUserMessage`` when the desk should show something to the holder, and ``schemaErrors`` for
bad input. Unexpected errors become a 500 problem without internals, and are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from passengine.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PassEngineError,
    QuotaExceeded,
    StatusExpired,
)
from passengine.services.auth import Forbidden, Unauthorized

log = logging.getLogger("passengine.api")

PROBLEM_BASE = "https://passengine.example/probs/"
PROBLEM_JSON = "application/problem+json"

_STATUS: list[tuple[type[PassEngineError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (QuotaExceeded, 400),
    (StatusExpired, 400),
    (InvalidInput, 400),
]


def status_for(error: PassEngineError) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    end_user_message: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if end_user_message:
        body["endUserMessage"] = end_user_message
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(exc: PassEngineError) -> JSONResponse:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="passengine"'
    retry_after = exc.details.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    message = exc.details.get("end_user_message")
    return problem(
        status,
        exc.code,
        exc.message,
        end_user_message=message if isinstance(message, dict) else None,
        headers=headers or None,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(PassEngineError)
    async def _domain(_: Request, exc: PassEngineError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "jsonPointer": "/" + "/".join(str(p) for p in e.get("loc", ())[1:]),
                "error": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        return problem(
            400, "invalid-data", "The request is not valid.", extra={"schemaErrors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal-error", "Something went wrong on our side.")
