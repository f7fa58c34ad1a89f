"""A person edits their own profile: the change is stored and audited by field name."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from agencies.models import User
from ftu.models import AuditEvent


def test_profile_change_is_saved_and_audited(personas: dict[str, Any], login: Any) -> None:
    person = personas["ngo_counsellor"]
    response = login(person).post(
        reverse("agencies:profile"),
        {
            "full_name": "Farah S.",
            "phone": "+91 90000 11111",
            "preferred_language": "hi",
            "notification_email": "",
        },
    )
    assert response.status_code == 302
    stored = User.objects.get(pk=person.pk)
    assert (stored.full_name, stored.phone, stored.preferred_language) == (
        "Farah S.",
        "+91 90000 11111",
        "hi",
    )
    event = AuditEvent.objects.filter(action="profile.update").get()
    assert event.fields == ["full_name", "phone", "preferred_language"]
    assert "90000" not in str(AuditEvent.objects.values_list())
    assert response.cookies["django_language"].value == "hi"


def test_unchanged_profile_writes_no_audit_row(personas: dict[str, Any], login: Any) -> None:
    person = personas["ngo_counsellor"]
    login(person).post(
        reverse("agencies:profile"),
        {
            "full_name": person.full_name,
            "phone": person.phone,
            "preferred_language": person.preferred_language,
            "notification_email": person.notification_email,
        },
    )
    assert not AuditEvent.objects.filter(action="profile.update").exists()


def test_bad_input_changes_nothing(personas: dict[str, Any], login: Any) -> None:
    person = personas["ngo_counsellor"]
    response = login(person).post(
        reverse("agencies:profile"),
        {"full_name": "", "phone": "", "preferred_language": "xx", "notification_email": "no"},
    )
    assert response.status_code == 200
    assert User.objects.get(pk=person.pk).full_name == person.full_name


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_language_switch_becomes_the_persons_preference(
    personas: dict[str, Any], login: Any, language: str
) -> None:
    person = personas["ngo_counsellor"]
    other = "hi" if language == "en" else "en"
    person.preferred_language = other
    person.save(update_fields=["preferred_language"])
    response = login(person).post(
        "/i18n/setlang/", {"language": language, "next": "/notifications/"}
    )
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert response.cookies["django_language"].value == language
    person.refresh_from_db()
    assert person.preferred_language == language
    event = AuditEvent.objects.get(action="profile.update", object_id=str(person.pk))
    assert event.fields == ["preferred_language"]


def test_the_language_switch_works_before_log_in_and_refuses_unknown_languages(
    client: Any, personas: dict[str, Any]
) -> None:
    response = client.post("/i18n/setlang/", {"language": "hi", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "hi"
    assert client.get("/i18n/setlang/").status_code == 405
    before = AuditEvent.objects.count()
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert "django_language" not in response.cookies
    assert AuditEvent.objects.count() == before


def test_the_language_switch_works_when_the_profile_no_longer_validates(
    personas: dict[str, Any], login: Any
) -> None:
    person = personas["ngo_counsellor"]
    person.preferred_language = "en"
    person.save(update_fields=["preferred_language"])
    User.objects.filter(pk=person.pk).update(full_name="")  # an old row, invalid today
    response = login(person).post("/i18n/setlang/", {"language": "hi", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "hi"
