"""Posting, acknowledging, commenting and withdrawing: rules, audit, notifications."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agencies import demo_actions
from agencies.models_actions import (
    ActionAcknowledgement,
    ActionComment,
    ActionPost,
    ActionVisibility,
    validate_place,
)
from agencies.services_actions import (
    KIND_COMMENTED,
    KIND_POSTED,
    action_acknowledge_toggle,
    action_comment,
    action_post,
    action_withdraw,
)
from ftu.models import AuditEvent
from notifications.kinds import get_kind
from notifications.models import Notification
from tests.agencies.actions_support import (
    make_post,
    png_bytes,
    private_media,  # noqa: F401
    stored_files,
    upload,
)

pytestmark = pytest.mark.usefixtures("private_media")


def _form(people: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {
        "organisation": people["orgs"]["ngo"].pk,
        "category": "training",
        "date": timezone.localdate().isoformat(),
        "place": "Meerut district",
        "text": "Training on the SOP for 20 volunteers.",
        "visibility": "partners",
        "no_identity": "on",
    }
    data.update(extra)
    return data


# --- posting --------------------------------------------------------------------------


def test_posting_through_the_page_stores_audits_and_redirects(
    personas: dict[str, Any], login: Any
) -> None:
    response = login(personas["ngo_coordinator"]).post("/actions/new/", _form(personas))
    post = ActionPost.objects.get()
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert post.author == personas["ngo_coordinator"]
    assert post.organisation == personas["orgs"]["ngo"]
    assert post.place == "Meerut district" and post.visibility == ActionVisibility.PARTNERS
    event = AuditEvent.objects.get(action="action.post")
    assert event.object_id == str(post.pk) and event.organisation == personas["orgs"]["ngo"]
    assert "text" in event.fields and "Training" not in event.reason


def test_new_post_page_renders_for_every_member(personas: dict[str, Any], login: Any) -> None:
    for key in ("media_member", "outsider", "mp_reviewer", "station_officer"):
        response = login(personas[key]).get("/actions/new/")
        assert response.status_code == 200, key
        assert 'enctype="multipart/form-data"' in response.content.decode()


def test_new_post_wrong_method(personas: dict[str, Any], login: Any) -> None:
    assert login(personas["ngo_coordinator"]).put("/actions/new/").status_code == 405


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "future"),
        ("place", "Ward 12 Sardhana", "may not contain numbers"),
        ("place", "House five, Gali four, Sardhana", "at most four words"),
        ("place", "Near Kotwali Road", "looks like an address"),
        ("place", "Sardhana village", "looks like an address"),
        ("category", "gossip", "Select a valid choice"),
        ("visibility", "everyone", "Select a valid choice"),
        ("text", "", "This field is required"),
        ("text", "x" * 4001, "at most 4000"),
        ("no_identity", "", "This field is required"),
    ],
)
def test_bad_input_is_refused(
    personas: dict[str, Any], login: Any, field: str, value: str, message: str
) -> None:
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/", _form(personas, **{field: value})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ActionPost.objects.exists()


def test_cannot_post_for_an_organisation_one_is_not_in(
    personas: dict[str, Any], login: Any
) -> None:
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/", _form(personas, organisation=personas["orgs"]["police"].pk)
    )
    assert response.status_code == 400
    assert not ActionPost.objects.exists()
    with pytest.raises(ValidationError):
        make_post(personas, author="ngo_coordinator", org="police")


def test_a_person_in_two_organisations_chooses(personas: dict[str, Any], login: Any) -> None:
    from agencies.models import Membership

    Membership.objects.create(
        user=personas["ngo_coordinator"], organisation=personas["orgs"]["shelter"]
    )
    client = login(personas["ngo_coordinator"])
    page = client.get("/actions/new/").content.decode()
    assert "Asha Counselling Trust" in page and "Suraksha Shelter Home" in page
    client.post("/actions/new/", _form(personas, organisation=personas["orgs"]["shelter"].pk))
    assert ActionPost.objects.get().organisation == personas["orgs"]["shelter"]


def test_media_posts_are_public(personas: dict[str, Any], login: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        make_post(
            personas, author="media_member", org="media", visibility=ActionVisibility.PARTNERS
        )
    assert "public" in exc.value.message_dict["visibility"][0]
    post = make_post(
        personas, author="media_member", org="media", visibility=ActionVisibility.PUBLIC
    )
    assert post.is_public


def test_place_validator_accepts_districts_and_blocks() -> None:
    for place in ("Meerut", "Meerut district", "Sarurpur Khurd", "मेरठ", "Mawana Kalan"):
        validate_place(place)
    for place in ("", "12", "Plot 4", "Shastri Nagar, Sector 3", "मकान नंबर", "a b c d e", "x@y"):
        with pytest.raises(ValidationError):
            validate_place(place)


def test_a_new_post_notifies_partners_after_commit(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        post = make_post(personas)
    assert callbacks, "the push waits for the commit"
    told = set(Notification.objects.filter(kind=KIND_POSTED).values_list("recipient_id", flat=True))
    assert personas["cwc_member"].pk in told and personas["outsider"].pk in told
    assert personas["ngo_coordinator"].pk not in told  # the author
    assert personas["media_member"].pk not in told  # cannot read a partners-only post
    assert personas["deactivated"].pk not in told
    note = Notification.objects.filter(kind=KIND_POSTED).first()
    assert note.url == post.get_absolute_url()
    assert "Sardhana" not in note.title  # no place in a notification
    assert get_kind(KIND_POSTED).group == "action"


def test_a_public_post_also_notifies_media(personas: dict[str, Any]) -> None:
    make_post(personas, visibility=ActionVisibility.PUBLIC)
    told = set(Notification.objects.filter(kind=KIND_POSTED).values_list("recipient_id", flat=True))
    assert personas["media_member"].pk in told and personas["cwc_member"].pk in told


def test_a_rolled_back_post_notifies_nobody(
    personas: dict[str, Any], monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from agencies import services_actions

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services_actions, "notify_action_posted", fail)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    assert callbacks == []
    assert not Notification.objects.exists() and not ActionPost.objects.exists()
    assert not AuditEvent.objects.filter(action="action.post").exists()


# --- acknowledgements ------------------------------------------------------------------


def test_acknowledgement_toggles_once_per_person(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas)
    client = login(personas["cwc_member"])
    url = f"/actions/{post.pk}/acknowledge/"
    assert client.post(url).status_code == 302
    assert ActionAcknowledgement.objects.filter(post=post).count() == 1
    assert "Take back my acknowledgement" in client.get(post.get_absolute_url()).content.decode()
    client.post(url)
    assert not ActionAcknowledgement.objects.filter(post=post).exists()
    actions = list(
        AuditEvent.objects.filter(object_id=str(post.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["action.acknowledge", "action.unacknowledge"]


def test_acknowledgement_rules(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas)
    url = f"/actions/{post.pk}/acknowledge/"
    assert login(personas["ngo_coordinator"]).post(url).status_code == 403  # own post
    assert login(personas["media_member"]).post(url).status_code == 403  # not a partner
    assert login(personas["cwc_member"]).get(url).status_code == 405
    assert login(personas["cwc_member"]).post("/actions/999999/acknowledge/").status_code == 404
    assert login(None).post(url).status_code == 302
    assert not ActionAcknowledgement.objects.exists()
    with pytest.raises(PermissionDenied):
        action_acknowledge_toggle(actor=personas["media_member"], post=post)


# --- comments --------------------------------------------------------------------------


def test_comment_is_stored_audited_and_tells_the_author(
    personas: dict[str, Any], login: Any
) -> None:
    post = make_post(personas)
    response = login(personas["cwc_member"]).post(
        f"/actions/{post.pk}/comment/", {"text": "CWC can sit on Saturday."}
    )
    assert response.status_code == 302
    comment = ActionComment.objects.get()
    assert (
        comment.author == personas["cwc_member"] and comment.organisation == personas["orgs"]["cwc"]
    )
    assert AuditEvent.objects.filter(action="action.comment", object_id=str(post.pk)).exists()
    told = list(
        Notification.objects.filter(kind=KIND_COMMENTED).values_list("recipient_id", flat=True)
    )
    assert told == [personas["ngo_coordinator"].pk]
    # A second commenter: the author and the first commenter hear of it.
    action_comment(actor=personas["ahtu_officer"], post=post, text="Police will attend.")
    told = set(
        Notification.objects.filter(kind=KIND_COMMENTED).values_list("recipient_id", flat=True)
    )
    assert told == {personas["ngo_coordinator"].pk, personas["cwc_member"].pk}


def test_comment_bad_input_and_refusals(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas)
    url = f"/actions/{post.pk}/comment/"
    response = login(personas["cwc_member"]).post(url, {"text": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert login(personas["cwc_member"]).post(url, {"text": "x" * 1001}).status_code == 400
    assert login(personas["media_member"]).post(url, {"text": "Hello"}).status_code == 403
    assert login(personas["cwc_member"]).get(url).status_code == 405
    assert not ActionComment.objects.exists()


# --- withdrawal ------------------------------------------------------------------------


def test_author_withdraws_a_post_and_its_files_are_erased(
    personas: dict[str, Any],
    login: Any,
    private_media: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    attachment = post.attachments.get()
    assert stored_files(private_media)
    client = login(personas["ngo_coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/actions/{post.pk}/withdraw/", {"reason": "photo shows too much"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.withdrawn_at is not None and post.withdrawn_by == personas["ngo_coordinator"]
    assert stored_files(private_media) == []
    assert client.get(post.get_absolute_url()).status_code == 404
    assert client.get(f"/actions/files/{attachment.pk}/").status_code == 404
    event = AuditEvent.objects.get(action="action.withdraw")
    assert event.reason == "photo shows too much"


def test_who_may_withdraw(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas, author="ngo_counsellor")
    url = f"/actions/{post.pk}/withdraw/"
    assert login(personas["cwc_member"]).post(url, {"reason": "x"}).status_code == 403
    assert login(personas["media_member"]).post(url, {"reason": "x"}).status_code == 404
    assert login(personas["ngo_coordinator"]).post(url, {"reason": ""}).status_code == 400
    assert login(personas["ngo_coordinator"]).get(url).status_code == 405
    assert ActionPost.objects.visible_to(personas["cwc_member"]).filter(pk=post.pk).exists()
    action_withdraw(actor=personas["convenor"], post=post, reason="asked by the CWC")
    assert not ActionPost.objects.visible_to(personas["cwc_member"]).filter(pk=post.pk).exists()
    with pytest.raises(ValidationError):
        action_withdraw(actor=personas["convenor"], post=post, reason="again")


# --- demo ------------------------------------------------------------------------------


def test_demo_posts_are_idempotent(personas: dict[str, Any]) -> None:
    demo_actions.build(personas)
    count = ActionPost.objects.count()
    assert count == len(demo_actions.DEMO_POSTS)
    assert ActionComment.objects.count() == 1 and ActionAcknowledgement.objects.count() == 1
    demo_actions.build(personas)
    assert ActionPost.objects.count() == count and ActionComment.objects.count() == 1


def test_service_refuses_people_without_the_capability(personas: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        action_post(
            actor=personas["deactivated"],
            organisation=personas["orgs"]["ngo"],
            category="other",
            date=timezone.localdate(),
            place="Meerut",
            text="x",
            visibility="partners",
        )


def test_media_form_offers_public_only(personas: dict[str, Any], login: Any) -> None:
    body = login(personas["media_member"]).get("/actions/new/").content.decode()
    assert 'value="public"' in body and 'value="partners"' not in body


def test_policy_holders_follow_the_table(personas: dict[str, Any]) -> None:
    from agencies.services_actions import holders_of
    from ftu.policy import Cap

    partners = set(holders_of(Cap.ACTION_PARTNER))
    everyone = set(holders_of(Cap.ACTION_FEED))
    assert personas["media_member"] not in partners and personas["media_member"] in everyone
    assert personas["outsider"] in partners and personas["convenor"] in partners
    assert personas["deactivated"] not in everyone
    assert set(holders_of(Cap.AUDIT_VIEW)) == {personas["convenor"]}
