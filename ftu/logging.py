"""Structured logs that carry a request id and never an identity, password or secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Keys whose values never reach a log line, whatever logs them.
SENSITIVE_KEY = re.compile(
    r"pass|secret|token|key|otp|code|session|cookie|csrf|name|alias|guardian|address|"
    r"school|phone|mobile|mark|circumstance|identity|location|grounds|target|email|note",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact(value: Any, depth: int = 0) -> Any:
    """Return a copy of ``value`` with the values of sensitive keys replaced."""
    if depth > 4:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: (REDACTED if SENSITIVE_KEY.search(str(k)) else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v, depth + 1) for v in value)
    return value


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id_var.get()
        if rid == "-":
            # django.request logs 4xx/5xx after the middleware has returned (and reset the
            # context variable); its records carry the request, which carries the id.
            rid = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = rid
        return True


class RedactingFilter(logging.Filter):
    """Scrub dict arguments and ``extra`` fields; drop request objects from records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = redact(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        for attr in list(vars(record)):
            if attr in _STANDARD_ATTRS:
                continue
            if SENSITIVE_KEY.search(attr):
                setattr(record, attr, REDACTED)
        return True


_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"request_id", "message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: CR/LF in messages are escaped by JSON itself."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "msg": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            payload["status"] = status
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class ScrubbingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports never show POST values or frame variables: they may hold identities."""

    def is_active(self, request: Any) -> bool:
        return True

    def get_post_parameters(self, request: Any) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list[tuple[str, str]]:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
