"""A case's timeline is shown in the reader's language, whoever wrote the event and in which."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from referrals import closure, services
from referrals.models import CaseEvent, ChildCase
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Any:
    """A request in Hindi leaves Hindi active in this thread: later tests expect the default."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def case(personas: dict[str, Any]) -> ChildCase:
    with translation.override("en"):
        return make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])


def test_an_event_written_in_english_reads_in_hindi(
    personas: dict[str, Any], case: ChildCase
) -> None:
    ngo = personas["orgs"]["ngo"]
    ngo.name_hi = "आशा परामर्श ट्रस्ट"
    ngo.save(update_fields=["name_hi"])
    with translation.override("en"):
        referral = refer(personas["ahtu_officer"], case, ngo)
    event = CaseEvent.objects.get(referral=referral, message="Referral sent to %(org)s")
    assert event.summary == f"Referral sent to {ngo.name}"  # as written
    with translation.override("hi"):
        text = event.text
        expected = translation.gettext("Referral sent to %(org)s") % {"org": "आशा परामर्श ट्रस्ट"}
    assert text == expected and ngo.name not in text
    assert "Referral sent to" not in expected  # the catalogue has it in Hindi
    with translation.override("en"):
        assert event.text == f"Referral sent to {ngo.name}"


def test_an_event_written_in_hindi_reads_in_english(
    personas: dict[str, Any], case: ChildCase
) -> None:
    with translation.override("hi"):
        services.case_milestone_record(
            actor=personas["ahtu_officer"],
            case=case,
            milestone="medical_care",
            at=case.first_contact_at,
        )
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.MILESTONE)
    with translation.override("hi"):
        hindi = event.text
    with translation.override("en"):
        english = event.text
    assert hindi != english
    assert english.isascii() and not hindi.isascii()


def test_a_closure_written_in_hindi_reads_in_english(personas: dict[str, Any]) -> None:
    with translation.override("hi"):
        case = make_case(personas["ngo_counsellor"], personas["orgs"]["ngo"])
        closure.case_close(actor=personas["ngo_coordinator"], case=case, reason="restored")
    closed = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CLOSED)
    with translation.override("en"):
        assert closed.text == "Case closed: Restored to family"
    with translation.override("hi"):
        assert not closed.text.isascii()


def test_old_events_without_a_message_keep_their_words(case: ChildCase) -> None:
    event = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.MILESTONE, summary="as typed")
    with translation.override("hi"):
        assert event.text == "as typed"


def test_the_case_page_shows_the_timeline_in_the_readers_language(
    personas: dict[str, Any], case: ChildCase, login: Any
) -> None:
    ngo = personas["orgs"]["ngo"]
    ngo.name_hi = "आशा परामर्श ट्रस्ट"
    ngo.save(update_fields=["name_hi"])
    with translation.override("en"):
        refer(personas["ahtu_officer"], case, ngo)
    client = login(personas["ahtu_officer"])
    client.cookies["django_language"] = "hi"
    page = client.get(reverse("referrals:case", args=[case.pk])).content.decode()
    timeline = page[page.index('class="timeline"') :]
    assert "आशा परामर्श ट्रस्ट" in timeline
    assert "Referral sent to" not in timeline and ngo.name not in timeline
