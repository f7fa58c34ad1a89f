"""Structured logs that carry a request id and never an identity, password or secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import traceback
from types import TracebackType
from typing import Any

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

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
            # Django logs 4xx responses after the middleware has returned (the context
            # variable is reset by then) but passes the request along: take its id.
            rid = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = rid
        return True


class RedactingFilter(logging.Filter):
    """Scrub dict arguments and ``extra`` fields; drop request objects from records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict | list | tuple):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = redact(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        for attr in list(vars(record)):
            if attr in _STANDARD_ATTRS or attr in _SAFE_EXTRA:
                continue
            if SENSITIVE_KEY.search(attr):
                setattr(record, attr, REDACTED)
        return True


_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"request_id", "message", "asctime"}
# Extras Django itself passes: a status code is no secret, and the request object is needed by
# the error-mail handler (whose report goes through ScrubbingExceptionReporter below).
_SAFE_EXTRA = {"status_code", "request"}


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return list(reversed(chain))


def format_exception_without_values(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """The traceback (files, lines, code) and exception types, never the messages.

    Messages carry data: a database error quotes the duplicate value, ``int()`` the text it
    could not read.  The type and the place are enough to find the fault with the request id.
    """
    _, value, tb = exc_info
    lines = ["Traceback (exception messages are not logged):\n"]
    for exc in _exception_chain(value):
        frames = traceback.extract_tb(exc.__traceback__ if exc is not value else tb)
        lines.extend(traceback.format_list(frames))
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}\n")
    return "".join(lines).rstrip("\n")


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
        if record.exc_info and record.exc_info[1] is not None:
            payload["exc"] = format_exception_without_values(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(payload, ensure_ascii=False, default=str)


class ScrubbingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports never show POST values, cookies or frame variables: they may hold
    identities or sessions.  Settings holding URLs and hosts are hidden as well: REDIS_URL,
    the broker, cache and channel-layer locations carry passwords."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|LOCATION|BROKER|HOSTS",
        flags=re.IGNORECASE,
    )

    def is_active(self, request: Any) -> bool:
        return True

    def get_post_parameters(self, request: Any) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_cookies(self, request: Any) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.COOKIES, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list[tuple[str, str]]:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class ScrubbingExceptionReporter(ExceptionReporter):
    """Error reports (the mail to ADMINS, the 500 debug page) without data of the request.

    The filter above hides POST values and frame variables; this also hides the exception
    message and those of its causes, query-string values, the referer and the person's name.
    With DEBUG on (a developer's machine, fictional data) messages are kept.
    """

    def get_traceback_data(self) -> dict[str, Any]:
        c = super().get_traceback_data()
        if settings.DEBUG:
            return c
        hidden = self.filter.cleansed_substitute
        if "exception_value" in c:
            c["exception_value"] = hidden
        c.pop("exception_notes", None)
        c["unicode_hint"] = ""
        for frame in c.get("frames", []):
            cause = frame.get("exc_cause")
            if cause is not None:
                frame["exc_cause"] = f"{type(cause).__qualname__}: {hidden}"
        request = self.request
        if request is not None:
            c["request_GET_items"] = [(k, hidden) for k in request.GET]
            c["request_FILES_items"] = [(k, hidden) for k in request.FILES]
            c["request_insecure_uri"] = c.get("request_insecure_uri", "").split("?", 1)[0]
            user = getattr(request, "user", None)
            c["user_str"] = f"user #{user.pk}" if user is not None and user.pk else None
            meta = dict(c.get("request_meta") or {})
            for key in ("QUERY_STRING", "HTTP_REFERER", "HTTP_HX_CURRENT_URL"):
                if key in meta:
                    meta[key] = hidden
            c["request_meta"] = meta
        return c
