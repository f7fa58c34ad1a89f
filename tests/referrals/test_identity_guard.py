"""Issue #8: the actions feed refuses a post holding the identity of a child in a held case.

The referrals app registers the guard; it compares the text with the blind indexes stored
when the case was recorded, for the cases the poster holds, and decrypts nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models_actions import ActionComment, ActionPost
from agencies.services_actions import action_comment, identity_guards
from ftu import crypto
from ftu.models import AuditEvent
from referrals import identity
from referrals.models import CaseIdentityIndex, ChildCase
from tests.agencies.actions_support import make_post, private_media  # noqa: F401
from tests.referrals.world import build_world, make_case, refer

pytestmark = pytest.mark.usefixtures("private_media")

NAME = "Canaryname Priyanka Sharmawal"
IDENTITY = {
    "name": NAME,
    "aliases": "Chhavikanary, Munnicanary\nप्रियकैनरी",
    "guardian_name": "Ramcanary Lal Verma",
    "guardian_contact": "+91 98765-43210",
    "school": "Saraswati Canary Vidya Mandir Inter College",
}
FRAGMENTS = ("priyanka", "sharmawal", "chhavi", "munni", "प्रिय", "ramcanary", "saraswati", "98765")


@pytest.fixture
def world(personas: dict[str, Any]) -> Any:
    """The AHTU records the case (holder); the CWC accepts its referral (holder); the NGO has a
    referral pending (sees the code, does not hold the identity)."""
    orgs = personas["orgs"]
    case = make_case(
        personas["ahtu_officer"], orgs["ahtu"], police_station=orgs["ps_civil"], **IDENTITY
    )
    refer(personas["ahtu_officer"], case, orgs["ngo"])
    return case


def _refused(personas: dict[str, Any], author: str, org: str, text: str) -> str:
    with pytest.raises(ValidationError) as exc:
        make_post(personas, author=author, org=org, text=text)
    return exc.value.message_dict["text"][0]


def _assert_no_identity_in_audit() -> None:
    for row in AuditEvent.objects.all():
        blob = repr(
            {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        ).casefold()
        for fragment in FRAGMENTS:
            assert fragment not in blob, f"{fragment} in audit row {row.action}"


def test_the_referrals_guard_is_registered() -> None:
    assert identity.guard in identity_guards()


@pytest.mark.parametrize(
    "text",
    [
        "Follow-up with canaryname   PRIYANKA sharmawal went well.",
        "Counselling: Sharmawal? no — CANARYNAME, priyanka sharmawal!",
        "We met chhavikanary's mother.",
        "Munnicanary came to the session",
        "बच्ची प्रियकैनरी से मुलाक़ात हुई।",
        "Spoke with RAMCANARY lal verma at home",
        "Visited Saraswati Canary Vidya Mandir for a session",
        "Call 98765 43210 for the family",
        "Call 9876543210 for the family",
    ],
)
def test_a_holder_posting_a_held_identity_is_refused_with_the_generic_reason(
    personas: dict[str, Any], world: ChildCase, text: str
) -> None:
    message = _refused(personas, "ahtu_officer", "ahtu", text)
    assert "identity of a child" in message
    assert str(identity.REASON) in message
    for fragment in FRAGMENTS:
        assert fragment not in message.casefold()
    assert not ActionPost.objects.exists()
    refusal = AuditEvent.objects.get(action="action.post_refused")
    assert refusal.outcome == AuditEvent.Outcome.DENIED
    assert refusal.actor == personas["ahtu_officer"]
    _assert_no_identity_in_audit()


def test_the_place_field_is_checked_too(personas: dict[str, Any], world: ChildCase) -> None:
    from agencies.services_actions import action_post

    with pytest.raises(ValidationError):
        action_post(
            actor=personas["ahtu_officer"],
            organisation=personas["orgs"]["ahtu"],
            category="awareness",
            date=timezone.localdate() - datetime.timedelta(days=1),
            place="Saraswati Canary Vidya Mandir",
            text="Awareness session for girls.",
            visibility="partners",
        )
    assert not ActionPost.objects.exists()


def test_a_holder_through_an_accepted_referral_is_refused_on_comments(
    personas: dict[str, Any], world: ChildCase
) -> None:
    from referrals import services

    cwc_ref = refer(
        personas["ahtu_officer"], world, personas["orgs"]["cwc"], service="cwc_production"
    )
    services.referral_accept(
        actor=personas["cwc_chair"], referral=cwc_ref, caseworker=personas["cwc_member"]
    )
    post = make_post(personas, author="ngo_coordinator", org="ngo", text="Training held.")
    with pytest.raises(ValidationError) as exc:
        action_comment(actor=personas["cwc_member"], post=post, text=f"{NAME.upper()} is safe")
    assert str(identity.REASON) in exc.value.messages[0]
    assert not ActionComment.objects.exists()
    _assert_no_identity_in_audit()


@pytest.mark.parametrize("author,org", [("ngo_coordinator", "ngo"), ("outsider", "unrelated")])
def test_a_non_holder_posting_the_same_name_is_not_refused(
    personas: dict[str, Any], world: ChildCase, author: str, org: str
) -> None:
    # The NGO sees the case by its code (a referral is pending) but does not hold its
    # identity; the outsider knows nothing of it.  Neither can know the name, so neither
    # is refused for it.
    post = make_post(personas, author=author, org=org, text=f"Met {NAME} at the fair.")
    assert ActionPost.objects.filter(pk=post.pk).exists()
    assert not AuditEvent.objects.filter(action="action.post_refused").exists()


def test_a_holder_posting_a_partial_name_or_clean_text_is_not_refused(
    personas: dict[str, Any], world: ChildCase
) -> None:
    assert make_post(personas, author="ahtu_officer", org="ahtu", text="Priyanka Chopra's film").pk
    assert make_post(personas, author="ahtu_officer", org="ahtu", text="Two girls in care.").pk


def test_the_page_refuses_and_stores_nothing(
    personas: dict[str, Any], world: ChildCase, login: Any
) -> None:
    response = login(personas["ahtu_officer"]).post(
        "/actions/new/",
        {
            "organisation": personas["orgs"]["ahtu"].pk,
            "category": "awareness",
            "date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            "place": "Meerut",
            "text": "Rescued canaryname priyanka-sharmawal last night",
            "visibility": "partners",
            "no_identity": "on",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "identity of a child" in body
    assert not ActionPost.objects.exists()
    _assert_no_identity_in_audit()


def test_the_guard_decrypts_nothing(
    personas: dict[str, Any], world: ChildCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the guard decrypted a protected field")

    monkeypatch.setattr(crypto._EncryptedMixin, "from_db_value", refuse)
    assert identity.guard(personas["ahtu_officer"], f"met {NAME}") == [str(identity.REASON)]
    assert identity.guard(personas["ngo_coordinator"], f"met {NAME}") == []


def test_indexes_are_stored_at_creation_and_backfilled_by_the_migration(
    personas: dict[str, Any],
) -> None:
    world = build_world(personas)
    stored = set(world.case.identity_indexes.values_list("digest", flat=True))
    assert stored and stored == identity.case_digests(ChildCase.objects.get(pk=world.case.pk))
    for value in world.markers.values():
        assert value not in stored  # keyed hashes only
    CaseIdentityIndex.objects.all().delete()
    from importlib import import_module

    migration = import_module("referrals.migrations.0002_case_identity_index")
    migration.index_existing_cases(django_apps, None)
    assert set(world.case.identity_indexes.values_list("digest", flat=True)) == stored
