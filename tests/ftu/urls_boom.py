"""The hub's URLs plus a view that fails, for the logging tests (never in the real URLconf)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from ftu.urls import urlpatterns as hub_urlpatterns

logger = logging.getLogger("ftu.tests.boom")


def boom(request: HttpRequest) -> HttpResponse:
    guardian = request.POST.get("guardian", "")  # a frame variable holding the canary
    logger.info("boom view reached", extra={"guardian": guardian})
    age = int(request.POST.get("name", ""))  # ValueError quoting the canary
    return HttpResponse(str(age))


urlpatterns = [*hub_urlpatterns, path("boom/", boom)]
handler500 = "ftu.views.server_error"
