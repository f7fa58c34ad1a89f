"""The convenor's partner list: add, edit, deactivate organisations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies import selectors, services
from agencies.forms import OrganisationForm
from ftu.access import requires
from ftu.policy import Cap


def _data(form: OrganisationForm) -> dict:
    return dict(form.cleaned_data)


@requires(Cap.ORGANISATION_MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, data=_data(form))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The organisation is added."))
            return redirect("agencies:organisation_edit", pk=organisation.pk)
    return render(request, "agencies/organisation_form.html", {"form": form, "organisation": None})


@requires(Cap.ORGANISATION_MANAGE, sample="organisation", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.organisations_manageable_by(request.user), pk=pk)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, data=_data(form)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The organisation is saved."))
            return redirect("agencies:organisation_edit", pk=organisation.pk)
    return render(
        request, "agencies/organisation_form.html", {"form": form, "organisation": organisation}
    )


@requires(Cap.ORGANISATION_MANAGE, sample="organisation", methods=("POST",))
@require_POST
def organisation_active(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.organisations_manageable_by(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.organisation_set_active(
            actor=request.user, organisation=organisation, active=active
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The organisation is active again.")
            if active
            else _("The organisation is deactivated; its members were logged out."),
        )
    return redirect("agencies:organisation_edit", pk=organisation.pk)
