"""Money on the wire: euro with at most two decimals, in and out; integer cents inside.

Going out, ``cents / 100`` is the only float in the system: JSON has no decimal type, and the
shortest representation of that double is exactly the two-decimal amount (1235 → 12.35), which
is what serializers print. Nothing computes with it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from passengine.domain.errors import InvalidInput
from passengine.domain.tariffs import MAX_PRICE_CENTS


def to_euro(cents: int) -> float:
    return cents / 100


def to_cents(value: Decimal | str) -> int:
    """Parse euro ("12.5", "12,50", a JSON number read as Decimal) into cents, exactly."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise InvalidInput(f"{value!r} is not a price in euro.", code="invalid-price") from exc
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not isinstance(exponent, int) or exponent < -2:
        raise InvalidInput(
            f"{value!s} is not a price in euro with at most two decimals.", code="invalid-price"
        )
    cents = int(amount * 100)
    if not 0 <= cents <= MAX_PRICE_CENTS:
        raise InvalidInput("A regular price lies between €0 and €1,000,000.", code="invalid-price")
    return cents
