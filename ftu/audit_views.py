"""The audit page of the convenor: the log, filtered, and "who accessed this" per object."""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ftu import audit_selectors
from ftu.access import requires
from ftu.audit_filters import AuditFilter
from ftu.policy import Cap

PAGE_SIZE = 50
# What audit.record writes: a model label and a primary key (both opaque, never identity).
_OBJECT_TYPE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_OBJECT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def who_accessed_url(obj: Any) -> str:
    """The "who accessed this" page of a model instance, for a convenor's link next to it."""
    return _object_url(obj._meta.label_lower, str(obj.pk))


def _object_url(object_type: str, object_id: str) -> str:
    """The "who accessed this" page of an event's object, when it names one."""
    if _OBJECT_TYPE.match(object_type) and _OBJECT_ID.match(object_id):
        return reverse("audit:object", args=[object_type, object_id])
    return ""


@requires(Cap.AUDIT_VIEW)
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """The log, newest first, in pages of ``PAGE_SIZE`` by sequence number.

    Keyset pages (``?before=<seq>``) instead of page numbers: the log only grows, and neither
    a COUNT over it nor a deep OFFSET should slow the page down as it does.
    """
    filterset = AuditFilter(request.GET, queryset=audit_selectors.audit_events())
    # django-filter drops an invalid filter and would show everything: show nothing instead.
    events = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(seq__lt=int(before))
    rows = list(events[: PAGE_SIZE + 1])
    params = request.GET.copy()
    params.pop("before", None)
    newest_url = f"?{params.urlencode()}" if before else ""
    older_url = ""
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params["before"] = str(rows[-1].seq)
        older_url = f"?{params.urlencode()}"
    for event in rows:
        event.object_url = _object_url(event.object_type, event.object_id)  # type: ignore[attr-defined]
    return render(
        request,
        "ftu/audit/list.html",
        {"filter": filterset, "page": rows, "older_url": older_url, "newest_url": newest_url},
    )


@requires(Cap.AUDIT_VIEW, sample="audit_object")
@require_GET
def audit_object(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    # The log outlives the objects it names, so the object itself is not looked up: the
    # history of a deleted or purged row stays readable.
    if not (_OBJECT_TYPE.match(object_type) and _OBJECT_ID.match(object_id)):
        raise Http404
    events = audit_selectors.audit_events_for_object(object_type, object_id)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ftu/audit/object.html",
        {"page": page, "object_type": object_type, "object_id": object_id},
    )
