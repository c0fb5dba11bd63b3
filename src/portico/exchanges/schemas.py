"""Exchange bodies: quote request and answer, execution, and the exchange order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from portico.enums import ExchangeStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.exchanges.models import Exchange, ExchangeQuote
from portico.money import AmountIn, to_wire

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

    @classmethod
    def from_row(cls, quote: ExchangeQuote, scales: dict[str, int]) -> QuoteOut:
        return cls(
            quote_id=quote.biz_id,
            from_currency=quote.from_currency,
            to_currency=quote.to_currency,
            side=quote.side,
            from_amount=to_wire(quote.from_amount, scales[quote.from_currency]),
            to_amount=to_wire(quote.to_amount, scales[quote.to_currency]),
            rate=quote.rate,
            fee=to_wire(quote.fee, scales[quote.from_currency]),
            fee_currency=quote.from_currency,
            expires_at=quote.expires_at,
        )


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

    @classmethod
    def from_row(cls, exchange: Exchange, scales: dict[str, int]) -> ExchangeOut:
        return cls(
            biz_id=exchange.biz_id,
            workspace_biz_id=exchange.workspace_biz_id,
            quote_id=exchange.quote_biz_id,
            from_wallet_biz_id=exchange.from_wallet_biz_id,
            to_wallet_biz_id=exchange.to_wallet_biz_id,
            from_currency=exchange.from_currency,
            to_currency=exchange.to_currency,
            from_amount=to_wire(exchange.from_amount, scales[exchange.from_currency]),
            to_amount=to_wire(exchange.to_amount, scales[exchange.to_currency]),
            rate=exchange.rate,
            fee=to_wire(exchange.fee, scales[exchange.from_currency]),
            exchange_status=exchange.status,
            created_at=exchange.created_at,
            updated_at=exchange.updated_at,
            completed_at=exchange.completed_at,
        )
