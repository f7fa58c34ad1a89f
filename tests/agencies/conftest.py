from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> None:
    """A fresh cache namespace per test: used TOTP codes and rate-limit counters are keyed
    by user id, and ids repeat between tests.  (Never ``cache.clear()``: on Redis it would
    flush the parallel runs that share the server.)"""
    caches = copy.deepcopy(settings.CACHES)
    suffix = uuid.uuid4().hex[:12]
    default = caches["default"]
    if default["BACKEND"].endswith("LocMemCache"):
        default["LOCATION"] = f"test-{suffix}"
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-{suffix}"
    settings.CACHES = caches
