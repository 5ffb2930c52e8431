"""The budget projection: linear over the days elapsed, integer cents, warnings by level."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from passengine.domain.budget_projection import (
    PROJECTED_OVER_BUDGET,
    assess,
    budget_warnings,
    days_elapsed,
    percent_of,
    project,
    validate_thresholds,
)
from passengine.domain.errors import InvalidInput


class TestDaysElapsed:
    def test_today_counts(self) -> None:
        assert days_elapsed(2026, date(2026, 1, 1)) == 1
        assert days_elapsed(2026, date(2026, 12, 31)) == 365

    def test_a_leap_year_has_366_days(self) -> None:
        assert days_elapsed(2028, date(2028, 12, 31)) == 366
        assert days_elapsed(2028, date(2028, 3, 1)) == 31 + 29 + 1

    def test_past_and_future_years(self) -> None:
        assert days_elapsed(2024, date(2026, 6, 1)) == 366
        assert days_elapsed(2027, date(2026, 6, 1)) == 0


class TestProject:
    def test_first_day_stretches_one_day_over_the_year(self) -> None:
        assert project(1000, year=2026, today=date(2026, 1, 1)) == 365_000
        assert project(1000, year=2028, today=date(2028, 1, 1)) == 366_000

    def test_last_day_is_what_was_consumed(self) -> None:
        assert project(123_457, year=2026, today=date(2026, 12, 31)) == 123_457
        assert project(123_457, year=2028, today=date(2028, 12, 31)) == 123_457

    def test_a_leap_day_counts_in_the_elapsed_days(self) -> None:
        # 29 February 2028 is day 60 of 366: 6000 × 366 / 60 = 36 600.
        assert project(6000, year=2028, today=date(2028, 2, 29)) == 36_600
        # 1 March 2026 is day 60 of 365: 6000 × 365 / 60 = 36 500.
        assert project(6000, year=2026, today=date(2026, 3, 1)) == 36_500

    def test_a_past_year_is_what_was_consumed(self) -> None:
        assert project(5000, year=2025, today=date(2026, 2, 1)) == 5000

    def test_a_future_year_is_nothing_yet(self) -> None:
        assert project(5000, year=2027, today=date(2026, 2, 1)) == 0

    def test_rounds_half_up_in_cents(self) -> None:
        # Day 2: 1 × 365 / 2 = 182.5 → 183; 3 × 365 / 2 = 547.5 → 548.
        assert project(1, year=2026, today=date(2026, 1, 2)) == 183
        assert project(3, year=2026, today=date(2026, 1, 2)) == 548
        # Day 3: 1 × 365 / 3 = 121.67 → 122; 2 × 365 / 3 = 243.33 → 243.
        assert project(1, year=2026, today=date(2026, 1, 3)) == 122
        assert project(2, year=2026, today=date(2026, 1, 3)) == 243

    def test_a_huge_amount_stays_exact(self) -> None:
        consumed = 10**15 + 1
        assert project(consumed, year=2026, today=date(2026, 1, 2)) == (consumed * 365 + 1) // 2

    @given(
        consumed=st.integers(min_value=0, max_value=10**12),
        day=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    )
    def test_never_below_consumed_and_within_half_a_cent(self, consumed: int, day: date) -> None:
        projected = project(consumed, year=2024, today=day)
        elapsed = (day - date(2024, 1, 1)).days + 1
        assert projected >= consumed
        assert abs(projected * elapsed * 2 - consumed * 366 * 2) <= elapsed


class TestPercent:
    def test_one_decimal_half_up(self) -> None:
        assert percent_of(1, 8) == 12.5
        assert percent_of(1, 3) == 33.3
        assert percent_of(2, 3) == 66.7
        assert percent_of(1, 1600) == 0.1  # 0.0625 % → 0.1
        assert percent_of(1, 2001) == 0.0

    def test_no_whole_no_percent(self) -> None:
        assert percent_of(10, None) is None
        assert percent_of(10, 0) is None


class TestThresholds:
    def test_each_level_reached_warns_once(self) -> None:
        assert budget_warnings(
            consumed_cents=7500,
            projected_cents=7500,
            budget_cents=10_000,
            thresholds=(75, 90, 100),
            current_year=False,
        ) == ("threshold-75",)
        assert budget_warnings(
            consumed_cents=10_000,
            projected_cents=10_000,
            budget_cents=10_000,
            thresholds=(75, 90, 100),
            current_year=False,
        ) == ("threshold-75", "threshold-90", "threshold-100")

    def test_one_cent_under_a_level_does_not_warn(self) -> None:
        assert (
            budget_warnings(
                consumed_cents=7499,
                projected_cents=7499,
                budget_cents=10_000,
                thresholds=(75,),
                current_year=False,
            )
            == ()
        )
        # 90 % of 333 cents is 299.7: 299 is under, 300 is over, compared without rounding.
        assert (
            budget_warnings(
                consumed_cents=299,
                projected_cents=0,
                budget_cents=333,
                thresholds=(90,),
                current_year=False,
            )
            == ()
        )
        assert budget_warnings(
            consumed_cents=300,
            projected_cents=0,
            budget_cents=333,
            thresholds=(90,),
            current_year=False,
        ) == ("threshold-90",)

    def test_projection_over_budget_warns_only_in_the_current_year(self) -> None:
        kwargs = {"consumed_cents": 100, "projected_cents": 10_001, "budget_cents": 10_000}
        assert budget_warnings(**kwargs, thresholds=(75,), current_year=True) == (
            PROJECTED_OVER_BUDGET,
        )
        assert budget_warnings(**kwargs, thresholds=(75,), current_year=False) == ()
        exactly = {"consumed_cents": 100, "projected_cents": 10_000, "budget_cents": 10_000}
        assert budget_warnings(**exactly, thresholds=(), current_year=True) == ()

    def test_no_budget_no_warnings(self) -> None:
        projection = assess(10**9, budget_cents=None, year=2026, today=date(2026, 1, 1))
        assert projection.warnings == ()
        assert projection.consumed_percent is None
        assert projection.projected_percent is None
        assert projection.projected_cents == 365 * 10**9

    def test_a_zero_budget_is_spent_at_once(self) -> None:
        projection = assess(0, budget_cents=0, year=2026, today=date(2026, 5, 1))
        assert projection.warnings == ("threshold-75", "threshold-90", "threshold-100")
        assert projection.consumed_percent is None

    @pytest.mark.parametrize(
        "levels", [(0,), (1001,), (90, 75), (75, 75), (75.5,), (True,), (-5, 90)]
    )
    def test_invalid_levels_are_refused(self, levels: tuple[int, ...]) -> None:
        with pytest.raises(InvalidInput) as info:
            validate_thresholds(levels)
        assert info.value.code == "invalid-thresholds"

    def test_valid_levels(self) -> None:
        assert validate_thresholds([1, 50, 1000]) == (1, 50, 1000)
        assert validate_thresholds(()) == ()


class TestAssess:
    def test_mid_year_in_a_leap_year(self) -> None:
        # 1 July 2028 is day 183 of 366: the pace doubles 40 000 to 80 000.
        today = date(2028, 7, 1)
        assert (today - date(2028, 1, 1)) + timedelta(days=1) == timedelta(days=183)
        projection = assess(40_000, budget_cents=50_000, year=2028, today=today)
        assert projection.projected_cents == 80_000
        assert projection.consumed_percent == 80.0
        assert projection.projected_percent == 160.0
        assert projection.warnings == ("threshold-75", PROJECTED_OVER_BUDGET)

    def test_custom_levels(self) -> None:
        projection = assess(
            60_000, budget_cents=50_000, year=2025, today=date(2026, 1, 5), thresholds=(50, 120)
        )
        assert projection.projected_cents == 60_000
        assert projection.warnings == ("threshold-50", "threshold-120")

    def test_checks_the_levels(self) -> None:
        with pytest.raises(InvalidInput):
            assess(1, budget_cents=1, year=2026, today=date(2026, 1, 1), thresholds=(100, 90))
