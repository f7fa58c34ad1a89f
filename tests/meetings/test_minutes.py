from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from meetings import services
from meetings.models import ActionItem, Minutes, MinutesItem
from notifications.models import Notification
from tests.meetings import factories


def _post(login: Any, user: Any, name: str, pk: int, data: dict[str, Any] | None = None) -> Any:
    return login(user).post(reverse(f"meetings:{name}", args=[pk]), data or {})


def test_full_workflow_through_the_pages(personas: dict[str, Any], login: Any) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    convenor, reviewer = personas["convenor"], personas["mp_reviewer"]
    assert _post(login, convenor, "minutes_circulate", draft.pk).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Minutes.State.CIRCULATED
    # Participants were told, in the group the meeting page refreshes on.
    assert Notification.objects.filter(
        recipient=personas["ngo_coordinator"], kind="meeting.minutes_circulated"
    ).exists()

    item = draft.items.get(agenda_item__position=1)
    _post(login, personas["cwc_member"], "minutes_comment", item.pk, {"text": "Add the bed count"})
    comment = item.comments.get()
    assert comment.author == personas["cwc_member"]

    _post(login, convenor, "minutes_submit", draft.pk)
    draft.refresh_from_db()
    assert draft.state == Minutes.State.CIRCULATED  # refused: a comment is unresolved

    _post(login, convenor, "minutes_comment_resolve", comment.pk, {"resolution": "Added"})
    comment.refresh_from_db()
    assert comment.resolved_by == convenor
    _post(login, convenor, "minutes_submit", draft.pk)
    draft.refresh_from_db()
    assert draft.state == Minutes.State.SUBMITTED
    assert Notification.objects.filter(
        recipient=reviewer, kind="meeting.minutes_submitted"
    ).exists()

    _post(login, reviewer, "minutes_return", draft.pk, {"comments": "Name the presenter"})
    draft.refresh_from_db()
    assert (draft.state, draft.review_comments) == (Minutes.State.RETURNED, "Name the presenter")

    _post(login, convenor, "minutes_submit", draft.pk)
    _post(login, reviewer, "minutes_approve", draft.pk)
    draft.refresh_from_db()
    assert draft.state == Minutes.State.APPROVED and draft.reviewed_by == reviewer
    _post(login, convenor, "minutes_publish", draft.pk)
    draft.refresh_from_db()
    assert draft.state == Minutes.State.PUBLISHED and draft.published_at is not None


@pytest.mark.parametrize(
    "key", ["convenor", "ngo_coordinator", "cwc_chair", "police_supervisor", "admin_officer"]
)
def test_only_the_mp_office_approves(personas: dict[str, Any], login: Any, key: str) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    services.minutes_circulate(actor=personas["convenor"], minutes=draft)
    services.minutes_submit(actor=personas["convenor"], minutes=draft)
    response = _post(login, personas[key], "minutes_approve", draft.pk)
    # Invitees and the convenor see the minutes (403); the others do not (404).
    assert response.status_code in (403, 404)
    response = _post(login, personas[key], "minutes_return", draft.pk, {"comments": "x"})
    assert response.status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.state == Minutes.State.SUBMITTED


def test_participant_gets_403_on_drafting_and_outsider_404(
    personas: dict[str, Any], login: Any
) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    url = reverse("meetings:minutes_item_edit", args=[item.pk])
    data = {"revision": 1, "discussion": "hijack", "decisions": ""}
    # Participants hold no drafting capability: refused before anything is looked up.
    assert login(personas["ngo_coordinator"]).post(url, data).status_code == 404
    with pytest.raises(PermissionDenied):
        services.minutes_item_save(
            actor=personas["ngo_coordinator"],
            item=item,
            base_revision=1,
            discussion="x",
            decisions="",
        )
    assert login(personas["outsider"]).get(draft.get_absolute_url()).status_code == 404
    assert login(personas["media_member"]).get(draft.get_absolute_url()).status_code == 404
    assert login(personas["ahtu_officer"]).get(draft.get_absolute_url()).status_code == 404
    for name in ("minutes_circulate", "minutes_submit", "minutes_publish"):
        assert _post(login, personas["ngo_coordinator"], name, draft.pk).status_code == 403
    item.refresh_from_db()
    assert item.discussion == ""


def test_get_on_a_transition_is_405(personas: dict[str, Any], login: Any) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    response = login(personas["convenor"]).get(
        reverse("meetings:minutes_circulate", args=[draft.pk])
    )
    assert response.status_code == 405


def test_invalid_transitions_are_refused(personas: dict[str, Any]) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    convenor, reviewer = personas["convenor"], personas["mp_reviewer"]
    with pytest.raises(ValidationError):
        services.minutes_submit(actor=convenor, minutes=draft)  # not circulated
    with pytest.raises(ValidationError):
        services.minutes_approve(actor=reviewer, minutes=draft)
    with pytest.raises(ValidationError):
        services.minutes_publish(actor=convenor, minutes=draft)
    with pytest.raises(ValidationError):
        services.minutes_comment(
            actor=personas["ngo_coordinator"], item=draft.items.first(), text="too early"
        )


def test_only_participants_comment(personas: dict[str, Any], login: Any) -> None:
    meeting, draft = factories.held_with_draft(personas)
    services.minutes_circulate(actor=personas["convenor"], minutes=draft)
    item = draft.items.get(agenda_item__position=1)
    assert (
        _post(login, personas["outsider"], "minutes_comment", item.pk, {"text": "x"}).status_code
        == 404
    )
    assert (
        _post(
            login, personas["shelter_staff"], "minutes_comment", item.pk, {"text": "x"}
        ).status_code
        == 404
    )
    assert (
        _post(
            login, personas["media_member"], "minutes_comment", item.pk, {"text": "x"}
        ).status_code
        == 404
    )
    assert (
        _post(
            login, personas["station_officer"], "minutes_comment", item.pk, {"text": "ok"}
        ).status_code
        == 302
    )
    assert item.comments.count() == 1
    # A participant cannot resolve comments.
    comment = item.comments.get()
    assert (
        _post(login, personas["station_officer"], "minutes_comment_resolve", comment.pk).status_code
        == 403
    )


def test_published_minutes_are_frozen_and_a_corrigendum_reviews_again(
    personas: dict[str, Any], login: Any
) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    services.minutes_item_save(
        actor=personas["convenor"],
        item=item,
        base_revision=1,
        discussion="Beds: 30",
        decisions="Add beds",
    )
    v1 = factories.publish(personas, draft)
    item.refresh_from_db()
    with pytest.raises(ValidationError):
        services.minutes_item_save(
            actor=personas["convenor"],
            item=item,
            base_revision=item.revision,
            discussion="Beds: 40",
            decisions="",
        )
    response = login(personas["convenor"]).post(
        reverse("meetings:minutes_item_edit", args=[item.pk]),
        {"revision": item.revision, "discussion": "Beds: 40", "decisions": ""},
    )
    assert response.status_code == 200 and "not open for editing" in response.content.decode()
    item.refresh_from_db()
    assert item.discussion == "Beds: 30"

    with pytest.raises(ValidationError):
        services.minutes_correct(actor=personas["convenor"], minutes=v1, reason="")
    v2 = services.minutes_correct(
        actor=personas["convenor"], minutes=v1, reason="Bed count was wrong"
    )
    assert (v2.number, v2.state) == (2, Minutes.State.DRAFT)
    with pytest.raises(ValidationError):
        services.minutes_correct(actor=personas["convenor"], minutes=v1, reason="again")
    new_item = v2.items.get(agenda_item__position=1)
    assert new_item.discussion == "Beds: 30"
    services.minutes_item_save(
        actor=personas["convenor"],
        item=new_item,
        base_revision=1,
        discussion="Beds: 40",
        decisions="Add beds",
    )
    factories.publish(personas, v2)
    # Every version stays readable, to every partner member.
    client = login(personas["shelter_staff"])
    assert "Beds: 30" in client.get(v1.get_absolute_url()).content.decode()
    assert "Beds: 40" in client.get(v2.get_absolute_url()).content.decode()


def test_stale_save_is_refused_with_a_diff(personas: dict[str, Any], login: Any) -> None:
    """Two editors open revision 1; the second save is refused and shows what the first changed."""
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    url = reverse("meetings:minutes_item_edit", args=[item.pk])
    first, second = login(personas["convenor"]), login(personas["convenor"])
    assert 'name="revision" value="1"' in first.get(url).content.decode()
    assert 'name="revision" value="1"' in second.get(url).content.decode()

    ok = first.post(
        url, {"revision": 1, "discussion": "Shelter has 30 beds", "decisions": "Ask for 10 more"}
    )
    assert ok.status_code == 302
    stale = second.post(url, {"revision": 1, "discussion": "Shelter is full", "decisions": ""})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Not saved" in body
    assert "+Shelter has 30 beds" in body and "+Ask for 10 more" in body
    assert "Shelter is full" in body  # the refused text is kept in the form
    assert 'name="revision" value="2"' in body
    item.refresh_from_db()
    assert (item.revision, item.discussion) == (2, "Shelter has 30 beds")

    # After reading the changes, a deliberate save from revision 2 goes through.
    again = second.post(
        url, {"revision": 2, "discussion": "Shelter is full", "decisions": "Ask for 10 more"}
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert (item.revision, item.discussion) == (3, "Shelter is full")
    assert list(item.revisions.values_list("revision", flat=True)) == [1, 2, 3]


def test_stale_save_raises_in_the_service(personas: dict[str, Any]) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    services.minutes_item_save(
        actor=personas["convenor"], item=item, base_revision=1, discussion="a", decisions=""
    )
    with pytest.raises(services.StaleEdit) as exc:
        services.minutes_item_save(
            actor=personas["convenor"], item=item, base_revision=1, discussion="b", decisions=""
        )
    assert [c["field"] for c in exc.value.changes] == ["discussion"]
    item.refresh_from_db()
    assert item.discussion == "a"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_editors_never_overwrite_each_other(personas: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    _meeting, draft = factories.held_with_draft(personas)
    item = draft.items.get(agenda_item__position=1)
    convenor = personas["convenor"]
    n = 12
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            try:
                services.minutes_item_save(
                    actor=convenor,
                    item=MinutesItem.objects.get(pk=item.pk),
                    base_revision=1,
                    discussion=f"editor {i}",
                    decisions="",
                )
                result = f"ok {i}"
            except services.StaleEdit:
                result = "stale"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("ok")]
    assert len(outcomes) == n
    assert len(winners) == 1
    item.refresh_from_db()
    assert item.revision == 2
    assert item.discussion == f"editor {winners[0].split()[1]}"


def test_action_items_go_live_when_published(personas: dict[str, Any]) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    action = factories.add_action(personas, draft)
    assert not ActionItem.objects.visible_to(personas["shelter_coordinator"]).exists()
    with pytest.raises(ValidationError):
        factories.add_action(personas, draft, org="shelter", owner="ngo_counsellor")  # not a member
    factories.publish(personas, draft)
    assert list(ActionItem.objects.visible_to(personas["shelter_coordinator"])) == [action]
    assert Notification.objects.filter(
        recipient=personas["shelter_coordinator"], kind="meeting.action_assigned"
    ).exists()


def test_publish_notifies_after_commit_only(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    services.minutes_circulate(actor=personas["convenor"], minutes=draft)
    services.minutes_submit(actor=personas["convenor"], minutes=draft)
    services.minutes_approve(actor=personas["mp_reviewer"], minutes=draft)
    with django_capture_on_commit_callbacks() as callbacks:
        services.minutes_publish(actor=personas["convenor"], minutes=draft)
    assert len(callbacks) >= 1
    assert Notification.objects.filter(kind="meeting.minutes_published").exists()
