"""Every query lives here. Repositories take the session and return domain dataclasses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.model import (
    CalendarType,
    HeldStatus,
    PassRecord,
    PeriodLimit,
    SocialTariffStatus,
)
from passengine.domain.tariffs import EventFacts
from passengine.storage import tables as t


class PassRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_uitpas_number(self, uitpas_number: str) -> PassRecord | None:
        """The card, its holder's membership of the card's region and the current status grants.

        Two indexed statements: the hot path of a scan must not grow with the data.
        """
        row = self._session.execute(
            select(
                t.Card.uitpas_number,
                t.Card.status,
                t.Card.card_type,
                t.Card.region_id,
                t.PassHolder.id,
                t.PassHolder.first_name,
                t.PassHolder.postal_code,
                t.PassHolder.nis_code,
                t.Membership.id,
                t.Membership.status,
                t.PassHolder.points,
                t.Region.timezone,
            )
            .join(t.PassHolder, t.PassHolder.id == t.Card.holder_id)
            .join(t.Region, t.Region.id == t.Card.region_id)
            .join(
                t.Membership,
                (t.Membership.holder_id == t.Card.holder_id)
                & (t.Membership.region_id == t.Card.region_id),
            )
            .where(t.Card.uitpas_number == uitpas_number)
        ).one_or_none()
        if row is None:
            return None
        return PassRecord(
            uitpas_number=row[0],
            card_status=row[1],
            card_type=row[2],
            region_id=row[3],
            holder_id=row[4],
            first_name=row[5],
            postal_code=row[6],
            nis_code=row[7],
            membership_id=row[8],
            membership_status=row[9],
            points=row[10],
            statuses=self.current_statuses(row[8]),
            timezone=row[11],
        )

    def current_statuses(self, membership_id: int) -> tuple[HeldStatus, ...]:
        """The newest grant per target group (older rows are history)."""
        rows = self._session.execute(
            select(t.SocialTariffStatusRow, t.TargetGroup.code)
            .join(t.TargetGroup, t.TargetGroup.id == t.SocialTariffStatusRow.target_group_id)
            .where(t.SocialTariffStatusRow.membership_id == membership_id)
            .order_by(t.SocialTariffStatusRow.granted_at, t.SocialTariffStatusRow.id)
        ).all()
        newest: dict[str, HeldStatus] = {}
        for grant, code in rows:
            newest[code] = HeldStatus(
                status_id=grant.id,
                status=SocialTariffStatus(
                    target_group=code,
                    start_date=grant.start_date,
                    end_date=grant.end_date,
                    grace_period_days=grant.grace_period_days,
                    suspended_until=grant.suspended_until,
                    ended_on=grant.ended_on,
                ),
            )
        return tuple(sorted(newest.values(), key=lambda held: held.status.target_group))


class TariffConfigRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current(self, region_id: int) -> tuple[int, dict[str, Any]] | None:
        """(version, document) of the newest configuration of the region."""
        row = self._session.execute(
            select(t.TariffConfigRow.version, t.TariffConfigRow.document)
            .where(t.TariffConfigRow.region_id == region_id)
            .order_by(t.TariffConfigRow.version.desc())
            .limit(1)
        ).one_or_none()
        return (row[0], row[1]) if row else None

    def version(self, region_id: int, version: int) -> dict[str, Any] | None:
        return self._session.scalar(
            select(t.TariffConfigRow.document).where(
                t.TariffConfigRow.region_id == region_id, t.TariffConfigRow.version == version
            )
        )

    def add(self, region_id: int, document: dict[str, Any], *, created_by: str) -> int:
        """Store the document as the next version (the unique constraint settles a race)."""
        latest = self._session.scalar(
            select(func.max(t.TariffConfigRow.version)).where(
                t.TariffConfigRow.region_id == region_id
            )
        )
        version = (latest or 0) + 1
        self._session.add(
            t.TariffConfigRow(
                region_id=region_id, version=version, document=document, created_by=created_by
            )
        )
        self._session.flush()
        return version


class EventRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def tariff_facts(self, event_id: str) -> EventFacts | None:
        """The event as the tariff engine sees it: organizer, its municipality and regions."""
        row = self._session.execute(
            select(
                t.Event.id,
                t.Event.organizer_id,
                t.Organizer.nis_code,
                t.Event.domain,
                t.Event.calendar_type,
                t.Event.ticket_limit_volume,
                t.Event.ticket_limit_period,
            )
            .join(t.Organizer, t.Organizer.id == t.Event.organizer_id)
            .where(t.Event.id == event_id)
        ).one_or_none()
        if row is None:
            return None
        regions = frozenset(
            self._session.scalars(
                select(t.OrganizerRegion.region_id).where(
                    t.OrganizerRegion.organizer_id == row.organizer_id
                )
            )
        )
        limit = (
            PeriodLimit(row.ticket_limit_volume, row.ticket_limit_period)
            if row.ticket_limit_volume is not None and row.ticket_limit_period is not None
            else None
        )
        return EventFacts(
            id=row.id,
            organizer_id=row.organizer_id,
            organizer_nis_code=row.nis_code,
            region_ids=regions,
            domain=row.domain,
            permanent=row.calendar_type is CalendarType.PERMANENT,
            ticket_limit=limit,
        )
