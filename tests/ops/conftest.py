from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from ftu import audit


@pytest.fixture
def audit_db(transactional_db: Any) -> Iterator[None]:
    """A transactional database whose audit rows are removed (under maintenance) before the
    flush: on SQLite the flush DELETEs, which the append-only trigger refuses otherwise.
    Set up after transactional_db, so this teardown runs before its flush."""
    yield
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent")
