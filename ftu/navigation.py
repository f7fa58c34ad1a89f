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


NAV: list[NavItem] = [
    NavItem("home", _("Home"), Cap.USE_HUB),
    NavItem("agencies:directory", _("Partners"), Cap.DIRECTORY_VIEW),
]
_ORDER: dict[str, int] = {"home": 0, "agencies:directory": 90}


def register(url_name: str, label: Any, cap: Cap, *, order: int = 50) -> None:
    """Apps add their entries from ``AppConfig.ready``; ``order`` places them (home is 0)."""
    if any(item.url_name == url_name for item in NAV):
        return
    NAV.append(NavItem(url_name, label, cap))
    _ORDER[url_name] = order
    NAV.sort(key=lambda item: _ORDER.get(item.url_name, 50))


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
