"""Pages that belong to no single app: home and the error pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views import i18n
from django.views.decorators.http import require_POST

from ftu.access import public, requires
from ftu.policy import Cap

logger = logging.getLogger(__name__)


@requires(Cap.USE_HUB)
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.active().select_related("organisation")
    return render(request, "ftu/home.html", {"memberships": memberships})


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failing request may be the reason they would fail.
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}))


@public(methods=("POST",))
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch on every page (Django's view), remembered on the person's profile.

    A logged-in person's choice becomes their preferred language, so the notifications,
    e-mails and SMS they receive from then on follow it, and it is there at the next log-in.
    """
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (
        user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and user.preferred_language != language
    ):
        from django.core.exceptions import ValidationError

        from agencies.services.profiles import profile_update

        try:
            profile_update(actor=user, data={"preferred_language": language})
        except ValidationError:
            # Another field of the profile no longer validates: the switch still works for
            # this browser (the cookie); the profile page will ask them to fix it.
            logger.warning("language switch not saved on the profile: profile invalid")
    return response
