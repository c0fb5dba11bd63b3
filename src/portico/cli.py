"""The `portico` command: serve, migrate, seed demo data, create institutions."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

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
    """Run the Alembic migrations up to `revision`."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = settings.resolved_database_url
    command.upgrade(config, revision)


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
            lines = [
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portico", description="Portico wallet platform")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "serve":
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
