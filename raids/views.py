"""Raid and prosecution pages.  Object pages fetch through ``visible_to`` (404 outside it);
actions are POST-only and re-render the page with the errors when a service refuses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ftu import clocks
from ftu.access import requires
from ftu.policy import Cap, can
from raids import permissions as perms
from raids import selectors, services
from raids.forms import (
    AccusedForm,
    AdvanceForm,
    CaseOpenForm,
    ChecklistForm,
    MoveForm,
    OffenderForm,
    OutcomeForm,
    RaidOpenForm,
    RaidPlanForm,
    RescuedForm,
    TaskForm,
    TaskMoveForm,
    TeamAddForm,
)
from raids.models import Accused, ArrestedOffender, RescuedPerson


def _errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (by field where it names one)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- raids ---------------------------------------------------------------------------------


@requires(Cap.RAID_JOIN)
@require_GET
def raid_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.raids_visible_to(request.user)
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(codename__icontains=query)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    from raids.choices import RaidStatus

    return render(
        request,
        "raids/list.html",
        {
            "page": page,
            "status": status,
            "q": query,
            "statuses": RaidStatus.choices,
            "can_open": can(request.user, Cap.RAID_OPEN),
        },
    )


@requires(Cap.RAID_OPEN, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def raid_open(request: HttpRequest) -> HttpResponse:
    form = RaidOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            raid, created = services.raid_open_once(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if created:
                messages.success(request, _("Raid opened. The supervisor is asked to approve it."))
            else:
                messages.info(request, _("This form was already sent: here is the raid it opened."))
            return redirect(raid)
    return render(request, "raids/open.html", {"form": form})


def _detail_context(request: HttpRequest, raid: Any, **forms: Any) -> dict[str, Any]:
    user = request.user
    team = perms.active_team(raid)
    lead = perms.is_lead(user, raid)
    context: dict[str, Any] = {
        "raid": raid,
        "team": team,
        "is_lead": lead,
        "is_supervisor": perms.is_supervisor(user, raid),
        "can_see_target": perms.can_see_target(user, raid),
        "can_manage_team": perms.can_manage_team(user, raid),
        "can_tick": perms.can_tick_checklist(user, raid),
        "show_gaps": perms.can_see_checklist_gaps(user, raid),
        "steps": perms.available_steps(user, raid),
        "checklist": list(raid.checklist.all()),
        "board": _board_context(request, raid, team, forms.pop("task_form", None)),
    }
    if context["can_manage_team"]:
        context["team_form"] = forms.pop("team_form", None) or TeamAddForm(raid=raid)
    context["move_form"] = forms.pop("move_form", None)
    context.update(forms)
    return context


def _board_context(
    request: HttpRequest, raid: Any, team: list[Any], task_form: Any = None
) -> dict[str, Any]:
    user = request.user
    from raids.choices import TASK_MOVES, TaskState

    labels = dict(TaskState.choices)
    tasks = list(selectors.raid_tasks(raid))
    ctx: dict[str, Any] = {
        "raid": raid,
        "rows": [
            {"task": t, "moves": [(m, labels[m]) for m in TASK_MOVES[t.state]]} for t in tasks
        ],
        "events": selectors.raid_task_events(raid),
        "can_move": perms.can_move_tasks(user, raid),
        "can_create": perms.can_manage_tasks(user, raid),
    }
    if ctx["can_create"]:
        ctx["task_form"] = task_form or TaskForm(raid=raid, team=team)
    return ctx


def _render_detail(
    request: HttpRequest, raid: Any, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request, "raids/detail.html", _detail_context(request, raid, **forms), status=status
    )


@requires(Cap.RAID_JOIN, sample="raid")
@require_GET
def raid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    return _render_detail(request, raid)


@requires(Cap.RAID_JOIN, sample="raid")
@require_GET
def raid_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The live task board fragment (refreshed on ``ftu:notify:raid``)."""
    return _board_response(request, pk)


def _board_response(request: HttpRequest, pk: int) -> HttpResponse:
    """A person whose seat ended gets a 404 that tells htmx to reload the page, so an open
    board disappears at once instead of staying on screen (same answer as a missing raid)."""
    try:
        raid = selectors.raid_detail(request.user, pk)
    except Http404:
        response = HttpResponseNotFound()
        if getattr(request, "htmx", False):
            response["HX-Refresh"] = "true"
        return response
    ctx = _board_context(request, raid, perms.active_team(raid))
    return render(request, "raids/_board.html", ctx)


@requires(Cap.RAID_JOIN, sample="raid")
@require_GET
def raid_target(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    services.target_reveal(actor=request.user, raid=raid)  # PermissionDenied → 403
    return _render_target(request, raid)


def _render_target(
    request: HttpRequest, raid: Any, plan_form: Any = None, status: int = 200
) -> HttpResponse:
    if (
        plan_form is None
        and perms.is_lead(request.user, raid)
        and raid.status
        in (
            "planning",
            "approved",
            "briefed",
        )
    ):
        plan_form = RaidPlanForm(
            initial={
                "window_start": raid.window_start,
                "window_end": raid.window_end,
                "grounds": raid.grounds,
                "target_location": raid.target_location,
                "version": raid.version,
            }
        )
    response = render(
        request, "raids/target.html", {"raid": raid, "plan_form": plan_form}, status=status
    )
    # Never kept by a shared browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def raid_plan(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    # Only the lead edits the plan; the re-rendered form shows the target and grounds, so
    # the same reveal rule (and its audit row) applies before anything is shown.
    if not perms.is_lead(request.user, raid):
        raise PermissionDenied
    form = RaidPlanForm(request.POST)
    if form.is_valid():
        try:
            services.raid_update_plan(actor=request.user, raid=raid, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(raid)
    services.target_reveal(actor=request.user, raid=raid)
    return _render_target(request, raid, plan_form=form, status=400)


@requires(Cap.RAID_JOIN, methods=("POST",))
@require_POST
def raid_move(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, raid, status=400, move_form=form)
    step = form.cleaned_data["step"]
    try:
        services.raid_move(
            actor=request.user,
            raid=raid,
            step=step,
            reason=form.cleaned_data["reason"],
            confirm_gaps=form.cleaned_data["confirm_gaps"],
        )
    except services.ChecklistGaps as gaps:
        return render(
            request,
            "raids/confirm_gaps.html",
            {
                "raid": raid,
                "gaps": gaps.items,
                "step": perms.STEPS[step],
                "reason": form.cleaned_data["reason"],
            },
        )
    except ValidationError as exc:
        _errors(form, exc)
        return _render_detail(request, raid, status=400, move_form=form)
    messages.success(
        request, _("The raid is now %(status)s.") % {"status": raid.get_status_display()}
    )
    return redirect(raid)


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    form = TeamAddForm(request.POST, raid=raid)
    if form.is_valid():
        membership = form.cleaned_data["membership"]
        try:
            services.team_add(
                actor=request.user,
                raid=raid,
                user=membership.user,
                organisation=membership.organisation,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Added to the team."))
            return redirect(raid)
    return _render_detail(request, raid, status=400, team_form=form)


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def team_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    member = get_object_or_404(raid.team.active().select_related("user", "raid"), pk=member_pk)
    try:
        services.team_remove(actor=request.user, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Removed from the team. Their access has ended."))
    return redirect(raid)


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def checklist_mark(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    item = get_object_or_404(raid.checklist.all(), pk=item_pk)
    form = ChecklistForm(request.POST)
    if form.is_valid():
        services.checklist_mark(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("Checklist updated."))
    return redirect(raid.get_absolute_url() + "#checklist")


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    form = TaskForm(request.POST, raid=raid, team=perms.active_team(raid))
    if form.is_valid():
        try:
            services.task_create(actor=request.user, raid=raid, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect(raid.get_absolute_url() + "#board")
    return _render_detail(request, raid, status=400, task_form=form)


@requires(Cap.RAID_JOIN, methods=("POST",))
@require_POST
def task_move(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    task = get_object_or_404(raid.tasks.select_related("raid"), pk=task_pk)
    form = TaskMoveForm(request.POST)
    if form.is_valid():
        try:
            services.task_move(actor=request.user, task=task, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a state."))
    if getattr(request, "htmx", False):
        return _board_response(request, pk)
    return redirect(raid.get_absolute_url() + "#board")


# --- outcome -------------------------------------------------------------------------------


_NO_DRAFT = gettext_lazy("Save the outcome's counts and FIR first.")


def _render_outcome(
    request: HttpRequest, raid: Any, status: int = 200, **forms: Any
) -> HttpResponse:
    outcome = selectors.raid_outcome(raid)
    editable = perms.can_record_outcome(request.user, raid) and not (
        outcome and outcome.is_confirmed
    )
    ctx: dict[str, Any] = {"raid": raid, "outcome": outcome, "editable": editable}
    if editable:
        initial = {}
        if outcome is not None:
            initial = {
                "minors_rescued": outcome.minors_rescued,
                "adults_rescued": outcome.adults_rescued,
                "fir_number": outcome.fir_number,
                "fir_registered_on": outcome.fir_registered_on,
                "police_station": outcome.police_station_id,
                "sections": outcome.sections,
            }
        ctx["outcome_form"] = forms.get("outcome_form") or OutcomeForm(initial=initial)
        ctx["rescued_form"] = forms.get("rescued_form") or RescuedForm(
            initial={"rescued_at": raid.executed_at}
        )
        ctx["offender_form"] = forms.get("offender_form") or OffenderForm()
    ctx["confirm_errors"] = forms.get("confirm_errors")
    return render(request, "raids/outcome.html", ctx, status=status)


@requires(Cap.RAID_JOIN, sample="raid")
@require_GET
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    return _render_outcome(request, raid)


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def outcome_save(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.outcome_save(actor=request.user, raid=raid, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Outcome saved as a draft."))
            return redirect("raids:outcome", pk=raid.pk)
    return _render_outcome(request, raid, status=400, outcome_form=form)


def _add_outcome_row(
    request: HttpRequest, pk: int, form_class: type, add: Any, form_name: str
) -> HttpResponse:
    """Add a rescued person or an arrested offender to the raid's draft outcome."""
    raid = selectors.raid_detail(request.user, pk)
    if not perms.can_record_outcome(request.user, raid):
        raise PermissionDenied
    draft = selectors.raid_outcome(raid)
    if draft is None:
        return _render_outcome(request, raid, status=400, confirm_errors=[_NO_DRAFT])
    form = form_class(request.POST)
    if form.is_valid():
        try:
            add(actor=request.user, outcome=draft, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("raids:outcome", pk=raid.pk)
    return _render_outcome(request, raid, status=400, **{form_name: form})


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def rescued_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_outcome_row(request, pk, RescuedForm, services.rescued_add, "rescued_form")


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def offender_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_outcome_row(request, pk, OffenderForm, services.offender_add, "offender_form")


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def outcome_row_remove(request: HttpRequest, pk: int, kind: str, row_pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    model = {"rescued": RescuedPerson, "arrested": ArrestedOffender}.get(kind)
    if model is None:
        raise Http404
    row = get_object_or_404(
        model.objects.select_related("outcome__raid"), pk=row_pk, outcome__raid=raid
    )
    try:
        services.outcome_row_remove(actor=request.user, row=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("raids:outcome", pk=raid.pk)


@requires(Cap.RAID_LEAD, methods=("POST",))
@require_POST
def outcome_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    raid = selectors.raid_detail(request.user, pk)
    if not perms.can_record_outcome(request.user, raid):
        raise PermissionDenied
    draft = selectors.raid_outcome(raid)
    if draft is None:
        return _render_outcome(request, raid, status=400, confirm_errors=[_NO_DRAFT])
    try:
        case = services.outcome_confirm(actor=request.user, outcome=draft)
    except ValidationError as exc:
        return _render_outcome(request, raid, status=400, confirm_errors=exc.messages)
    messages.success(request, _("Outcome confirmed."))
    if case is not None:
        return redirect(case)
    return redirect("raids:outcome", pk=raid.pk)


# --- prosecution ---------------------------------------------------------------------------


@requires(Cap.PROSECUTION_VIEW)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.cases_visible_to(request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "raids/cases.html",
        {"page": page, "can_open": can(request.user, Cap.PROSECUTION_MANAGE)},
    )


@requires(Cap.PROSECUTION_MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    form = CaseOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect(case)
    return render(request, "raids/case_open.html", {"form": form})


def _render_case(request: HttpRequest, case: Any, status: int = 200, **forms: Any) -> HttpResponse:
    manage = perms.can_manage_case(request.user, case)
    ctx: dict[str, Any] = {
        "case": case,
        "manage": manage,
        "raid_visible": case.raid_id is not None
        and perms.Raid.objects.visible_to(request.user).filter(pk=case.raid_id).exists(),
        "clock_rows": [clocks.clock_summary(c) for c in clocks.clocks_for(case)],
    }
    if manage:
        ctx["accused_form"] = forms.get("accused_form") or AccusedForm()
        ctx["advance_form"] = AdvanceForm()
        ctx["advance_errors"] = forms.get("advance_errors")
    return render(request, "raids/case.html", ctx, status=status)


@requires(Cap.PROSECUTION_VIEW, sample="prosecution_case")
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, selectors.case_detail(request.user, pk))


@requires(Cap.PROSECUTION_MANAGE, methods=("POST",))
@require_POST
def accused_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)
    form = AccusedForm(request.POST)
    if form.is_valid():
        try:
            services.accused_add(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect(case)
    return _render_case(request, case, status=400, accused_form=form)


@requires(Cap.PROSECUTION_MANAGE, methods=("POST",))
@require_POST
def accused_advance(request: HttpRequest, pk: int, accused_pk: int) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)
    accused = get_object_or_404(
        Accused.objects.select_related("case__unit"), pk=accused_pk, case=case
    )
    form = AdvanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.accused_advance(
                actor=request.user,
                accused=accused,
                stage=data["stage"],
                on=data["on"],
                sections=data["sections"] or None,
            )
        except ValidationError as exc:
            return _render_case(request, case, status=400, advance_errors=exc.messages)
        return redirect(case)
    errors = [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
    return _render_case(request, case, status=400, advance_errors=errors)
