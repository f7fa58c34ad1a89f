"""Pages of child cases, referrals, deadlines and leads.

Object pages fetch through ``visible_to`` (404 outside it); pages that act on a case or show
its identity fetch through ``HeldCase`` (holders only).  No identity in URLs or titles: the
reveal is a POST with a reason that answers with the identity, never a link.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import User
from ftu import clocks
from ftu.access import requires
from ftu.policy import Cap, can
from referrals import closure, forms, selectors, services
from referrals.filters import CaseFilter, ReferralFilter
from referrals.models import Lead, Referral, org_ids

PAGE_SIZE = 25


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            target = field if field in form.fields else None
            for err in errs:
                form.add_error(target, err)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- cases --------------------------------------------------------------------------------


@requires(Cap.CASE_LIST)
def case_list(request: HttpRequest) -> HttpResponse:
    filterset = CaseFilter(request.GET, queryset=selectors.case_list(request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/case_list.html",
        {"filter": filterset, "page": page, "can_create": can(request.user, Cap.CASE_CREATE)},
    )


@sensitive_post_parameters()
@requires(Cap.CASE_CREATE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    orgs = services.recording_orgs_for(request.user)
    form = forms.CaseForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("recording_org")
        try:
            case, duplicates = services.case_create(actor=request.user, organisation=org, data=data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Case %(code)s is recorded.") % {"code": case.code})
            if duplicates:
                messages.warning(
                    request,
                    _("Possible duplicate of %(codes)s: check before referring.")
                    % {"codes": ", ".join(duplicates)},
                )
            return redirect(case)
    return render(request, "referrals/case_new.html", {"form": form})


@requires(Cap.CASE_LIST, sample="case")
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)
    data = selectors.case_page(request.user, case)
    data["clock_rows"] = [clocks.clock_summary(c, data["now"]) for c in data["clocks"]]
    data["reveal_form"] = forms.RevealForm()
    data["may_close"] = data["is_holder"] and closure.may_close(request.user, case)
    data["may_hold"] = closure.may_hold(request.user, case)
    if data["may_close"]:
        data["close_form"] = forms.ReopenForm() if case.is_closed else forms.CloseForm()
    if data["may_hold"]:
        data["hold_form"] = forms.LegalHoldForm(initial={"hold": "0" if case.legal_hold else "1"})
    return render(request, "referrals/case_detail.html", data)


def _form_failed(request: HttpRequest, case: Any, form: Any) -> HttpResponse:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for err in errs:
            messages.error(request, f"{label}: {err}" if label else err)
    return redirect(case)


@requires(Cap.CASE_CLOSE, sample="held_case", methods=("POST",))
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            closure.case_close(
                actor=request.user,
                case=case,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Case %(code)s is closed.") % {"code": case.code})
            return redirect(case)
    return _form_failed(request, case, form)


@requires(Cap.CASE_CLOSE, sample="held_case", methods=("POST",))
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.ReopenForm(request.POST)
    if form.is_valid():
        try:
            closure.case_reopen(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Case %(code)s is reopened.") % {"code": case.code})
            return redirect(case)
    return _form_failed(request, case, form)


@requires(Cap.CASE_LEGAL_HOLD, sample="case", methods=("POST",))
@require_POST
def case_legal_hold(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)
    form = forms.LegalHoldForm(request.POST)
    if form.is_valid():
        try:
            closure.case_legal_hold(
                actor=request.user,
                case=case,
                hold=form.cleaned_data["hold"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(
                request,
                _("The legal hold is set.")
                if form.cleaned_data["hold"]
                else _("The legal hold is cleared."),
            )
            return redirect(case)
    return _form_failed(request, case, form)


@never_cache
@sensitive_post_parameters()
@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            identity = services.case_reveal(
                actor=request.user, case=case, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            labels = {f.name: f.verbose_name for f in case._meta.fields}
            rows = [(labels[k], v) for k, v in identity.items()]
            response = render(
                request,
                "referrals/case_identity.html",
                {"case": case, "rows": rows, "erased_at": case.identity_erased_at},
            )
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0, private"
            return response
    return render(request, "referrals/case_reveal.html", {"case": case, "form": form})


@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_age(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.AgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_determine_age(
                actor=request.user,
                case=case,
                age=form.cleaned_data["determined_age"],
                method=form.cleaned_data["age_method"],
                at=form.cleaned_data["determined_at"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The determined age is recorded."))
            return redirect(case)
    return render(
        request,
        "referrals/case_form.html",
        {"case": case, "form": form, "heading": _("Record the determined age")},
    )


@never_cache
@sensitive_post_parameters()
@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_identity_record(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            duplicates = services.case_identity_record(
                actor=request.user, case=case, data=form.cleaned_data
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The identity is recorded."))
            if duplicates:
                messages.warning(
                    request,
                    _("Possible duplicate of: %(codes)s.") % {"codes": ", ".join(duplicates)},
                )
            return redirect(case)
    return render(
        request,
        "referrals/case_form.html",
        {"case": case, "form": form, "heading": _("Record the identity")},
    )


@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_milestone_record(
                actor=request.user,
                case=case,
                milestone=form.cleaned_data["milestone"],
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The event is recorded."))
            return redirect(case)
    return render(
        request,
        "referrals/case_milestone.html",
        {"case": case, "form": form, "na_form": forms.NotApplicableForm()},
    )


@requires(Cap.CASE_LIST, sample="held_case", methods=("POST",))
@require_POST
def case_clock_na(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.NotApplicableForm(request.POST)
    if form.is_valid():
        try:
            services.case_clock_not_applicable(
                actor=request.user,
                case=case,
                rule=form.cleaned_data["rule"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The deadline is marked not applicable."))
            return redirect(case)
    return render(
        request,
        "referrals/case_milestone.html",
        {"case": case, "form": forms.MilestoneForm(), "na_form": form},
        status=400,
    )


@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_production(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.ProductionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cwc_production_record(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The production before the CWC is recorded."))
            return redirect(case)
    return render(
        request,
        "referrals/case_form.html",
        {"case": case, "form": form, "heading": _("Record a production before the CWC")},
    )


@requires(Cap.CASE_LIST, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_refer(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    form = forms.ReferralForm(request.POST or None, receiving_kinds=selectors.RECEIVING_KINDS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral, created = services.referral_create(
                actor=request.user,
                case=case,
                to_org=data["to_org"],
                service=data["service"],
                urgency=data["urgency"],
                note=data["note"],
                idempotency_key=data["idempotency_key"],
                send=request.POST.get("action") != "draft",
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if created:
                messages.success(request, _("The referral is saved."))
            return redirect(referral)
    return render(
        request,
        "referrals/case_form.html",
        {"case": case, "form": form, "heading": _("Refer the child"), "referral_form": True},
    )


@sensitive_post_parameters()
@requires(Cap.LEAD_RECORD, sample="held_case", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def case_lead(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.held_case(request.user, pk)
    police = selectors.police_holders(case)
    form = forms.LeadForm(request.POST or None, police=police)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_record(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The lead is shared with the police unit."))
            return redirect(lead)
    return render(
        request,
        "referrals/case_form.html",
        {
            "case": case,
            "form": form,
            "heading": _("Share a lead with the police"),
            "no_police": not police.exists(),
        },
    )


# --- referrals ----------------------------------------------------------------------------


def _referral_list(request: HttpRequest, box: str) -> HttpResponse:
    base = selectors.inbox(request.user) if box == "inbox" else selectors.outbox(request.user)
    filterset = ReferralFilter(request.GET, queryset=base)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    responder = box == "inbox" and can(request.user, Cap.REFERRAL_RESPOND)
    people: dict[int, list[User]] = {}
    if responder:
        people = selectors.caseworker_choices(
            sorted({r.to_org_id for r in page if r.state == Referral.State.SENT})
        )
    rows = [
        {"referral": r, "people": people.get(r.to_org_id, []), "overdue": r.is_overdue()}
        for r in page
    ]
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "box": box,
        "responder": responder,
        "coordinated": set(selectors.coordinated_orgs(request.user)) if responder else set(),
    }
    if getattr(request, "htmx", False):
        return render(request, "referrals/_referral_list.html", context)
    return render(request, "referrals/referral_list.html", context)


@requires(Cap.CASE_LIST)
def inbox(request: HttpRequest) -> HttpResponse:
    return _referral_list(request, "inbox")


@requires(Cap.CASE_LIST)
def outbox(request: HttpRequest) -> HttpResponse:
    return _referral_list(request, "outbox")


@requires(Cap.CASE_LIST, sample="referral")
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_detail(request.user, pk)
    mine = org_ids(request.user)
    coordinated = selectors.coordinated_orgs(request.user)
    context = {
        "referral": referral,
        "case_visible": selectors.cases_visible_to(request.user)
        .filter(pk=referral.case_id)
        .exists(),
        "is_sender": referral.from_org_id in mine,
        "is_receiver": referral.to_org_id in coordinated,
        "may_complete": referral.to_org_id in mine
        and (referral.to_org_id in coordinated or referral.caseworker_id == request.user.pk),
        "people": selectors.caseworker_choices([referral.to_org_id]).get(referral.to_org_id, []),
        "events": selectors.referral_timeline(referral)
        if selectors.is_holder(request.user, referral.case) or referral.from_org_id in mine
        else [],
        "clock_rows": [clocks.clock_summary(c) for c in clocks.clocks_for(referral)],
    }
    return render(request, "referrals/referral_detail.html", context)


def _referral_action(request: HttpRequest, pk: int, action: Any, ok: str) -> HttpResponse:
    referral = selectors.referral_detail(request.user, pk)
    try:
        action(referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ok)
    return redirect(_next(request, referral.get_absolute_url()))


@requires(Cap.REFERRAL_RESPOND, sample="referral", methods=("POST",))
@require_POST
def referral_accept(request: HttpRequest, pk: int) -> HttpResponse:
    def act(referral: Referral) -> None:
        raw = request.POST.get("caseworker", "")
        # The service checks that the person belongs to the receiving organisation.
        caseworker = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if caseworker is None:
            raise ValidationError(_("Name a caseworker to accept the referral."))
        services.referral_accept(actor=request.user, referral=referral, caseworker=caseworker)

    return _referral_action(request, pk, act, _("The referral is accepted."))


@requires(Cap.REFERRAL_RESPOND, sample="referral", methods=("POST",))
@require_POST
def referral_decline(request: HttpRequest, pk: int) -> HttpResponse:
    def act(referral: Referral) -> None:
        services.referral_decline(
            actor=request.user, referral=referral, reason=request.POST.get("reason", "")
        )

    return _referral_action(request, pk, act, _("The referral is declined."))


@requires(Cap.CASE_LIST, sample="referral", methods=("POST",))
@require_POST
def referral_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_action(
        request,
        pk,
        lambda r: services.referral_send(actor=request.user, referral=r),
        _("The referral is sent."),
    )


@requires(Cap.CASE_LIST, sample="referral", methods=("POST",))
@require_POST
def referral_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_action(
        request,
        pk,
        lambda r: services.referral_withdraw(actor=request.user, referral=r),
        _("The referral is withdrawn."),
    )


@requires(Cap.CASE_LIST, sample="referral", methods=("POST",))
@require_POST
def referral_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_action(
        request,
        pk,
        lambda r: services.referral_complete(actor=request.user, referral=r),
        _("The referral is completed."),
    )


# --- deadlines ----------------------------------------------------------------------------


@requires(Cap.CASE_LIST)
def clock_board(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = Paginator(selectors.clocks_board(request.user, now=now), 50).get_page(
        request.GET.get("page")
    )
    items = list(page)
    rows = []
    for c in items:
        spec, obj = c.rule_spec, c.obj
        row = clocks.clock_summary(c, now)
        row["subject"] = spec.subject(obj) if spec and obj else ""
        row["url"] = spec.url(obj) if spec and obj else ""
        rows.append(row)
    return render(
        request,
        "referrals/clock_board.html",
        {"page": page, "rows": rows, "oversee": can(request.user, Cap.CLOCKS_OVERSEE)},
    )


# --- leads --------------------------------------------------------------------------------


@requires(Cap.LEAD_RECEIVE)
def lead_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.leads_visible_to(request.user).defer(
        "description", "places", "phones", "vehicles"
    )
    state = request.GET.get("state")
    if state in Lead.State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/lead_list.html",
        {"page": page, "states": Lead.State.choices, "state": state},
    )


@never_cache
@requires(Cap.CASE_LIST, sample="lead")
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_detail(request.user, pk)
    return render(
        request,
        "referrals/lead_detail.html",
        {
            "lead": lead,
            "is_police": lead.police_org_id in org_ids(request.user)
            and can(request.user, Cap.LEAD_RECEIVE),
            "act_form": forms.LeadActForm(),
        },
    )


@requires(Cap.LEAD_RECEIVE, sample="lead", methods=("POST",))
@require_POST
def lead_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_detail(request.user, pk)
    try:
        services.lead_acknowledge(actor=request.user, lead=lead)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The lead is acknowledged."))
    return redirect(lead)


@requires(Cap.LEAD_RECEIVE, sample="lead", methods=("POST",))
@require_POST
def lead_act(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_detail(request.user, pk)
    try:
        services.lead_act(
            actor=request.user, lead=lead, reference=request.POST.get("reference", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The lead is marked as acted on."))
    return redirect(lead)
