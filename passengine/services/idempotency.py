"""Idempotency keys: a retried write returns the first answer, and is never done twice.

The key row is inserted in the transaction of the write itself, with the answer, so the write
and its record commit or vanish together. A concurrent duplicate blocks on the key's unique
index (PostgreSQL) or on the write lock (SQLite) until the first commits, then replays its
answer; if the first is somehow still running, the duplicate gets ``IdempotencyInProgress`` (409
with Retry-After). Errors are not stored: a retry after a refusal is evaluated again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from passengine.domain.errors import Conflict, InvalidInput
from passengine.storage import tables as t

MAX_KEY_LENGTH = 200


class IdempotencyInProgress(Conflict):
    code = "idempotency-in-progress"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency-key-reused"


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: Any
    replayed: bool = False


class _TwinCommittedFirst(Exception):
    """The same key was inserted by a concurrent request that committed first."""


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            code="invalid-idempotency-key",
        )
    return key


def _stored(session: Session, client_id: str, key: str) -> t.IdempotencyRecord | None:
    return session.get(t.IdempotencyRecord, (client_id, key))


def _replay(record: t.IdempotencyRecord, print_: str) -> Answer:
    if record.fingerprint != print_:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request; use a new key per request."
        )
    return Answer(record.status_code, record.body, replayed=True)


def run_once(
    sessions: sessionmaker[Session],
    *,
    client_id: str,
    key: str | None,
    request_fingerprint: str,
    work: Callable[[Session], Answer],
) -> Answer:
    """Run ``work`` in one transaction (it must not commit) unless ``key`` was seen before."""
    if key is None:
        with sessions() as session, session.begin():
            return work(session)
    check_key(key)
    with sessions() as session:
        record = _stored(session, client_id, key)
        if record is not None:
            return _replay(record, request_fingerprint)
        session.rollback()
        try:
            with session.begin():
                # SQLite: the write lock is ours from here (BEGIN IMMEDIATE); look again.
                record = _stored(session, client_id, key)
                if record is not None:
                    return _replay(record, request_fingerprint)
                session.add(
                    t.IdempotencyRecord(
                        client_id=client_id,
                        key=key,
                        fingerprint=request_fingerprint,
                        status_code=0,
                        body=None,
                    )
                )
                try:
                    session.flush()  # PostgreSQL: a concurrent twin waits here for our commit
                except IntegrityError as exc:
                    raise _TwinCommittedFirst from exc
                answer = work(session)
                session.execute(
                    update(t.IdempotencyRecord)
                    .where(
                        t.IdempotencyRecord.client_id == client_id,
                        t.IdempotencyRecord.key == key,
                    )
                    .values(status_code=answer.status_code, body=answer.body)
                )
            return answer
        except _TwinCommittedFirst:
            session.rollback()
    # The twin committed first: replay its answer.
    with sessions() as session:
        record = session.scalars(
            select(t.IdempotencyRecord).where(
                t.IdempotencyRecord.client_id == client_id, t.IdempotencyRecord.key == key
            )
        ).one_or_none()
        if record is None or record.status_code == 0:
            raise IdempotencyInProgress(
                "The same request is still being processed; retry in a moment.", retry_after=1
            )
        return _replay(record, request_fingerprint)
