"""Retention of audit and access logs: kept at least 365 days, purged only when configured.

The purge removes a *prefix* of the audit chain (every row older than the cut-off up to the
first younger one) and, in the same transaction, appends an ``audit.purge`` row that
records how many rows went and the hash of the last one.  ``verify_chain`` then starts from
the earliest remaining row and checks that its ``prev_hash`` is that recorded hash, so the
chain stays verifiable and a deletion of old rows *without* a purge record is still caught.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ftu import audit
from ftu.models import AuditEvent

MINIMUM_DAYS = 365


class RetentionError(Exception):
    pass


class NotConfigured(RetentionError):
    pass


@dataclass
class PurgeResult:
    cutoff: datetime.datetime
    audit_rows: int = 0
    through_seq: int | None = None
    access_rows: int = 0


def purge_audit(older_than_days: int, now: datetime.datetime | None = None) -> PurgeResult:
    """Delete audit and access-log rows older than ``older_than_days`` (>= 365, >= configured)."""
    configured = settings.FTU_AUDIT_RETENTION_DAYS
    if configured is None:
        raise NotConfigured("FTU_AUDIT_RETENTION_DAYS is not set: nothing is purged.")
    if older_than_days < MINIMUM_DAYS:
        raise RetentionError(f"Audit and access logs are kept at least {MINIMUM_DAYS} days.")
    if older_than_days < configured:
        raise RetentionError(
            f"FTU_AUDIT_RETENTION_DAYS is {configured}: refusing to purge rows younger than that."
        )
    cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
    result = PurgeResult(cutoff)
    with audit.maintenance():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # no append while the prefix is cut
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [audit._PG_LOCK_KEY])
        first_kept = (
            AuditEvent.objects.filter(created__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        prefix = AuditEvent.objects.all()
        if first_kept is not None:
            prefix = prefix.filter(seq__lt=first_kept)
        last = prefix.order_by("-seq").values_list("seq", "hash").first()
        if last is not None:
            through, last_hash = last
            count = prefix.count()
            audit.record(
                actor=None,
                action=audit.PURGE_ACTION,
                object_type="ftu.auditevent",
                object_id=str(through),
                reason=(
                    f"Retention purge: {count} audit events created before "
                    f"{cutoff.date().isoformat()} ({older_than_days} days), through "
                    f"#{through}, last hash {last_hash}"
                ),
            )
            with connection.cursor() as cur:
                table = connection.ops.quote_name(AuditEvent._meta.db_table)
                cur.execute(f"DELETE FROM {table} WHERE seq <= %s", [through])  # noqa: S608
                result.audit_rows = cur.rowcount
            result.through_seq = through
        from axes.models import AccessFailureLog, AccessLog

        for model in (AccessLog, AccessFailureLog):
            deleted, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
            result.access_rows += deleted
    return result
