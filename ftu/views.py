"""Pages that belong to no single app: home and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from ftu.access import requires
from ftu.policy import Cap


@requires(Cap.USE_HUB)
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.active().select_related("organisation")
    return render(request, "ftu/home.html", {"memberships": memberships})


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failing request may be the reason they would fail.
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}))
