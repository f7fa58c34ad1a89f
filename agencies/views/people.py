"""Coordinators' teams: members, roles and titles, invitations; the convenor's switch-off."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies import selectors, services
from agencies.forms import InvitationForm, MembershipForm
from ftu.access import requires
from ftu.policy import Cap, can
from ftu.roles import Role


def _team_url(organisation_id: int) -> str:
    return f"{reverse('agencies:team')}?organisation={organisation_id}"


@requires(Cap.MEMBER_INVITE)
def team(request: HttpRequest) -> HttpResponse:
    organisations = selectors.coordinated_organisations(request.user).order_by("name")
    selected = None
    wanted = request.GET.get("organisation", "")
    if wanted.isdigit():
        selected = organisations.filter(pk=int(wanted)).first()
    if selected is None:
        selected = (
            organisations.filter(
                memberships__user=request.user,
                memberships__role=Role.COORDINATOR,
                memberships__is_active=True,
            ).first()
            or organisations.first()
        )
    memberships = []
    invitations = []
    if selected is not None:
        memberships = list(
            selectors.memberships_manageable_by(request.user)
            .filter(organisation=selected)
            .order_by("-is_active", "user__full_name")
        )
        invitations = list(selectors.pending_invitations(request.user, selected))
    return render(
        request,
        "agencies/team.html",
        {
            "organisations": organisations,
            "selected": selected,
            "memberships": [
                (m, MembershipForm(instance=m, prefix=f"m{m.pk}")) for m in memberships
            ],
            "invitations": invitations,
            "can_deactivate_people": can(request.user, Cap.PERSON_DEACTIVATE),
        },
    )


@requires(Cap.MEMBER_INVITE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    organisations = selectors.coordinated_organisations(request.user).order_by("name")
    initial = {}
    if request.GET.get("organisation", "").isdigit():
        initial["organisation"] = int(request.GET["organisation"])
    form = InvitationForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invitation_create(
                actor=request.user,
                organisation=data["organisation"],
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                title=data["title"],
                link_for=lambda token: request.build_absolute_uri(
                    reverse("agencies:join", kwargs={"token": token})
                ),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The invitation is sent. The link works once, for 72 hours.")
            )
            return redirect(_team_url(data["organisation"].pk))
    return render(request, "agencies/invite.html", {"form": form})


@requires(Cap.MEMBER_INVITE, sample="invitation", methods=("POST",))
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.invitations_manageable_by(request.user), pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation is withdrawn; its link no longer works."))
    return redirect(_team_url(invitation.organisation_id))


@requires(Cap.MEMBER_INVITE, sample="membership", methods=("POST",))
@require_POST
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(selectors.memberships_manageable_by(request.user), pk=pk)
    form = MembershipForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.membership_update(
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The membership is saved."))
    else:
        messages.error(request, _("Choose a valid role and a title of at most 120 characters."))
    return redirect(_team_url(membership.organisation_id))


@requires(Cap.MEMBER_INVITE, sample="membership", methods=("POST",))
@require_POST
def membership_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(selectors.memberships_manageable_by(request.user), pk=pk)
    try:
        services.membership_deactivate(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The membership has ended and its sessions are closed."))
    return redirect(_team_url(membership.organisation_id))


@requires(Cap.PERSON_DEACTIVATE, sample="person", methods=("POST",))
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.people_deactivatable_by(request.user), pk=pk)
    try:
        services.person_deactivate(actor=request.user, person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The person is deactivated everywhere and logged out."))
    back = request.POST.get("organisation", "")
    return redirect(_team_url(int(back)) if back.isdigit() else reverse("agencies:team"))
