"""A small pluggable SMS sender.  ``settings.FTU_SMS_BACKEND`` names the class.

- ``notifications.sms.ConsoleBackend`` (demo): writes the message to stdout.
- ``notifications.sms.HttpGatewayBackend`` (production): POSTs JSON to the gateway in
  ``FTU_SMS_GATEWAY_URL`` with ``FTU_SMS_GATEWAY_TOKEN`` as a bearer token and
  ``FTU_SMS_SENDER_ID`` as the DLT sender id.
- ``notifications.sms.DisabledBackend``: production without a gateway; every SMS fails.
- ``notifications.sms.LocmemBackend`` (tests): keeps messages in ``sms.outbox``.

Messages come only from the fixed templates in ``notifications.delivery``: no free text,
no title, nothing a phone's lock screen could leak.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

outbox: list[tuple[str, str]] = []


class SMSError(Exception):
    """Raised by a backend when the message was not accepted; ``str()`` carries no address."""


class BaseBackend:
    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class DisabledBackend(BaseBackend):
    """Production without a gateway: refuse, so the failure shows on the outbox page."""

    def send(self, *, to: str, text: str) -> None:
        raise SMSError("no SMS gateway configured")


class LocmemBackend(BaseBackend):
    def send(self, *, to: str, text: str) -> None:
        outbox.append((to, text))


class HttpGatewayBackend(BaseBackend):
    """A JSON-over-HTTPS gateway: ``{"to", "text", "sender"}``; any 2xx means accepted."""

    def __init__(self) -> None:
        self.url = settings.FTU_SMS_GATEWAY_URL
        self.token = settings.FTU_SMS_GATEWAY_TOKEN
        self.sender = settings.FTU_SMS_SENDER_ID
        self.timeout = settings.FTU_SMS_GATEWAY_TIMEOUT
        if not self.url.startswith("https://") and not settings.DEBUG:
            raise SMSError("FTU_SMS_GATEWAY_URL must be an https:// URL")

    def send(self, *, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured gateway
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SMSError(f"gateway HTTP {exc.code}") from None
        except OSError as exc:
            raise SMSError(f"gateway unreachable ({type(exc).__name__})") from None
        if not 200 <= status < 300:
            raise SMSError(f"gateway HTTP {status}")


def get_backend() -> Any:
    return import_string(settings.FTU_SMS_BACKEND)()
