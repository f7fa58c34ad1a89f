"""Text that is written once and read later in each reader's own language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation


def in_every_language(get: Callable[[], Any]) -> dict[str, str]:
    """``get()`` evaluated in each language of the hub, e.g. a name or a title to show later."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(get())
    return texts
