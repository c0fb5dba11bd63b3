"""Posting to the ledger, locking wallets, and checking the books.

Every balance change is one `post()`: balanced entries (per currency they sum to zero) and the
wallets' cached balances, in the request's transaction. Wallets are locked with `lock_wallets`
first, in ascending id order, before anything is written, so two transfers over the same pair
never deadlock and no update is lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from portico.db import table_of, utcnow
from portico.enums import FlowBizType, WorkspaceKind
from portico.errors import InternalError
from portico.ids import new_biz_id
from portico.ledger.models import LedgerEntry, LedgerPosting
from portico.tenancy import across_workspaces
from portico.wallets.errors import InsufficientBalance
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace

# Ledger accounts: a wallet's two buckets, and the institution's system accounts.
AVAILABLE = "WALLET"
FROZEN = "FROZEN"
SETTLEMENT = "SETTLEMENT"  # money paid in and out of the platform (negative: owed to users)
FEES = "FEES"  # fees earned
FX = "FX"  # the institution's currency position from exchanges
SANDBOX = "SANDBOX"  # the source of sandbox test balances
SYSTEM_ACCOUNTS = (SETTLEMENT, FEES, FX, SANDBOX)


def system_account(name: str, kind: WorkspaceKind) -> str:
    """The system account a flow of a `kind` workspace books `name` on: in a SANDBOX workspace
    every system leg (settlement, fees, FX) is the SANDBOX account, so test money never moves
    the institution's real positions."""
    return SANDBOX if kind == WorkspaceKind.SANDBOX else name


async def workspace_kind(session: AsyncSession, workspace_id: int) -> WorkspaceKind:
    """The kind of the workspace an order belongs to (for `system_account`)."""
    statement = select(Workspace.kind).where(Workspace.id == workspace_id)
    kind = (
        await session.execute(across_workspaces(statement, "the order's own workspace"))
    ).scalar_one()
    return WorkspaceKind(kind)


@dataclass(frozen=True, slots=True)
class Leg:
    """One entry of a posting: `amount` (signed, minor units) on a wallet bucket or a system
    account."""

    currency: str
    amount: int
    biz_type: FlowBizType
    wallet: Wallet | None = None
    account: str = AVAILABLE
    remark: str | None = None


async def lock_wallets(session: AsyncSession, wallet_ids: Iterable[int]) -> dict[int, Wallet]:
    """Lock the wallets for this transaction, in ascending id order, and reload them.

    PostgreSQL: `SELECT … FOR UPDATE` ordered by id. SQLite has one writer at a time: the
    first write of the transaction takes the database's write lock, so a no-op UPDATE of the
    rows is the lock (the read after it sees the latest committed balances).
    """
    ids = sorted(set(wallet_ids))
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            across_workspaces(
                update(Wallet).where(Wallet.id.in_(ids)).values(id=Wallet.id),
                "lock wallets already found by a scoped query",
            ).execution_options(synchronize_session=False)
        )
    statement = (
        select(Wallet)
        .where(Wallet.id.in_(ids))
        .order_by(Wallet.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    rows = await session.execute(across_workspaces(statement, "lock wallets by id"))
    wallets = {wallet.id: wallet for wallet in rows.scalars()}
    if len(wallets) != len(ids):
        raise InternalError("wallet vanished while locking")
    return wallets


async def post(
    session: AsyncSession,
    *,
    institution_id: int,
    posting_type: str,
    order_biz_id: str | None,
    legs: Sequence[Leg],
) -> int:
    """Write one balanced posting and apply it to the (locked) wallets' cached balances.

    Refuses with `WALLET.INSUFFICIENT_BALANCE` when a wallet bucket would go negative, and
    with an internal error when the legs do not balance (a bug, never a user error).
    """
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        totals[leg.currency] += leg.amount
        if (leg.wallet is None) != (leg.account in SYSTEM_ACCOUNTS):
            raise InternalError("a leg names a wallet bucket without a wallet, or both")
        if leg.wallet is not None and leg.wallet.currency != leg.currency:
            raise InternalError("a wallet leg in another currency")
    if any(totals.values()):
        raise InternalError(f"unbalanced posting: {dict(totals)}")

    # Every new bucket balance first: a refusal leaves nothing changed, not even in memory.
    balances: dict[tuple[int, str], int] = {}
    befores: list[int | None] = []
    for leg in legs:
        if leg.wallet is None:
            befores.append(None)
            continue
        bucket = (leg.wallet.id, leg.account)
        if bucket not in balances:
            current = leg.wallet.available if leg.account == AVAILABLE else leg.wallet.frozen
            balances[bucket] = current
        befores.append(balances[bucket])
        balances[bucket] += leg.amount
        if balances[bucket] < 0:
            raise InsufficientBalance()

    now = utcnow()
    posting = {
        "biz_id": new_biz_id(),
        "institution_id": institution_id,
        "posting_type": posting_type,
        "order_biz_id": order_biz_id,
        "created_at": now,
    }
    entries = [
        {
            "institution_id": institution_id,
            "currency": leg.currency,
            "account": leg.account,
            "wallet_id": leg.wallet.id if leg.wallet else None,
            "workspace_id": leg.wallet.workspace_id if leg.wallet else None,
            "amount": leg.amount,
            "balance_before": before,
            "balance_after": None if before is None else before + leg.amount,
            "biz_type": leg.biz_type.value,
            "order_biz_id": order_biz_id,
            "remark": leg.remark,
            "created_at": now,
        }
        for leg, before in zip(legs, befores, strict=True)
    ]
    wallets = _new_balances(legs, balances, now)
    if session.get_bind().dialect.name == "postgresql":
        return await _write_postgresql(session, posting, entries, wallets)
    posting_id = int((await session.execute(_INSERT_POSTING, posting)).scalar_one())
    await session.execute(_INSERT_ENTRY, [{"posting_id": posting_id, **e} for e in entries])
    await session.execute(_STORE_BALANCE, wallets)
    return posting_id


def _new_balances(
    legs: Sequence[Leg], balances: dict[tuple[int, str], int], now: datetime
) -> list[dict[str, Any]]:
    """The wallets' new cached balances, a row per wallet in id order, mirrored on the (locked)
    objects without making them dirty (the ORM must not write them again)."""
    wallets = {leg.wallet.id: leg.wallet for leg in legs if leg.wallet is not None}
    rows = []
    for wallet_id in sorted(wallets):
        wallet = wallets[wallet_id]
        available = balances.get((wallet_id, AVAILABLE), wallet.available)
        frozen = balances.get((wallet_id, FROZEN), wallet.frozen)
        rows.append(
            {"p_id": wallet_id, "p_available": available, "p_frozen": frozen, "p_updated_at": now}
        )
        set_committed_value(wallet, "available", available)
        set_committed_value(wallet, "frozen", frozen)
        set_committed_value(wallet, "updated_at", now)
    return rows


# Core statements (no ORM unit of work): the hot path of every money flow.
_POSTINGS = table_of(LedgerPosting)
_INSERT_POSTING = insert(_POSTINGS).returning(_POSTINGS.c.id)
_INSERT_ENTRY = insert(table_of(LedgerEntry))
_WALLETS = table_of(Wallet)
_STORE_BALANCE = across_workspaces(
    update(_WALLETS)
    .where(_WALLETS.c.id == bindparam("p_id"))
    .values(
        available=bindparam("p_available"),
        frozen=bindparam("p_frozen"),
        updated_at=bindparam("p_updated_at"),
    ),
    "wallets locked by lock_wallets",
)

# PostgreSQL: the posting, its entries and the balances in one statement (one round trip
# while the wallets are locked), whatever the number of legs.
_POST_POSTGRESQL = text("""
WITH posting AS (
    INSERT INTO ledger_postings (biz_id, institution_id, posting_type, order_biz_id, created_at)
    VALUES (:biz_id, CAST(:institution_id AS BIGINT), :posting_type, :order_biz_id,
            CAST(:created_at AS TIMESTAMPTZ))
    RETURNING id
), balances AS (
    UPDATE wallets
    SET available = b.available, frozen = b.frozen, updated_at = CAST(:created_at AS TIMESTAMPTZ)
    FROM unnest(CAST(:w_id AS BIGINT[]), CAST(:w_available AS BIGINT[]),
                CAST(:w_frozen AS BIGINT[])) AS b(id, available, frozen)
    WHERE wallets.id = b.id
), entries AS (
    INSERT INTO ledger_entries (posting_id, institution_id, currency, account, wallet_id,
        workspace_id, amount, balance_before, balance_after, biz_type, order_biz_id, remark,
        created_at)
    SELECT posting.id, CAST(:institution_id AS BIGINT), e.currency, e.account, e.wallet_id,
        e.workspace_id, e.amount, e.balance_before, e.balance_after, e.biz_type,
        CAST(:order_biz_id AS VARCHAR), e.remark, CAST(:created_at AS TIMESTAMPTZ)
    FROM posting, unnest(CAST(:e_currency AS VARCHAR[]), CAST(:e_account AS VARCHAR[]),
        CAST(:e_wallet_id AS BIGINT[]), CAST(:e_workspace_id AS BIGINT[]),
        CAST(:e_amount AS BIGINT[]), CAST(:e_balance_before AS BIGINT[]),
        CAST(:e_balance_after AS BIGINT[]), CAST(:e_biz_type AS VARCHAR[]),
        CAST(:e_remark AS VARCHAR[])) WITH ORDINALITY
        AS e(currency, account, wallet_id, workspace_id, amount, balance_before, balance_after,
             biz_type, remark, n)
    ORDER BY e.n
)
SELECT id FROM posting
""")
_ENTRY_ARRAYS = (
    "currency",
    "account",
    "wallet_id",
    "workspace_id",
    "amount",
    "balance_before",
    "balance_after",
    "biz_type",
    "remark",
)


async def _write_postgresql(
    session: AsyncSession,
    posting: dict[str, Any],
    entries: list[dict[str, Any]],
    wallets: list[dict[str, Any]],
) -> int:
    params = {
        **posting,
        **{f"e_{name}": [entry[name] for entry in entries] for name in _ENTRY_ARRAYS},
        "w_id": [row["p_id"] for row in wallets],
        "w_available": [row["p_available"] for row in wallets],
        "w_frozen": [row["p_frozen"] for row in wallets],
    }
    return int((await session.execute(_POST_POSTGRESQL, params)).scalar_one())


async def verify(session: AsyncSession) -> list[str]:
    """Recompute the books from the entries; every difference found, as a sentence."""
    problems: list[str] = []
    per_currency = await session.execute(
        across_workspaces(
            select(LedgerEntry.currency, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.currency
            ),
            "the whole ledger",
        )
    )
    for currency, total in per_currency:
        if int(total or 0) != 0:
            problems.append(f"{currency}: entries sum to {total}, not 0")

    unbalanced = await session.execute(
        across_workspaces(
            select(LedgerEntry.posting_id, LedgerEntry.currency)
            .group_by(LedgerEntry.posting_id, LedgerEntry.currency)
            .having(func.sum(LedgerEntry.amount) != 0),
            "the whole ledger",
        )
    )
    for posting_id, currency in unbalanced:
        problems.append(f"posting {posting_id}: {currency} entries do not balance")

    sums: dict[tuple[int, str], int] = {}
    rows = await session.execute(
        across_workspaces(
            select(LedgerEntry.wallet_id, LedgerEntry.account, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.wallet_id.is_not(None))
            .group_by(LedgerEntry.wallet_id, LedgerEntry.account),
            "the whole ledger",
        )
    )
    for wallet_id, account, total in rows:
        if wallet_id is not None:
            sums[(wallet_id, account)] = int(total or 0)
    wallets = await session.execute(across_workspaces(select(Wallet), "every wallet"))
    for wallet in wallets.scalars():
        available = sums.get((wallet.id, AVAILABLE), 0)
        frozen = sums.get((wallet.id, FROZEN), 0)
        if wallet.available != available:
            problems.append(
                f"wallet {wallet.biz_id}: available {wallet.available}, entries say {available}"
            )
        if wallet.frozen != frozen:
            problems.append(f"wallet {wallet.biz_id}: frozen {wallet.frozen}, entries say {frozen}")
        if wallet.available < 0 or wallet.frozen < 0:
            problems.append(f"wallet {wallet.biz_id}: negative balance")
    return problems
