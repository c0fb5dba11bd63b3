"""Referral fixtures: the money fixtures' Alice and Bob (partners, where the tests ask)."""

from tests.money.conftest import money  # noqa: F401
