"""A few fictional actions on the demo feed.  Idempotent: a post already there is skipped."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from agencies.models_actions import ActionCategory, ActionPost, ActionVisibility
from agencies.services_actions import action_acknowledge_toggle, action_comment, action_post

# (author key, organisation key, category, days ago, place, visibility, text)
DEMO_POSTS: list[tuple[str, str, str, int, str, str, str]] = [
    (
        "ngo_coordinator",
        "ngo",
        ActionCategory.AWARENESS,
        9,
        "Sardhana",
        ActionVisibility.PUBLIC,
        "Street plays on child safety and the Childline 1098 number in three markets; "
        "about 400 people watched and 60 took leaflets.",
    ),
    (
        "ahtu_officer",
        "ahtu",
        ActionCategory.TRAINING,
        6,
        "Meerut district",
        ActionVisibility.PARTNERS,
        "Half-day training for 35 station officers on registering POCSO sections against "
        "customers, with the FTU's SOP and the CWC production checklist.",
    ),
    (
        "shelter_coordinator",
        "shelter",
        ActionCategory.SHELTER_CAPACITY,
        2,
        "Meerut",
        ActionVisibility.PARTNERS,
        "Eight beds free for girls from today; counsellor available in Hindi and Urdu.",
    ),
    (
        "police_supervisor",
        "police",
        ActionCategory.PROSECUTION,
        1,
        "Meerut district",
        ActionVisibility.PUBLIC,
        "Charge sheets filed this month against four customers under POCSO in addition to "
        "the penal code, following the FTU's SOP.",
    ),
]


def build(people: dict[str, Any]) -> list[ActionPost]:
    """Post the demo actions through the services (audit, notifications), once."""
    posts = []
    today = timezone.localdate()
    for author, org, category, days_ago, place, visibility, text in DEMO_POSTS:
        existing = ActionPost.objects.filter(organisation=people["orgs"][org], text=text).first()
        if existing is not None:
            posts.append(existing)
            continue
        posts.append(
            action_post(
                actor=people[author],
                organisation=people["orgs"][org],
                category=category,
                date=today - datetime.timedelta(days=days_ago),
                place=place,
                text=text,
                visibility=visibility,
            )
        )
        if len(posts) == 1:
            action_acknowledge_toggle(actor=people["convenor"], post=posts[0])
            action_comment(
                actor=people["wcd_officer"],
                post=posts[0],
                text="Thank you: DCPU can join the next round in Daurala.",
            )
    return posts
