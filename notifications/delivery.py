"""E-mail and SMS delivery of stored notifications (the outbox).  Filled in by the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def enqueue_external(notifications: Iterable[Any]) -> None:
    """Queue e-mail/SMS for these notifications according to each person's preferences."""
    return None
