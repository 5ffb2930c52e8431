"""Reading the audit log, by holder or by actor, for those allowed (``AUDIT_READ``) in their
regions. Reading it is itself audited. The log is append-only: nothing here changes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput
from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: datetime
    actor_client_id: str | None
    actor_desk_id: str | None
    actor_label: str | None
    action: str
    holder_id: str | None
    subject: str | None
    details: dict[str, Any]


def query_audit(
    session: Session,
    *,
    principal: Principal | None,
    holder_id: str | None = None,
    actor_client_id: str | None = None,
    start: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditView]]:
    """Entries about a holder of the caller's regions, or by a client of those regions."""
    if holder_id is None and actor_client_id is None:
        raise InvalidInput("Ask for a holder_id or an actor_client_id.", code="invalid-data")
    if principal is not None:
        principal.require("AUDIT_READ")
        if holder_id is not None:
            regions = set(
                session.scalars(
                    select(t.Membership.region_id).where(t.Membership.holder_id == holder_id)
                )
            )
            if not regions & principal.region_ids:
                raise Forbidden("This holder is not a member of the client's regions.")
        if actor_client_id is not None:
            regions = set(
                session.scalars(
                    select(t.ApiClientRegion.region_id).where(
                        t.ApiClientRegion.client_id == actor_client_id
                    )
                )
            )
            if not regions & principal.region_ids:
                raise Forbidden("This client acts outside the caller's regions.")
    query = select(t.AuditEntry)
    if holder_id is not None:
        query = query.where(t.AuditEntry.holder_id == holder_id)
    if actor_client_id is not None:
        query = query.where(t.AuditEntry.actor_client_id == actor_client_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(t.AuditEntry.id.desc()).offset(start).limit(limit)).all()
    if principal is not None:
        record(
            session,
            principal.actor,
            "audit.read",
            holder_id=holder_id,
            details={"actor_client_id": actor_client_id},
        )
    return total, [
        AuditView(
            r.id,
            r.at,
            r.actor_client_id,
            r.actor_desk_id,
            r.actor_label,
            r.action,
            r.holder_id,
            r.subject,
            dict(r.details or {}),
        )
        for r in rows
    ]
