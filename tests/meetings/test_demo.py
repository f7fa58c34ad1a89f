from __future__ import annotations

from typing import Any

from meetings import demo
from meetings.models import ActionItem, Meeting, Minutes
from meetings.selectors import atr_for


def test_demo_meetings_are_idempotent_and_feed_the_atr(personas: dict[str, Any]) -> None:
    demo.build(personas)
    demo.build(personas)
    assert Meeting.objects.count() == 2
    assert Minutes.objects.get().state == Minutes.State.PUBLISHED
    assert ActionItem.objects.live().count() == 3
    upcoming = Meeting.objects.get(title=demo.NEXT_TITLE)
    # The NGO sees the two non-confidential open items; the AHTU officer also sees its own.
    assert len(atr_for(personas["ngo_coordinator"], upcoming)) == 2
    assert len(atr_for(personas["ahtu_officer"], upcoming)) == 3
