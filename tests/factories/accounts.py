"""Account factories: a fully provisioned account, as registration makes it."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.enums import AccountPortal
from portico.flows import accounts as account_flows

DEFAULT_PASSWORD = "CorrectHorse9!"
# The test settings use these too (tests/conftest.py), so logins never rehash.
TEST_ARGON2_MEMORY_KIB = 1024
TEST_ARGON2_TIME_COST = 1
_hasher = PasswordHasher(
    time_cost=TEST_ARGON2_TIME_COST, memory_cost=TEST_ARGON2_MEMORY_KIB, parallelism=1
)
_hash_cache: dict[str, str] = {}


def password_hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = _hasher.hash(password)
    return _hash_cache[password]


async def create_account(
    session: AsyncSession,
    *,
    institution_id: int,
    portal: AccountPortal = AccountPortal.CONSUMER,
    email: str = "alice@example.com",
    password: str = DEFAULT_PASSWORD,
    name: str | None = "Alice",
    pending_approval: bool = False,
) -> Account:
    return await account_flows.create_account(
        session,
        institution_id=institution_id,
        portal=portal,
        email=email,
        password_hash=password_hash(password),
        account_name=name,
        pending_approval=pending_approval,
    )
