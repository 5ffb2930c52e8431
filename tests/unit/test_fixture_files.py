from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from passengine.services.fixture_files import resolve_date, resolve_instant
from passengine.services.fixtures import read_region_file
from passengine.services.synthetic import FIXTURE_SERIALS, Place, generate_holders
from tests.conftest import REGION_DIRS, TODAY

BRUSSELS = ZoneInfo("Europe/Brussels")


class TestResolveMoments:
    def test_relative_dates_count_from_today(self) -> None:
        assert resolve_date("+0d", today=TODAY) == TODAY
        assert resolve_date("-10d", today=TODAY) == date(2026, 11, 13)
        assert resolve_date("2027-04-30", today=TODAY) == date(2027, 4, 30)

    @pytest.mark.parametrize(
        ("today", "moment", "utc"),
        [
            # Winter time (CET, +01:00) and summer time (CEST, +02:00).
            (date(2026, 11, 23), "+0d 20:00", datetime(2026, 11, 23, 19, 0, tzinfo=UTC)),
            (date(2026, 7, 1), "+0d 20:00", datetime(2026, 7, 1, 18, 0, tzinfo=UTC)),
            # The day before the spring change, 20:00 the next day is already summer time.
            (date(2026, 3, 28), "+1d 20:00", datetime(2026, 3, 29, 18, 0, tzinfo=UTC)),
            # Across the autumn change.
            (date(2026, 10, 24), "+1d 20:00", datetime(2026, 10, 25, 19, 0, tzinfo=UTC)),
            # Just after midnight in Brussels is still the previous day in UTC.
            (date(2026, 11, 23), "+1d 00:30", datetime(2026, 11, 23, 23, 30, tzinfo=UTC)),
        ],
    )
    def test_relative_instants_are_wall_clock_times_in_the_region(
        self, today: date, moment: str, utc: datetime
    ) -> None:
        assert resolve_instant(moment, today=today, tz=BRUSSELS) == utc

    def test_absolute_instants_keep_their_offset_or_get_the_regions(self) -> None:
        assert resolve_instant("2026-12-05T20:00:00+01:00", today=TODAY, tz=BRUSSELS) == datetime(
            2026, 12, 5, 19, 0, tzinfo=UTC
        )
        assert resolve_instant("2026-07-05T20:00:00", today=TODAY, tz=BRUSSELS) == datetime(
            2026, 7, 5, 18, 0, tzinfo=UTC
        )


class TestDemoRegionFiles:
    @pytest.mark.parametrize("region_dir", REGION_DIRS, ids=lambda p: p.name)
    def test_validate_and_have_an_event_today_and_every_calendar_type(self, region_dir) -> None:  # type: ignore[no-untyped-def]
        spec = read_region_file(region_dir)
        kinds = {e.calendar_type.value for e in spec.events}
        assert kinds == {"SINGLE", "MULTIPLE", "PERIODIC", "PERMANENT"}
        assert any(e.starts_at and e.starts_at.startswith("+0d") for e in spec.events)
        assert {c.role.value for c in spec.api_clients} == {"DESK", "REFERRER", "REGION_ADMIN"}


class TestSyntheticHolders:
    PLACES = (Place("9000", "Gent", ("Veldstraat",)), Place("9030", None, ()))

    def test_are_deterministic_for_a_seed(self) -> None:
        first = list(
            generate_holders(region_id=1, places=self.PLACES, count=50, seed=9, today=TODAY)
        )
        again = list(
            generate_holders(region_id=1, places=self.PLACES, count=50, seed=9, today=TODAY)
        )
        other = list(
            generate_holders(region_id=1, places=self.PLACES, count=50, seed=10, today=TODAY)
        )
        assert first == again
        assert first != other

    def test_have_unique_cards_and_insz_numbers_and_no_future_births(self) -> None:
        rows = list(
            generate_holders(region_id=1, places=self.PLACES, count=2000, seed=1, today=TODAY)
        )
        assert len({r.uitpas_number for r in rows}) == 2000
        assert len({r.insz for r in rows}) == 2000
        assert all(r.birth_date <= TODAY for r in rows)
        assert all((r.target_group is None) == (r.status_end_date is None) for r in rows)


def test_demo_holders_use_insz_serials_that_generated_files_never_use() -> None:
    for region_dir in REGION_DIRS:
        for holder in read_region_file(region_dir).demo_holders:
            assert holder.insz is not None
            assert 1 <= int(holder.insz[6:9]) < FIXTURE_SERIALS[0]
