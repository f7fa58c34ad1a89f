"""Pages of meetings, minutes and action items: fetch through a selector, call one service.

POST-only actions require only ``MEETING_ATTEND`` at the door: the object is fetched through
``visible_to`` (404 outside it) and the service checks who may act (403 for a participant
who sees the object but may not, e.g. approve minutes).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ftu.access import requires
from ftu.policy import Cap, can
from meetings import forms, pdf, permissions, selectors, services
from meetings.filters import ActionItemFilter
from meetings.ics import meeting_calendar
from meetings.models import Meeting, Minutes


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- meetings ----------------------------------------------------------------------------


@requires(Cap.MEETING_ATTEND)
def meeting_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    qs = selectors.meetings_visible_to(request.user)
    upcoming = qs.filter(state=Meeting.State.SCHEDULED, end__gte=now).order_by("start")
    past = Paginator(qs.exclude(pk__in=upcoming.values("pk")).order_by("-start"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "upcoming": upcoming,
            "page": past,
            "may_schedule": can(request.user, Cap.MEETING_SCHEDULE),
        },
    )


@requires(Cap.MEETING_SCHEDULE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The meeting is scheduled and the invitations are sent."))
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": None})


def _meeting_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    user = request.user
    return {
        "meeting": meeting,
        "agenda": selectors.agenda_for(user, meeting),
        "withheld": selectors.withheld_count(user, meeting),
        "atr": selectors.atr_for(user, meeting),
        "attendance": selectors.attendance_for(meeting),
        "invited_organisations": list(meeting.invited_organisations.all()),
        "invited_people": list(meeting.invited_people.all()),
        "minutes_versions": selectors.minutes_of(user, meeting),
        "may_manage": permissions.may_manage_meetings(user),
        "cancel_form": forms.CancelForm(),
        "now": timezone.now(),
    }


@requires(Cap.MEETING_ATTEND, sample="meeting")
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    return render(request, "meetings/meeting_detail.html", _meeting_context(request, meeting))


@requires(Cap.MEETING_ATTEND, sample="meeting")
def meeting_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the meeting page, re-fetched when a meeting notification arrives."""
    meeting = selectors.meeting_detail(request.user, pk)
    return render(request, "meetings/_meeting_body.html", _meeting_context(request, meeting))


@requires(Cap.MEETING_SCHEDULE, sample="meeting", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    form = forms.MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The meeting is updated."))
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


@requires(Cap.MEETING_ATTEND, sample="meeting", methods=("POST",))
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    try:
        services.meeting_cancel(
            actor=request.user, meeting=meeting, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("The meeting is cancelled and the invitees are told."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(meeting)


@requires(Cap.MEETING_ATTEND, sample="meeting", methods=("POST",))
@require_POST
def meeting_held(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    try:
        services.meeting_mark_held(actor=request.user, meeting=meeting)
        messages.success(request, _("The meeting is marked as held."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(meeting)


@requires(Cap.MEETING_ATTEND, sample="meeting")
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    body = meeting_calendar(meeting, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@requires(Cap.MEETING_SCHEDULE, sample="meeting", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    rows = selectors.attendance_for(meeting)
    form = forms.AttendanceForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        records = []
        for row in rows:
            status = form.cleaned_data[f"{row['key']}_status"]
            if not status:
                continue
            records.append(
                services.AttendanceRow(
                    status=status,
                    delegate_name=form.cleaned_data[f"{row['key']}_delegate"],
                    person=row.get("person"),
                    organisation=row.get("organisation"),
                )
            )
        try:
            services.attendance_record(actor=request.user, meeting=meeting, rows=records)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Attendance is saved."))
            return redirect(meeting)
    return render(request, "meetings/attendance_form.html", {"form": form, "meeting": meeting})


@requires(Cap.MEETING_SCHEDULE, sample="meeting", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def meeting_summary(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    form = forms.SummaryForm(request.POST or None, initial={"summary": meeting.public_summary})
    if request.method == "POST" and form.is_valid():
        services.meeting_publish_summary(
            actor=request.user, meeting=meeting, summary=form.cleaned_data["summary"]
        )
        messages.success(request, _("The public summary is saved."))
        return redirect(meeting)
    return render(request, "meetings/summary_form.html", {"form": form, "meeting": meeting})


@requires(Cap.USE_HUB)
def public_summaries(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.public_summaries(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "meetings/public_summaries.html", {"page": page})


# --- agenda ------------------------------------------------------------------------------


@requires(Cap.MEETING_SCHEDULE, sample="meeting", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def agenda_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    form = forms.AgendaItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_item_add(actor=request.user, meeting=meeting, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The agenda item is added."))
            return redirect(meeting)
    return render(
        request, "meetings/agenda_form.html", {"form": form, "meeting": meeting, "item": None}
    )


@requires(Cap.MEETING_SCHEDULE, sample="agenda_item", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def agenda_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.agenda_item_detail(request.user, pk)
    form = forms.AgendaItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_item_update(actor=request.user, item=item, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The agenda item is saved."))
            return redirect(item.meeting)
    return render(
        request, "meetings/agenda_form.html", {"form": form, "meeting": item.meeting, "item": item}
    )


@requires(Cap.MEETING_ATTEND, sample="agenda_item", methods=("POST",))
@require_POST
def agenda_item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.agenda_item_detail(request.user, pk)
    try:
        services.agenda_item_move(
            actor=request.user, item=item, direction=request.POST.get("direction", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(item.meeting)


@requires(Cap.MEETING_ATTEND, sample="agenda_item", methods=("POST",))
@require_POST
def agenda_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.agenda_item_detail(request.user, pk)
    meeting = item.meeting
    try:
        services.agenda_item_remove(actor=request.user, item=item)
        messages.success(request, _("The agenda item is removed."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(meeting)


# --- minutes -----------------------------------------------------------------------------


@requires(Cap.MEETING_ATTEND, sample="meeting", methods=("POST",))
@require_POST
def minutes_start(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    try:
        minutes = services.minutes_start(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(meeting)
    return redirect(minutes)


def _minutes_context(request: HttpRequest, minutes: Minutes) -> dict[str, Any]:
    user = request.user
    visible_meeting = Meeting.objects.visible_to(user).filter(pk=minutes.meeting_id).exists()
    items = selectors.minutes_items_for(user, minutes)
    return {
        "minutes": minutes,
        "meeting": minutes.meeting,
        "items": items,
        "withheld": minutes.items.count() - len(items),
        "versions": list(
            Minutes.objects.visible_to(user).filter(meeting=minutes.meeting).order_by("number")
        ),
        "may_manage": permissions.may_manage_meetings(user),
        "may_review": permissions.may_review_minutes(user),
        "may_comment": visible_meeting and permissions.may_comment(user),
        "pdf_available": pdf.pdf_available(),
        "return_form": forms.ReturnForm(),
        "correct_form": forms.CorrectForm(),
        "comment_form": forms.CommentForm(),
        "resolve_form": forms.ResolveForm(),
    }


@requires(Cap.MINUTES_READ_PUBLISHED, sample="minutes")
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = selectors.minutes_detail(request.user, pk)
    return render(request, "meetings/minutes_detail.html", _minutes_context(request, minutes))


@requires(Cap.MINUTES_READ_PUBLISHED, sample="published_minutes")
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The published minutes as this reader may see them (confidential items withheld)."""
    minutes = selectors.minutes_detail(request.user, pk)
    if minutes.state != Minutes.State.PUBLISHED:
        messages.error(request, _("Only published minutes can be downloaded as a PDF."))
        return redirect(minutes)
    if not pdf.pdf_available():
        return render(request, "meetings/pdf_unavailable.html", {"minutes": minutes}, status=503)
    context = _minutes_context(request, minutes)
    context["attendance"] = selectors.attendance_for(minutes.meeting)
    context["atr"] = selectors.atr_for(request.user, minutes.meeting)
    context["viewer"] = request.user
    html = render_to_string("meetings/minutes_pdf.html", context, request=request)
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="minutes-{minutes.meeting_id}-v{minutes.number}.pdf"'
    )
    return response


@requires(Cap.MEETING_SCHEDULE, sample="minutes_item", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def minutes_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.minutes_item_detail(request.user, pk)
    conflict = None
    if request.method == "POST":
        form = forms.MinutesItemForm(request.POST)
        if form.is_valid():
            try:
                services.minutes_item_save(
                    actor=request.user,
                    item=item,
                    base_revision=form.cleaned_data["revision"],
                    discussion=form.cleaned_data["discussion"],
                    decisions=form.cleaned_data["decisions"],
                )
            except services.StaleEdit as stale:
                conflict = stale
                # Keep what this editor typed; move the form onto the current revision so
                # that a deliberate second save (after reading the changes) goes through.
                data = request.POST.copy()
                data["revision"] = str(stale.item.revision)
                form = forms.MinutesItemForm(data)
                form.is_valid()
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The minutes of this item are saved."))
                return redirect(item.minutes)
    else:
        form = forms.MinutesItemForm(
            initial={
                "revision": item.revision,
                "discussion": item.discussion,
                "decisions": item.decisions,
            }
        )
    return render(
        request,
        "meetings/minutes_item_form.html",
        {"form": form, "item": item, "minutes": item.minutes, "conflict": conflict},
        status=409 if conflict else 200,
    )


@requires(Cap.MEETING_SCHEDULE, sample="minutes_item", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def action_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.minutes_item_detail(request.user, pk)
    form = forms.ActionItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_add(actor=request.user, item=item, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The action item is added to the minutes."))
            return redirect(item.minutes)
    return render(
        request,
        "meetings/action_item_form.html",
        {"form": form, "item": item, "minutes": item.minutes},
    )


@requires(Cap.MEETING_ATTEND, sample="minutes_item", methods=("POST",))
@require_POST
def minutes_comment(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.minutes_item_detail(request.user, pk)
    if not Meeting.objects.visible_to(request.user).filter(pk=item.minutes.meeting_id).exists():
        raise PermissionDenied  # a reader of published minutes, not a participant
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            services.minutes_comment(actor=request.user, item=item, text=form.cleaned_data["text"])
            messages.success(request, _("Your comment is sent to the convenor."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    else:
        messages.error(request, _("Write a comment first."))
    return redirect(item.minutes)


@requires(Cap.MEETING_ATTEND, sample="minutes_comment", methods=("POST",))
@require_POST
def minutes_comment_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    comment = selectors.comment_detail(request.user, pk)
    try:
        services.minutes_comment_resolve(
            actor=request.user, comment=comment, resolution=request.POST.get("resolution", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(comment.item.minutes)


def _minutes_transition(request: HttpRequest, pk: int, action: str, success: str) -> HttpResponse:
    minutes = selectors.minutes_detail(request.user, pk)
    service = {
        "circulate": services.minutes_circulate,
        "submit": services.minutes_submit,
        "approve": services.minutes_approve,
        "publish": services.minutes_publish,
    }[action]
    try:
        service(actor=request.user, minutes=minutes)
        messages.success(request, success)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(minutes)


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_circulate(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_transition(request, pk, "circulate", _("The draft is circulated for comments."))


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_transition(
        request, pk, "submit", _("The minutes are submitted to the MP's office.")
    )


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_transition(request, pk, "approve", _("The minutes are approved."))


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_transition(request, pk, "publish", _("The minutes are published."))


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_return(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = selectors.minutes_detail(request.user, pk)
    try:
        services.minutes_return(
            actor=request.user, minutes=minutes, comments=request.POST.get("comments", "")
        )
        messages.success(request, _("The minutes are returned to the convenor."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(minutes)


@requires(Cap.MEETING_ATTEND, sample="minutes", methods=("POST",))
@require_POST
def minutes_correct(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = selectors.minutes_detail(request.user, pk)
    try:
        new = services.minutes_correct(
            actor=request.user, minutes=minutes, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(minutes)
    messages.success(request, _("A corrigendum is opened as a new draft version."))
    return redirect(new)


# --- action items ------------------------------------------------------------------------


@requires(Cap.MEETING_ATTEND)
def action_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    organisations = selectors.organisations_for_action_lists(user)
    filterset = ActionItemFilter(
        request.GET,
        queryset=selectors.action_items_visible_to(user),
        organisations=organisations,
        meetings=selectors.meetings_with_actions_for(user),
    )
    qs = filterset.qs
    if not request.GET.get("organisation"):
        qs = qs.filter(organisation__in=organisations)
    page = Paginator(qs.order_by("due_date", "pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/action_list.html",
        {"filter": filterset, "page": page, "today": timezone.localdate()},
    )


@requires(Cap.MEETING_ATTEND, sample="action_item", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.action_item_detail(request.user, pk)
    may_update = permissions.may_update_action(request.user, action) and action.is_pending
    form = forms.ActionUpdateForm(
        request.POST or None, initial={"state": action.state, "date": timezone.localdate()}
    )
    if request.method == "POST":
        if not may_update:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.action_item_update(actor=request.user, action=action, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The status update is saved."))
                return redirect(action)
    return render(
        request,
        "meetings/action_detail.html",
        {
            "action": action,
            "updates": selectors.action_updates(action),
            "form": form if may_update else None,
        },
    )
