"""The per-minute tick for action items (due soon, overdue).

Kept small and separate: after the merge it moves onto the shared clock engine
(``ftu/clocks.py``), which will own the deadlines; the idempotence lives in
``services.action_items_warn``.
"""

from __future__ import annotations

import datetime

from ftu.scheduling import register_tick
from meetings.services import action_items_warn


@register_tick("meetings.action_items")
def action_items_tick(now: datetime.datetime) -> None:
    action_items_warn(now=now)
