"""Each person reads a notification in their own language, whatever language the actor used."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from notifications.models import Notification
from notifications.services import notify, translated
from referrals.models import ChildCase
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db

DEVANAGARI = range(0x0900, 0x0980)


def is_hindi(text: str) -> bool:
    return any(ord(ch) in DEVANAGARI for ch in text)


@pytest.fixture
def case(personas: dict[str, Any]) -> ChildCase:
    return make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])


@pytest.mark.parametrize(("actor_language", "reader_language"), [("en", "hi"), ("hi", "en")])
def test_a_referral_reaches_its_receiver_in_the_receivers_language(
    personas: dict[str, Any], case: ChildCase, actor_language: str, reader_language: str
) -> None:
    reader = personas["ngo_coordinator"]
    reader.preferred_language = reader_language
    reader.save(update_fields=["preferred_language"])
    with translation.override(actor_language):
        refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    title = Notification.objects.get(kind="referral.sent", recipient=reader).title
    assert title.startswith(case.code)
    assert is_hindi(title) == (reader_language == "hi"), title


def test_one_event_is_rendered_once_per_language(personas: dict[str, Any]) -> None:
    hindi, english = personas["ngo_coordinator"], personas["cwc_member"]
    hindi.preferred_language, english.preferred_language = "hi", "en"
    hindi.save(update_fields=["preferred_language"])
    english.save(update_fields=["preferred_language"])
    calls: list[str] = []

    def label() -> str:
        calls.append(translation.get_language())
        return str(gettext_lazy("Referral"))

    with translation.override("hi"):
        notify(
            recipients=[hindi, english, personas["ngo_counsellor"]],
            kind="notifications.test",
            title=translated(gettext_lazy("%(code)s: referral accepted"), code=label),
            url="/notifications/",
        )
    titles = dict(
        Notification.objects.filter(kind="notifications.test").values_list("recipient", "title")
    )
    assert is_hindi(titles[hindi.pk])
    assert not is_hindi(titles[english.pk])
    assert sorted(calls) == sorted(set(calls))  # each language rendered once


def test_a_plain_string_is_stored_as_given(personas: dict[str, Any]) -> None:
    person = personas["ngo_coordinator"]
    person.preferred_language = "hi"
    person.save(update_fields=["preferred_language"])
    notify(recipients=[person], kind="notifications.test", title="FTU-2026-0001", url="/")
    assert Notification.objects.get(recipient=person).title == "FTU-2026-0001"
