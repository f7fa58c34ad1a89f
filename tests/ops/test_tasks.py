from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from ftu.tasks import ping, ping_key


def test_ping_writes_who_ran_it() -> None:
    token = uuid.uuid4().hex
    ping.delay(token)  # eager outside production
    answer = cache.get(ping_key(token))
    assert answer["pid"] > 0 and answer["host"]


def test_ping_refuses_a_malformed_token() -> None:
    with pytest.raises(ValueError):
        ping.delay("../../etc")


def test_ping_worker_refuses_to_claim_success_when_eager(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with pytest.raises(CommandError, match="eagerly"):
        call_command("ping_worker")
