"""A municipality's yearly budget (trekkingsrecht + own contribution) against what it consumed.

The projection is linear: what was spent in the days elapsed so far, stretched over the whole
year. It is deliberately naive (no seasonality): the council wants an early, explainable signal,
not a forecast. Cents stay integers; the only floats are percentages rounded for display.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from passengine.domain.errors import InvalidInput
from passengine.domain.money import round_half_up

DEFAULT_THRESHOLDS: tuple[int, ...] = (75, 90, 100)
MAX_THRESHOLD = 1000
"""Ten times the budget: beyond that a warning level says nothing a person would act on."""
PROJECTED_OVER_BUDGET = "projected-over-budget"


@dataclass(frozen=True, slots=True)
class Projection:
    projected_cents: int
    consumed_percent: float | None
    projected_percent: float | None
    warnings: tuple[str, ...]


def validate_thresholds(thresholds: Sequence[int]) -> tuple[int, ...]:
    """Warning levels in percent, ascending without repeats, so each warning code means one
    thing and the codes come out in a stable order."""
    levels = tuple(thresholds)
    if any(isinstance(t, bool) or not isinstance(t, int) for t in levels):
        raise InvalidInput("Thresholds are whole percentages.", code="invalid-thresholds")
    if any(not 1 <= t <= MAX_THRESHOLD for t in levels):
        raise InvalidInput(
            f"Thresholds lie between 1 and {MAX_THRESHOLD} percent.", code="invalid-thresholds"
        )
    if any(a >= b for a, b in pairwise(levels)):
        raise InvalidInput(
            "Thresholds are listed in ascending order, each once.", code="invalid-thresholds"
        )
    return levels


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def days_elapsed(year: int, today: date) -> int:
    """Days of ``year`` that have started by ``today``, today included."""
    if year < today.year:
        return days_in_year(year)
    if year > today.year:
        return 0
    return today.timetuple().tm_yday


def project(consumed_cents: int, *, year: int, today: date) -> int:
    """Year-end consumption if spending goes on at the pace so far; a closed year is what it
    was, a year not begun is nothing yet."""
    elapsed = days_elapsed(year, today)
    if elapsed == 0:
        return 0
    return round_half_up(consumed_cents * days_in_year(year), elapsed)


def percent_of(part_cents: int, whole_cents: int | None) -> float | None:
    """One decimal, rounded half up in integers; None without a (non-zero) whole to divide by."""
    if not whole_cents:
        return None
    return round_half_up(part_cents * 1000, whole_cents) / 10


def budget_warnings(
    *,
    consumed_cents: int,
    projected_cents: int,
    budget_cents: int | None,
    thresholds: Sequence[int],
    current_year: bool,
) -> tuple[str, ...]:
    """``threshold-<t>`` for every level reached and ``projected-over-budget`` while the year
    runs. A budget of zero is reached at once: nothing may be charged to it."""
    if budget_cents is None:
        return ()
    codes = [f"threshold-{t}" for t in thresholds if consumed_cents * 100 >= t * budget_cents]
    if current_year and projected_cents > budget_cents:
        codes.append(PROJECTED_OVER_BUDGET)
    return tuple(codes)


def assess(
    consumed_cents: int,
    *,
    budget_cents: int | None,
    year: int,
    today: date,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
) -> Projection:
    """Everything the budget view shows for one municipality in one year."""
    projected = project(consumed_cents, year=year, today=today)
    return Projection(
        projected_cents=projected,
        consumed_percent=percent_of(consumed_cents, budget_cents),
        projected_percent=percent_of(projected, budget_cents),
        warnings=budget_warnings(
            consumed_cents=consumed_cents,
            projected_cents=projected,
            budget_cents=budget_cents,
            thresholds=validate_thresholds(thresholds),
            current_year=year == today.year,
        ),
    )
