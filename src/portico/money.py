"""Currencies and amounts: integer minor units inside, decimal strings on the wire.

Requests accept a JSON number or a decimal string; more decimals than the currency's scale,
zero, negatives, NaN, exponents and absurd magnitudes are `400 VALIDATION.INVALID_PARAMETER`.
Responses always carry decimal strings with exactly the currency's scale (`"100.00"`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base
from portico.errors import InvalidParameter

# Above a trillion major units an amount is a typo or an attack, never a payment.
MAX_MAJOR_UNITS = Decimal(10) ** 12
_DECIMAL_STRING = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,18})?$")


class Currency(Base):
    """One row per currency the platform can hold; `scale` is its number of minor digits."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    scale: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # FIAT or STABLECOIN
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


def _decimal_in(value: Any) -> Decimal:
    """A request amount as an exact `Decimal`; never goes through `float` arithmetic."""
    if isinstance(value, bool):
        raise ValueError("amount must be a number or a decimal string")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # the shortest text that reads back as this float: 100.1 -> "100.1"
    elif isinstance(value, str):
        text = value.strip()
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
        {"anyOf": [{"type": "string", "pattern": _DECIMAL_STRING.pattern}, {"type": "number"}]}
    ),
]


def to_minor(amount: Decimal, scale: int) -> int:
    """`amount` in minor units; refuses zero, negatives, excess decimals and huge values."""
    if not amount.is_finite() or amount <= 0 or amount >= MAX_MAJOR_UNITS:
        raise InvalidParameter()
    minor = amount.scaleb(scale)
    if minor != minor.to_integral_value():
        raise InvalidParameter()
    return int(minor)


def to_wire(minor: int, scale: int) -> str:
    """Minor units as a decimal string with exactly `scale` decimals."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(scale + 1, "0")
    if scale == 0:
        return sign + digits
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


async def get_currency(session: AsyncSession, code: str) -> Currency:
    """An enabled currency by code, else `400 VALIDATION.INVALID_PARAMETER`."""
    currency = await session.get(Currency, code.upper()[:10]) if code else None
    if currency is None or not currency.enabled:
        raise InvalidParameter()
    return currency


# A currency's scale never changes once amounts exist in it, so each process keeps the table's
# scales after the first read (a currency added later is picked up on its first miss).
_scales: dict[str, int] = {}


async def currency_scales(session: AsyncSession, *codes: str) -> dict[str, int]:
    """Every currency's scale, by code (reread when one of `codes` is not known yet)."""
    if not _scales or any(code not in _scales for code in codes):
        rows = await session.execute(select(Currency.code, Currency.scale))
        _scales.update(dict(rows.all()))
    return _scales


async def enabled_currencies(session: AsyncSession) -> list[Currency]:
    rows = await session.execute(
        select(Currency).where(Currency.enabled.is_(True)).order_by(Currency.sort_order)
    )
    return list(rows.scalars())
