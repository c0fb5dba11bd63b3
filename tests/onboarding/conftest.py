"""The onboarding API's fixtures: two partners' servers, each with its own API key token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oauth import Realm
from tests.support.onboarding import Onboarding, onboarding_client


@pytest.fixture
async def partner(
    app: Any, http: httpx.AsyncClient, session: AsyncSession, realm: Realm
) -> Onboarding:
    client, _ = await onboarding_client(app, http, session, realm, email="partner@example.com")
    return client


@pytest.fixture
async def other_partner(
    app: Any, http: httpx.AsyncClient, session: AsyncSession, realm: Realm
) -> Onboarding:
    client, _ = await onboarding_client(app, http, session, realm, email="rival@example.com")
    return client
