"""Who gets what outside the hub: per-kind e-mail/SMS choices, quiet hours, digest.

Defaults when a person has chosen nothing: e-mail for urgent kinds, no e-mail for normal
ones (the daily digest covers them), no SMS (it needs an opt-in and a phone), no quiet
hours, digest on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from notifications.kinds import KINDS, get_kind
from notifications.models import DeliverySettings, KindPreference


@dataclass(frozen=True)
class Choice:
    email: bool
    sms: bool


def default_choice(kind_code: str) -> Choice:
    kind = KINDS.get(kind_code)
    return Choice(email=bool(kind and kind.urgent), sms=False)


def choices_for(user_ids: list[int]) -> dict[tuple[int, str], Choice]:
    """Every stored (person, kind) choice for these people, in one query."""
    return {
        (p.user_id, p.kind): Choice(email=p.email, sms=p.sms)
        for p in KindPreference.objects.filter(user_id__in=user_ids)
    }


def choice(stored: dict[tuple[int, str], Choice], user_id: int, kind_code: str) -> Choice:
    found = stored.get((user_id, kind_code))
    if found is not None:
        return found
    return default_choice(kind_code)


def settings_for(user_ids: list[int]) -> dict[int, DeliverySettings]:
    return {s.user_id: s for s in DeliverySettings.objects.filter(user_id__in=user_ids)}


def quiet_until(
    delivery: DeliverySettings | None, now: datetime.datetime
) -> datetime.datetime | None:
    """When ``now`` falls in the person's quiet hours (IST), the moment they end; else None."""
    if delivery is None or delivery.quiet_start is None or delivery.quiet_end is None:
        return None
    start, end = delivery.quiet_start, delivery.quiet_end
    if start == end:
        return None
    local = timezone.localtime(now)
    t = local.time().replace(tzinfo=None)
    tz = local.tzinfo
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # the window crosses midnight
        inside = t >= start or t < end
        end_day = local.date() + datetime.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.datetime.combine(end_day, end, tzinfo=tz)


def sms_allowed(user: Any, kind_code: str) -> bool:
    """SMS only for urgent kinds and only to a person with a phone number."""
    return bool(getattr(user, "phone", "")) and get_kind(kind_code).urgent
