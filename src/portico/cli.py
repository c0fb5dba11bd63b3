"""The `portico` command: serve, migrate, seed demo data, create institutions."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings, get_settings
from portico.db import Database, create_engine
from portico.enums import AccountPortal

DEMO_PASSWORD = "DemoPass123!"  # noqa: S105 - documented demo credential
DEMO_INSTITUTION = "Portico Demo Bank"
DEMO_CODES = {
    AccountPortal.CONSUMER: "pac_demo_consumer",
    AccountPortal.PARTNER: "pac_demo_partner",
}
DEMO_ACCOUNTS = {
    AccountPortal.CONSUMER: ("consumer@demo.portico", "Demo Consumer"),
    AccountPortal.PARTNER: ("partner@demo.portico", "Demo Partner"),
}


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision`; on PostgreSQL also create or upgrade the
    job queue's schema (procrastinate's, in a schema of its own)."""
    from alembic import command
    from alembic.config import Config

    from portico.jobs.schema import upgrade_job_schema

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = settings.resolved_database_url
    command.upgrade(config, revision)
    if not settings.is_sqlite:
        upgrade_job_schema(settings.resolved_database_url)


async def seed_demo(settings: Settings) -> list[str]:
    """Create the demo institution and accounts if missing; returns lines to print."""
    from portico.accounts.models import Account
    from portico.auth import service as auth_service
    from portico.auth.passwords import PasswordHasher
    from portico.institutions import service as institution_service

    database = Database(create_engine(settings.resolved_database_url, null_pool=True))
    try:
        async with database.sessionmaker() as session, session.begin():
            institution = await institution_service.institution_by_access_code(
                session, DEMO_CODES[AccountPortal.CONSUMER]
            )
            if institution is None:
                institution, _ = await institution_service.create_institution(
                    session,
                    name=DEMO_INSTITUTION,
                    consumer_code=DEMO_CODES[AccountPortal.CONSUMER],
                    partner_code=DEMO_CODES[AccountPortal.PARTNER],
                )
            hasher = PasswordHasher(settings)
            for portal, (email, name) in DEMO_ACCOUNTS.items():
                exists = (
                    await session.execute(
                        select(Account.id).where(
                            Account.institution_id == institution.id,
                            Account.portal == portal,
                            Account.email == email,
                        )
                    )
                ).first()
                if exists is None:
                    await auth_service.create_account(
                        session,
                        institution_id=institution.id,
                        portal=portal,
                        email=email,
                        password_hash=await hasher.hash(DEMO_PASSWORD),
                        account_name=name,
                        pending_approval=False,
                        max_sessions=settings.max_sessions_default,
                    )
            lines = await _seed_demo_money(session, institution.id)
            lines = [
                *lines,
                f"institution       {institution.name} (institutionBizId {institution.biz_id}, "
                f"issuerId {institution.issuer_id})",
                f"consumer portal   X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.CONSUMER]}",
                f"partner portal    X-PORTAL-ACCESS-CODE: {DEMO_CODES[AccountPortal.PARTNER]}",
            ]
            for portal, (email, _) in DEMO_ACCOUNTS.items():
                lines.append(f"{portal.value.lower():<17} {email} / {DEMO_PASSWORD}")
            return lines
    finally:
        await database.dispose()


async def _seed_demo_money(session: AsyncSession, institution_id: int) -> list[str]:
    """Channels and FX rates, and 1,000.00 USD (an approved recharge) for each demo account
    that has no USD wallet yet; the lines printed are the same on every run."""
    from portico.accounts.models import Account
    from portico.backoffice import seed_demo_money
    from portico.recharges import service as recharge_service
    from portico.recharges.schemas import RechargeCreateIn
    from portico.wallets import service as wallet_service
    from portico.workspaces.models import Workspace, WorkspaceMember
    from portico.workspaces.scope import across_workspaces

    lines = await seed_demo_money(session, institution_id)
    channel = next(
        c
        for c in await recharge_service.list_channels(session, institution_id=institution_id)
        if c.currency == "USD"
    )
    for portal, (email, _) in DEMO_ACCOUNTS.items():
        row = (
            await session.execute(
                across_workspaces(
                    select(Account, Workspace)
                    .join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
                    .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
                    .where(
                        Account.institution_id == institution_id,
                        Account.portal == portal,
                        Account.email == email,
                        WorkspaceMember.is_owner.is_(True),
                    )
                    .order_by(Workspace.id)
                    .limit(1),
                    "the demo account's own workspace",
                )
            )
        ).first()
        if row is None:
            continue
        account, workspace = row
        wallet = await wallet_service.find_wallet(
            session, workspace_id=workspace.id, currency="USD"
        )
        if wallet is not None:
            lines.append(f"demo balance      {email}: USD wallet {wallet.biz_id}")
            continue
        recharge = await recharge_service.create_recharge(
            session,
            actor=account,
            workspace=workspace,
            body=RechargeCreateIn(
                channel_biz_id=channel.biz_id, amount=Decimal("1000"), remark="demo balance"
            ),
        )
        await recharge_service.approve(session, recharge=recharge)
        lines.append(f"demo balance      {email}: USD wallet {recharge.wallet_biz_id}")
    return lines


async def create_institution(
    settings: Settings, name: str, consumer: str | None, partner: str | None
) -> list[str]:
    from portico.institutions import service as institution_service

    database = Database(create_engine(settings.resolved_database_url, null_pool=True))
    try:
        async with database.sessionmaker() as session, session.begin():
            institution, codes = await institution_service.create_institution(
                session, name=name, consumer_code=consumer, partner_code=partner
            )
            return [
                f"institutionBizId  {institution.biz_id}",
                f"issuerId          {institution.issuer_id}",
                f"consumer code     {codes[AccountPortal.CONSUMER]}",
                f"partner code      {codes[AccountPortal.PARTNER]}",
            ]
    finally:
        await database.dispose()


async def rotate_channel_key(settings: Settings, grace_seconds: int) -> str:
    """Publish a new secure-channel key; the old one is accepted for `grace_seconds` more."""
    from portico.crypto import SecretBox
    from portico.securechannel import service as channel_service

    database = Database.from_url(settings.resolved_database_url, pool_size=1)
    try:
        key = await channel_service.rotate_key(
            database, SecretBox(settings), grace_seconds=grace_seconds
        )
        return f"new secure-channel key {key.key_id}; previous keys accepted for {grace_seconds}s"
    finally:
        await database.dispose()


def _serve_one(host: str, port: int) -> None:
    """One API process on its own SO_REUSEPORT socket (the kernel spreads connections)."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        "portico.main:create_app", factory=True, proxy_headers=False, access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(host: str, port: int, workers: int) -> None:
    """`workers` API processes, each with its own listening socket on the same port.

    uvicorn's own `--workers` shares one socket, and long-lived keep-alive connections then pile
    up on whichever process accepted first; SO_REUSEPORT lets the kernel balance them."""
    import multiprocessing
    import signal

    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_one, args=(host, port)) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: object) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portico", description="Portico wallet platform")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = commands.add_parser("worker", help="run the background jobs (PostgreSQL)")
    worker.add_argument("--concurrency", type=int, default=None, help="jobs run at once")
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    commands.add_parser("demo", help="seed the demo institution and accounts (idempotent)")
    institution = commands.add_parser(
        "create-institution", help="create an institution and its portal codes"
    )
    institution.add_argument("--name", required=True)
    institution.add_argument(
        "--consumer-code", help="consumer portal access code (default: generated)"
    )
    institution.add_argument(
        "--partner-code", help="partner portal access code (default: generated)"
    )
    channel = commands.add_parser("secure-channel", help="secure channel keys")
    channel_commands = channel.add_subparsers(dest="channel_command", required=True)
    rotate = channel_commands.add_parser("rotate-key", help="publish a new RSA key")
    rotate.add_argument(
        "--grace-seconds", type=int, default=None, help="how long the old key stays valid"
    )
    _money_parsers(commands)
    return parser


def _money_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = commands.add_parser("ledger", help="the double-entry ledger")
    ledger.add_subparsers(dest="ledger_command", required=True).add_parser(
        "verify", help="recompute every balance from the entries; non-zero exit on a difference"
    )
    recharge = commands.add_parser("recharge", help="issuer: approve or reject recharges")
    recharge_commands = recharge.add_subparsers(dest="recharge_command", required=True)
    recharge_commands.add_parser("approve", help="credit the wallet").add_argument("biz_id")
    reject = recharge_commands.add_parser("reject", help="refuse the recharge")
    reject.add_argument("biz_id")
    reject.add_argument("--reason")
    withdrawal = commands.add_parser("withdrawal", help="issuer: complete or reject withdrawals")
    withdrawal_commands = withdrawal.add_subparsers(dest="withdrawal_command", required=True)
    withdrawal_commands.add_parser("complete", help="pay the frozen amount out").add_argument(
        "biz_id"
    )
    reject = withdrawal_commands.add_parser("reject", help="release the frozen amount")
    reject.add_argument("biz_id")
    reject.add_argument("--reason")
    idempotency = commands.add_parser("idempotency", help="Idempotency-Key records")
    idempotency.add_subparsers(dest="idempotency_command", required=True).add_parser(
        "purge", help="delete the records past their 7-day retention"
    )
    fx = commands.add_parser("fx", help="issuer: FX rates")
    fx_set = fx.add_subparsers(dest="fx_command", required=True).add_parser(
        "set", help="set the mid rate BASE→QUOTE (units of QUOTE per unit of BASE)"
    )
    fx_set.add_argument("base")
    fx_set.add_argument("quote")
    fx_set.add_argument("rate")
    fx_set.add_argument("--spread-bps", type=int, default=0)
    fx_set.add_argument("--fee-bps", type=int, default=0)
    fx_set.add_argument("--institution", help="bizId, issuerId or portal access code")


def _run_money_command(settings: Settings, args: argparse.Namespace) -> int:
    """The back-office commands: one transaction each; business refusals exit 1."""
    from portico import backoffice
    from portico.errors import AppError
    from portico.exchanges import service as exchange_service

    async def work(session: AsyncSession) -> list[str]:
        if args.command == "ledger":
            problems = await backoffice.verify_ledger(session)
            if problems:
                raise LookupError("\n".join(problems))
            return ["ledger verified: every currency sums to 0 and every balance matches"]
        if args.command == "recharge":
            if args.recharge_command == "approve":
                return [await backoffice.approve_recharge(session, args.biz_id)]
            return [await backoffice.reject_recharge(session, args.biz_id, args.reason)]
        if args.command == "withdrawal":
            if args.withdrawal_command == "complete":
                return [await backoffice.complete_withdrawal(session, args.biz_id)]
            return [await backoffice.reject_withdrawal(session, args.biz_id, args.reason)]
        institution = await backoffice.institution_by_code_or_id(session, args.institution)
        try:
            rate = Decimal(args.rate)
        except InvalidOperation as exc:
            raise LookupError(f"not a rate: {args.rate}") from exc
        await exchange_service.set_rate(
            session,
            institution_id=institution.id,
            base=args.base,
            quote=args.quote,
            rate=rate,
            spread_bps=args.spread_bps,
            fee_bps=args.fee_bps,
        )
        return [f"{args.base.upper()}→{args.quote.upper()} {rate} set for {institution.name}"]

    try:
        lines = asyncio.run(backoffice.in_transaction(settings, work))
    except AppError as exc:
        print(f"refused: {exc.code} {exc.message}", file=sys.stderr)
        return 1
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


async def _purge_idempotency(settings: Settings) -> int:
    from portico.idempotency import service as idempotency

    database = Database.from_url(settings.resolved_database_url)
    try:
        return await idempotency.purge_expired(database)
    finally:
        await database.dispose()


def _run_worker(settings: Settings, concurrency: int | None) -> int:
    from portico.jobs.worker import WorkerUnavailable, run_worker
    from portico.main import configure_logging

    if concurrency is not None:
        settings = settings.model_copy(update={"jobs_concurrency": max(1, concurrency)})
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings))
    except WorkerUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "serve":
        if args.workers > 1 and hasattr(socket, "SO_REUSEPORT"):
            serve_workers(args.host, args.port, args.workers)
        else:
            import uvicorn

            uvicorn.run(
                "portico.main:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                proxy_headers=False,
                access_log=False,
            )
    elif args.command == "worker":
        return _run_worker(settings, args.concurrency)
    elif args.command == "db":
        upgrade_database(settings)
        print(f"database is up to date ({settings.resolved_database_url.split('@')[-1]})")
    elif args.command == "demo":
        for line in asyncio.run(seed_demo(settings)):
            print(line)
    elif args.command == "secure-channel":
        grace = args.grace_seconds
        if grace is None:
            grace = settings.secure_channel_key_grace_seconds
        print(asyncio.run(rotate_channel_key(settings, grace)))
    elif args.command == "create-institution":
        for line in asyncio.run(
            create_institution(settings, args.name, args.consumer_code, args.partner_code)
        ):
            print(line)
    elif args.command == "idempotency":
        print(f"deleted {asyncio.run(_purge_idempotency(settings))} expired key(s)")
    elif args.command in ("ledger", "recharge", "withdrawal", "fx"):
        return _run_money_command(settings, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
