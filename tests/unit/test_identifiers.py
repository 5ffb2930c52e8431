from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, strategies as st
from stdnum import luhn
from stdnum.be import nn

from passengine.domain.errors import InvalidCardNumber, InvalidChipNumber, InvalidInsz
from passengine.domain.identifiers import (
    generate_card_number,
    insz_check_digits,
    is_valid_card_number,
    make_insz,
    normalise_chip_number,
    validate_card_number,
    validate_insz,
)

VALID_CARD = "4001000000004"  # 400100000000 + Luhn check digit 4


class TestValidateCardNumber:
    def test_accepts_thirteen_digits_with_a_valid_check_digit(self) -> None:
        assert luhn.is_valid(VALID_CARD)
        assert validate_card_number(VALID_CARD) == VALID_CARD

    def test_tolerates_white_space_around_a_scanned_number(self) -> None:
        assert validate_card_number(f"  {VALID_CARD}\n") == VALID_CARD

    @pytest.mark.parametrize(
        "bad",
        [
            "",
            "400100000000",  # 12 digits
            "40010000000044",  # 14 digits
            "40010000000O4",  # letter O
            "4001 00000000",  # inner space
            "٤٠٠١٠٠٠٠٠٠٠٠٤",  # Arabic-Indic digits pass str.isdigit but are no card number
            "\uff14\uff10\uff10\uff11" + "\uff10" * 8 + "\uff14",  # full-width digits
        ],
    )
    def test_refuses_wrong_length_or_characters(self, bad: str) -> None:
        with pytest.raises(InvalidCardNumber) as info:
            validate_card_number(bad)
        assert info.value.code == "invalid-uitpas-number"
        assert info.value.details["reason"] == "length_or_characters"

    def test_refuses_a_wrong_check_digit(self) -> None:
        with pytest.raises(InvalidCardNumber) as info:
            validate_card_number("4001000000005")
        assert info.value.details["reason"] == "check_digit"

    @given(st.integers(min_value=0))
    def test_generated_numbers_are_valid_thirteen_digits_not_starting_with_zero(
        self, seed: int
    ) -> None:
        number = generate_card_number(random.Random(seed))
        assert len(number) == 13
        assert number[0] != "0"
        assert is_valid_card_number(number)

    @given(st.integers(min_value=0), st.integers(0, 12), st.integers(1, 9))
    def test_any_single_mistyped_digit_is_caught(
        self, seed: int, position: int, delta: int
    ) -> None:
        number = generate_card_number(random.Random(seed))
        wrong = str((int(number[position]) + delta) % 10)
        mistyped = number[:position] + wrong + number[position + 1 :]
        assert not is_valid_card_number(mistyped)

    def test_generation_is_reproducible_from_the_seed(self) -> None:
        first = [generate_card_number(random.Random(7)) for _ in range(3)]
        again = [generate_card_number(random.Random(7)) for _ in range(3)]
        assert first == again


class TestNormaliseChipNumber:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("04a2b3c4d5e680", "04A2B3C4D5E680"),
            ("04:A2:B3:C4:D5:E6:80", "04A2B3C4D5E680"),
            ("04-a2-b3-c4", "04A2B3C4"),
            (" 04 a2 b3 c4 d5 e6 80 11 22 33 ", "04A2B3C4D5E680112233"),
        ],
    )
    def test_returns_upper_case_hex_without_separators(self, raw: str, expected: str) -> None:
        assert normalise_chip_number(raw) == expected

    @pytest.mark.parametrize("bad", ["", "04A2B3", "04A2B3C4D5E6", "04A2B3C4D5E6ZZ", "ü" * 14])
    def test_refuses_what_is_no_nfc_uid(self, bad: str) -> None:
        with pytest.raises(InvalidChipNumber):
            normalise_chip_number(bad)


class TestInsz:
    def test_accepts_a_number_as_printed_on_the_eid(self) -> None:
        assert validate_insz("85.07.30-033.28") == "85073003328"

    def test_births_from_2000_use_the_2_prefix(self) -> None:
        insz = make_insz(date(2003, 5, 17), 124)
        assert validate_insz(insz) == insz
        assert insz[-2:] == f"{97 - int('2' + insz[:9]) % 97:02d}"
        assert nn.get_birth_date(insz) == date(2003, 5, 17)
        # The same nine digits with the pre-2000 check digits belong to someone born in 1903.
        old_rule = insz[:9] + insz_check_digits(insz[:9], 1903)
        assert old_rule != insz
        assert nn.get_birth_date(old_rule) == date(1903, 5, 17)

    @pytest.mark.parametrize(
        "bad",
        ["", "8507300332", "850730033289", "85073003329", "85133003307", "abcdefghijk"],
    )
    def test_refuses_bad_checks_lengths_and_impossible_dates(self, bad: str) -> None:
        with pytest.raises(InvalidInsz):
            validate_insz(bad)

    def test_refuses_an_impossible_date_with_a_correct_checksum(self) -> None:
        first_nine = "851330033"  # month 13
        with pytest.raises(InvalidInsz):
            validate_insz(first_nine + insz_check_digits(first_nine, 1985))

    @given(st.dates(min_value=date(1901, 1, 1), max_value=date(2025, 12, 31)), st.integers(1, 997))
    def test_made_numbers_are_valid_for_any_birth_date(self, birth: date, serial: int) -> None:
        assert validate_insz(make_insz(birth, serial)) == make_insz(birth, serial)

    def test_serial_out_of_range_is_refused(self) -> None:
        with pytest.raises(InvalidInsz):
            make_insz(date(1990, 1, 1), 998)
