"""Tariff configurations are stored as versions per region, validated, audited, and price the
demo regions' events end to end (facts from the database, decision from the core)."""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.rules import Payer
from passengine.domain.tariffs import HolderFacts, QuoteRequest, quote
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import load_region
from passengine.services.pii import InszVault
from passengine.services.tariff_config import (
    TariffConfigError,
    current_tariff_config,
    save_tariff_config,
)
from passengine.storage import tables as t
from passengine.storage.repositories import EventRepository, PassRepository
from tests.conftest import MAASMECHELEN, REGION_DIRS, TODAY
from tests.factories import make_region
from tests.unit.test_tariff_config import VALID

BRUSSELS = ZoneInfo("Europe/Brussels")


class TestStoredConfigurations:
    def test_each_save_adds_a_version_and_an_audit_row(self, session: Session) -> None:
        make_region(session)
        session.commit()
        assert save_tariff_config(session, 90, VALID, actor=CLI_OPERATOR)[0] == 1
        cheaper = copy.deepcopy(VALID)
        cheaper["rules"][0]["price"]["value"] = 1000
        version, warnings = save_tariff_config(session, 90, cheaper, actor=CLI_OPERATOR)
        assert (version, warnings) == (2, [])
        config = current_tariff_config(session, 90)
        assert config is not None
        assert config.version == 2
        assert config.rules[0].price.value == 1000
        audits = session.scalars(
            select(t.AuditEntry.details).where(t.AuditEntry.action == "tariff_config.changed")
        ).all()
        assert [a["version"] for a in audits] == [1, 2]

    def test_an_invalid_document_writes_nothing(self, session: Session) -> None:
        make_region(session)
        session.commit()
        bad = copy.deepcopy(VALID)
        bad["rules"][0]["key"] = "missing"
        with pytest.raises(TariffConfigError, match=r"rules\[0\].key"):
            save_tariff_config(session, 90, bad, actor=CLI_OPERATOR)
        assert session.scalar(select(func.count()).select_from(t.TariffConfigRow)) == 0
        assert current_tariff_config(session, 90) is None

    def test_an_unknown_region_is_not_found(self, session: Session) -> None:
        with pytest.raises(Exception, match="does not exist") as info:
            save_tariff_config(session, 404, VALID, actor=CLI_OPERATOR)
        assert getattr(info.value, "code", None) == "cardsystem-not-found"


class TestDemoRegionsPriceTheirEvents:
    def test_every_demo_region_has_a_valid_configuration(
        self, session: Session, vault: InszVault
    ) -> None:
        for region_dir in REGION_DIRS:
            result = load_region(session, region_dir, vault=vault, today=TODAY, actor=CLI_OPERATOR)
            config = current_tariff_config(session, result.region_id)
            assert config is not None
            assert config.rules
            session.commit()  # end the read; the next load owns its transaction

    def test_an_active_demo_holder_gets_the_kansentarief_tonight(
        self, session: Session, vault: InszVault
    ) -> None:
        cards = load_region(session, MAASMECHELEN, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        config = current_tariff_config(session, 1)
        record = PassRepository(session).by_uitpas_number(cards.demo_cards["active"])
        event = EventRepository(session).tariff_facts("evt-cc-maasmechelen-comedy")
        assert config is not None
        assert record is not None
        assert event is not None
        request = QuoteRequest(
            event=event,
            regular_price_cents=1500,
            holder=HolderFacts(
                region_id=record.region_id,
                nis_code=record.nis_code,
                statuses=tuple(h.status for h in record.statuses),
            ),
        )
        at = datetime(2026, 11, 23, 19, 30, tzinfo=BRUSSELS)
        result = quote(request, config, at=at, tz=BRUSSELS)
        tariff = result.social_tariff
        assert tariff is not None
        assert tariff.price_cents == 300  # 20 % of €15
        assert tariff.shares[Payer.MUNICIPALITY] + tariff.shares[Payer.ORGANIZER] == 1200
        assert tariff.config_version == config.version

    def test_an_expired_demo_holder_is_told_why(self, session: Session, vault: InszVault) -> None:
        cards = load_region(session, MAASMECHELEN, vault=vault, today=TODAY, actor=CLI_OPERATOR)
        config = current_tariff_config(session, 1)
        record = PassRepository(session).by_uitpas_number(cards.demo_cards["expired"])
        event = EventRepository(session).tariff_facts("evt-cc-maasmechelen-comedy")
        assert config is not None
        assert record is not None
        assert event is not None
        result = quote(
            QuoteRequest(
                event=event,
                regular_price_cents=1500,
                holder=HolderFacts(
                    record.region_id, record.nis_code, tuple(h.status for h in record.statuses)
                ),
            ),
            config,
            at=datetime(2026, 11, 23, 19, 30, tzinfo=BRUSSELS),
            tz=BRUSSELS,
        )
        assert result.tariffs == ()
        assert "verlopen" in result.messages[0]["nl"]
