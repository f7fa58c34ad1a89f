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


# --- notifications ---------------------------------------------------------------------------

# The only messages that may travel through the channel layer, and their exact keys.
CHANNEL_MESSAGE_KEYS = {
    "notify": {"type", "notification"},
    "account.revoked": {"type"},
    "readyz.ping": {"type"},
}
NOTIFICATION_PAYLOAD_KEYS = {"id", "kind", "urgency", "title", "link"}
# Optional: the same title in each language of the hub ({"en": …, "hi": …}), nothing else.
NOTIFICATION_PAYLOAD_OPTIONAL = {"titles"}


def _channel_message_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return f"not a dict: {type(message).__name__}"
    kind = message.get("type")
    allowed = CHANNEL_MESSAGE_KEYS.get(kind)
    if allowed is None:
        return f"type {kind!r} is not allowed"
    if set(message) != allowed:
        return f"{kind}: keys {sorted(message)} != {sorted(allowed)}"
    if kind == "notify":
        payload = message["notification"]
        if not isinstance(payload, dict) or not (
            NOTIFICATION_PAYLOAD_KEYS
            <= set(payload)
            <= NOTIFICATION_PAYLOAD_KEYS | NOTIFICATION_PAYLOAD_OPTIONAL
        ):
            return f"notification payload keys {sorted(payload)} not allowed"
        if "titles" in payload:
            from django.conf import settings

            titles = payload["titles"]
            languages = {code for code, _name in settings.LANGUAGES}
            if not isinstance(titles, dict) or not set(titles) <= languages:
                return "notification payload titles are not {language: title}"
            if not all(isinstance(t, str) for t in titles.values()):
                return "notification payload has a value of the wrong type"
        if not isinstance(payload["id"], int) or not all(
            isinstance(payload[k], str) for k in ("kind", "urgency", "title", "link")
        ):
            return "notification payload has a value of the wrong type"
    return None


@pytest.fixture(autouse=True)
def channel_layer_spy(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every message sent through any channel layer in the suite is checked (R20).

    Wraps ``send`` and ``group_send`` of the in-memory, Redis and Redis pub/sub layers.
    A message outside the allow-list raises (and, since pushes swallow layer errors so that
    Redis down never fails a write, the violation is also recorded and fails the test at
    teardown).  Yields the list of ``(group, message)`` sent with ``group_send``.
    """
    from channels.layers import InMemoryChannelLayer
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubLoopLayer

    from notifications.layers import RedisPubSubBatchChannelLayer

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

    # The batched fan-out publishes without group_send: spy on it too.
    original_many = RedisPubSubBatchChannelLayer.group_send_many

    async def spy_many(self: Any, messages: list[tuple[str, Any]]) -> Any:
        for group, message in messages:
            problem = _channel_message_problem(message)
            if problem:
                violations.append(f"group_send_many({group!r}): {problem}")
                raise AssertionError(f"channel-layer message refused: {problem}")
            sent.append((group, message))
        return await original_many(self, messages)

    monkeypatch.setattr(RedisPubSubBatchChannelLayer, "group_send_many", spy_many)
    yield sent
    assert violations == [], violations


@pytest.fixture(autouse=True)
def _no_embedded_ticker(settings: Any) -> None:
    """Tests drive the tick themselves: the ASGI app must not start the ticker thread."""
    settings.FTU_EMBEDDED_TICK = False
