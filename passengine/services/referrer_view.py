"""What a referrer follows up: the people they registered, statuses about to end, and status
holders who took part in nothing for a while (to reach out to them). Audited reads."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput
from passengine.services.audit import record
from passengine.services.authority import Authority
from passengine.storage import tables as t


@dataclass(frozen=True, slots=True)
class FollowUp:
    holder_id: str
    name: str
    first_name: str
    phone: str | None
    email: str | None
    uitpas_number: str | None
    status_end_date: date | None


def _referrer_id(authority: Authority) -> str:
    if authority.referrer_id is None:
        raise InvalidInput("These lists are a referrer's own.", code="not-a-referrer")
    return authority.referrer_id


FollowUpSelect = Select[str, str, str, str | None, str | None, str | None, date | None]


def _rows(session: Session, query: FollowUpSelect) -> list[FollowUp]:
    return [
        FollowUp(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in session.execute(query).all()
    ]


def _base(referrer_id: str) -> FollowUpSelect:
    newest_end = (
        select(func.max(t.SocialTariffStatusRow.end_date))
        .join(t.Membership, t.Membership.id == t.SocialTariffStatusRow.membership_id)
        .where(t.Membership.holder_id == t.PassHolder.id)
        .scalar_subquery()
    )
    card = (
        select(t.Card.uitpas_number)
        .where(t.Card.holder_id == t.PassHolder.id, t.Card.status == "ACTIVE")
        .limit(1)
        .scalar_subquery()
    )
    return select(
        t.PassHolder.id,
        t.PassHolder.name,
        t.PassHolder.first_name,
        t.PassHolder.phone,
        t.PassHolder.email,
        card,
        newest_end,
    ).where(t.PassHolder.registered_by_referrer_id == referrer_id, t.PassHolder.erased_at.is_(None))


def registered(session: Session, *, authority: Authority) -> list[FollowUp]:
    referrer_id = _referrer_id(authority)
    result = _rows(session, _base(referrer_id).order_by(t.PassHolder.name, t.PassHolder.first_name))
    record(session, authority.actor, "referrer.list_registered", details={"count": len(result)})
    return result


def expiring(session: Session, *, days: int, authority: Authority, today: date) -> list[FollowUp]:
    """People whose newest status ends within ``days`` days (or ended in the last 30)."""
    referrer_id = _referrer_id(authority)
    rows = [
        f
        for f in registered_rows(session, referrer_id)
        if f.status_end_date is not None
        and today - timedelta(days=30) <= f.status_end_date <= today + timedelta(days=days)
    ]
    record(
        session,
        authority.actor,
        "referrer.list_expiring",
        details={"days": days, "count": len(rows)},
    )
    return sorted(rows, key=lambda f: (f.status_end_date or today, f.name))


def registered_rows(session: Session, referrer_id: str) -> list[FollowUp]:
    return _rows(session, _base(referrer_id))


def inactive(session: Session, *, months: int, authority: Authority, today: date) -> list[FollowUp]:
    """Status holders who bought no reduced-rate ticket and checked in nowhere for ``months``."""
    referrer_id = _referrer_id(authority)
    since = datetime.combine(today - timedelta(days=30 * months), time(), tzinfo=UTC)
    active_sale = exists().where(
        t.TicketSale.holder_id == t.PassHolder.id,
        t.TicketSale.created_at >= since,
        t.TicketSale.cancelled_at.is_(None),
    )
    active_checkin = exists().where(
        t.Checkin.holder_id == t.PassHolder.id,
        t.Checkin.created_at >= since,
        t.Checkin.cancelled_at.is_(None),
    )
    query = _base(referrer_id).where(~active_sale, ~active_checkin)
    rows = [f for f in _rows(session, query) if f.status_end_date and f.status_end_date >= today]
    record(
        session,
        authority.actor,
        "referrer.list_inactive",
        details={"months": months, "count": len(rows)},
    )
    return sorted(rows, key=lambda f: (f.name, f.first_name))


def to_csv(rows: list[FollowUp]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["name", "first_name", "phone", "email", "uitpas_number", "status_end_date"])
    for f in rows:
        writer.writerow(
            [
                f.name,
                f.first_name,
                f.phone or "",
                f.email or "",
                f.uitpas_number or "",
                f.status_end_date.isoformat() if f.status_end_date else "",
            ]
        )
    return out.getvalue()
