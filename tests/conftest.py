"""Shared fixtures: the personas of the FTU, and the clients they log in with."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from agencies import demo
from ftu import audit

# The personas every permission test walks through (anonymous is added by the matrix).
PERSONAS = [p.key for p in demo.PEOPLE]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _unlock_audit_for_flush() -> Any:
    """Transactional tests empty every table afterwards: let that flush pass the audit triggers.

    Only the flush itself is unlocked (a fixture's teardown would run before or after it,
    depending on fixture order), so test bodies keep meeting the triggers.
    """
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self: TransactionTestCase) -> None:
        token = audit._unlocked.set(True)
        try:
            original(self)
        finally:
            audit._unlocked.reset(token)

    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = original  # type: ignore[method-assign]


def enrol_totp(user: Any) -> str:
    """Give ``user`` a real TOTP authenticator through allauth's API; returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def personas(db: Any) -> dict[str, Any]:
    """The Meerut-like world: organisations under ``personas['orgs']``, people by key.

    Every persona is enrolled in TOTP (the hub lets people who must use MFA reach nothing
    else until they are); tests of enrolment itself make their own unenrolled person.
    """
    people = demo.build(password=None, demo=False)
    for key in PERSONAS:
        enrol_totp(people[key])
    return people


@pytest.fixture
def login(client: Client) -> Any:
    """``login(user)`` returns a client logged in as that person (MFA step satisfied)."""

    def _login(user: Any) -> Client:
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _login
