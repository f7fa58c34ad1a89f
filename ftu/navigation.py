"""The main navigation: each entry shows only to people whose policy lets them use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ftu.policy import Cap, can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    cap: Cap


#: Apps add their entries here as their pages land.
NAV: list[NavItem] = [
    NavItem("home", _("Home"), Cap.USE_HUB),
    NavItem("agencies:directory", _("Partners"), Cap.DIRECTORY_VIEW),
    NavItem("audit:list", _("Audit log"), Cap.AUDIT_VIEW),
]


def navigation_for(request: HttpRequest) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = []
    for item in NAV:
        if not can(user, item.cap):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"url": url, "label": item.label, "current": current})
    return items
