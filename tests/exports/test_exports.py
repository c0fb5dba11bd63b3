"""Exports: requested through the API, written by the app's own job worker (SQLite: in-memory
queue; PostgreSQL: procrastinate's tables), downloaded once COMPLETED; CSV safe against formula
injection, XLSX written in constant memory; the permissions of the exported records; the
download of pending, failed and expired exports; recovery of abandoned exports and the expiry
sweep."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import AccountPortal, ExportStatus
from portico.exports.models import Export
from portico.jobs import tasks
from portico.runtime import runtime_of
from tests.factories.accounts import create_account
from tests.factories.exports import create_export
from tests.factories.money import (
    create_recharge_channel,
    create_withdrawal_channel,
    set_rate,
)
from tests.factories.workspaces import add_member
from tests.support.money import Money, User
from tests.support.portal import Portal, assert_error, assert_ok

EXPORT_FIELDS = [
    "bizId",
    "exportType",
    "format",
    "exportStatus",
    "filters",
    "fileName",
    "fileSize",
    "rowCount",
    "failureReason",
    "createdAt",
    "completedAt",
    "expiresAt",
]
ONE_PORTAL = pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"])
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
INJECTION = '=HYPERLINK("http://evil.example","x")'


async def request_export(
    user: User, export_type: str, file_format: str = "CSV", **filters: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"exportType": export_type, "format": file_format}
    if filters:
        body["filters"] = filters
    return dict(assert_ok(await user.post("/exports", body), "2001", 201))


async def finished(user: User, biz_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        data: dict[str, Any] = assert_ok(await user.get(f"/exports/{biz_id}"))
        if data["exportStatus"]["code"] in ("COMPLETED", "FAILED"):
            return data
        assert asyncio.get_running_loop().time() < deadline, data
        await asyncio.sleep(0.05)


async def download_csv(user: User, biz_id: str) -> list[list[str]]:
    response = await user.get(f"/exports/{biz_id}/download")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def pay(money: Money, amount: str, remark: str) -> None:
    wallet = await money.fund(money.alice, amount="100")
    assert_ok(
        await money.alice.post(
            f"{money.alice.transfers}/command/create",
            {
                "fromWalletBizId": wallet,
                "toAccountEmail": money.bob.account.email,
                "amount": amount,
                "remark": remark,
            },
        ),
        "2001",
        201,
    )


class TestCsv:
    @pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)
    async def test_wallet_flows(self, money: Money) -> None:
        await pay(money, "12.34", INJECTION)
        requested = await request_export(money.alice, "WALLET_FLOWS")
        assert list(requested) == EXPORT_FIELDS
        assert requested["exportStatus"]["code"] == "PENDING"
        assert requested["exportStatus"]["value"] == 10070101
        assert requested["filters"] == {"startTime": None, "endTime": None, "walletBizId": None}
        assert requested["fileName"] is None and requested["expiresAt"] is None

        done = await finished(money.alice, requested["bizId"])
        assert done["exportStatus"]["code"] == "COMPLETED", done
        assert done["rowCount"] == 2 and done["failureReason"] is None
        assert done["fileName"].startswith("wallet-flows-") and done["fileName"].endswith(".csv")
        assert ISO.match(done["expiresAt"])

        rows = await download_csv(money.alice, requested["bizId"])
        assert rows[0] == [
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
        ]
        funding, payment = rows[1:]
        assert funding[3:5] == ["IN", "RECHARGE"] and funding[6:9] == ["100.00", "0.00", "100.00"]
        assert payment[3:5] == ["OUT", "TRANSFER_OUT"]
        assert payment[6:9] == ["12.34", "100.00", "87.66"]
        assert payment[9] == "'" + INJECTION  # a formula no more
        assert ISO.match(payment[10])
        listed = assert_ok(await money.alice.get("/exports"))
        assert [item["bizId"] for item in listed["items"]] == [requested["bizId"]]
        assert listed["pagination"]["totalRecords"] == 1

    @ONE_PORTAL
    async def test_every_export_type(self, money: Money) -> None:
        session = money.session
        await pay(money, "10", "rent")
        channel = await create_recharge_channel(
            session, institution_id=money.institution.institution_id
        )
        payout = await create_withdrawal_channel(session, workspace=money.alice.workspace)
        await set_rate(
            session,
            institution_id=money.institution.institution_id,
            base="USD",
            quote="EUR",
            rate="0.9",
        )
        await session.commit()
        assert_ok(
            await money.alice.post("/recharges", {"channelBizId": channel.biz_id, "amount": "50"}),
            "2001",
            201,
        )
        wallet = assert_ok(await money.alice.get("/wallets"))[0]["bizId"]
        assert_ok(
            await money.alice.post(
                "/withdrawals",
                {"walletBizId": wallet, "withdrawalChannelBizId": payout.biz_id, "amount": "5"},
            ),
            "2001",
            201,
        )
        quote = assert_ok(
            await money.alice.post(
                "/exchanges/quote", {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "20"}
            )
        )
        assert_ok(await money.alice.post("/exchanges", {"quoteId": quote["quoteId"]}), "2001", 201)

        expected = {
            "TRANSFERS": (["bizId", "direction"], ["OUT"], 7, "10.00"),
            "RECHARGES": (
                ["bizId", "walletBizId", "channelBizId"],
                [wallet, channel.biz_id],
                4,
                "50.00",
            ),
            "WITHDRAWALS": (
                ["bizId", "walletBizId", "withdrawalChannelBizId"],
                [wallet, payout.biz_id],
                4,
                "5.00",
            ),
            "EXCHANGES": (["bizId", "fromWalletBizId"], [wallet], 4, "20.00"),
        }
        for export_type, (head, cells, amount_column, amount) in expected.items():
            requested = await request_export(money.alice, export_type)
            done = await finished(money.alice, requested["bizId"])
            assert done["exportStatus"]["code"] == "COMPLETED" and done["rowCount"] == 1, done
            header, row = await download_csv(money.alice, requested["bizId"])
            assert header[: len(head)] == head, export_type
            assert row[1 : 1 + len(cells)] == cells, export_type
            assert row[amount_column] == amount, (export_type, row)
        # the payee's side of the transfer
        received = await request_export(money.bob, "TRANSFERS")
        await finished(money.bob, received["bizId"])
        _, row = await download_csv(money.bob, received["bizId"])
        assert row[1] == "IN" and row[11] == ""  # the payer's own reference is not shown

    @ONE_PORTAL
    async def test_filters(self, money: Money) -> None:
        await pay(money, "1", "one")
        wallet = assert_ok(await money.alice.get("/wallets"))[0]["bizId"]
        later = int((utcnow() + timedelta(days=1)).timestamp() * 1000)
        for filters, rows in (
            ({"walletBizId": wallet}, 2),
            ({"startTime": later}, 0),
            ({"endTime": "2020-01-01T00:00:00Z"}, 0),
            ({"startTime": "2020-01-01T00:00:00Z", "endTime": later}, 2),
        ):
            requested = await request_export(money.alice, "WALLET_FLOWS", **filters)
            done = await finished(money.alice, requested["bizId"])
            assert done["rowCount"] == rows, (filters, done)
            assert len(await download_csv(money.alice, requested["bizId"])) == rows + 1
        assert done["filters"]["startTime"] == "2020-01-01T00:00:00.000000Z"

    @ONE_PORTAL
    async def test_bad_requests(self, money: Money) -> None:
        bobs = await money.fund(money.bob)
        for body in (
            {},
            {"exportType": "WALLET_FLOWS"},
            {"exportType": "LEDGER", "format": "CSV"},
            {"exportType": "WALLET_FLOWS", "format": "PDF"},
            {"exportType": "WALLET_FLOWS", "format": "CSV", "filters": {"startTime": "soon"}},
            {
                "exportType": "WALLET_FLOWS",
                "format": "CSV",
                "filters": {"startTime": 2, "endTime": 1},
            },
            {"exportType": "WALLET_FLOWS", "format": "CSV", "filters": {"startTime": True}},
        ):
            assert_error(
                await money.alice.post("/exports", body), 400, "VALIDATION.INVALID_PARAMETER"
            )
        foreign = {"exportType": "WALLET_FLOWS", "format": "CSV", "filters": {"walletBizId": bobs}}
        assert_error(await money.alice.post("/exports", foreign), 404, "RESOURCE.NOT_FOUND")
        assert assert_ok(await money.alice.get("/exports"))["items"] == []


@ONE_PORTAL
class TestXlsx:
    async def test_wallet_flows_as_xlsx(self, money: Money) -> None:
        await pay(money, "2.50", INJECTION)
        requested = await request_export(money.alice, "WALLET_FLOWS", "XLSX")
        done = await finished(money.alice, requested["bizId"])
        assert done["exportStatus"]["code"] == "COMPLETED" and done["fileName"].endswith(".xlsx")
        response = await money.alice.get(f"/exports/{requested['bizId']}/download")
        assert response.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert int(response.headers["content-length"]) == len(response.content) == done["fileSize"]
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet  # every cell is text, never a formula
        assert sheet.count("<row ") == 3
        for text in ("flowBizId", "2.50", "97.50", "TRANSFER_OUT", "=HYPERLINK("):
            assert text in sheet.replace("&quot;", '"'), text


@ONE_PORTAL
class TestAccess:
    async def test_only_what_the_member_may_read(self, money: Money, portal: Portal) -> None:
        session = money.session
        carol = await create_account(
            session,
            institution_id=money.institution.institution_id,
            portal=portal.portal,
            email="carol@example.com",
        )
        await add_member(
            session,
            workspace=money.alice.workspace,
            account=carol,
            permission_codes=["export:read", "export:write", "transfer:read"],
        )
        await session.commit()
        token = await portal.token(carol)
        carol_user = User(
            account=carol, workspace=money.alice.workspace, token=token, portal=portal
        )
        headers = {"X-Workspace-Id": money.alice.workspace.biz_id}
        flows = await carol_user.post(
            "/exports", {"exportType": "WALLET_FLOWS", "format": "CSV"}, headers=headers
        )
        assert_error(flows, 403, "ACCESS.PERMISSION_DENIED")
        transfers = await carol_user.post(
            "/exports", {"exportType": "TRANSFERS", "format": "CSV"}, headers=headers
        )
        assert_ok(transfers, "2001", 201)
        # Alice's wallet-flow export is listed, but Carol cannot download what she cannot read
        alices = await request_export(money.alice, "WALLET_FLOWS")
        await finished(money.alice, alices["bizId"])
        response = await portal.get(
            f"/exports/{alices['bizId']}/download", token=token, headers=headers
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")

    async def test_another_workspace_export_is_not_found(self, money: Money) -> None:
        requested = await request_export(money.alice, "WALLET_FLOWS")
        await finished(money.alice, requested["bizId"])
        for path in (f"/exports/{requested['bizId']}", f"/exports/{requested['bizId']}/download"):
            assert_error(await money.bob.get(path), 404, "RESOURCE.NOT_FOUND")
        assert assert_ok(await money.bob.get("/exports"))["items"] == []
        for unknown in ("non-existent-biz-id", "x" * 100):
            assert_error(await money.alice.get(f"/exports/{unknown}"), 404, "RESOURCE.NOT_FOUND")
            assert_error(
                await money.alice.get(f"/exports/{unknown}/download"), 404, "RESOURCE.NOT_FOUND"
            )


@ONE_PORTAL
class TestLifecycle:
    async def test_download_before_completion_after_failure_and_expiry(
        self, money: Money, app: Any
    ) -> None:
        past = utcnow() - timedelta(seconds=1)
        cases = [
            (ExportStatus.PENDING, None, 409, "EXPORT.NOT_READY"),
            (ExportStatus.PROCESSING, None, 409, "EXPORT.NOT_READY"),
            (ExportStatus.FAILED, None, 409, "EXPORT.FAILED"),
            (ExportStatus.COMPLETED, past, 410, "EXPORT.EXPIRED"),
        ]
        for status, expires_at, http_status, code in cases:
            export = await create_export(
                money.session,
                workspace=money.alice.workspace,
                status=status,
                lease_expires_at=utcnow() + timedelta(minutes=5),
                expires_at=expires_at,
                storage=runtime_of(app).storage,
                content=b"a,b\r\n" if status == ExportStatus.COMPLETED else None,
            )
            await money.session.commit()
            response = await money.alice.get(f"/exports/{export.biz_id}/download")
            assert_error(response, http_status, code)

    @pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)
    async def test_the_expiry_sweep_deletes_the_file(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        storage = runtime_of(app).storage
        expired = await create_export(
            session,
            workspace=money.alice.workspace,
            status=ExportStatus.COMPLETED,
            expires_at=utcnow() - timedelta(seconds=1),
            storage=storage,
            content=b"old",
        )
        live = await create_export(
            session,
            workspace=money.alice.workspace,
            status=ExportStatus.COMPLETED,
            expires_at=utcnow() + timedelta(days=1),
            storage=storage,
            content=b"new",
        )
        await session.commit()
        expired_id, expired_biz_id = expired.id, expired.biz_id
        live_biz_id, live_key = live.biz_id, live.storage_key
        runtime = runtime_of(app).for_jobs()
        assert await tasks.expire_exports(runtime) == 1
        assert await storage.list_keys() == [live_key]
        session.expire_all()
        row = (await session.execute(select(Export).where(Export.id == expired_id))).scalar_one()
        assert row.purged_at is not None and row.storage_key is None
        assert_error(
            await money.alice.get(f"/exports/{expired_biz_id}/download"), 410, "EXPORT.EXPIRED"
        )
        assert (await money.alice.get(f"/exports/{live_biz_id}/download")).content == b"new"
        assert await tasks.expire_exports(runtime) == 0

    async def test_abandoned_exports_are_picked_up_again(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        await pay(money, "3", "x")
        storage = runtime_of(app).storage
        # a worker died mid-export: its lease ran out, its half-written file is still there
        abandoned = await create_export(
            session,
            workspace=money.alice.workspace,
            status=ExportStatus.PROCESSING,
            attempts=1,
            lease_expires_at=utcnow() - timedelta(seconds=1),
            storage=storage,
            content=b"half a fi",
        )
        # a PENDING export whose job was lost, and one that used up its attempts
        lost = await create_export(session, workspace=money.alice.workspace)
        hopeless = await create_export(
            session,
            workspace=money.alice.workspace,
            status=ExportStatus.PROCESSING,
            attempts=3,
            lease_expires_at=utcnow() - timedelta(seconds=1),
        )
        await session.commit()
        abandoned_id, lost_id = abandoned.id, lost.id
        runtime = runtime_of(app).for_jobs()
        assert await tasks.recover_exports(runtime, runtime_of(app).jobs) == 3
        done = await finished(money.alice, abandoned.biz_id)
        assert done["exportStatus"]["code"] == "COMPLETED" and done["rowCount"] == 2
        assert (await finished(money.alice, lost.biz_id))["exportStatus"]["code"] == "COMPLETED"
        gave_up = await finished(money.alice, hopeless.biz_id)
        assert gave_up["exportStatus"]["code"] == "FAILED"
        assert gave_up["failureReason"] == "gave up after 3 attempts"
        session.expire_all()
        row = (await session.execute(select(Export).where(Export.id == abandoned_id))).scalar_one()
        assert row.attempts == 2
        # the dead attempt's file is gone; one file per completed export
        assert sorted(await storage.list_keys()) == sorted(
            [
                row.storage_key,
                (
                    await session.execute(select(Export.storage_key).where(Export.id == lost_id))
                ).scalar_one(),
            ]
        )
        assert await tasks.recover_exports(runtime, runtime_of(app).jobs) == 0

    @pytest.mark.parametrize("export_overrides", [{"export_max_rows": 1}])
    async def test_too_many_rows(self, money: Money, app: Any) -> None:
        await pay(money, "1", "x")
        requested = await request_export(money.alice, "WALLET_FLOWS")
        done = await finished(money.alice, requested["bizId"])
        assert done["exportStatus"]["code"] == "FAILED"
        assert done["failureReason"] == "more than 1 rows: narrow the time window"
        assert await runtime_of(app).storage.list_keys() == []
        assert_error(
            await money.alice.get(f"/exports/{requested['bizId']}/download"), 409, "EXPORT.FAILED"
        )
