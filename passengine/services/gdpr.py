"""The rights of the data subject: export everything about a holder, and erase a holder.

Erasure removes the personal data (names, birth date reduced to the year, address, contact,
INSZ hash and ciphertext) and blocks the cards and memberships, but keeps the sales, check-ins
and redemptions as anonymous rows: organizers are still reimbursed and municipalities still see
what they paid. Both are audited; the audit rows never held personal data in clear.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from passengine.domain.errors import NotFound
from passengine.domain.model import CardStatus, MembershipStatus
from passengine.services.audit import Actor, record
from passengine.services.auth import Forbidden, Principal
from passengine.services.pii import InszVault
from passengine.storage import tables as t

ERASED_NAME = "(gewist)"


def _holder(session: Session, holder_id: str, principal: Principal | None) -> t.PassHolder:
    holder = session.get(t.PassHolder, holder_id)
    if holder is None:
        raise NotFound(f"No holder {holder_id}.", code="passholder-not-found")
    if principal is not None:
        principal.require("REGION_ADMIN")
        regions = set(
            session.scalars(
                select(t.Membership.region_id).where(t.Membership.holder_id == holder_id)
            )
        )
        if not regions & principal.region_ids:
            raise Forbidden("This holder is not a member of the client's regions.")
    return holder


def _rows(session: Session, model: Any, **where: Any) -> list[dict[str, Any]]:
    table = model.__table__
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    return [
        {
            k: (v.isoformat() if isinstance(v, date | datetime) else v)
            for k, v in row._mapping.items()
            if k not in ("insz_hash", "insz_encrypted")
        }
        for row in session.execute(query)
    ]


def export_holder(
    session: Session, holder_id: str, *, principal: Principal | None, actor: Actor, vault: InszVault
) -> dict[str, Any]:
    """All we hold about a person, as JSON-ready data (the INSZ decrypted for them)."""
    holder = _holder(session, holder_id, principal)
    memberships = _rows(session, t.Membership, holder_id=holder_id)
    statuses = [
        status
        for m in memberships
        for status in _rows(session, t.SocialTariffStatusRow, membership_id=m["id"])
    ]
    document = {
        "holder": _rows(session, t.PassHolder, id=holder_id)[0],
        "insz": vault.decrypt(holder.insz_encrypted) if holder.insz_encrypted else None,
        "memberships": memberships,
        "statuses": statuses,
        "cards": _rows(session, t.Card, holder_id=holder_id),
        "ticket_sales": _rows(session, t.TicketSale, holder_id=holder_id),
        "checkins": _rows(session, t.Checkin, holder_id=holder_id),
        "points": _rows(session, t.PointsTransaction, holder_id=holder_id),
        "reward_redemptions": _rows(session, t.RewardRedemption, holder_id=holder_id),
        "household": _rows(session, t.HouseholdLink, holder_a_id=holder_id)
        + _rows(session, t.HouseholdLink, holder_b_id=holder_id),
        "audit": _rows(session, t.AuditEntry, holder_id=holder_id),
    }
    record(session, actor, "holder.exported", holder_id=holder_id)
    return document


def erase_holder(
    session: Session, holder_id: str, *, principal: Principal | None, actor: Actor, at: datetime
) -> None:
    holder = _holder(session, holder_id, principal)
    if holder.erased_at is not None:
        return
    holder.name = ERASED_NAME
    holder.first_name = ERASED_NAME
    holder.birth_date = date(holder.birth_date.year, 1, 1)  # age bands for reports, no more
    holder.street = None
    holder.email = None
    holder.phone = None
    holder.insz_hash = None
    holder.insz_encrypted = None
    holder.erased_at = at
    session.execute(
        update(t.Card)
        .where(t.Card.holder_id == holder_id, t.Card.status == CardStatus.ACTIVE)
        .values(status=CardStatus.BLOCKED, blocked_at=at, block_reason="ERASED")
    )
    session.execute(
        update(t.Membership)
        .where(t.Membership.holder_id == holder_id, t.Membership.status == MembershipStatus.ACTIVE)
        .values(status=MembershipStatus.BLOCKED, blocked_at=at)
    )
    session.execute(
        delete(t.HouseholdLink).where(
            (t.HouseholdLink.holder_a_id == holder_id) | (t.HouseholdLink.holder_b_id == holder_id)
        )
    )
    session.flush()
    record(session, actor, "holder.erased", holder_id=holder_id)
