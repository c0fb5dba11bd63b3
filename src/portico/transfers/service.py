"""Transfers: same-currency payments to another wallet or account of the institution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import table_of, utcnow
from portico.enums import AccountStatus, FlowBizType, TransferStatus
from portico.envelope import Pagination
from portico.errors import AppError, InvalidParameter, NotFound
from portico.idempotency.service import RETENTION
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.service import Leg
from portico.money import decimals_of, scale_of, to_minor
from portico.paging import PageParams, fetch_page
from portico.tenancy import MAX_BIZ_ID, across_workspaces
from portico.transfers.models import TransferOrder
from portico.wallets import service as wallet_service
from portico.wallets.errors import (
    CurrencyMismatch,
    InsufficientBalance,
    WalletClosed,
    WalletFrozen,
)
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace, WorkspaceMember


@dataclass(frozen=True, slots=True)
class Payment:
    """A transfer as asked for: from one of the workspace's wallets to another wallet, or to an
    account by email (exactly one of the two), `amount` in the currency's units."""

    from_wallet_biz_id: str
    to_wallet_biz_id: str | None
    to_account_email: str | None
    amount: Decimal
    currency: str | None = None
    remark: str | None = None
    client_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    """What a transfer booked in one call is known to be before the call: its answer is
    written from this (`AnswerTemplate`), with holes for what only the locked wallets tell,
    and the workspace's bizId a hole too when it is None (the call finds the default one)."""

    order_biz_id: str
    workspace_biz_id: str | None
    from_wallet_biz_id: str
    to_wallet_biz_id: str
    payer_account_biz_id: str
    remark: str | None
    client_reference: str | None
    at: datetime


# The 201 answer of a booking, cut around its holes (the pieces the call joins with what it
# fills in); None if a hole is not found exactly once, which only a body quoting a hole can
# cause. The wire shape is the router's: it passes `transfers.schemas.booked_answer`.
AnswerTemplate = Callable[[Booking], list[bytes] | None]


async def _payee_by_email(
    session: AsyncSession, *, actor: Account, workspace: Workspace, email: str, currency: str
) -> tuple[Wallet, str]:
    """The payee account's default workspace of the same kind, and its wallet of `currency`."""
    account = (
        await session.execute(
            select(Account)
            .where(
                Account.institution_id == actor.institution_id,
                Account.email == email.strip().lower(),
                Account.status == AccountStatus.ACTIVE,
            )
            .order_by(case((Account.portal == actor.portal, 0), else_=1), Account.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound()
    target_workspace = (
        await session.execute(
            across_workspaces(
                select(Workspace)
                .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
                .where(WorkspaceMember.account_id == account.id, Workspace.kind == workspace.kind)
                .order_by(WorkspaceMember.is_default.desc(), WorkspaceMember.id)
                .limit(1),
                "the payee's own memberships",
            )
        )
    ).scalar_one_or_none()
    if target_workspace is None:
        raise NotFound()
    wallet = await wallet_service.wallet_for(session, workspace=target_workspace, currency=currency)
    return wallet, account.biz_id


def _pair_statement() -> Select[Wallet, str | None]:
    """The payer's wallet (by bizId, in its workspace) and the payee's wallet (by bizId, same
    institution and workspace kind) with its owner's account bizId, locked in id order."""
    owner_biz_id = (
        select(Account.biz_id)
        .join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
        .where(
            WorkspaceMember.workspace_id == Wallet.workspace_id,
            WorkspaceMember.is_owner.is_(True),
        )
        .order_by(WorkspaceMember.id)
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(Wallet, owner_biz_id)
        .join(Workspace, Workspace.id == Wallet.workspace_id)
        .where(
            Wallet.institution_id == bindparam("p_institution_id"),
            or_(
                (Wallet.biz_id == bindparam("p_from_biz_id"))
                & (Wallet.workspace_id == bindparam("p_workspace_id")),
                (Wallet.biz_id == bindparam("p_to_biz_id"))
                & (Workspace.kind == bindparam("p_kind")),
            ),
        )
        .order_by(Wallet.id)
        .with_for_update(of=Wallet)
        .execution_options(populate_existing=True)
    )
    return across_workspaces(statement, "the payer's wallet and a payee wallet, to lock")


_PAIR = _pair_statement()
_SQLITE_WRITE_LOCK = across_workspaces(
    update(Wallet)
    .where(
        Wallet.institution_id == bindparam("p_institution_id"),
        Wallet.biz_id.in_([bindparam("p_from_biz_id"), bindparam("p_to_biz_id")]),
    )
    .values(id=Wallet.id)
    .execution_options(synchronize_session=False),
    "take SQLite's write lock before reading the wallets to pay between",
)


async def _lock_pair(
    session: AsyncSession, *, workspace: Workspace, from_biz_id: str, to_biz_id: str
) -> tuple[Wallet | None, Wallet | None, str | None]:
    """Find and lock the payer's and the payee's wallets in one statement (PostgreSQL:
    `FOR UPDATE` in id order; SQLite: the first write takes the database's write lock)."""
    from_biz_id, to_biz_id = from_biz_id[:MAX_BIZ_ID], to_biz_id[:MAX_BIZ_ID]
    params = {
        "p_institution_id": workspace.institution_id,
        "p_workspace_id": workspace.id,
        "p_kind": workspace.kind,
        "p_from_biz_id": from_biz_id,
        "p_to_biz_id": to_biz_id,
    }
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(_SQLITE_WRITE_LOCK, params)
    rows = (await session.execute(_PAIR, params)).all()
    source = next(
        (w for w, _ in rows if w.biz_id == from_biz_id and w.workspace_id == workspace.id), None
    )
    for wallet, owner_biz_id in rows:
        if wallet.biz_id == to_biz_id:
            return source, wallet, owner_biz_id
    return source, None, None


async def create_transfer(
    session: AsyncSession, *, actor: Account, workspace: Workspace, payment: Payment
) -> TransferOrder:
    """Move `amount` from the workspace's wallet to the payee's wallet of the same currency."""
    if payment.to_wallet_biz_id is not None:
        # The common case: both wallets found and locked by one statement.
        found, target, payee_biz_id = await _lock_pair(
            session,
            workspace=workspace,
            from_biz_id=payment.from_wallet_biz_id,
            to_biz_id=payment.to_wallet_biz_id,
        )
        if found is None:
            raise NotFound()
        source = found
        amount = await _amount_in(session, source, payment)
        if target is None:
            raise NotFound()
        if target.currency != source.currency:
            raise CurrencyMismatch()
        if target.id == source.id:
            raise InvalidParameter("toWalletBizId")
    else:
        source = await wallet_service.get_wallet(
            session, workspace_id=workspace.id, wallet_biz_id=payment.from_wallet_biz_id
        )
        amount = await _amount_in(session, source, payment)
        target, payee_biz_id = await _payee_by_email(
            session,
            actor=actor,
            workspace=workspace,
            email=payment.to_account_email or "",
            currency=source.currency,
        )
        if target.id == source.id:
            raise InvalidParameter("toAccountEmail")
        locked = await ledger.lock_wallets(session, (source.id, target.id))
        source, target = locked[source.id], locked[target.id]

    wallet_service.ensure_active(source, target)
    if source.available < amount:
        raise InsufficientBalance()
    now = utcnow()
    order_biz_id = new_biz_id()
    values = {
        "biz_id": order_biz_id,
        "workspace_id": workspace.id,
        "payee_workspace_id": target.workspace_id,
        "institution_id": workspace.institution_id,
        "from_wallet_id": source.id,
        "to_wallet_id": target.id,
        "from_wallet_biz_id": source.biz_id,
        "to_wallet_biz_id": target.biz_id,
        "workspace_biz_id": workspace.biz_id,
        "payer_account_biz_id": actor.biz_id,
        "payee_account_biz_id": payee_biz_id,
        "amount": amount,
        "fee": 0,
        "currency": source.currency,
        "status": TransferStatus.COMPLETED,
        "remark": payment.remark,
        "client_reference": payment.client_reference,
        "payer_hidden": False,
        "payee_hidden": False,
        "created_at": now,
        "updated_at": now,
        "completed_at": now,
    }
    await session.execute(_INSERT_ORDER, values)
    await ledger.post(
        session,
        institution_id=workspace.institution_id,
        posting_type="TRANSFER",
        order_biz_id=order_biz_id,
        legs=[
            Leg(source.currency, -amount, FlowBizType.TRANSFER_OUT, source, remark=payment.remark),
            Leg(source.currency, amount, FlowBizType.TRANSFER_IN, target, remark=payment.remark),
        ],
    )
    return TransferOrder(**values)  # as stored (not attached: nothing more to write)


_INSERT_ORDER = insert(table_of(TransferOrder))


# PostgreSQL books a transfer to a wallet in one call (migration 5d0c3a9e7b21): the key's
# claim, the two wallets locked in id order, the checks below in the Python path's order, the
# order, the posting, its entries, the balances and the stored answer. The wallets stay locked
# for one round trip and the COMMIT after it, not for five.
_BOOK = (
    "SELECT outcome, answer FROM portico_book_transfer($1, $2, $3, $4, $5, $6, $7, $8, $9,"
    " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
)
_REFUSALS: dict[str, Callable[[], AppError]] = {
    "NOT_FOUND": NotFound,
    "CURRENCY_MISMATCH": CurrencyMismatch,
    "INVALID_AMOUNT": lambda: InvalidParameter("amount"),
    "SAME_WALLET": lambda: InvalidParameter("toWalletBizId"),
    "WALLET_CLOSED": WalletClosed,
    "WALLET_FROZEN": WalletFrozen,
    "INSUFFICIENT_BALANCE": InsufficientBalance,
}


def books_in_one_call(session: AsyncSession) -> bool:
    """Whether the database books a transfer with `book_transfer` (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays, as the booking call needs it: the workspace and the signed-in account."""

    institution_id: int
    workspace_id: int
    workspace_kind: str
    workspace_biz_id: str
    account_id: int
    account_biz_id: str


def _booking(payment: Payment, workspace_biz_id: str | None, account_biz_id: str) -> Booking:
    """The booking of `payment` as a new order, now (the bizIds cut as lookups cut them)."""
    return Booking(
        order_biz_id=new_biz_id(),
        workspace_biz_id=workspace_biz_id,
        from_wallet_biz_id=payment.from_wallet_biz_id[:MAX_BIZ_ID],
        to_wallet_biz_id=(payment.to_wallet_biz_id or "")[:MAX_BIZ_ID],
        payer_account_biz_id=account_biz_id,
        remark=payment.remark,
        client_reference=payment.client_reference,
        at=utcnow(),
    )


async def book_on(
    driver: Any,
    *,
    payer: Payer,
    payment: Payment,
    key: str | None,
    request_hash: str,
    template: AnswerTemplate,
) -> tuple[str, bytes | None] | None:
    """PostgreSQL, paying a wallet: the whole transfer in one `portico_book_transfer` call on
    the asyncpg connection `driver`, its 201 answer stored under `key` in the same call.

    Returns the outcome (BOOKED, TAKEN: the key is claimed already, or a refusal's name, having
    changed nothing) and the answer; None when the answer cannot be cut around its holes."""
    booking = _booking(payment, payer.workspace_biz_id, payer.account_biz_id)
    pieces = template(booking)
    if pieces is None:
        return None
    # Straight to the driver: one statement whose parameters need no conversion, and the
    # result two plain columns (SQLAlchemy's execution layers cost more than the call).
    outcome, answer = await driver.fetchrow(
        _BOOK,
        payer.institution_id,
        payer.workspace_id,
        payer.workspace_kind,
        booking.from_wallet_biz_id,
        booking.to_wallet_biz_id,
        payment.amount,
        decimals_of(payment.amount),
        payment.currency.upper() if payment.currency is not None else None,
        booking.order_biz_id,
        new_biz_id(),
        payer.workspace_biz_id,
        payer.account_biz_id,
        payment.remark,
        payment.client_reference,
        booking.at,
        payer.account_id,
        key,
        request_hash,
        booking.at + RETENTION,
        pieces,
    )
    return str(outcome), answer


_PAY_AS_CALLER = (
    "SELECT outcome, answer, workspace_biz_id FROM portico_pay_as_caller($1, $2, $3, $4, $5,"
    " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
)


async def pay_as_caller(
    driver: Any,
    *,
    session_biz_id: str,
    account_biz_id: str,
    institution_id: int,
    workspace_biz_id: str | None,
    active_since: datetime,
    payment: Payment,
    key: str | None,
    request_hash: str,
    template: AnswerTemplate,
) -> tuple[str, bytes | None, str | None] | None:
    """PostgreSQL, paying a wallet: the caller's check and `book_on`'s booking in one
    `portico_pay_as_caller` call (see its migration). The caller is the session, the account
    and the institution a verified token and portal code name, in the workspace named (None:
    the default one); the session's activity must be written since `active_since`.

    Returns the outcome (CALLER: not plainly an owner who may pay, nothing done; else as
    `book_on`), the answer, and the workspace's bizId; None when the answer cannot be cut
    around its holes."""
    booking = _booking(payment, None, account_biz_id)
    pieces = template(booking)
    if pieces is None:
        return None
    outcome, answer, workspace = await driver.fetchrow(
        _PAY_AS_CALLER,
        session_biz_id,
        account_biz_id,
        institution_id,
        workspace_biz_id[:MAX_BIZ_ID] if workspace_biz_id else None,
        active_since,
        booking.from_wallet_biz_id,
        booking.to_wallet_biz_id,
        payment.amount,
        decimals_of(payment.amount),
        payment.currency.upper() if payment.currency is not None else None,
        booking.order_biz_id,
        new_biz_id(),
        payment.remark,
        payment.client_reference,
        booking.at,
        key,
        request_hash,
        booking.at + RETENTION,
        pieces,
    )
    return str(outcome), answer, workspace


async def book_transfer(
    session: AsyncSession,
    *,
    actor: Account,
    workspace: Workspace,
    payment: Payment,
    key: str | None,
    request_hash: str,
    template: AnswerTemplate,
) -> bytes | None:
    """`book_on` the session's connection: the stored 201 answer's body, or the refusal
    raised. None when there is nothing it can do: the key is claimed already (a replay), or
    the answer cannot be cut around its holes."""
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    payer = Payer(
        institution_id=workspace.institution_id,
        workspace_id=workspace.id,
        workspace_kind=str(workspace.kind),
        workspace_biz_id=workspace.biz_id,
        account_id=actor.id,
        account_biz_id=actor.biz_id,
    )
    result = await book_on(
        driver, payer=payer, payment=payment, key=key, request_hash=request_hash, template=template
    )
    if result is None or result[0] == "TAKEN":
        return None
    outcome, answer = result
    if outcome != "BOOKED":
        raise _REFUSALS[outcome]()
    return answer


async def _amount_in(session: AsyncSession, source: Wallet, payment: Payment) -> int:
    """The payment's amount in the source wallet's minor units (its currency must match)."""
    if payment.currency is not None and payment.currency.upper() != source.currency:
        raise CurrencyMismatch()
    return to_minor(payment.amount, await scale_of(session, source.currency))


def visible_orders(workspace_id: int) -> Select[TransferOrder]:
    """Orders the workspace paid or received."""
    statement = select(TransferOrder).where(
        or_(
            (TransferOrder.workspace_id == workspace_id) & TransferOrder.payer_hidden.is_(False),
            (TransferOrder.payee_workspace_id == workspace_id)
            & TransferOrder.payee_hidden.is_(False),
        )
    )
    return across_workspaces(statement, "transfers the workspace paid or received")


async def list_orders(
    session: AsyncSession,
    *,
    workspace_id: int,
    params: PageParams,
    status: TransferStatus | None = None,
    wallet: Wallet | None = None,
) -> tuple[list[TransferOrder], Pagination]:
    """The orders the workspace sent or received, newest first; with `wallet` (one of the
    workspace's own), only those in or out of it."""
    statement = visible_orders(workspace_id).order_by(TransferOrder.id.desc())
    if status is not None:
        statement = statement.where(TransferOrder.status == status)
    if wallet is not None:
        statement = statement.where(
            or_(
                TransferOrder.from_wallet_biz_id == wallet.biz_id,
                TransferOrder.to_wallet_biz_id == wallet.biz_id,
            )
        )
    return await fetch_page(session, statement, params, TransferOrder.created_at)


async def find_order(
    session: AsyncSession, *, workspace_id: int, order_biz_id: str
) -> TransferOrder | None:
    statement = visible_orders(workspace_id).where(
        TransferOrder.biz_id == order_biz_id[:MAX_BIZ_ID]
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get_order(
    session: AsyncSession, *, workspace_id: int, order_biz_id: str
) -> TransferOrder:
    order = await find_order(session, workspace_id=workspace_id, order_biz_id=order_biz_id)
    if order is None:
        raise NotFound()
    return order
