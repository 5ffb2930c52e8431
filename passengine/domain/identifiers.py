"""Card numbers, chip numbers and INSZ numbers: validation and generation.

Card numbers are 13 digits with a Luhn check digit (desks scan them as Code 128). Every digit but
the check digit is random: unlike the 2017 UiTPAS numbering, no digit encodes the holder's status
or anything else about them (domain.md, "Identifiers"). Checksums come from python-stdnum rather
than hand-written code.
"""

from __future__ import annotations

import random
import re
from datetime import date

from stdnum import luhn
from stdnum.be import nn
from stdnum.exceptions import ValidationError

from passengine.domain.errors import InvalidCardNumber, InvalidChipNumber, InvalidInsz

CARD_NUMBER_LENGTH = 13
# 4-, 7- and 10-byte NFC UIDs (ISO 14443-3), written as hex.
CHIP_NUMBER_HEX_LENGTHS = (8, 14, 20)

_ASCII_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9A-F]+")
_CHIP_SEPARATORS = re.compile(r"[\s:\-]")
_INSZ_SEPARATORS = re.compile(r"[\s.\-]")


def validate_card_number(value: str) -> str:
    """Return the card number if it is 13 ASCII digits with a valid Luhn check digit.

    Surrounding white space from a scanner or a paste is tolerated; nothing else is. Unicode
    digits (Arabic-Indic, full-width) are refused: ``str.isdigit`` would accept them.
    """
    number = value.strip()
    if len(number) != CARD_NUMBER_LENGTH or not _ASCII_DIGITS.fullmatch(number):
        raise InvalidCardNumber(
            f"A card number has {CARD_NUMBER_LENGTH} digits; got {len(number)} characters.",
            reason="length_or_characters",
        )
    if not luhn.is_valid(number):
        raise InvalidCardNumber(
            "The card number's check digit is wrong: the number was mistyped or misread.",
            reason="check_digit",
        )
    return number


def is_valid_card_number(value: str) -> bool:
    try:
        validate_card_number(value)
    except InvalidCardNumber:
        return False
    return True


def generate_card_number(rng: random.Random) -> str:
    """Draw a fresh card number: 12 random digits and the Luhn check digit.

    The caller passes the random source (``random.SystemRandom()`` for real cards, a seeded
    ``random.Random`` for reproducible fixtures) so the core stays free of hidden randomness.
    The first digit is never 0, so the number survives spreadsheets that drop leading zeros.
    """
    body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(11))
    return body + luhn.calc_check_digit(body)


def normalise_chip_number(value: str) -> str:
    """Return the NFC UID as upper-case hex without separators (``04:a2:…`` → ``04A2…``)."""
    chip = _CHIP_SEPARATORS.sub("", value).upper()
    if not _HEX.fullmatch(chip) or len(chip) not in CHIP_NUMBER_HEX_LENGTHS:
        raise InvalidChipNumber(
            "A chip number is the card's NFC UID in hexadecimal: 8, 14 or 20 hex characters.",
        )
    return chip


def validate_insz(value: str) -> str:
    """Return the INSZ as 11 digits if its mod-97 check holds (with the rule for births from 2000).

    Dots, dashes and spaces as printed on an eID (``85.07.30-033.28``) are accepted.
    """
    digits = _INSZ_SEPARATORS.sub("", value)
    if len(digits) != 11 or not _ASCII_DIGITS.fullmatch(digits):
        raise InvalidInsz("An INSZ number has 11 digits.", reason="length_or_characters")
    try:
        return str(nn.validate(digits))
    except ValidationError as exc:
        raise InvalidInsz(
            "This INSZ number is not valid: its check digits or its date do not match.",
            reason="checksum_or_date",
        ) from exc


def insz_check_digits(first_nine: str, birth_year: int) -> str:
    """The two check digits for the 9 leading digits; births from 2000 are prefixed with 2."""
    base = int(("2" + first_nine) if birth_year >= 2000 else first_nine)
    return f"{97 - base % 97:02d}"


def make_insz(birth_date: date, serial: int) -> str:
    """Build a valid INSZ for a birth date and a day serial (1–997; odd for men, even for women).

    Used for synthetic holders in fixtures and benchmarks, never for real people.
    """
    if not 1 <= serial <= 997:
        raise InvalidInsz("The INSZ day serial runs from 001 to 997.", reason="serial")
    first_nine = f"{birth_date:%y%m%d}{serial:03d}"
    return first_nine + insz_check_digits(first_nine, birth_date.year)
