"""The card price of a case (age, status, reason) on a day, and the validation of a list."""

from __future__ import annotations

from datetime import date

import pytest

from passengine.domain.card_prices import (
    CardPrice,
    CardPriceReason,
    card_price,
    list_in_force,
    validate_card_prices,
)
from passengine.domain.distribution import IssueLevel

FIRST, LOSS, CHANGE = (
    CardPriceReason.FIRST_CARD,
    CardPriceReason.LOSS,
    CardPriceReason.STATUS_CHANGE,
)
JAN_2026 = date(2026, 1, 1)
JAN_2027 = date(2027, 1, 1)

PRICES_2026 = (
    CardPrice(FIRST, 500, JAN_2026, min_age=18, with_status=False),
    CardPrice(FIRST, 200, JAN_2026, max_age=17, with_status=False),
    CardPrice(FIRST, 0, JAN_2026, with_status=True),
    CardPrice(LOSS, 500, JAN_2026),
)
PRICES_2027 = (CardPrice(FIRST, 700, JAN_2027, with_status=False),)


def price(age: int, has_status: bool, reason: CardPriceReason, on: date) -> int | None:
    found = card_price(
        PRICES_2026 + PRICES_2027, age=age, has_status=has_status, reason=reason, on=on
    )
    return found.price_cents if found else None


class TestCardPrice:
    @pytest.mark.parametrize(
        ("age", "has_status", "reason", "expected"),
        [
            (30, False, FIRST, 500),
            (18, False, FIRST, 500),
            (17, False, FIRST, 200),
            (0, False, FIRST, 200),
            (30, True, FIRST, 0),
            (10, True, LOSS, 500),
            (70, False, LOSS, 500),
            (30, True, CHANGE, None),
        ],
    )
    def test_picks_the_one_price_that_matches(
        self, age: int, has_status: bool, reason: CardPriceReason, expected: int | None
    ) -> None:
        assert price(age, has_status, reason, date(2026, 6, 1)) == expected

    def test_a_new_list_replaces_the_old_one_as_a_whole(self) -> None:
        assert price(30, False, FIRST, date(2026, 12, 31)) == 500
        assert price(30, False, FIRST, JAN_2027) == 700
        assert price(10, False, FIRST, JAN_2027) == 700  # no age bands in the new list
        assert price(30, False, LOSS, JAN_2027) is None  # the 2027 list has no LOSS price
        assert price(30, True, FIRST, JAN_2027) is None

    def test_before_the_first_list_there_is_no_price(self) -> None:
        assert price(30, False, FIRST, date(2025, 12, 31)) is None
        assert list_in_force(PRICES_2026, on=date(2025, 12, 31)) == ()

    def test_a_negative_age_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            card_price(PRICES_2026, age=-1, has_status=False, reason=FIRST, on=JAN_2026)

    def test_an_ambiguous_stored_list_is_refused_rather_than_guessed(self) -> None:
        twice = (CardPrice(LOSS, 500, JAN_2026), CardPrice(LOSS, 300, JAN_2026, max_age=17))
        with pytest.raises(ValueError, match="ambiguous"):
            card_price(twice, age=10, has_status=False, reason=LOSS, on=JAN_2026)


def errors(prices: tuple[CardPrice, ...]) -> list[tuple[str, str]]:
    return [(i.field, i.code) for i in validate_card_prices(prices) if i.level is IssueLevel.ERROR]


class TestValidateCardPrices:
    def test_a_complete_list_has_no_issues(self) -> None:
        assert validate_card_prices(PRICES_2026) == []

    def test_overlapping_age_ranges_for_the_same_status_are_refused(self) -> None:
        prices = (
            CardPrice(FIRST, 500, JAN_2026, min_age=0, max_age=18),
            CardPrice(FIRST, 200, JAN_2026, min_age=18),
        )
        assert errors(prices) == [("prices[1]", "overlapping-card-prices")]

    def test_a_price_for_both_statuses_overlaps_a_price_for_one(self) -> None:
        prices = (CardPrice(LOSS, 500, JAN_2026), CardPrice(LOSS, 0, JAN_2026, with_status=True))
        assert errors(prices) == [("prices[1]", "overlapping-card-prices")]

    def test_the_same_ages_for_different_statuses_or_reasons_do_not_overlap(self) -> None:
        prices = (
            CardPrice(LOSS, 500, JAN_2026, with_status=False),
            CardPrice(LOSS, 0, JAN_2026, with_status=True),
            CardPrice(CHANGE, 0, JAN_2026),
        )
        assert errors(prices) == []

    @pytest.mark.parametrize(
        ("bad", "field", "code"),
        [
            (CardPrice(FIRST, -1, JAN_2026), "prices[0].price_cents", "negative"),
            (CardPrice(FIRST, 1, JAN_2026, min_age=131), "prices[0].min_age", "age-out-of-range"),
            (CardPrice(FIRST, 1, JAN_2026, min_age=20, max_age=10), "prices[0].max_age",
             "empty-age-range"),
        ],
    )  # fmt: skip
    def test_bad_bounds_name_the_field(self, bad: CardPrice, field: str, code: str) -> None:
        assert errors((bad,)) == [(field, code)]

    def test_one_list_has_one_valid_from(self) -> None:
        prices = (CardPrice(FIRST, 1, JAN_2026), CardPrice(LOSS, 1, JAN_2027))
        assert errors(prices) == [("valid_from", "mixed-valid-from")]

    def test_ages_left_uncovered_are_warnings(self) -> None:
        prices = (
            CardPrice(FIRST, 500, JAN_2026, min_age=12, max_age=64, with_status=False),
            CardPrice(FIRST, 0, JAN_2026, with_status=True),
        )
        warnings = [
            i.message for i in validate_card_prices(prices) if i.level is IssueLevel.WARNING
        ]
        assert warnings == [
            "FIRST_CARD: no price for holders without a status aged 0–11",
            "FIRST_CARD: no price for holders without a status aged 65–130",
        ]
