"""``{% notification_bell %}``: the bell with the unread count, rendered on every page.

It also gives the client script what it needs without inline script: the last id the page
has seen (so the socket resumes from there) and the kind → group map (for ``ftu:notify:<group>``
DOM events), as a non-executable ``application/json`` block.
"""

from __future__ import annotations

from typing import Any

from django import template

from notifications import selectors
from notifications.kinds import KINDS

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "unread": selectors.unread_count(user),
        "last_id": selectors.latest_id(user),
        "groups": {code: kind.group for code, kind in KINDS.items()},
    }
