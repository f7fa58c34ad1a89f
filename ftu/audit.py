"""Writing and checking the audit log.

``record()`` is called by services inside their transaction, so the audit row and the change
commit or roll back together; if the audit write fails, the change fails (fail closed).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from ftu.logging import request_id_var
from ftu.models import AuditEvent

GENESIS = "0" * 64
# Same 64-bit key for every process: serialises appends to the chain on PostgreSQL.
_PG_LOCK_KEY = 0x46545541554449  # "FTUAUDI"

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "ftu_audit_request", default=None
)
_unlocked: contextvars.ContextVar[bool] = contextvars.ContextVar("ftu_audit_unlock", default=False)


def set_request(request: HttpRequest | None) -> contextvars.Token[HttpRequest | None]:
    """Remember the request (IP, user agent) for audit rows written while it is served."""
    return _current_request.set(request)


def reset_request(token: contextvars.Token[HttpRequest | None]) -> None:
    _current_request.reset(token)


def canonical(event: AuditEvent) -> str:
    data = {
        "seq": event.seq,
        "created": event.created.isoformat(),
        "actor": event.actor_id,
        "organisation": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "fields": list(event.fields or []),
        "reason": event.reason,
        "outcome": event.outcome,
        "ip": event.ip,
        "request_id": event.request_id,
        "user_agent": event.user_agent,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def _client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR in the form the database gives back, or None when it is not an address.

    The hash is computed before the row is stored: an address the column would rewrite
    (upper-case IPv6, an uncompressed form) would later read as tampering, and one it
    refuses would make the audit write, and with it the change, fail.
    """
    if request is None:
        return None
    raw = str(request.META.get("REMOTE_ADDR") or "")
    try:
        if ":" in raw:
            return clean_ipv6_address(raw)
        return str(ipaddress.IPv4Address(raw))
    except (ValueError, ValidationError):
        return None


def record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    organisation: Any = None,
    fields: Iterable[str] = (),
    reason: str = "",
    outcome: str = AuditEvent.Outcome.OK,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the chain.  Pass field *names*, never protected values."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    request = request or _current_request.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            created=timezone.now(),
            actor=actor,
            organisation=organisation,
            action=action,
            object_type=str(object_type)[:64],
            object_id=str(object_id)[:64],
            fields=sorted(set(fields)),
            reason=reason,
            outcome=outcome,
            ip=_client_ip(request),
            request_id=request_id_var.get() if request_id_var.get() != "-" else "",
            user_agent=(request.META.get("HTTP_USER_AGENT", "")[:200] if request else ""),
            prev_hash=prev_hash,
        )
        event.hash = chain_hash(prev_hash, event)
        event.save(force_insert=True)
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""
    # Rows #1..purged_through were removed by the retention purge (an audit.purge row vouches).
    purged_through: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


PURGE_ACTION = "audit.purge"
_PURGE_HASH = re.compile(r"last hash ([0-9a-f]{64})")


def purge_anchor(through_seq: int, using: str = "default") -> str | None:
    """The hash of row #through_seq as recorded by the purge that removed it (or None).

    The anchor is itself a row of the chain (written in the purge's transaction, after the
    purged rows), so it is verified like any other row once the walk reaches it.
    """
    anchor = (
        AuditEvent.objects.using(using)
        .filter(action=PURGE_ACTION, object_type="ftu.auditevent", object_id=str(through_seq))
        .filter(seq__gt=through_seq)
        .order_by("-seq")
        .values_list("reason", flat=True)
        .first()
    )
    match = _PURGE_HASH.search(anchor or "")
    return match.group(1) if match else None


def verify_chain(batch: int = 2000, *, using: str = "default") -> ChainReport:
    """Walk the chain in order; report the first row whose link or content does not match.

    ``using`` names the database (a restored backup, for the restore drill).  After a
    retention purge the walk starts at the earliest remaining row, whose ``prev_hash`` must
    equal the hash that the purge's anchor row recorded for the last purged row.
    """
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    qs = AuditEvent.objects.using(using).order_by("seq")
    first = qs.values_list("seq", "prev_hash").first()
    purged_through = None
    if first is not None and first[0] != 1:
        through = first[0] - 1
        recorded = purge_anchor(through, using)
        if recorded is None:
            return ChainReport(0, first[0], f"rows #1-#{through} are missing (no purge record)")
        if recorded != first[1]:
            return ChainReport(0, first[0], "the first row does not link to the purge record")
        prev_hash, expected_seq, purged_through = first[1], first[0], through
    for event in qs.iterator(chunk_size=batch):
        if event.seq != expected_seq:
            return ChainReport(
                checked, event.seq, f"row #{expected_seq} is missing", purged_through
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked, event.seq, "link to the previous row does not match", purged_through
            )
        if chain_hash(prev_hash, event) != event.hash:
            return ChainReport(
                checked, event.seq, "row content does not match its hash", purged_through
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return ChainReport(checked, purged_through=purged_through)


@contextlib.contextmanager
def maintenance() -> Iterator[None]:
    """Lift the append-only triggers for this transaction (retention purge, test teardown)."""
    token = _unlocked.set(True)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL ftu.audit_unlock = 'on'")
            yield
            if connection.vendor == "postgresql":
                # SET LOCAL lasts to the end of the *outer* transaction: lock again on leaving
                # (after an error the savepoint's rollback has already undone it).
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL ftu.audit_unlock = 'off'")
    finally:
        _unlocked.reset(token)


@receiver(connection_created)
def _register_sqlite_guard(sender: Any, connection: Any, **kwargs: Any) -> None:
    # The SQLite triggers call this function: any other client (no function) is refused too.
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "ftu_audit_unlocked", 0, lambda: 1 if _unlocked.get() else 0, deterministic=False
        )
