"""The demo regions load completely, and what they store respects the data-protection rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict
from passengine.domain.model import CardStatus, SocialTariffState, SocialTariffStatus
from passengine.domain.statuses import status_on
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import FixtureError, load_region, read_region_file
from passengine.services.pii import InszVault
from passengine.storage import tables as t
from tests.conftest import REGION_DIRS, TODAY

EXPECTED_STATES = {
    "active": SocialTariffState.ACTIVE,
    "grace": SocialTariffState.ACTIVE,
    "expired": SocialTariffState.EXPIRED,
    "suspended": SocialTariffState.SUSPENDED,
}


def load_all(session: Session, vault: InszVault) -> dict[int, dict[str, str]]:
    cards = {}
    for region_dir in REGION_DIRS:
        result = load_region(session, region_dir, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        cards[result.region_id] = result.demo_cards
    return cards


class TestDemoRegions:
    def test_load_with_their_municipalities_people_and_clients(
        self, session: Session, vault: InszVault
    ) -> None:
        load_all(session, vault)
        assert session.scalar(select(func.count()).select_from(t.Region)) == 3
        per_region = dict(
            session.execute(
                select(t.Membership.region_id, func.count()).group_by(t.Membership.region_id)
            ).all()
        )
        for region_dir in REGION_DIRS:
            spec = read_region_file(region_dir)
            expected = len(spec.demo_holders) + (
                spec.synthetic_holders.count if spec.synthetic_holders else 0
            )
            assert per_region[spec.region.id] == expected
        assert session.scalar(select(func.count()).select_from(t.ApiClient)) == 9
        multi = session.scalar(
            select(func.count())
            .select_from(t.RegionMunicipality)
            .where(t.RegionMunicipality.region_id == 1)
        )
        assert multi == 3  # Maasmechelen, Lanaken, Dilsen-Stokkem

    def test_demo_holders_have_the_status_their_key_promises(
        self, session: Session, vault: InszVault
    ) -> None:
        cards = load_all(session, vault)
        for demo_cards in cards.values():
            for key, expected in EXPECTED_STATES.items():
                row = session.execute(
                    select(t.SocialTariffStatusRow)
                    .join(t.Membership, t.Membership.id == t.SocialTariffStatusRow.membership_id)
                    .join(t.Card, t.Card.holder_id == t.Membership.holder_id)
                    .where(t.Card.uitpas_number == demo_cards[key])
                ).scalar_one()
                status = SocialTariffStatus(
                    "x", row.start_date, row.end_date, row.grace_period_days, row.suspended_until
                )
                assert status_on(status, TODAY).state is expected, key
                assert (
                    row.ground_id is not None
                )  # the ground is recorded (and never shown to desks)
            blocked = session.scalars(
                select(t.Card.status).where(t.Card.uitpas_number == demo_cards["blocked-card"])
            ).one()
            assert blocked is CardStatus.BLOCKED
        assert (session.scalar(select(func.count()).select_from(t.HouseholdLink)) or 0) >= 3

    def test_no_insz_is_stored_in_clear(self, session: Session, vault: InszVault) -> None:
        load_all(session, vault)
        holders = session.scalars(
            select(t.PassHolder).where(t.PassHolder.insz_encrypted.is_not(None))
        ).all()
        assert len(holders) > 100
        for holder in holders[:200]:
            assert holder.insz_encrypted is not None
            insz = vault.decrypt(holder.insz_encrypted)
            assert holder.insz_hash == vault.hash(insz)
            row_text = " ".join(
                str(getattr(holder, c.key))
                for c in t.PassHolder.__table__.columns
                if c.key != "insz_encrypted"
            )
            assert insz not in row_text
            assert insz.encode() not in holder.insz_encrypted
        audit_text = " ".join(str(d) for d in session.scalars(select(t.AuditEntry.details)))
        assert all(vault.decrypt(h.insz_encrypted or b"") not in audit_text for h in holders[:50])

    def test_events_today_are_stored_as_aware_utc_instants(
        self, session: Session, vault: InszVault
    ) -> None:
        load_all(session, vault)
        starts = session.scalars(
            select(t.Event.starts_at).where(t.Event.starts_at.is_not(None))
        ).all()
        assert starts
        assert all(s is not None and s.tzinfo is not None for s in starts)
        today_utc = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 20:00 in Brussels (CET, +01:00)
        assert today_utc in starts

    def test_a_second_load_of_a_region_is_refused_and_changes_nothing(
        self, session: Session, vault: InszVault
    ) -> None:
        load_region(session, REGION_DIRS[0], vault=vault, today=TODAY, actor=CLI_OPERATOR)
        before = session.scalar(select(func.count()).select_from(t.PassHolder))
        session.commit()  # a service owns its transaction: end the test's read first
        with pytest.raises(Conflict, match="already loaded"):
            load_region(session, REGION_DIRS[0], vault=vault, today=TODAY, actor=CLI_OPERATOR)
        assert session.scalar(select(func.count()).select_from(t.PassHolder)) == before

    def test_a_file_with_a_dangling_reference_is_refused_before_writing(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        text = (REGION_DIRS[0] / "region.toml").read_text(encoding="utf-8")
        first_desk_org = text.split("organizer_id = ", 1)[1].split("\n", 1)[0]
        broken = tmp_path / "region.toml"
        broken.write_text(
            text.replace(f"organizer_id = {first_desk_org}", 'organizer_id = "org-nope"', 1)
        )
        with pytest.raises(FixtureError, match="unknown organizer org-nope"):
            load_region(session, broken, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        assert session.scalar(select(func.count()).select_from(t.Region)) == 0


def test_today_is_a_fixed_monday_for_reproducible_fixtures() -> None:
    assert date(2026, 11, 23) == TODAY
    assert TODAY.isoweekday() == 1
