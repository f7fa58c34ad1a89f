"""Template helpers for the list pages' filter forms."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def active_filters(filterset: Any) -> int:
    """How many of a django-filter form's fields the person has set (0 when none)."""
    data = getattr(filterset, "data", None) or {}
    form = getattr(filterset, "form", None)
    if form is None:
        return 0

    def values(name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return [str(v) for v in data.getlist(name, [])]
        value = data.get(name)
        return [] if value is None else [str(value)]

    return sum(1 for name in form.fields if any(v.strip() for v in values(name)))
