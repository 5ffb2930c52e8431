"""The synthetic history of the demo regions: priced by the core, consistent with the ledger and
the budget counters, in the past, reproducible, and leaving the demo's own holders alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from passengine.domain.distribution import split
from passengine.domain.errors import Conflict
from passengine.domain.model import SocialTariffState, SocialTariffStatus
from passengine.domain.report_periods import utc_bounds, year_period
from passengine.domain.rules import Payer
from passengine.domain.statuses import status_on
from passengine.domain.tariffs import reduced_price
from passengine.services.activity_history import (
    START_TIMES,
    HistoryResult,
    HistorySpec,
    generate_history,
    holder_ids_for_cards,
)
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import RegionLoadResult, load_region, read_region_file
from passengine.services.pii import InszVault
from passengine.services.tariff_config import current_tariff_config, save_tariff_config
from passengine.storage import tables as t
from tests.conftest import MAASMECHELEN, REGION_DIRS, TODAY

BRUSSELS = ZoneInfo("Europe/Brussels")
SMALL = HistorySpec(months=4, seed=11)


def load(session: Session, vault: InszVault, path: Path = MAASMECHELEN) -> RegionLoadResult:
    session.commit()  # services own their transaction: end the test's reads first
    return load_region(session, path, vault=vault, today=TODAY, actor=CLI_OPERATOR)


def demo_holders(session: Session, result: RegionLoadResult) -> frozenset[str]:
    session.commit()
    return holder_ids_for_cards(session, result.demo_cards.values())


def generate(
    session: Session,
    result: RegionLoadResult,
    spec: HistorySpec = SMALL,
    exclude: frozenset[str] = frozenset(),
) -> HistoryResult:
    session.commit()
    return generate_history(
        session, region_id=result.region_id, spec=spec, today=TODAY, exclude_holder_ids=exclude
    )


def sales_of(session: Session, region_id: int) -> list[Any]:
    organizer = aliased(t.Organizer)
    return list(
        session.execute(
            select(t.TicketSale, t.PassHolder.nis_code, organizer.nis_code, t.Event)
            .join(t.PassHolder, t.PassHolder.id == t.TicketSale.holder_id)
            .join(organizer, organizer.id == t.TicketSale.organizer_id)
            .join(t.Event, t.Event.id == t.TicketSale.event_id)
            .where(t.TicketSale.region_id == region_id)
        ).all()
    )


def ledger(session: Session) -> dict[str, tuple[int, int]]:
    """Per holder: (balance, sum of ledger deltas)."""
    deltas = dict(
        session.execute(
            select(t.PointsTransaction.holder_id, func.sum(t.PointsTransaction.delta)).group_by(
                t.PointsTransaction.holder_id
            )
        ).all()
    )
    return {
        holder_id: (points, deltas.get(holder_id, 0))
        for holder_id, points in session.execute(select(t.PassHolder.id, t.PassHolder.points))
    }


def fingerprint(session: Session) -> tuple[Any, ...]:
    sales = session.execute(
        select(
            func.count(t.TicketSale.id),
            func.sum(t.TicketSale.holder_cents),
            func.sum(t.TicketSale.municipality_cents),
            func.min(t.TicketSale.id),
            func.max(t.TicketSale.created_at),
        )
    ).one()
    checkins = session.scalar(select(func.count()).select_from(t.Checkin))
    points = session.scalar(select(func.sum(t.PassHolder.points)))
    return (*sales, checkins, points)


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """Like the ``session`` fixture, for a test that needs two databases' worth of history."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


class TestDemoRegions:
    def test_every_demo_region_gets_a_past_of_its_own(
        self, session: Session, vault: InszVault
    ) -> None:
        for region_dir in REGION_DIRS:
            result = load(session, vault, region_dir)
            section = read_region_file(region_dir).activity_history
            assert section is not None, region_dir.name
            made = generate(session, result, section.to_spec(), demo_holders(session, result))
            assert made.events > 0, region_dir.name
            assert made.checkins > 0, region_dir.name
            assert 200 <= made.sales <= 1_500, (region_dir.name, made)
            stored = session.scalar(
                select(func.count())
                .select_from(t.TicketSale)
                .where(t.TicketSale.region_id == result.region_id)
            )
            assert stored == made.sales

    def test_events_lie_in_the_past_at_local_afternoon_or_evening_hours(
        self, session: Session, vault: InszVault
    ) -> None:
        made = generate(session, load(session, vault), HistorySpec(months=12, seed=3))
        events = session.scalars(select(t.Event).where(t.Event.id.like("hist-%"))).all()
        assert len(events) == made.events
        midnight = datetime.combine(TODAY, time(0), tzinfo=BRUSSELS)
        local_months = set()
        for event in events:
            assert event.starts_at is not None
            assert event.ends_at is not None
            assert event.ends_at <= midnight
            local = event.starts_at.astimezone(BRUSSELS)
            # The wall-clock start survives the UTC round trip in summer and winter time alike.
            assert local.time() in START_TIMES[event.domain], (event.id, local)
            assert f"-{local:%Y-%m}-" in event.id  # the id names the local month
            local_months.add(f"{local:%Y-%m}")
        # Twelve whole months before November 2026 and November up to yesterday.
        assert min(local_months) == "2025-11"
        assert max(local_months) == "2026-11"
        first = datetime(2025, 11, 1, tzinfo=BRUSSELS)
        assert min(e.starts_at for e in events if e.starts_at) >= first
        summer = {e.starts_at.utcoffset() for e in events if e.starts_at and e.starts_at.month == 7}
        assert summer == {UTC.utcoffset(None)}  # stored as UTC, whatever the local offset
        for sale, *_, event in sales_of(session, 1):
            assert event.starts_at is not None
            on = sale.created_at.astimezone(BRUSSELS).date()
            assert on == event.starts_at.astimezone(BRUSSELS).date()  # sold on the day
            assert sale.created_at < event.starts_at


class TestPricing:
    def test_every_sale_is_priced_and_split_by_the_current_configuration(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        generate(session, result)
        config = current_tariff_config(session, result.region_id)
        assert config is not None
        rules = {r.id: r for r in config.rules}
        rows = sales_of(session, result.region_id)
        assert rows
        for sale, holder_nis, organizer_nis, _ in rows:
            rule = rules[sale.rule_id]
            local = holder_nis == organizer_nis
            assert sale.config_version == config.version
            assert sale.key_id == rule.key_id
            assert sale.tariff_id == f"SOCIALTARIFF-{rule.id}"
            assert sale.holder_is_local is local
            assert sale.municipality_nis_code == holder_nis
            assert sale.holder_cents == reduced_price(rule, sale.regular_price_cents)
            assert 500 <= sale.regular_price_cents <= 2500
            assert sale.regular_price_cents % 50 == 0
            shares = split(
                sale.regular_price_cents,
                sale.holder_cents,
                config.keys[rule.key_id],
                holder_is_local=local,
            )
            stored = (
                sale.holder_cents,
                sale.organizer_cents,
                sale.municipality_cents,
                sale.region_cents,
            )
            assert stored == tuple(
                shares[p] for p in (Payer.HOLDER, Payer.ORGANIZER, Payer.MUNICIPALITY, Payer.REGION)
            )
            assert sum(stored) == sale.regular_price_cents
        assert {local for _, h, o, _ in rows for local in [h == o]} == {True, False}

    def test_only_holders_with_an_active_status_buy_at_the_reduced_rate(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        generate(session, result, HistorySpec(months=12, seed=5))
        statuses: dict[str, list[SocialTariffStatus]] = {}
        for holder_id, code, row in session.execute(
            select(t.Membership.holder_id, t.TargetGroup.code, t.SocialTariffStatusRow)
            .join(t.Membership, t.Membership.id == t.SocialTariffStatusRow.membership_id)
            .join(t.TargetGroup, t.TargetGroup.id == t.SocialTariffStatusRow.target_group_id)
        ):
            statuses.setdefault(holder_id, []).append(
                SocialTariffStatus(
                    code,
                    row.start_date,
                    row.end_date,
                    row.grace_period_days,
                    row.suspended_until,
                    row.ended_on,
                )
            )
        rows = sales_of(session, result.region_id)
        assert len(rows) > 100
        for sale, *_ in rows:
            day = sale.created_at.astimezone(BRUSSELS).date()
            states = [status_on(s, day).state for s in statuses.get(sale.holder_id, [])]
            assert SocialTariffState.ACTIVE in states, (sale.id, day)
        without_status = session.scalar(
            select(func.count())
            .select_from(t.TicketSale)
            .where(t.TicketSale.holder_id.not_in(list(statuses)))
        )
        assert without_status == 0
        # Holders without a status still take part: check-ins without a reduced-rate ticket.
        checked_in = set(session.scalars(select(t.Checkin.holder_id).distinct()))
        assert checked_in - set(statuses)

    def test_a_stop_budget_is_never_overspent_and_a_new_version_is_stamped(
        self, session: Session, vault: InszVault
    ) -> None:
        heist = next(d for d in REGION_DIRS if d.name == "heist-op-den-berg")
        result = load(session, vault, heist)
        session.commit()
        document = {
            "rules": [
                {
                    "id": "krap",
                    "priority": 1,
                    "target_groups": ["KANSENSTATUUT"],
                    "price": {"kind": "PERCENT_OF_PRICE", "value": 2000},
                    "key": "gemeente",
                }
            ],
            "keys": [
                {
                    "id": "gemeente",
                    "local": [
                        {"payer": "MUNICIPALITY", "kind": "PERCENT_OF_REMAINDER", "value": 5000}
                    ],
                    "other": [{"payer": "REGION", "kind": "PERCENT_OF_REMAINDER", "value": 5000}],
                }
            ],
            "budgets": {"12014": {"amount_cents": 5_000, "policy": "STOP"}},
        }
        version, _ = save_tariff_config(session, result.region_id, document, actor=CLI_OPERATOR)
        generate(session, result, HistorySpec(months=12, seed=9, status_participation=0.9))
        used = dict(
            session.execute(
                select(t.BudgetUsage.year, t.BudgetUsage.consumed_cents).where(
                    t.BudgetUsage.region_id == result.region_id, t.BudgetUsage.nis_code == "12014"
                )
            ).all()
        )
        assert used
        assert max(used.values()) <= 5_000
        assert max(used.values()) > 4_000  # the budget was the limit, not the demand
        versions = set(
            session.scalars(
                select(t.TicketSale.config_version)
                .where(t.TicketSale.region_id == result.region_id)
                .distinct()
            )
        )
        assert versions == {version}

    def test_a_forced_volume_respects_the_holders_yearly_cap(
        self, session: Session, vault: InszVault
    ) -> None:
        halle = next(d for d in REGION_DIRS if d.name == "halle")
        result = load(session, vault, halle)
        made = generate(session, result, HistorySpec(months=2, seed=2, sales_per_month=1_500))
        assert 1_500 <= made.sales <= 3 * 1_500
        paid = session.execute(
            select(func.sum(t.TicketSale.holder_cents))
            .where(t.TicketSale.region_id == result.region_id)
            .group_by(t.TicketSale.holder_id)
        ).scalars()
        highest = max(paid)
        assert 14_000 < highest <= 15_000  # Halle's cap on what a holder pays a year: €150


class TestConsistency:
    def test_the_points_ledger_still_adds_up_per_holder(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        before = ledger(session)
        made = generate(session, result)
        after = ledger(session)
        # Imported opening balances have no ledger row: what must hold is that every point the
        # history adds is on the holder and in the ledger, no more, no less.
        for holder_id, (points, deltas) in after.items():
            old_points, old_deltas = before[holder_id]
            assert points - deltas == old_points - old_deltas, holder_id
        earned = dict(
            session.execute(
                select(t.Checkin.holder_id, func.sum(t.Checkin.points)).group_by(
                    t.Checkin.holder_id
                )
            ).all()
        )
        for holder_id, total in earned.items():
            assert after[holder_id][1] - before[holder_id][1] == total
        reasons = set(session.scalars(select(t.PointsTransaction.reason).distinct()))
        assert reasons == {"CHECKIN"}
        assert sum(earned.values()) >= made.checkins  # every event gives at least one point

    def test_budget_usage_is_the_sum_of_the_municipality_shares_per_local_year(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        generate(session, result, HistorySpec(months=12, seed=8))
        usage = {
            (nis, year): consumed
            for nis, year, consumed in session.execute(
                select(t.BudgetUsage.nis_code, t.BudgetUsage.year, t.BudgetUsage.consumed_cents)
            )
        }
        assert {year for _, year in usage} == {2025, 2026}
        for year in (2025, 2026):
            lo, hi = utc_bounds(year_period(year), BRUSSELS)
            sums = session.execute(
                select(
                    t.TicketSale.municipality_nis_code, func.sum(t.TicketSale.municipality_cents)
                )
                .where(t.TicketSale.created_at >= lo, t.TicketSale.created_at < hi)
                .group_by(t.TicketSale.municipality_nis_code)
            ).all()
            assert sums
            for nis, cents in sums:
                assert usage[(nis, year)] == cents, (nis, year)

    def test_excluded_holders_are_left_exactly_as_they_were(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        excluded = demo_holders(session, result)
        assert len(excluded) == len(result.demo_cards)

        def state() -> tuple[Any, ...]:
            return (
                sorted(
                    session.execute(
                        select(t.PassHolder.id, t.PassHolder.points).where(
                            t.PassHolder.id.in_(excluded)
                        )
                    ).all()
                ),
                sorted(
                    session.execute(
                        select(t.SocialTariffStatusRow.id, t.SocialTariffStatusRow.start_date)
                        .join(t.Membership)
                        .where(t.Membership.holder_id.in_(excluded))
                    ).all()
                ),
            )

        before = state()
        generate(session, result, HistorySpec(months=12, seed=4), excluded)
        assert state() == before
        for table in (t.TicketSale, t.Checkin, t.PointsTransaction):
            touched = session.scalar(
                select(func.count()).select_from(table).where(table.holder_id.in_(excluded))
            )
            assert touched == 0, table.__tablename__
        assert (session.scalar(select(func.count()).select_from(t.TicketSale)) or 0) > 0

    def test_a_second_run_for_the_region_is_refused_and_changes_nothing(
        self, session: Session, vault: InszVault
    ) -> None:
        result = load(session, vault)
        generate(session, result)
        before = fingerprint(session)
        with pytest.raises(Conflict, match="already has a generated history"):
            generate(session, result, HistorySpec(months=4, seed=99))
        assert fingerprint(session) == before


def test_the_same_seed_gives_the_same_history(engine: Engine, vault: InszVault) -> None:
    def run(seed: int) -> tuple[Any, ...]:
        with rolled_back(engine) as session:
            result = load(session, vault)
            generate(session, result, HistorySpec(months=6, seed=seed))
            return fingerprint(session)

    first = run(21)
    assert first[0] > 0
    assert run(21) == first
    assert run(22) != first


def test_a_spec_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="1 to 48 months"):
        HistorySpec(months=0)
    with pytest.raises(ValueError, match="status_participation"):
        HistorySpec(status_participation=1.5)
