"""The short path of a payment to a wallet (`web.fast_transfers`, PostgreSQL only): a booked
transfer is answered there exactly as the route answers it, and everything else (replays,
refusals, bad bodies, payments by email, members who do not own the workspace) goes on to the
route, with the body replayed to it; the books balance after each."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from portico.accounts.models import Account
from portico.config import Settings
from portico.db import utcnow
from portico.enums import AccountPortal, RoleType
from portico.ledger import service as ledger
from portico.runtime import Runtime, runtime_of
from portico.security.models import AuthSession
from portico.transfers import service as transfer_service
from portico.transfers.models import TransferOrder
from portico.web import fast_transfers
from portico.workspaces.deps import declared_permission
from portico.workspaces.permissions import permissions_of
from tests.factories.accounts import create_account
from tests.factories.workspaces import add_member
from tests.support.money import Money, User
from tests.support.portal import assert_error, assert_ok

pytestmark = pytest.mark.both_portals  # the portals' paths differ (/transfer, /transfers)


@pytest.fixture
def fast(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bizIds of the workspaces whose payments the short path answered."""
    if not runtime_of(app).database.reads_without_transaction:
        pytest.skip("the short path runs only on PostgreSQL, not through PgBouncer")
    answered: list[str] = []
    original = fast_transfers.served

    def record(scope: Any, route: Any, caller: Any) -> None:
        answered.append(caller["workspace_biz_id"])
        original(scope, route, caller)

    monkeypatch.setattr(fast_transfers, "served", record)
    return answered


def record_outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The outcomes of the booking calls, the short path's (`pay_as_caller`) and the route's
    (`book_on`), in turn."""
    outcomes: list[str] = []
    for name in ("book_on", "pay_as_caller"):
        original = getattr(transfer_service, name)

        async def recorded(driver: Any, *, _original: Any = original, **kwargs: Any) -> Any:
            result = await _original(driver, **kwargs)
            outcomes.append(result[0])
            return result

        monkeypatch.setattr(transfer_service, name, recorded)
    return outcomes


async def pay(user: User, body: dict[str, Any], **headers: str) -> Any:
    return await user.post(f"{user.transfers}/command/create", body, headers=headers)


async def test_a_booked_payment_is_the_routes_answer(
    app: Any, money: Money, fast: list[str]
) -> None:
    source = await money.fund(money.alice, "USD", "100")
    target = await money.fund(money.bob, "USD", "1")
    body = {"fromWalletBizId": source, "toWalletBizId": target, "amount": "2.5", "remark": "é"}
    key = {"Idempotency-Key": "fast-1"}
    # a portal code this process has not read yet: the route (which reads it)
    assert_ok(await pay(money.alice, {**body, "amount": "0.5"}), "2001", 201)
    assert fast == []
    first = await pay(money.alice, body, **key)
    order = assert_ok(first, "2001", 201)
    assert fast == [money.alice.workspace.biz_id]
    # the replay goes to the route, which answers the stored answer
    fast.clear()
    again = await pay(money.alice, body, **key)
    assert fast == []
    assert again.status_code == 201
    assert again.json()["data"] == order
    # the same payment through the route: the same answer but for the new order's values
    app.dependency_overrides[pay] = lambda: None
    try:
        routed = assert_ok(
            await pay(money.alice, body, **{"Idempotency-Key": "fast-2"}), "2001", 201
        )
    finally:
        app.dependency_overrides.clear()
    assert fast == []
    varying = {"bizId", "createdAt", "updatedAt", "completedAt"}
    assert {k: v for k, v in routed.items() if k not in varying} == {
        k: v for k, v in order.items() if k not in varying
    }
    assert list(routed) == list(order)
    # and each order reads back as it was answered
    listed = assert_ok(await money.alice.get(f"{money.alice.transfers}/query/orders"))["items"]
    assert {item["bizId"]: item for item in listed}[order["bizId"]] == order
    orders = (await money.session.execute(select(TransferOrder))).scalars().all()
    assert len(orders) == 3
    assert await ledger.verify(money.session) == []


class CountingSlots(asyncio.Semaphore):
    """A semaphore that remembers how many holders it had at once."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.holders = self.most = 0

    async def __aenter__(self) -> None:
        await super().__aenter__()
        self.holders += 1
        self.most = max(self.most, self.holders)
        await asyncio.sleep(0)  # let the others queue up behind this one

    async def __aexit__(self, *exc: object) -> None:
        self.holders -= 1
        await super().__aexit__(*exc)


async def test_bookings_in_flight_are_bounded(app: Any, money: Money, fast: list[str]) -> None:
    """`database_booking_concurrency` bounds the short path's booking calls in flight: twelve
    payments at once, two booked at a time, all booked there, the books balanced."""
    runtime = runtime_of(app)
    slots = CountingSlots(2)
    object.__setattr__(runtime, "booking_slots", slots)  # (the runtime is frozen)
    try:
        source = await money.fund(money.alice, "USD", "100")
        target = await money.fund(money.bob, "USD", "1")
        body = {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1"}
        assert_ok(await pay(money.alice, {**body, "amount": "0.5"}), "2001", 201)  # the code read
        answers = await asyncio.gather(
            *(pay(money.alice, body, **{"Idempotency-Key": f"slots-{n}"}) for n in range(12))
        )
    finally:
        object.__setattr__(runtime, "booking_slots", None)
    for answer in answers:
        assert_ok(answer, "2001", 201)
    assert len(fast) == 12
    assert slots.most == 2
    assert slots.holders == 0
    assert len((await money.session.execute(select(TransferOrder))).scalars().all()) == 13
    assert await ledger.verify(money.session) == []


async def test_booking_concurrency_comes_from_the_settings(app: Any) -> None:
    runtime = runtime_of(app)

    def slots(concurrency: int) -> asyncio.Semaphore | None:
        settings = runtime.settings.model_copy(update={"database_booking_concurrency": concurrency})
        return Runtime.build(settings, runtime.database, runtime.pages_cookie_jar).booking_slots

    assert Settings.model_fields["database_booking_concurrency"].default == 4
    assert slots(0) is None  # as many as the pool allows
    three = slots(3)
    assert three is not None
    for _ in range(3):
        assert not three.locked()
        await three.acquire()
    assert three.locked()  # a fourth booking waits


async def test_everything_else_goes_to_the_route(
    money: Money, fast: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = record_outcomes(monkeypatch)
    alice, bob = money.alice, money.bob
    assert_ok(await alice.get("/profile"))  # the portal code read
    source = await money.fund(alice, "USD", "10")
    target = await money.fund(bob, "USD", "1")
    body = {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1"}
    # refused by the booking call: nothing kept, the route refuses with its own error
    too_much = {**body, "amount": "11"}
    assert_error(
        await pay(alice, too_much, **{"Idempotency-Key": "k1"}), 400, "WALLET.INSUFFICIENT_BALANCE"
    )
    assert_error(await pay(alice, {**body, "currency": "EUR"}), 400, "WALLET.CURRENCY_MISMATCH")
    assert_error(await pay(alice, {**body, "toWalletBizId": "nope"}), 404, "RESOURCE.NOT_FOUND")
    # each refused on the short path first, then again by the route
    assert outcomes == [
        outcome
        for outcome in ("INSUFFICIENT_BALANCE", "CURRENCY_MISMATCH", "NOT_FOUND")
        for _ in range(2)
    ]
    # bodies the model refuses, a bad key, no JSON at all
    assert (await pay(alice, {**body, "amount": "-1"})).status_code == 400
    assert (await pay(alice, {**body, "toAccountEmail": "bob@example.com"})).status_code == 400
    assert (await pay(alice, body, **{"Idempotency-Key": " "})).status_code == 400
    raw = await alice.portal.http.post(
        f"{alice.portal.prefix}{alice.transfers}/command/create",
        content=b"{not json",
        headers={**alice.portal.headers(alice.token), "Content-Type": "application/json"},
    )
    assert raw.status_code == 400
    assert fast == []
    # the key refused above is still free: the same key books now
    assert_ok(await pay(alice, body, **{"Idempotency-Key": "k1"}), "2001", 201)
    assert fast == [alice.workspace.biz_id]
    fast.clear()
    # a payment by email: the route
    by_email = {"fromWalletBizId": source, "toAccountEmail": bob.account.email, "amount": "1"}
    assert_ok(await pay(alice, by_email), "2001", 201)
    assert fast == []
    assert await ledger.verify(money.session) == []


async def test_a_member_who_is_not_the_owner_goes_to_the_route(
    money: Money, fast: list[str]
) -> None:
    alice = money.alice
    source = await money.fund(alice, "USD", "10")
    target = await money.fund(money.bob, "USD", "1")
    carol = await create_account(
        money.session,
        institution_id=money.institution.institution_id,
        portal=alice.portal.portal,
        email="carol@example.com",
        name="Carol",
    )
    await add_member(
        money.session,
        workspace=alice.workspace,
        account=carol,
        permission_codes=["transfer:write", "wallet:read"],
    )
    await money.session.commit()
    token = str((await alice.portal.login(carol.email))["accessToken"])
    headers = {"X-Workspace-Id": alice.workspace.biz_id}
    body = {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1"}
    response = await alice.portal.post(
        f"{alice.transfers}/command/create", body, token=token, headers=headers
    )
    assert response.status_code == 201, response.text
    assert fast == []  # the route checks the owner's state for a member who is not the owner
    assert await ledger.verify(money.session) == []


async def test_the_caller_is_checked_in_the_booking_call(
    money: Money, fast: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The short path checks the caller and books in one call: a caller it does not plainly
    serve changes nothing there (CALLER) and the route decides, as it does for every request."""
    outcomes = record_outcomes(monkeypatch)
    alice, bob = money.alice, money.bob
    assert_ok(await alice.get("/profile"))  # the portal code read
    source = await money.fund(alice, "USD", "10")
    target = await money.fund(bob, "USD", "1")
    body = {"fromWalletBizId": source, "toWalletBizId": target, "amount": "1"}

    # the workspace named: the answer and the order carry it, as the route's do
    named = {"X-Workspace-Id": alice.workspace.biz_id}
    order = assert_ok(await pay(alice, body, **named), "2001", 201)
    assert order["workspaceBizId"] == alice.workspace.biz_id
    assert fast == [alice.workspace.biz_id] and outcomes == ["BOOKED"]
    # another's workspace: not served there, refused by the route
    fast.clear()
    outcomes.clear()
    response = await pay(alice, body, **{"X-Workspace-Id": bob.workspace.biz_id})
    assert response.status_code in (403, 404)
    assert fast == [] and outcomes == ["CALLER"]

    # a session whose activity is due for its write: the route serves it (and writes it)
    outcomes.clear()
    await money.session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == alice.account.id)
        .values(last_activity_time=utcnow() - timedelta(minutes=5))
    )
    await money.session.commit()
    assert_ok(await pay(alice, body), "2001", 201)
    assert fast == [] and outcomes == ["CALLER", "BOOKED"]
    outcomes.clear()
    assert_ok(await pay(alice, body), "2001", 201)
    assert fast == [alice.workspace.biz_id] and outcomes == ["BOOKED"]

    # an owner awaiting approval, an IP whitelist: the route decides
    for values in ({"pending_approval": True}, {"ip_whitelist_enabled": True}):
        fast.clear()
        outcomes.clear()
        await money.session.execute(
            update(Account).where(Account.id == alice.account.id).values(**values)
        )
        await money.session.commit()
        await pay(alice, body)
        assert fast == [] and outcomes[:1] == ["CALLER"]
        await money.session.execute(
            update(Account)
            .where(Account.id == alice.account.id)
            .values(pending_approval=False, ip_whitelist_enabled=False)
        )
        await money.session.commit()

    # a revoked session fails on the very next payment, and nothing is booked
    fast.clear()
    outcomes.clear()
    await money.session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == alice.account.id)
        .values(revoked_at=utcnow())
    )
    await money.session.commit()
    before = len((await money.session.execute(select(TransferOrder))).scalars().all())
    assert (await pay(alice, body)).status_code == 401
    assert fast == [] and outcomes == ["CALLER"]
    after = len((await money.session.execute(select(TransferOrder))).scalars().all())
    assert after == before
    assert await ledger.verify(money.session) == []


def test_the_owner_role_holds_the_routes_permission() -> None:
    """The booking call serves owners only: their role holds what the route requires."""
    route = fast_transfers.FastTransfers().routes[AccountPortal.CONSUMER]
    required = declared_permission(route.dependant)
    assert required == "transfer:write"
    assert required in permissions_of(RoleType.OWNER, [])
