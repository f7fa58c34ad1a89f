from __future__ import annotations

from typing import Any

from meetings import services
from tests.meetings import factories
from tests.samples import sample


@sample("meeting")
def meeting(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Invites the NGO and the CWC, and one police officer by name; not the AHTU or the shelter.
    m = factories.schedule(personas)
    factories.agenda(personas, m, "Shelter capacity")
    return {"pk": m.pk}, m


@sample("agenda_item")
def agenda_item(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    m = factories.schedule(personas)
    item = factories.agenda(personas, m, "Raid follow-up", confidential_for=("ngo_counsellor",))
    return {"pk": item.pk}, item


@sample("minutes")
def minutes(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    _meeting, draft = factories.held_with_draft(personas)
    return {"pk": draft.pk}, draft


@sample("published_minutes")
def published_minutes(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    _meeting, draft = factories.held_with_draft(personas)
    published = factories.publish(personas, draft)
    return {"pk": published.pk}, published


@sample("minutes_item")
def minutes_item(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    return {"pk": item.pk}, item


@sample("minutes_comment")
def minutes_comment(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    _meeting, draft = factories.held_with_draft(personas)
    services.minutes_circulate(actor=personas["convenor"], minutes=draft)
    item = draft.items.get(agenda_item__position=1)
    comment = services.minutes_comment(actor=personas["ngo_coordinator"], item=item, text="Typo")
    return {"pk": comment.pk}, comment


@sample("action_item")
def action_item(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    _meeting, draft = factories.held_with_draft(personas)
    action = factories.add_action(personas, draft)
    factories.publish(personas, draft)
    action.refresh_from_db()
    return {"pk": action.pk}, action
