"""Deleting a consumer: one transaction that ends everything the consumer could still use and
erases its personal data, while the books (ledger entries and orders) stay, de-identified.

What happens, in order:

1. Refusal first, before anything is written: a LIVE wallet that still holds money (available
   or frozen by a pending withdrawal) means the institution owes the person money, so the
   deletion fails (`BALANCE_NOT_ZERO`, `WITHDRAWAL_PENDING`) and nothing changes.
2. Money: pending withdrawals are cancelled (their frozen amount released through the ledger),
   recharges waiting for the issuer (pending or under review) cancelled, sandbox test balances
   returned to the SANDBOX account, and every wallet of the workspaces the consumer owns
   CLOSED (a closed wallet neither pays nor receives).
3. Access: sessions revoked and their refresh tokens deleted (every token of the consumer fails
   on its next request), the workspaces' API keys deleted (their OAuth grants revoked), every
   membership in and of those workspaces removed, the workspaces CLOSED, pending invitations
   cancelled, MFA enrolments, backup codes, reset tokens, login challenges, idempotency records
   and brute-force counters deleted.
4. Personal data: every column marked `pii(...)` (see `portico.pii`) of the consumer's rows
   (account, sessions, login history, workspaces, keys, withdrawal channels, orders, ledger
   entries, invitations to or from its workspaces) overwritten with its erased value; the
   account keeps only its `bizId` (the `consumerId` of the operations log), status DELETED,
   an unusable password and a meaningless unique address, so the email can register again.
   Its records in the customer data store (`rel` contacts, their versions, addresses and phone
   numbers) are anonymised the same way (`portico.rel.service.anonymise_customer_contacts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.auth import throttle
from portico.auth.models import LoginChallenge, PasswordResetToken, ThrottleCounter
from portico.db import Base, affected_rows, table_of, utcnow
from portico.enums import (
    AccountStatus,
    FlowBizType,
    InvitationStatus,
    RechargeStatus,
    WalletStatus,
    WithdrawalStatus,
    WorkspaceKind,
    WorkspaceStatus,
)
from portico.errors import InternalError
from portico.exports.models import Export
from portico.files import service as file_service
from portico.files.models import StoredFile
from portico.idempotency.models import IdempotencyRecord
from portico.invitations.models import Invitation
from portico.issuer.errors import OperationRefused
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry
from portico.ledger.service import SANDBOX, Leg
from portico.oauth import clients as oauth_clients
from portico.onboarding.models import KycProfile
from portico.pii import ERASED_EMAIL, ERASED_KEY, is_pii
from portico.recharges import service as recharge_service
from portico.recharges.models import Recharge
from portico.rel import service as rel_service
from portico.security.models import (
    AuthSession,
    BackupCode,
    LoginHistory,
    MfaEnrollment,
    RefreshToken,
)
from portico.security.sessions import revoke_sessions
from portico.tenancy import across_workspaces
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.withdrawals import service as withdrawal_service
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.workspaces.models import Workspace, WorkspaceMember

REASON = "Consumer deleted"
# Not an argon2 hash: no password ever verifies against it.
UNUSABLE_PASSWORD = "!deleted"  # noqa: S105
ERASURE = "erasing a deleted consumer's data"


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What the deletion ended (the operation's `details`)."""

    wallets_closed: int
    sessions_revoked: int
    api_keys_deleted: int
    withdrawals_cancelled: int
    recharges_cancelled: int
    memberships_removed: int
    invitations_cancelled: int

    def as_details(self) -> dict[str, int]:
        return {
            "walletsClosed": self.wallets_closed,
            "sessionsRevoked": self.sessions_revoked,
            "apiKeysDeleted": self.api_keys_deleted,
            "withdrawalsCancelled": self.withdrawals_cancelled,
            "rechargesCancelled": self.recharges_cancelled,
            "membershipsRemoved": self.memberships_removed,
            "invitationsCancelled": self.invitations_cancelled,
        }


def erased_values(model: type[Base]) -> dict[str, Any]:
    """The erased value of every personal-data column of `model` (from the column markers)."""
    table = table_of(model)
    values: dict[str, Any] = {}
    for column in table.columns:
        if not is_pii(column.info):
            continue
        erased = column.info.get(ERASED_KEY)
        if erased == ERASED_EMAIL:
            row_key = table.c["biz_id"] if "biz_id" in table.c else next(iter(table.primary_key))
            values[column.name] = (
                literal("deleted-") + cast(row_key, String) + literal("@deleted.invalid")
            )
        else:
            values[column.name] = erased
    return values


async def erase(session: AsyncSession, model: type[Base], where: ColumnElement[bool]) -> int:
    """Overwrite the personal-data columns of `model`'s rows matching `where`."""
    values = erased_values(model)
    if not values:
        return 0
    statement = (
        update(model).where(where).values(**values).execution_options(synchronize_session=False)
    )
    result = await session.execute(across_workspaces(statement, ERASURE))
    return affected_rows(result)


async def _owned_workspaces(session: AsyncSession, account_id: int) -> list[Workspace]:
    statement = (
        select(Workspace)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.account_id == account_id, WorkspaceMember.is_owner.is_(True))
        .order_by(Workspace.id)
    )
    rows = await session.execute(across_workspaces(statement, "the consumer's own workspaces"))
    return list(rows.scalars())


async def _wallets(session: AsyncSession, workspace_ids: list[int]) -> list[Wallet]:
    statement = select(Wallet.id).where(Wallet.workspace_id.in_(workspace_ids))
    ids = list((await session.execute(across_workspaces(statement, ERASURE))).scalars())
    return list((await ledger.lock_wallets(session, ids)).values()) if ids else []


def _refuse_if_owed_money(wallets: list[Wallet], kinds: dict[int, str]) -> None:
    live = [w for w in wallets if kinds[w.workspace_id] == WorkspaceKind.LIVE]
    if any(w.frozen for w in live):
        raise OperationRefused(
            "WITHDRAWAL_PENDING",
            "A withdrawal is pending: complete or reject it before deleting the consumer",
        )
    if any(w.available for w in live):
        raise OperationRefused(
            "BALANCE_NOT_ZERO",
            "The consumer holds a balance: pay it out before deleting the consumer",
        )


async def _end_money(
    session: AsyncSession, workspace_ids: list[int], kinds: dict[int, str], institution_id: int
) -> tuple[int, int, int]:
    """Cancel what is pending, return sandbox money, close the wallets: (withdrawals,
    recharges, wallets)."""
    pending = await session.execute(
        across_workspaces(
            select(Withdrawal).where(
                Withdrawal.workspace_id.in_(workspace_ids),
                Withdrawal.status == WithdrawalStatus.PENDING,
            ),
            ERASURE,
        )
    )
    withdrawals = list(pending.scalars())
    for withdrawal in withdrawals:
        await withdrawal_service.cancel(session, withdrawal=withdrawal, reason=REASON)
    waiting = await session.execute(
        across_workspaces(
            select(Recharge).where(
                Recharge.workspace_id.in_(workspace_ids),
                Recharge.status.in_([RechargeStatus.PENDING, RechargeStatus.UNDER_REVIEW]),
            ),
            ERASURE,
        )
    )
    recharges = list(waiting.scalars())
    for recharge in recharges:
        await recharge_service.close(session, recharge=recharge, reason=REASON)
    wallets = await _wallets(session, workspace_ids)
    for wallet in wallets:
        if not wallet.available:
            continue
        if kinds[wallet.workspace_id] != WorkspaceKind.SANDBOX:  # refused above
            raise InternalError("a live wallet with money reached the erasure")
        await ledger.post(
            session,
            institution_id=institution_id,
            posting_type="CONSUMER_DELETED",
            order_biz_id=None,
            legs=[
                Leg(wallet.currency, -wallet.available, FlowBizType.ADJUSTMENT, wallet),
                Leg(wallet.currency, wallet.available, FlowBizType.ADJUSTMENT, account=SANDBOX),
            ],
        )
    await session.execute(
        across_workspaces(
            update(Wallet)
            .where(Wallet.workspace_id.in_(workspace_ids))
            .values(status=WalletStatus.CLOSED, updated_at=utcnow())
            .execution_options(synchronize_session=False),
            ERASURE,
        )
    )
    return len(withdrawals), len(recharges), len(wallets)


async def _end_access(
    session: AsyncSession, account: Account, workspace_ids: list[int]
) -> tuple[int, int, int, int]:
    """Sessions, keys, memberships, invitations and secrets: (sessions, keys, memberships,
    invitations)."""
    now = utcnow()
    sessions = await revoke_sessions(session, account_id=account.id, reason="DELETED")
    session_ids = select(AuthSession.id).where(AuthSession.account_id == account.id)
    await session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(session_ids)))
    key_rows = await session.execute(
        across_workspaces(
            select(ApiKey).where(
                ApiKey.workspace_id.in_(workspace_ids), ApiKey.deleted_at.is_(None)
            ),
            ERASURE,
        )
    )
    keys = list(key_rows.scalars())
    for key in keys:
        key.deleted_at = now
        await oauth_clients.revoke_families(session, client_id=key.key_id, reason="DELETED")
    removed = await session.execute(
        across_workspaces(
            delete(WorkspaceMember)
            .where(
                or_(
                    WorkspaceMember.account_id == account.id,
                    WorkspaceMember.workspace_id.in_(workspace_ids),
                )
            )
            .execution_options(synchronize_session=False),
            ERASURE,
        )
    )
    await session.execute(
        update(Workspace)
        .where(Workspace.id.in_(workspace_ids))
        .values(status=WorkspaceStatus.CLOSED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    cancelled = await session.execute(
        across_workspaces(
            update(Invitation)
            .where(
                _invitations_of(account, workspace_ids),
                Invitation.status == InvitationStatus.PENDING,
            )
            .values(status=InvitationStatus.CANCELLED, updated_at=now)
            .execution_options(synchronize_session=False),
            ERASURE,
        )
    )
    for model in (MfaEnrollment, BackupCode, PasswordResetToken):
        await session.execute(delete(model).where(model.account_id == account.id))
    await session.execute(
        delete(LoginChallenge).where(
            or_(
                LoginChallenge.account_id == account.id,
                (LoginChallenge.institution_id == account.institution_id)
                & (LoginChallenge.portal == account.portal)
                & (LoginChallenge.email == account.email),
            )
        )
    )
    await session.execute(
        across_workspaces(
            # Negative workspace ids are issuer clients' keys (another id space).
            delete(IdempotencyRecord).where(
                IdempotencyRecord.account_id == account.id, IdempotencyRecord.workspace_id > 0
            ),
            ERASURE,
        )
    )
    portal = str(account.portal)
    counters = [
        throttle.account_key(account.institution_id, portal, account.email),
        throttle.mfa_key(account.institution_id, portal, account.email),
        throttle.email_key("register", account.institution_id, account.email),
        throttle.email_key("forgot", account.institution_id, account.email),
    ]
    await session.execute(delete(ThrottleCounter).where(ThrottleCounter.key.in_(counters)))
    return (
        sessions,
        len(keys),
        affected_rows(removed),
        affected_rows(cancelled),
    )


def _invitations_of(account: Account, workspace_ids: list[int]) -> ColumnElement[bool]:
    """Invitations sent from the consumer's workspaces, and those addressed to it."""
    same_institution = select(Workspace.id).where(
        Workspace.institution_id == account.institution_id
    )
    return or_(
        Invitation.workspace_id.in_(workspace_ids),
        (Invitation.email == account.email)
        & (Invitation.portal == str(account.portal))
        & Invitation.workspace_id.in_(same_institution),
    )


async def _erase_personal_data(
    session: AsyncSession, account: Account, workspace_ids: list[int]
) -> None:
    # Orders the consumer paid carry its words into the payee's entries too (found through
    # the payee wallets' index, then by order).
    paid = (
        await session.execute(
            across_workspaces(
                select(TransferOrder.to_wallet_id, TransferOrder.biz_id).where(
                    TransferOrder.workspace_id.in_(workspace_ids)
                ),
                ERASURE,
            )
        )
    ).all()
    await erase(session, Invitation, _invitations_of(account, workspace_ids))
    await erase(session, LedgerEntry, LedgerEntry.workspace_id.in_(workspace_ids))
    if paid:
        await erase(
            session,
            LedgerEntry,
            LedgerEntry.wallet_id.in_({wallet_id for wallet_id, _ in paid})
            & LedgerEntry.order_biz_id.in_([biz_id for _, biz_id in paid]),
        )
    for model in (TransferOrder, Recharge, Withdrawal, WithdrawalChannel, ApiKey, StoredFile):
        await erase(session, model, model.workspace_id.in_(workspace_ids))
    await erase(session, Workspace, Workspace.id.in_(workspace_ids))
    # The files' bytes (ID photos, bank slips) are personal data too: not found from now on,
    # deleted from the store by the maintenance sweep (`jobs.tasks.purge_erased_files`).
    await file_service.mark_erased(session, workspace_ids=workspace_ids)
    # Export files hold the consumer's records: they expire now, and the retention sweep
    # deletes their bytes from the store.
    await session.execute(
        across_workspaces(
            update(Export)
            .where(Export.workspace_id.in_(workspace_ids), Export.purged_at.is_(None))
            .values(expires_at=utcnow(), updated_at=utcnow())
            .execution_options(synchronize_session=False),
            ERASURE,
        )
    )
    await erase(session, AuthSession, AuthSession.account_id == account.id)
    await erase(session, LoginHistory, LoginHistory.account_id == account.id)
    # The onboarded identity: names, birth date, the sealed ID number and its blind index (so
    # a lookup by the document finds nothing), the partner's reference and extra data.
    await erase(session, KycProfile, KycProfile.account_id == account.id)
    await erase(session, Account, Account.id == account.id)
    await session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(
            status=AccountStatus.DELETED,
            password_hash=UNUSABLE_PASSWORD,
            ip_whitelist_enabled=False,
            pending_approval=False,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


async def erase_consumer(session: AsyncSession, *, account: Account) -> ErasureReport:
    """Delete the (locked) consumer for good, or raise `OperationRefused` having changed
    nothing."""
    workspaces = await _owned_workspaces(session, account.id)
    workspace_ids = [w.id for w in workspaces]
    kinds = {w.id: str(w.kind) for w in workspaces}
    _refuse_if_owed_money(await _wallets(session, workspace_ids), kinds)
    withdrawals, recharges, wallets = await _end_money(
        session, workspace_ids, kinds, account.institution_id
    )
    sessions, keys, memberships, invitations = await _end_access(session, account, workspace_ids)
    await _erase_personal_data(session, account, workspace_ids)
    await rel_service.anonymise_customer_contacts(
        session, institution_id=account.institution_id, account_id=account.id
    )
    await session.refresh(account)
    return ErasureReport(
        wallets_closed=wallets,
        sessions_revoked=sessions,
        api_keys_deleted=keys,
        withdrawals_cancelled=withdrawals,
        recharges_cancelled=recharges,
        memberships_removed=memberships,
        invitations_cancelled=invitations,
    )
