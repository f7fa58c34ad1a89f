from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ftu.navigation import navigation_for


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    demo_mfa_skipped = bool(
        settings.FTU_DEMO_SKIP_MFA
        and user is not None
        and user.is_authenticated
        and getattr(user, "is_demo", False)
    )
    return {
        "SITE_NAME": settings.SITE_NAME,
        "FTU_DISTRICT": settings.FTU_DISTRICT,
        "nav_items": navigation_for(request),
        "demo_mfa_skipped": demo_mfa_skipped,
        "is_embedded": not settings.PRODUCTION,
    }
