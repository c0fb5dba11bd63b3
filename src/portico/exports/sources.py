"""What each export type contains: its rows (one query, streamed in id order, oldest first),
its columns, and the permission needed to read them.

Cells are text: amounts as decimal strings with their currency's scale, times as ISO-8601 UTC,
the same as the API shows them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from portico.exchanges.models import Exchange
from portico.exports.sqltext import iso_text, money_text
from portico.ledger.models import LedgerEntry
from portico.ledger.service import AVAILABLE
from portico.money import Currency, to_wire
from portico.recharges.models import Recharge
from portico.tenancy import scoped
from portico.transfers import service as transfer_service
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.withdrawals.models import Withdrawal


@dataclass(frozen=True, slots=True)
class Filters:
    workspace_id: int
    start: datetime | None
    end: datetime | None
    wallet_id: int | None
    wallet_biz_id: str | None


Row = Sequence[Any]
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
Cells = list[str]


def iso(value: datetime | str | None) -> str:
    """ISO-8601 UTC with microseconds and `Z`, as the API writes times (`isoformat` is several
    times faster than `strftime`); PostgreSQL sends it formatted already (`iso_text`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()[:-6]  # without "+00:00"; the default form is the fastest
    return f"{text}Z" if value.microsecond else f"{text}.000000Z"


def money(value: int | str, scale: int) -> str:
    """Minor units as the API's decimal string; PostgreSQL sends it formatted (`money_text`)."""
    return value if isinstance(value, str) else to_wire(value, scale)


def _window(statement: AnySelect, column: Any, filters: Filters) -> AnySelect:
    if filters.start is not None:
        statement = statement.where(column >= filters.start)
    if filters.end is not None:
        statement = statement.where(column <= filters.end)
    return statement


@dataclass(frozen=True, slots=True)
class Source:
    permission: str
    file_stem: str
    columns: tuple[str, ...]
    query: Callable[[Filters], AnySelect]
    # (row, scales of every currency, the exporting workspace's id) -> the row's cells
    cells: Callable[[Row, dict[str, int], int], Cells]
    # the columns of text users typed (escaped against formula injection in CSV)
    text_columns: tuple[str, ...] = ("remark",)

    @property
    def text_indexes(self) -> tuple[int, ...]:
        return tuple(self.columns.index(name) for name in self.text_columns if name in self.columns)


def _flows(filters: Filters) -> AnySelect:
    statement = (
        select(
            LedgerEntry.id,
            Wallet.biz_id,
            LedgerEntry.currency,
            LedgerEntry.amount,
            LedgerEntry.biz_type,
            LedgerEntry.order_biz_id,
            money_text(func.abs(LedgerEntry.amount), Currency.scale),
            money_text(func.coalesce(LedgerEntry.balance_before, 0), Currency.scale),
            money_text(func.coalesce(LedgerEntry.balance_after, 0), Currency.scale),
            LedgerEntry.remark,
            iso_text(LedgerEntry.created_at),
        )
        .join(Wallet, Wallet.id == LedgerEntry.wallet_id)
        .join(Currency, Currency.code == LedgerEntry.currency)
        # a sandbox reset hides the flows before it
        .where(LedgerEntry.account == AVAILABLE, LedgerEntry.id > Wallet.flows_since)
        .order_by(LedgerEntry.id)
    )
    if filters.wallet_id is not None:
        statement = statement.where(LedgerEntry.wallet_id == filters.wallet_id)
    statement = _window(statement, LedgerEntry.created_at, filters)
    return scoped(statement, LedgerEntry, filters.workspace_id)


def _flow_cells(row: Row, scales: dict[str, int], _: int) -> Cells:
    entry_id, wallet, currency, signed, biz_type, order, amount, before, after, remark, at = row
    scale = scales[currency]
    return [
        f"fl{entry_id:014d}",
        wallet,
        currency,
        "IN" if signed > 0 else "OUT",
        biz_type,
        order or "",
        money(amount, scale),
        money(before, scale),
        money(after, scale),
        remark or "",
        iso(at),
    ]


def _transfers(filters: Filters) -> AnySelect:
    statement = (
        transfer_service.visible_orders(filters.workspace_id)
        .with_only_columns(
            TransferOrder.biz_id,
            TransferOrder.workspace_id,
            TransferOrder.from_wallet_biz_id,
            TransferOrder.to_wallet_biz_id,
            TransferOrder.payer_account_biz_id,
            TransferOrder.payee_account_biz_id,
            TransferOrder.currency,
            money_text(TransferOrder.amount, Currency.scale),
            money_text(TransferOrder.fee, Currency.scale),
            TransferOrder.status,
            TransferOrder.remark,
            TransferOrder.client_reference,
            iso_text(TransferOrder.created_at),
            iso_text(TransferOrder.completed_at),
        )
        .join(Currency, Currency.code == TransferOrder.currency)
    )
    if filters.wallet_biz_id is not None:
        statement = statement.where(
            or_(
                TransferOrder.from_wallet_biz_id == filters.wallet_biz_id,
                TransferOrder.to_wallet_biz_id == filters.wallet_biz_id,
            )
        )
    return _window(statement, TransferOrder.created_at, filters).order_by(TransferOrder.id)


def _transfer_cells(row: Row, scales: dict[str, int], workspace_id: int) -> Cells:
    biz_id, payer_ws, source, target, payer, payee, currency, amount, fee = row[:9]
    status, remark, reference, created, completed = row[9:]
    scale = scales[currency]
    # the client's own reference is shown to the payer only
    own = payer_ws == workspace_id
    return [
        biz_id,
        "OUT" if own else "IN",
        source,
        target,
        payer,
        payee or "",
        currency,
        money(amount, scale),
        money(fee, scale),
        status,
        remark or "",
        (reference or "") if own else "",
        iso(created),
        iso(completed),
    ]


def _orders(
    model: type[Recharge] | type[Withdrawal], channel: Any
) -> Callable[[Filters], AnySelect]:
    """The query of recharges or withdrawals (the same columns; `channel` differs)."""

    def query(filters: Filters) -> AnySelect:
        statement = (
            select(
                model.biz_id,
                model.wallet_biz_id,
                channel,
                model.currency,
                money_text(model.amount, Currency.scale),
                money_text(model.fee, Currency.scale),
                money_text(model.actual_amount, Currency.scale),
                model.status,
                model.remark,
                iso_text(model.created_at),
                iso_text(model.completed_at),
            )
            .join(Currency, Currency.code == model.currency)
            .order_by(model.id)
        )
        if filters.wallet_id is not None:
            statement = statement.where(model.wallet_id == filters.wallet_id)
        statement = _window(statement, model.created_at, filters)
        return scoped(statement, model, filters.workspace_id)

    return query


def _order_cells(row: Row, scales: dict[str, int], _: int) -> Cells:
    biz_id, wallet, channel, currency, amount, fee, actual, status, remark, created, done = row
    scale = scales[currency]
    return [
        biz_id,
        wallet,
        channel,
        currency,
        money(amount, scale),
        money(fee, scale),
        money(actual, scale),
        status,
        remark or "",
        iso(created),
        iso(done),
    ]


def _exchanges(filters: Filters) -> AnySelect:
    sold, bought = aliased(Currency), aliased(Currency)
    statement = (
        select(
            Exchange.biz_id,
            Exchange.from_wallet_biz_id,
            Exchange.to_wallet_biz_id,
            Exchange.from_currency,
            money_text(Exchange.from_amount, sold.scale),
            Exchange.to_currency,
            money_text(Exchange.to_amount, bought.scale),
            Exchange.rate,
            money_text(Exchange.fee, sold.scale),
            Exchange.status,
            iso_text(Exchange.created_at),
            iso_text(Exchange.completed_at),
        )
        .join(sold, sold.code == Exchange.from_currency)
        .join(bought, bought.code == Exchange.to_currency)
        .order_by(Exchange.id)
    )
    if filters.wallet_biz_id is not None:
        statement = statement.where(
            or_(
                Exchange.from_wallet_biz_id == filters.wallet_biz_id,
                Exchange.to_wallet_biz_id == filters.wallet_biz_id,
            )
        )
    statement = _window(statement, Exchange.created_at, filters)
    return scoped(statement, Exchange, filters.workspace_id)


def _exchange_cells(row: Row, scales: dict[str, int], _: int) -> Cells:
    biz_id, source, target, sold, sold_amount, bought, bought_amount, rate, fee = row[:9]
    status, created, completed = row[9:]
    return [
        biz_id,
        source,
        target,
        sold,
        money(sold_amount, scales[sold]),
        bought,
        money(bought_amount, scales[bought]),
        rate,
        money(fee, scales[sold]),
        sold,
        status,
        iso(created),
        iso(completed),
    ]


_ORDER_COLUMNS = (
    "bizId",
    "walletBizId",
    "channelBizId",
    "currency",
    "amount",
    "fee",
    "actualAmount",
    "status",
    "remark",
    "createdAt",
    "completedAt",
)

SOURCES: dict[str, Source] = {
    "WALLET_FLOWS": Source(
        permission="wallet:read",
        file_stem="wallet-flows",
        columns=(
            "flowBizId",
            "walletBizId",
            "currency",
            "direction",
            "bizType",
            "bizOrderId",
            "amount",
            "balanceBefore",
            "balanceAfter",
            "remark",
            "createdAt",
        ),
        query=_flows,
        cells=_flow_cells,
    ),
    "TRANSFERS": Source(
        permission="transfer:read",
        file_stem="transfers",
        columns=(
            "bizId",
            "direction",
            "fromWalletBizId",
            "toWalletBizId",
            "payerAccountBizId",
            "payeeAccountBizId",
            "currency",
            "amount",
            "fee",
            "status",
            "remark",
            "clientReference",
            "createdAt",
            "completedAt",
        ),
        query=_transfers,
        cells=_transfer_cells,
        text_columns=("remark", "clientReference"),
    ),
    "RECHARGES": Source(
        permission="recharge:read",
        file_stem="recharges",
        columns=_ORDER_COLUMNS,
        query=_orders(Recharge, Recharge.channel_biz_id),
        cells=_order_cells,
    ),
    "WITHDRAWALS": Source(
        permission="withdrawal:read",
        file_stem="withdrawals",
        columns=tuple(
            "withdrawalChannelBizId" if c == "channelBizId" else c for c in _ORDER_COLUMNS
        ),
        query=_orders(Withdrawal, Withdrawal.withdrawal_channel_biz_id),
        cells=_order_cells,
    ),
    "EXCHANGES": Source(
        permission="exchange:read",
        file_stem="exchanges",
        columns=(
            "bizId",
            "fromWalletBizId",
            "toWalletBizId",
            "fromCurrency",
            "fromAmount",
            "toCurrency",
            "toAmount",
            "rate",
            "fee",
            "feeCurrency",
            "status",
            "createdAt",
            "completedAt",
        ),
        query=_exchanges,
        cells=_exchange_cells,
        text_columns=(),
    ),
}
