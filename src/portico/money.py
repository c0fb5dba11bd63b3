"""Currencies and amounts: integer minor units inside, decimal strings on the wire.

Requests accept a JSON number or a decimal string; more decimals than the currency's scale,
zero, negatives, NaN, exponents and absurd magnitudes are `400 VALIDATION.INVALID_PARAMETER`.
A decimal string is taken as written: no spaces, and no more decimal places than the scale,
zeros included (`"1.000"` is refused for USD). A JSON number is taken by its value, as JSON
parsers read it (`1.000` is the number 1). Responses always carry decimal strings with exactly
the currency's scale (`"100.00"`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base
from portico.errors import InvalidParameter, NotFound
from portico.pii import NOT_PII

# Above a trillion major units an amount is a typo or an attack, never a payment.
MAX_MAJOR_UNITS = Decimal(10) ** 12


class Currency(Base):
    """One row per currency the platform can hold; `scale` is its number of minor digits."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), info=NOT_PII)
    scale: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # FIAT or STABLECOIN
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


# The seed of the currency table (the migration inserts a frozen copy of these rows).
SEED_CURRENCIES: tuple[tuple[str, str, int, str], ...] = (
    ("USD", "US Dollar", 2, "FIAT"),
    ("EUR", "Euro", 2, "FIAT"),
    ("GBP", "Pound Sterling", 2, "FIAT"),
    ("CNY", "Chinese Yuan", 2, "FIAT"),
    ("JPY", "Japanese Yen", 0, "FIAT"),
    ("HKD", "Hong Kong Dollar", 2, "FIAT"),
    ("SGD", "Singapore Dollar", 2, "FIAT"),
    ("AUD", "Australian Dollar", 2, "FIAT"),
    ("CAD", "Canadian Dollar", 2, "FIAT"),
    ("CHF", "Swiss Franc", 2, "FIAT"),
    ("USDT", "Tether USD", 6, "STABLECOIN"),
    ("USDC", "USD Coin", 6, "STABLECOIN"),
)
# No amount of any currency has more decimals than the largest scale.
MAX_SCALE = max(scale for _, _, scale, _ in SEED_CURRENCIES)
_DECIMAL_STRING = re.compile(rf"^[0-9]{{1,12}}(\.[0-9]{{1,{MAX_SCALE}}})?$")


def _decimal_in(value: Any) -> Decimal:
    """A request amount as an exact `Decimal`; never goes through `float` arithmetic."""
    if isinstance(value, bool):
        raise ValueError("amount must be a number or a decimal string")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        # The shortest text that reads back as this float (100.1 -> "100.1"), without the
        # ".0" of a whole number: a JSON number has a value, not a number of decimals.
        text = repr(value)
        if "." in text and "e" not in text:
            text = text.rstrip("0").rstrip(".")
    elif isinstance(value, str):
        text = value
    elif isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else "nan"
    else:
        raise ValueError("amount must be a number or a decimal string")
    if not _DECIMAL_STRING.match(text):
        raise ValueError("amount must be a plain positive decimal")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules these out
        raise ValueError("amount is not a decimal") from exc


# A request amount: JSON number or decimal string, checked against the currency later.
AmountIn = Annotated[
    Decimal,
    PlainValidator(_decimal_in),
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    WithJsonSchema(
        {
            "description": "A positive amount of at most the currency's decimals (USD 2, JPY "
            "0, USDT 6), below 10^12: a decimal string as written (no spaces, no extra zeros) "
            "or a JSON number (no exponent)",
            "anyOf": [
                {"type": "string", "pattern": _DECIMAL_STRING.pattern},
                {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10**12},
            ],
        }
    ),
]


def decimals_of(amount: Decimal) -> int:
    """How many decimal places `amount` is written with (`Decimal("1.000")`: 3)."""
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def to_minor(amount: Decimal, scale: int, *, field: str = "amount") -> int:
    """`amount` in minor units; refuses zero, negatives, more decimals than `scale` (as
    written) and huge values, naming `field`."""
    if not amount.is_finite() or amount <= 0 or amount >= MAX_MAJOR_UNITS:
        raise InvalidParameter(field)
    if decimals_of(amount) > scale:
        raise InvalidParameter(field)
    return int(amount.scaleb(scale))


def to_wire(minor: int, scale: int) -> str:
    """Minor units as a decimal string with exactly `scale` decimals."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(scale + 1, "0")
    if scale == 0:
        return sign + digits
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


# A currency's scale never changes once amounts exist in it, so each process keeps the table's
# scales after the first read (a currency added later is picked up on its first miss). Every
# scale is read from here: `scale_of` (one currency), `currency_scales` (a page of rows) and
# `known_scale` (the short paths, which do not await); `enabled_currency` reads the row, whose
# `enabled` may change, and keeps its scale here.
_scales: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class CurrencyScale:
    code: str
    scale: int


async def enabled_currency(
    session: AsyncSession, code: str, *, field: str = "currency"
) -> CurrencyScale:
    """An enabled currency's code and scale, else `400 VALIDATION.INVALID_PARAMETER` naming
    `field` (a request names a currency: it must exist and be enabled now)."""
    currency = await session.get(Currency, code.upper()[:10]) if code else None
    if currency is None or not currency.enabled:
        raise InvalidParameter(field)
    _scales[currency.code] = currency.scale
    return CurrencyScale(currency.code, currency.scale)


def known_scale(code: str) -> int | None:
    """The scale of `code` if this process has read it already, else None."""
    return _scales.get(code)


async def currency_scales(session: AsyncSession, *codes: str) -> dict[str, int]:
    """Every currency's scale, by code (reread when one of `codes` is not known yet)."""
    if not _scales or any(code not in _scales for code in codes):
        rows = await session.execute(select(Currency.code, Currency.scale))
        _scales.update(dict(rows.all()))
    return _scales


async def scale_of(session: AsyncSession, code: str) -> int:
    """The scale of a currency stored on a row (a wallet's, an order's); 404 if unknown."""
    scales = await currency_scales(session, code)
    if code not in scales:
        raise NotFound()
    return scales[code]


async def enabled_currencies(session: AsyncSession) -> list[Currency]:
    rows = await session.execute(
        select(Currency).where(Currency.enabled.is_(True)).order_by(Currency.sort_order)
    )
    return list(rows.scalars())
