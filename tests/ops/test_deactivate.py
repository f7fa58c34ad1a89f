from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ftu.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_deactivating_in_a_hurry_ends_the_sessions(personas: Any) -> None:
    officer = personas["ahtu_officer"]
    browser = Client()
    browser.force_login(officer)
    assert browser.get("/").status_code == 200
    other = Client()
    other.force_login(personas["convenor"])

    out = StringIO()
    call_command("deactivate_person", officer.email, "--reason", "phone lost on duty", stdout=out)
    assert "1 session(s) ended" in out.getvalue()
    officer.refresh_from_db()
    assert not officer.is_active
    response = browser.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert other.get("/").status_code == 200  # nobody else is touched
    event = AuditEvent.objects.get(action="person.deactivate")
    assert event.object_id == str(officer.pk) and event.reason == "phone lost on duty"
    assert officer.email not in event.reason


def test_deactivation_needs_a_reason_and_a_known_person(personas: Any) -> None:
    with pytest.raises(CommandError, match="reason"):
        call_command("deactivate_person", personas["ahtu_officer"].email, "--reason", "")
    with pytest.raises(CommandError, match="No account"):
        call_command("deactivate_person", "nobody@x.invalid", "--reason", "just a test")
    assert personas["ahtu_officer"].is_active
