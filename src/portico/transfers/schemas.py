"""Transfer bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints, model_validator

from portico.email_address import EmailAddress
from portico.enums import TransferStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.errors import FieldError
from portico.money import AmountIn, to_wire
from portico.transfers.models import TransferOrder

BizId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Remark = Annotated[str, StringConstraints(max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CurrencyCode = Annotated[str, StringConstraints(min_length=1, max_length=10)]


class TransferCreateIn(RequestModel):
    """From one of the workspace's wallets to another wallet, or to an account by email."""

    from_wallet_biz_id: BizId
    to_wallet_biz_id: BizId | None = None
    to_account_email: EmailAddress | None = None
    amount: AmountIn
    currency: CurrencyCode | None = None
    remark: Remark | None = None
    client_reference: Reference | None = None

    @model_validator(mode="after")
    def _one_payee(self) -> TransferCreateIn:
        if (self.to_wallet_biz_id is None) == (self.to_account_email is None):
            # exactly one of them
            raise FieldError("toWalletBizId", "toAccountEmail")
        return self


class TransferOrderOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    from_wallet_biz_id: str
    to_wallet_biz_id: str
    payer_account_biz_id: str
    payee_account_biz_id: str | None
    amount: str
    fee: str
    currency: str
    transfer_status: EnumObject[TransferStatus]
    remark: str | None
    client_reference: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    completed_at: UtcDateTime | None

    @classmethod
    def from_row(cls, order: TransferOrder, *, scale: int) -> TransferOrderOut:
        return cls(
            biz_id=order.biz_id,
            workspace_biz_id=order.workspace_biz_id,
            from_wallet_biz_id=order.from_wallet_biz_id,
            to_wallet_biz_id=order.to_wallet_biz_id,
            payer_account_biz_id=order.payer_account_biz_id,
            payee_account_biz_id=order.payee_account_biz_id,
            amount=to_wire(order.amount, scale),
            fee=to_wire(order.fee, scale),
            currency=order.currency,
            transfer_status=TransferStatus(order.status),
            remark=order.remark,
            client_reference=order.client_reference,
            created_at=order.created_at,
            updated_at=order.updated_at,
            completed_at=order.completed_at,
        )
