from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agencies import selectors, services
from agencies.filters import DirectoryFilter
from agencies.forms import ProfileForm
from agencies.models import User
from agencies.permissions import can_manage_members
from ftu.access import requires
from ftu.policy import Cap, can


@requires(Cap.DIRECTORY_VIEW)
def directory(request: HttpRequest) -> HttpResponse:
    filterset = DirectoryFilter(
        request.GET, queryset=selectors.organisations_visible_to(request.user)
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "agencies/directory.html",
        {
            "filter": filterset,
            "page": page,
            "public_only": not can(request.user, Cap.DIRECTORY_VIEW_ALL),
            "can_manage": can(request.user, Cap.ORGANISATION_MANAGE),
            "deactivated": selectors.organisations_manageable_by(request.user).filter(
                is_active=False
            ),
        },
    )


@requires(Cap.DIRECTORY_VIEW, sample="organisation")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_detail(request.user, pk)
    return render(
        request,
        "agencies/organisation.html",
        {
            "organisation": organisation,
            "show_people": can(request.user, Cap.DIRECTORY_VIEW_ALL),
            "can_manage": can(request.user, Cap.ORGANISATION_MANAGE),
            "can_manage_members": can_manage_members(request.user, organisation),
        },
    )


@requires(Cap.USE_HUB, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    # Bound to a copy: the form must not change request.user before the service decides.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        services.profile_update(actor=request.user, data=form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        response = redirect("agencies:profile")
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.preferred_language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return render(
        request,
        "agencies/profile.html",
        {"form": form, "memberships": selectors.memberships_of(request.user)},
    )
