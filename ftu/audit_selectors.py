"""Reads of the audit log.  Only the convenor reads it (``Cap.AUDIT_VIEW``, checked by views)."""

from __future__ import annotations

from django.db.models import QuerySet

from ftu.models import AuditEvent


def audit_events() -> QuerySet[AuditEvent]:
    """Newest first, with the person and organisation joined (one query per page)."""
    return AuditEvent.objects.select_related("actor", "organisation").order_by("-seq")


def audit_events_for_object(object_type: str, object_id: str) -> QuerySet[AuditEvent]:
    """Everything recorded about one object, served by the ``audit_object_idx`` index."""
    return audit_events().filter(object_type=object_type, object_id=object_id)
