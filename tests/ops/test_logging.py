"""Log lines are JSON with the request id and never carry an identity (canary strings)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from ftu.logging import JsonFormatter, request_id_var

CANARY = "Canary-Munni-Devi-4711"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_identity_values_never_reach_a_log_line(log_lines: io.StringIO) -> None:
    token = request_id_var.set("req-0123456789")
    try:
        logger = logging.getLogger("ftu.test")
        logger.warning(
            "referral %(case)s for %(child_name)s", {"case": "FTU-1", "child_name": CANARY}
        )
        logger.warning("moved", extra={"guardian_phone": CANARY, "address": CANARY})
    finally:
        request_id_var.reset(token)
    text = log_lines.getvalue()
    assert CANARY not in text
    lines = _lines(log_lines)
    assert [line["request_id"] for line in lines] == ["req-0123456789"] * 2
    assert "FTU-1" in lines[0]["msg"]


@pytest.mark.django_db
def test_request_lines_carry_the_request_id(log_lines: io.StringIO) -> None:
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="nginx-abcdef0123456789")
    assert response["X-Request-ID"] == "nginx-abcdef0123456789"
    lines = [line for line in _lines(log_lines) if line["logger"] == "django.request"]
    assert lines and all(line["request_id"] == "nginx-abcdef0123456789" for line in lines)
