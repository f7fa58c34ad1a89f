"""Logs and error reports never carry an identity, and every line carries the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from ftu.logging import JsonFormatter

CANARY = "Canary7Q4X"
CANARY_NAME = f"{CANARY} Kumari"


@pytest.fixture
def log_lines() -> Iterator[Any]:
    """The JSON lines the configured console handler writes (settings.LOGGING)."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert handlers, "the root logger has lost its JSON handler"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]  # type: ignore[attr-defined]
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)

    def read() -> list[dict[str, Any]]:
        text = stream.getvalue()
        return [json.loads(line) for line in text.splitlines() if line]

    read.raw = stream.getvalue  # type: ignore[attr-defined]
    yield read
    logging.getLogger().setLevel(level)
    for h, old in zip(handlers, previous, strict=True):
        h.setStream(old)  # type: ignore[attr-defined]


def test_values_of_sensitive_keys_never_reach_a_line(log_lines: Any) -> None:
    log = logging.getLogger("ftu.tests")
    log.info("child %(name)s of %(guardian)s", {"name": CANARY_NAME, "guardian": CANARY})
    log.info("payload %s", {"child": {"name": CANARY, "address": CANARY, "age": 12}})
    log.info("form %s", {"password": CANARY, "otp_code": CANARY, "phone": CANARY})
    log.warning("saved", extra={"guardian": CANARY, "home_address": CANARY, "alias": CANARY})
    log.info("list %s", [{"school": CANARY}, {"location": CANARY}])
    log.info({"event": "case.saved", "guardian_name": CANARY})
    lines = log_lines()
    assert len(lines) == 6
    assert CANARY not in log_lines.raw()
    assert "[redacted]" in lines[0]["msg"] and "12" in lines[1]["msg"]


def test_crlf_in_a_message_cannot_forge_a_line(log_lines: Any) -> None:
    logging.getLogger("ftu.tests").warning(
        "login failed for %s", 'x\r\n{"level": "INFO", "msg": "forged"}'
    )
    raw = log_lines.raw()
    assert raw.count("\n") == 1  # one record, one line
    (line,) = log_lines()
    assert line["level"] == "WARNING"
    assert "\\r\\n" in raw
    assert line["msg"].endswith('"msg": "forged"}')  # kept, but inside the one line


def test_exception_messages_are_not_logged(log_lines: Any) -> None:
    try:
        try:
            int(CANARY_NAME)
        except ValueError as exc:
            raise RuntimeError(f"saving {CANARY}") from exc
    except RuntimeError:
        logging.getLogger("ftu.tests").exception("saving the case failed")
    (line,) = log_lines()
    assert CANARY not in log_lines.raw()
    # Still useful: the types and where they happened.
    assert "builtins.ValueError" in line["exc"] and "builtins.RuntimeError" in line["exc"]
    assert "test_logging.py" in line["exc"] and "int(CANARY_NAME)" in line["exc"]


@pytest.fixture
def boom_client(settings: Any) -> Iterator[Client]:
    settings.ROOT_URLCONF = "tests.ftu.urls_boom"
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False
    # Settings that carry passwords in URLs must not reach the report's settings section.
    settings.FTU_TEST_BROKER_URL = f"redis://:{CANARY}@cache.internal:6379/0"
    settings.FTU_TEST_LAYERS = {"default": {"CONFIG": {"hosts": [f"redis://:{CANARY}@h"]}}}
    handler = AdminEmailHandler(include_html=True)
    logging.getLogger("django.request").addHandler(handler)
    yield Client(raise_request_exception=False)
    logging.getLogger("django.request").removeHandler(handler)


@pytest.mark.django_db
def test_a_500_report_and_its_log_lines_hold_no_canary(boom_client: Client, log_lines: Any) -> None:
    boom_client.cookies["ftu_note"] = CANARY
    response = boom_client.post(
        f"/boom/?q={CANARY}",
        {"name": CANARY_NAME, "guardian": CANARY, "address": CANARY},
        HTTP_REFERER=f"https://ftu.example.org/cases/?search={CANARY}",
    )
    assert response.status_code == 500
    assert CANARY not in response.content.decode()

    # The error report was produced (the mail to ADMINS), with what is needed to find the fault…
    assert mail.outbox, "no error report was sent"
    for message in mail.outbox:
        html = "".join(str(body) for body, _ in getattr(message, "alternatives", []))
        for text in (message.subject, message.body, html):
            assert CANARY not in text
        assert "ValueError" in message.body and "boom" in message.body
        assert "guardian" in message.body  # the POST key, not its value
    # …and the log lines too, with the request id of the response.
    lines = log_lines()
    assert CANARY not in log_lines.raw()
    rid = response["X-Request-ID"]
    error = [x for x in lines if x["logger"] == "django.request"]
    assert error and error[0]["level"] == "ERROR" and error[0]["status"] == 500
    assert error[0]["request_id"] == rid
    assert "builtins.ValueError" in error[0]["exc"]
    view_line = [x for x in lines if x["msg"] == "boom view reached"]
    assert view_line[0]["request_id"] == rid


@pytest.mark.django_db
def test_every_response_carries_a_request_id(personas: dict[str, Any], login: Any) -> None:
    convenor = login(personas["convenor"])
    responses = {
        "page": convenor.get(reverse("home")),
        "forbidden": login(personas["media_member"]).get(reverse("audit:list")),
        "not found": convenor.get("/no-such-page/"),
        "redirect": Client().get(reverse("home")),
        "health": Client().get(reverse("healthz")),
        "post": convenor.post(reverse("audit:list")),
    }
    assert [r.status_code for r in responses.values()] == [200, 403, 404, 302, 200, 405]
    ids = [r["X-Request-ID"] for r in responses.values()]
    assert all(len(i) >= 8 for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.django_db
def test_a_well_formed_incoming_id_is_kept_and_a_bad_one_replaced() -> None:
    good = Client().get(reverse("healthz"), HTTP_X_REQUEST_ID="proxy-1234abcd")
    assert good["X-Request-ID"] == "proxy-1234abcd"
    bad = Client().get(reverse("healthz"), HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")
    assert bad["X-Request-ID"] != "x\r\nSet-Cookie: a=b" and "\n" not in bad["X-Request-ID"]


@pytest.mark.django_db
def test_a_4xx_log_line_carries_the_request_id(
    personas: dict[str, Any], login: Any, log_lines: Any
) -> None:
    # Django logs 4xx after the middleware has returned: the id comes from the request.
    response = login(personas["media_member"]).get(reverse("audit:list"))
    assert response.status_code == 403
    (line,) = [x for x in log_lines() if x["logger"] == "django.request"]
    assert line["status"] == 403
    assert line["request_id"] == response["X-Request-ID"]
