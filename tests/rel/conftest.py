"""The `rel` client fixture."""

from __future__ import annotations

import pytest

from tests.support.oauth import IssuerApi
from tests.support.rel import Rel


@pytest.fixture
def rel(issuer_api: IssuerApi) -> Rel:
    return Rel(issuer_api)
