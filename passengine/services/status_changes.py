"""Granting, renewing, suspending and ending social-tariff statuses, one by one or in bulk.

A grant records the target group, the ground (shown only to those allowed), the period and who
granted it. Renewal adds a new grant from the day after the old end date (history stays); the
default end date is 30 April of the next year. Bulk renewal from a list of INSZ numbers (as
regions receive it from the Crossroads Bank) first reports what it would change, then applies
all of it or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, InvalidInsz, NotFound
from passengine.domain.identifiers import validate_insz
from passengine.domain.model import MembershipStatus
from passengine.domain.statuses import default_end_date
from passengine.services.audit import record
from passengine.services.authority import Authority
from passengine.services.pii import InszVault
from passengine.storage import tables as t


@dataclass(frozen=True, slots=True)
class GrantRequest:
    target_group: str
    ground: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    grace_period_days: int | None = None


def _region_of_membership(session: Session, membership_id: int) -> t.Membership:
    membership = session.get(t.Membership, membership_id)
    if membership is None:
        raise NotFound("No such membership.", code="passholder-not-found")
    return membership


def membership_of(session: Session, holder_id: str, region_id: int) -> t.Membership:
    membership = session.scalars(
        select(t.Membership).where(
            t.Membership.holder_id == holder_id, t.Membership.region_id == region_id
        )
    ).one_or_none()
    if membership is None:
        raise NotFound(
            f"The holder is not a member of region {region_id}.", code="passholder-not-found"
        )
    return membership


def grant_in_session(
    session: Session,
    membership_id: int,
    request: GrantRequest,
    *,
    authority: Authority,
    at: datetime,
    today: date,
) -> int:
    membership = _region_of_membership(session, membership_id)
    region_id = membership.region_id
    authority.require(authority.can_grant(region_id), "grant statuses in this region")
    if membership.status is not MembershipStatus.ACTIVE:
        raise InvalidInput("This membership is blocked.", code="passholder-blocked")
    group = session.scalars(
        select(t.TargetGroup).where(
            t.TargetGroup.region_id == region_id, t.TargetGroup.code == request.target_group
        )
    ).one_or_none()
    if group is None:
        raise InvalidInput(
            f"Region {region_id} has no target group {request.target_group}.",
            code="invalid-target-group",
        )
    ground_id = None
    if request.ground is not None:
        ground_id = session.scalar(
            select(t.EligibilityGround.id).where(
                t.EligibilityGround.region_id == region_id,
                t.EligibilityGround.code == request.ground,
            )
        )
        if ground_id is None:
            raise InvalidInput(f"Unknown ground {request.ground}.", code="invalid-ground")
    start = request.start_date or today
    end = request.end_date or default_end_date(start)
    if end < start:
        raise InvalidInput("The end date lies before the start date.", code="invalid-data")
    row = t.SocialTariffStatusRow(
        membership_id=membership.id,
        target_group_id=group.id,
        ground_id=ground_id,
        start_date=start,
        end_date=end,
        grace_period_days=(
            group.default_grace_period_days
            if request.grace_period_days is None
            else request.grace_period_days
        ),
        granted_by_referrer_id=authority.referrer_id,
        granted_by_desk_id=authority.desk_id,
        granted_at=at,
    )
    session.add(row)
    session.flush()
    record(
        session,
        authority.actor,
        "status.granted",
        holder_id=membership.holder_id,
        subject=f"status:{row.id}",
        details={
            "region_id": region_id,
            "target_group": request.target_group,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
    )
    return row.id


def _status(
    session: Session, status_id: int, authority: Authority
) -> tuple[t.SocialTariffStatusRow, t.Membership]:
    row = session.get(t.SocialTariffStatusRow, status_id)
    if row is None:
        raise NotFound(f"No status {status_id}.", code="status-not-found")
    membership = _region_of_membership(session, row.membership_id)
    authority.require(authority.can_grant(membership.region_id), "change statuses in this region")
    return row, membership


def renew(
    session: Session,
    status_id: int,
    *,
    end_date: date | None,
    authority: Authority,
    at: datetime,
    today: date,
) -> int:
    """A new grant that continues the old one (same group and ground) until ``end_date``."""
    row, membership = _status(session, status_id, authority)
    group = session.get(t.TargetGroup, row.target_group_id)
    ground = session.get(t.EligibilityGround, row.ground_id) if row.ground_id else None
    assert group is not None
    start = max(row.end_date + timedelta(days=1), today) if row.ended_on is None else today
    return grant_in_session(
        session,
        membership.id,
        GrantRequest(
            target_group=group.code,
            ground=ground.code if ground else None,
            start_date=start,
            end_date=end_date or default_end_date(start),
            grace_period_days=row.grace_period_days,
        ),
        authority=authority,
        at=at,
        today=today,
    )


def suspend(
    session: Session, status_id: int, *, until: date, authority: Authority, today: date
) -> None:
    row, membership = _status(session, status_id, authority)
    if until < today:
        raise InvalidInput("A suspension ends today or later.", code="invalid-data")
    row.suspended_until = until
    session.flush()
    record(
        session,
        authority.actor,
        "status.suspended",
        holder_id=membership.holder_id,
        subject=f"status:{row.id}",
        details={"until": until.isoformat()},
    )


def end(session: Session, status_id: int, *, on: date, authority: Authority) -> None:
    """End a status early: from ``on`` it is EXPIRED, without a grace period."""
    row, membership = _status(session, status_id, authority)
    row.ended_on = on
    session.flush()
    record(
        session,
        authority.actor,
        "status.ended",
        holder_id=membership.holder_id,
        subject=f"status:{row.id}",
        details={"on": on.isoformat()},
    )


# --- Bulk renewal ---------------------------------------------------------------------------------


OUTCOMES = ("RENEW", "COVERED", "NO_STATUS", "NOT_FOUND", "NOT_A_MEMBER", "INVALID", "DUPLICATE")


@dataclass(frozen=True, slots=True)
class RenewalLine:
    line: int
    outcome: str
    """RENEW, COVERED (the current status already runs past the end date), NO_STATUS (a member
    without this status: granted when ``grant_missing``), NOT_FOUND, NOT_A_MEMBER, INVALID,
    DUPLICATE."""
    holder_id: str | None = None
    status_id: int | None = None
    reason: str | None = None


@dataclass
class RenewalPlan:
    region_id: int
    target_group: str
    end_date: date | None
    """None: each renewal runs to the 30 April after it starts."""
    lines: list[RenewalLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def refused(self) -> list[RenewalLine]:
        return [line for line in self.lines if line.outcome in ("INVALID", "DUPLICATE")]


def plan_bulk_renewal(
    session: Session,
    region_id: int,
    text: str,
    *,
    target_group: str,
    end_date: date | None,
    vault: InszVault,
    authority: Authority,
) -> RenewalPlan:
    """What a list of INSZ numbers (one per line, or the first CSV column) would change."""
    authority.require(authority.can_grant(region_id), "renew statuses in this region")
    group_id = session.scalar(
        select(t.TargetGroup.id).where(
            t.TargetGroup.region_id == region_id, t.TargetGroup.code == target_group
        )
    )
    if group_id is None:
        raise InvalidInput(
            f"Region {region_id} has no target group {target_group}.", code="invalid-target-group"
        )
    plan = RenewalPlan(region_id, target_group, end_date)
    seen: set[str] = set()
    rows = csv.reader(io.StringIO(text), delimiter=";")
    for number, fields in enumerate(rows, start=1):
        value = (fields[0] if fields else "").strip()
        if not value or (number == 1 and not any(c.isdigit() for c in value)):
            continue  # empty line or a header
        try:
            digits = validate_insz(value)
        except InvalidInsz as exc:
            plan.lines.append(RenewalLine(number, "INVALID", reason=exc.message))
            continue
        if digits in seen:
            plan.lines.append(RenewalLine(number, "DUPLICATE", reason="listed twice"))
            continue
        seen.add(digits)
        holder_id = session.scalar(
            select(t.PassHolder.id).where(t.PassHolder.insz_hash == vault.hash_valid(digits))
        )
        if holder_id is None:
            plan.lines.append(RenewalLine(number, "NOT_FOUND"))
            continue
        membership_id = session.scalar(
            select(t.Membership.id).where(
                t.Membership.holder_id == holder_id,
                t.Membership.region_id == region_id,
                t.Membership.status == MembershipStatus.ACTIVE,
            )
        )
        if membership_id is None:
            plan.lines.append(RenewalLine(number, "NOT_A_MEMBER", holder_id))
            continue
        current = session.execute(
            select(t.SocialTariffStatusRow.id, t.SocialTariffStatusRow.end_date)
            .where(
                t.SocialTariffStatusRow.membership_id == membership_id,
                t.SocialTariffStatusRow.target_group_id == group_id,
            )
            .order_by(t.SocialTariffStatusRow.granted_at.desc(), t.SocialTariffStatusRow.id.desc())
            .limit(1)
        ).one_or_none()
        if current is None:
            plan.lines.append(RenewalLine(number, "NO_STATUS", holder_id))
        elif end_date is not None and current[1] >= end_date:
            plan.lines.append(RenewalLine(number, "COVERED", holder_id, current[0]))
        else:
            plan.lines.append(RenewalLine(number, "RENEW", holder_id, current[0]))
    return plan


def apply_bulk_renewal(
    session: Session,
    plan: RenewalPlan,
    *,
    authority: Authority,
    at: datetime,
    today: date,
    grant_missing: bool = False,
) -> int:
    """Apply a plan in the caller's transaction; refuses it whole if any line is invalid."""
    if plan.refused:
        first = plan.refused[0]
        raise InvalidInput(
            f"Nothing renewed: line {first.line}: {first.reason} "
            f"({len(plan.refused)} lines refused).",
            code="bulk-renewal-refused",
        )
    changed = 0
    for line in plan.lines:
        if line.outcome == "RENEW" and line.status_id is not None:
            renew(
                session,
                line.status_id,
                end_date=plan.end_date,
                authority=authority,
                at=at,
                today=today,
            )
            changed += 1
        elif line.outcome == "NO_STATUS" and grant_missing and line.holder_id:
            membership = membership_of(session, line.holder_id, plan.region_id)
            grant_in_session(
                session,
                membership.id,
                GrantRequest(plan.target_group, end_date=plan.end_date),
                authority=authority,
                at=at,
                today=today,
            )
            changed += 1
    record(
        session,
        authority.actor,
        "status.bulk_renewed",
        subject=f"region:{plan.region_id}",
        details={"renewed": changed, "lines": len(plan.lines)},
    )
    return changed
