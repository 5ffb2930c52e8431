from __future__ import annotations

from datetime import date

import pytest

from passengine.domain.model import SocialTariffState, SocialTariffStatus
from passengine.domain.statuses import default_end_date, status_on

STATUS = SocialTariffStatus(
    target_group="KANSENSTATUUT",
    start_date=date(2026, 5, 1),
    end_date=date(2027, 4, 30),
    grace_period_days=30,
)


class TestStatusOn:
    @pytest.mark.parametrize(
        ("day", "state", "in_grace"),
        [
            (date(2026, 4, 30), SocialTariffState.EXPIRED, False),  # before the start
            (date(2026, 5, 1), SocialTariffState.ACTIVE, False),
            (date(2027, 4, 30), SocialTariffState.ACTIVE, False),  # the end date itself counts
            (date(2027, 5, 1), SocialTariffState.ACTIVE, True),  # grace period starts
            (date(2027, 5, 30), SocialTariffState.ACTIVE, True),  # last day of grace
            (date(2027, 5, 31), SocialTariffState.EXPIRED, False),
        ],
    )
    def test_follows_start_end_and_grace_period(
        self, day: date, state: SocialTariffState, in_grace: bool
    ) -> None:
        view = status_on(STATUS, day)
        assert (view.state, view.in_grace_period) == (state, in_grace)
        assert view.end_date == date(2027, 4, 30)

    def test_is_suspended_until_and_including_the_suspension_date(self) -> None:
        suspended = SocialTariffStatus(
            "KANSENSTATUUT", date(2026, 5, 1), date(2027, 4, 30), 0, date(2026, 12, 31)
        )
        assert status_on(suspended, date(2026, 12, 31)).state is SocialTariffState.SUSPENDED
        assert status_on(suspended, date(2026, 12, 31)).suspended_until == date(2026, 12, 31)
        assert status_on(suspended, date(2027, 1, 1)).state is SocialTariffState.ACTIVE

    def test_an_early_end_expires_the_status_without_grace(self) -> None:
        ended = SocialTariffStatus(
            "KANSENSTATUUT", date(2026, 5, 1), date(2027, 4, 30), 30, ended_on=date(2026, 9, 1)
        )
        assert status_on(ended, date(2026, 8, 31)).state is SocialTariffState.ACTIVE
        view = status_on(ended, date(2026, 9, 1))
        assert view.state is SocialTariffState.EXPIRED
        assert view.end_date == date(2026, 9, 1)


class TestDefaultEndDate:
    @pytest.mark.parametrize(
        ("granted", "expected"),
        [
            (date(2026, 1, 1), date(2027, 4, 30)),
            (date(2026, 11, 23), date(2027, 4, 30)),
            (date(2026, 12, 31), date(2027, 4, 30)),
        ],
    )
    def test_is_30_april_of_the_next_year(self, granted: date, expected: date) -> None:
        assert default_end_date(granted) == expected
