"""The inbox (works without JavaScript), the polling feed, preferences, the convenor's outbox."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ftu.access import requires
from ftu.policy import Cap
from notifications import selectors, services
from notifications.filters import InboxFilter, OutboxFilter
from notifications.forms import PreferencesForm
from notifications.kinds import KINDS
from notifications.models import DeliverySettings, Notification

PAGE_SIZE = 25
FEED_LIMIT = 100


@requires(Cap.USE_HUB)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    filterset = InboxFilter(
        request.GET or None, queryset=selectors.notifications_visible_to(request.user)
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "filter": filterset,
            "page": page,
            "labels": {code: kind.label for code, kind in KINDS.items()},
            "unread": selectors.unread_count(request.user),
        },
    )


@requires(Cap.USE_HUB, sample="notification", methods=("POST",))
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    link = notification.url
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(link)
    return redirect("notifications:inbox")


@requires(Cap.USE_HUB, methods=("POST",))
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("notifications:inbox")


@requires(Cap.USE_HUB)
@require_GET
def feed(request: HttpRequest) -> JsonResponse:
    """The polling fallback: ``?after=<id>`` → the same payloads the socket sends, oldest first."""
    try:
        after = max(0, int(request.GET.get("after", "0") or 0))
    except ValueError:
        return JsonResponse({"error": "after must be a whole number"}, status=400)
    rows = selectors.notifications_after(request.user, after, limit=FEED_LIMIT)
    last = rows[-1].id if rows else max(after, selectors.latest_id(request.user))
    return JsonResponse(
        {
            "notifications": [n.payload() for n in rows],
            "last_id": last,
            "unread": selectors.unread_count(request.user),
            "more": len(rows) >= FEED_LIMIT,
        }
    )


@requires(Cap.USE_HUB, methods=("GET", "POST"))
def preferences(request: HttpRequest) -> HttpResponse:
    current = DeliverySettings.objects.filter(user=request.user).first()
    initial = {
        "quiet_start": current.quiet_start if current else None,
        "quiet_end": current.quiet_end if current else None,
        "digest": current.digest if current else True,
    }
    form = PreferencesForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(
                actor=request.user,
                kinds=form.kinds(),
                quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"],
                digest=form.cleaned_data["digest"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "rows": form.bound_rows(), "has_phone": bool(request.user.phone)},
    )


@requires(Cap.USE_HUB, methods=("POST",))
@require_POST
def send_test(request: HttpRequest) -> HttpResponse:
    services.notify_test(actor=request.user)
    messages.success(request, _("A test notification is on its way."))
    return redirect("notifications:preferences")


@requires(Cap.OUTBOX_VIEW)
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    filterset = OutboxFilter(request.GET or None, queryset=selectors.outbox_for_convenor())
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/outbox.html", {"filter": filterset, "page": page})
