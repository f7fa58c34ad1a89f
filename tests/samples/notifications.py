from __future__ import annotations

from typing import Any

from notifications.models import Notification
from tests.samples import sample


@sample("notification")
def notification(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Only its recipient sees it: everyone else must get 404.
    row = Notification.objects.create(
        recipient=personas["ngo_coordinator"], kind="notifications.test", title="FTU-2026-0001"
    )
    return {"pk": row.pk}, row
