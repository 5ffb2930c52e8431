"""The audit trail: written in the same transaction as the change or read it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from passengine.storage.base import utcnow
from passengine.storage.tables import AuditEntry


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an API client (and the desk it acts for), or a named operator on the CLI."""

    label: str
    client_id: str | None = None
    desk_id: str | None = None


CLI_OPERATOR = Actor(label="cli")


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    holder_id: str | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            actor_client_id=actor.client_id,
            actor_desk_id=actor.desk_id,
            actor_label=actor.label,
            action=action,
            holder_id=holder_id,
            subject=subject,
            details=details or {},
        )
    )
