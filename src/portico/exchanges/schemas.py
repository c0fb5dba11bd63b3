"""Exchange bodies: quote request and answer, execution, and the exchange order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from portico.enums import ExchangeStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.money import AmountIn

CurrencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=10)
]
QuoteId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class QuoteIn(RequestModel):
    """`side` SELL: `amount` is what you give (fromCurrency); BUY: what you get (toCurrency)."""

    from_currency: CurrencyCode
    to_currency: CurrencyCode
    amount: AmountIn
    side: Literal["SELL", "BUY"] = "SELL"


class QuoteOut(WireModel):
    quote_id: str
    from_currency: str
    to_currency: str
    side: str
    from_amount: str
    to_amount: str
    rate: str
    fee: str
    fee_currency: str
    expires_at: UtcDateTime


class ExchangeIn(RequestModel):
    quote_id: QuoteId


class ExchangeOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    quote_id: str
    from_wallet_biz_id: str
    to_wallet_biz_id: str
    from_currency: str
    to_currency: str
    from_amount: str
    to_amount: str
    rate: str
    fee: str
    exchange_status: EnumObject[ExchangeStatus]
    created_at: UtcDateTime
    updated_at: UtcDateTime
    completed_at: UtcDateTime | None
