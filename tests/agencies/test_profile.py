"""A person edits their own profile: the change is stored and audited by field name."""

from __future__ import annotations

from typing import Any

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
