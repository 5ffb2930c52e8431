"""Money is integer cents; rates are basis points (1 % = 100 bp). One rounding rule everywhere.

Floats never touch a price: 20 % of €12.35 is computed as 1235 × 2000 / 10000 in integers and
rounded half up to a cent, the way a person at a till would round it.
"""

from __future__ import annotations

BASIS_POINTS = 10_000


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def apply_bp(amount_cents: int, basis_points: int) -> int:
    """``basis_points`` of ``amount_cents``, rounded half up to a cent."""
    return round_half_up(amount_cents * basis_points, BASIS_POINTS)


def format_euro(cents: int) -> str:
    """€ 12,35 as a Flemish desk writes it (used in end-user messages)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}€ {whole},{part:02d}"


def format_bp(basis_points: int) -> str:
    """2550 → "25,5 %"."""
    whole, part = divmod(basis_points, 100)
    return f"{whole} %" if part == 0 else f"{whole},{part:02d}".rstrip("0") + " %"
