"""Every query lives here. Repositories take the session and return domain dataclasses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.model import HeldStatus, PassRecord, SocialTariffStatus
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
                t.Membership.points,
            )
            .join(t.PassHolder, t.PassHolder.id == t.Card.holder_id)
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
