from __future__ import annotations

from dataclasses import fields

from sqlalchemy.orm import Session

from passengine.domain.model import CardStatus, MembershipStatus, PassRecord, SocialTariffState
from passengine.domain.statuses import status_on
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import load_region
from passengine.services.pii import InszVault
from passengine.storage.repositories import PassRepository
from tests.conftest import MAASMECHELEN, TODAY


class TestPassRepository:
    def test_finds_a_demo_card_with_its_membership_and_status(
        self, session: Session, vault: InszVault
    ) -> None:
        cards = load_region(session, MAASMECHELEN, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        record = PassRepository(session).by_uitpas_number(cards.demo_cards["grace"])
        assert record is not None
        assert record.region_id == 1
        assert record.card_status is CardStatus.ACTIVE
        assert record.membership_status is MembershipStatus.ACTIVE
        [held] = record.statuses
        view = status_on(held.status, TODAY)
        assert view.state is SocialTariffState.ACTIVE
        assert view.in_grace_period

    def test_a_holder_without_status_has_none_and_unknown_cards_are_none(
        self, session: Session, vault: InszVault
    ) -> None:
        cards = load_region(session, MAASMECHELEN, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        record = PassRepository(session).by_uitpas_number(cards.demo_cards["no-status"])
        assert record is not None
        assert record.statuses == ()
        assert PassRepository(session).by_uitpas_number("4001000000004") is None

    def test_a_pass_record_carries_no_personal_data_beyond_the_desks_needs(self) -> None:
        names = {f.name for f in fields(PassRecord)}
        assert not names & {"insz", "insz_hash", "birth_date", "street", "name", "ground", "email"}
