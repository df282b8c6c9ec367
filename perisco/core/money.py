"""Money: euros as `Decimal`, built from strings (never floats), rounded once per line with
ROUND_HALF_UP, as French public accounting does; totals are sums of rounded lines."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """To the cent, halves away from zero (2.345 → 2.35, -2.345 → -2.35)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
