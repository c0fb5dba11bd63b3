"""Transfer bodies."""

from __future__ import annotations

from typing import Annotated

import orjson
from pydantic import StringConstraints, model_validator

from portico.email_address import EmailAddress
from portico.enums import TransferStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel, created
from portico.errors import FieldError
from portico.money import AmountIn, to_wire
from portico.transfers.models import TransferOrder
from portico.transfers.service import Booking

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
            transfer_status=order.status,
            remark=order.remark,
            client_reference=order.client_reference,
            created_at=order.created_at,
            updated_at=order.updated_at,
            completed_at=order.completed_at,
        )


# Stand-ins for what only the locked wallets tell, in the order they are written: the payee's
# account bizId, the amount, the fee, the currency. A NUL is escaped in JSON (`\u0000`), so no
# stored bizId looks like one, and an answer quoting a stand-in elsewhere is seen (counted).
_STAND_INS = ("\x00payee", "\x00amount", "\x00fee", "\x00currency")
_HOLES = tuple(orjson.dumps(stand_in) for stand_in in _STAND_INS)
# The workspace's bizId, when only the call knows it (`portico_pay_as_caller`: the default one).
_WORKSPACE_STAND_IN = "\x00workspace"


def booked_answer(booking: Booking) -> list[bytes] | None:
    """The 201 answer of a transfer booked in one call (`portico_book_transfer`), cut around
    the holes the call fills in (`_STAND_INS`; the workspace's bizId too when it is None,
    for `portico_pay_as_caller`); None if a hole is not found exactly once, which only a
    body quoting a hole can cause."""
    workspace = booking.workspace_biz_id
    holes = _HOLES if workspace is not None else (orjson.dumps(_WORKSPACE_STAND_IN), *_HOLES)
    return _answer_pieces(
        TransferOrderOut(
            biz_id=booking.order_biz_id,
            workspace_biz_id=_WORKSPACE_STAND_IN if workspace is None else workspace,
            from_wallet_biz_id=booking.from_wallet_biz_id,
            to_wallet_biz_id=booking.to_wallet_biz_id,
            payer_account_biz_id=booking.payer_account_biz_id,
            payee_account_biz_id=_STAND_INS[0],
            amount=_STAND_INS[1],
            fee=_STAND_INS[2],
            currency=_STAND_INS[3],
            transfer_status=TransferStatus.COMPLETED,
            remark=booking.remark,
            client_reference=booking.client_reference,
            created_at=booking.at,
            updated_at=booking.at,
            completed_at=booking.at,
        ),
        holes,
    )


def _answer_pieces(out: TransferOrderOut, holes: tuple[bytes, ...]) -> list[bytes] | None:
    """The 201 answer of `out` cut around its holes (None if a hole is not found exactly once,
    which only a body quoting a hole can cause)."""
    rest = bytes(created(out).body)
    pieces = []
    for hole in holes:
        if rest.count(hole) != 1:
            return None
        piece, _, rest = rest.partition(hole)
        pieces.append(piece)
    return [*pieces, rest]
