from __future__ import annotations

from typing import Any

from referrals.models import HeldCase
from tests.referrals.world import build_world
from tests.samples import sample


@sample("case")
def case(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    world = build_world(personas)
    return {"pk": world.case.pk}, world.case


@sample("held_case")
def held_case(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Same case, seen as the holders-only object: pending and convenor get 404.
    world = build_world(personas)
    return {"pk": world.case.pk}, HeldCase.objects.get(pk=world.case.pk)


@sample("referral")
def referral(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    world = build_world(personas)
    return {"pk": world.pending.pk}, world.pending


@sample("lead")
def lead(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    world = build_world(personas)
    return {"pk": world.lead.pk}, world.lead
