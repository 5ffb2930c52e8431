"""A holder's history as UiTPAS shows it: check-ins (points earned), redeemed rewards (points
spent) and reduced-rate tickets (no points), newest first.

Cancelled check-ins, redemptions and sales are left out: the holder did not take part, and their
points were given back. The history is the holder's everywhere (points are kept across regions),
but only staff of a region where the holder is a member may read it. Every read is audited, and
so is a refusal, because asking for a stranger's history is what the audit log is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnClause,
    Integer,
    String,
    Subquery,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t

READ_PERMISSIONS = ("PASSHOLDERS_SEARCH", "REGION_ADMIN")


@dataclass(frozen=True, slots=True)
class TransactionView:
    kind: str  # CHECKIN, REDEMPTION or TICKET_SALE
    id: str
    created_at: datetime
    title: str
    location: str
    points: int


def _kind(value: str) -> ColumnClause[str]:
    return literal_column(f"'{value}'", String)


def _history(holder_id: str) -> Subquery:
    checkins = (
        select(
            _kind("CHECKIN").label("kind"),
            t.Checkin.id.label("id"),
            t.Checkin.created_at.label("created_at"),
            t.Event.title.label("title"),
            t.Organizer.name.label("location"),
            t.Checkin.points.label("points"),
        )
        .join(t.Event, t.Event.id == t.Checkin.event_id)
        .join(t.Organizer, t.Organizer.id == t.Checkin.organizer_id)
        .where(t.Checkin.holder_id == holder_id, t.Checkin.cancelled_at.is_(None))
    )
    redemptions = (
        select(
            _kind("REDEMPTION"),
            t.RewardRedemption.id,
            t.RewardRedemption.created_at,
            t.Reward.title,
            # A reward redeemed without an organizer (online) is located in the region.
            func.coalesce(t.Organizer.name, t.Region.name),
            -t.RewardRedemption.points,
        )
        .join(t.Reward, t.Reward.id == t.RewardRedemption.reward_id)
        .join(t.Membership, t.Membership.id == t.RewardRedemption.membership_id)
        .join(t.Region, t.Region.id == t.Membership.region_id)
        .outerjoin(t.Organizer, t.Organizer.id == t.RewardRedemption.organizer_id)
        .where(t.RewardRedemption.holder_id == holder_id, t.RewardRedemption.cancelled_at.is_(None))
    )
    sales = (
        select(
            _kind("TICKET_SALE"),
            t.TicketSale.id,
            t.TicketSale.created_at,
            t.Event.title,
            t.Organizer.name,
            literal_column("0", Integer),
        )
        .join(t.Event, t.Event.id == t.TicketSale.event_id)
        .join(t.Organizer, t.Organizer.id == t.TicketSale.organizer_id)
        .where(t.TicketSale.holder_id == holder_id, t.TicketSale.cancelled_at.is_(None))
    )
    return union_all(checkins, redemptions, sales).subquery()


def list_transactions(
    session: Session,
    holder_id: str,
    *,
    principal: Principal,
    start: int = 0,
    limit: int = 20,
    ascending: bool = False,
) -> tuple[int, list[TransactionView]]:
    """An unknown holder and a holder of another region both answer 403: the spec documents no
    404 here, and the same answer for both does not tell a caller who exists elsewhere."""
    if not any(principal.has(p) for p in READ_PERMISSIONS):
        principal.require(READ_PERMISSIONS[0])
    with session.begin():
        regions = set(
            session.scalars(
                select(t.Membership.region_id)
                .join(t.PassHolder, t.PassHolder.id == t.Membership.holder_id)
                .where(t.Membership.holder_id == holder_id, t.PassHolder.erased_at.is_(None))
            )
        )
        allowed = bool(regions & principal.region_ids)
        total = 0
        views: list[TransactionView] = []
        if allowed:
            history = _history(holder_id)
            total = session.scalar(select(func.count()).select_from(history)) or 0
            created = history.c.created_at.asc() if ascending else history.c.created_at.desc()
            rows = session.execute(
                select(history)
                .order_by(created, history.c.kind, history.c.id)
                .offset(start)
                .limit(limit)
            ).all()
            views = [
                TransactionView(
                    kind=kind,
                    id=id_,
                    created_at=created_at,
                    title=f"Ticket: {title}" if kind == "TICKET_SALE" else title,
                    location=location,
                    points=points,
                )
                for kind, id_, created_at, title, location, points in rows
            ]
            record(
                session,
                principal.actor,
                "passholder.transactions.read",
                holder_id=holder_id,
                subject=f"passholder:{holder_id}",
                details={"start": start, "limit": limit, "total": total},
            )
        else:
            record(
                session,
                principal.actor,
                "passholder.transactions.refused",
                holder_id=holder_id if regions else None,
                subject=f"passholder:{holder_id[:100]}",
            )
    if not allowed:
        # Raised after the commit so that the audit row of the refusal is kept.
        raise Forbidden("This passholder is outside the client's regions or does not exist.")
    return total, views
