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


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language: a request in Hindi (LocaleMiddleware) leaves
    Hindi active in the thread, which later tests on the same worker would inherit."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _unlock_audit_for_flush() -> Any:
    """Transactional tests empty every table afterwards: let that flush pass the audit triggers.

    Only the flush itself is unlocked (a fixture's teardown would run before or after it,
    depending on fixture order), so test bodies keep meeting the triggers.
    """
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _pg_unlock(on: bool) -> None:
        # PostgreSQL's flush is a TRUNCATE, refused by a statement trigger unless unlocked.
        from django.db import connections

        for alias in connections:
            conn = connections[alias]
            if conn.vendor == "postgresql":
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT set_config('ftu.audit_unlock', %s, false)", ["on" if on else "off"]
                    )

    def _fixture_teardown(self: TransactionTestCase) -> None:
        token = audit._unlocked.set(True)
        _pg_unlock(True)
        try:
            original(self)
        finally:
            _pg_unlock(False)
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


# --- notifications ---------------------------------------------------------------------------

# The only messages that may travel through the channel layer, and their exact keys.
CHANNEL_MESSAGE_KEYS = {
    "notify.batch": {"type", "notifications"},
    "account.revoked": {"type", "user"},
    "readyz.ping": {"type"},
}
NOTIFICATION_PAYLOAD_KEYS = {"id", "kind", "urgency", "title", "link"}


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or set(payload) != NOTIFICATION_PAYLOAD_KEYS:
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        return f"notification payload keys {keys} not allowed"
    if not isinstance(payload["id"], int) or not all(
        isinstance(payload[k], str) for k in ("kind", "urgency", "title", "link")
    ):
        return "notification payload has a value of the wrong type"
    return None


def _channel_message_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return f"not a dict: {type(message).__name__}"
    kind = message.get("type")
    allowed = CHANNEL_MESSAGE_KEYS.get(kind)
    if allowed is None:
        return f"type {kind!r} is not allowed"
    if set(message) != allowed:
        return f"{kind}: keys {sorted(message)} != {sorted(allowed)}"
    if kind == "account.revoked" and not isinstance(message["user"], int):
        return "account.revoked: the user is not an id"
    if kind == "notify.batch":
        # Every payload of the batch: what each recipient's socket will be sent.
        batch = message["notifications"]
        if not isinstance(batch, list) or not batch:
            return "notify.batch: not a non-empty list"
        for pair in batch:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                return "notify.batch: an entry is not a [user id, payload] pair"
            user_id, payload = pair
            if not isinstance(user_id, int) or isinstance(user_id, bool):
                return "notify.batch: a recipient is not an id"
            problem = _payload_problem(payload)
            if problem:
                return problem
    return None


def delivered(sent: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The ``(recipient id, payload)`` pairs carried by the ``notify.batch`` messages sent."""
    return [
        (user_id, payload)
        for _group, message in sent
        if message["type"] == "notify.batch"
        for user_id, payload in message["notifications"]
    ]


@pytest.fixture(autouse=True)
def channel_layer_spy(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every message sent through any channel layer in the suite is checked (R20).

    Wraps ``send`` and ``group_send`` of the in-memory, Redis and Redis pub/sub layers: a
    notification fan-out is one ``notify.batch`` message per ``notify()`` call, and every
    payload inside it is checked.  A message outside the allow-list raises (and, since
    pushes swallow layer errors so that Redis down never fails a write, the violation is
    also recorded and fails the test at teardown).  Yields the list of ``(group, message)``
    sent with ``group_send`` (``delivered(sent)`` unpacks the batches).
    """
    from channels.layers import InMemoryChannelLayer
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubLoopLayer

    sent: list[tuple[str, dict[str, Any]]] = []
    violations: list[str] = []

    def wrap(cls: type, name: str) -> None:
        original = getattr(cls, name)

        async def spy(self: Any, target: str, message: Any) -> Any:
            problem = _channel_message_problem(message)
            if problem:
                violations.append(f"{cls.__name__}.{name}({target!r}): {problem}")
                raise AssertionError(f"channel-layer message refused: {problem}")
            if name == "group_send":
                sent.append((target, message))
            return await original(self, target, message)

        monkeypatch.setattr(cls, name, spy)

    for cls in (InMemoryChannelLayer, RedisChannelLayer, RedisPubSubLoopLayer):
        wrap(cls, "send")
        wrap(cls, "group_send")

    yield sent
    assert violations == [], violations


@pytest.fixture(autouse=True)
def _no_embedded_ticker(settings: Any) -> None:
    """Tests drive the tick themselves: the ASGI app must not start the ticker thread."""
    settings.FTU_EMBEDDED_TICK = False
