"""If the audit row cannot be written, the change it records does not happen."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError

from agencies import services
from agencies.models import User
from ftu.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_failing_audit_write_rolls_the_change_back(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = personas["ngo_counsellor"]
    before = (person.full_name, person.phone)
    events_before = AuditEvent.objects.count()

    def refuse(self: AuditEvent, *args: Any, **kwargs: Any) -> None:
        raise DatabaseError("audit storage unavailable")

    monkeypatch.setattr(AuditEvent, "save", refuse)
    with pytest.raises(DatabaseError, match="audit storage unavailable"):
        services.profile_update(
            actor=person, data={"full_name": "Changed Name", "phone": "+919999999999"}
        )
    monkeypatch.undo()

    stored = User.objects.get(pk=person.pk)
    assert (stored.full_name, stored.phone) == before
    assert AuditEvent.objects.count() == events_before


def test_the_same_change_is_stored_with_its_audit_row(personas: dict[str, Any]) -> None:
    # The counterpart: with a working audit log the change and its row are both stored.
    person = personas["ngo_counsellor"]
    services.profile_update(actor=person, data={"full_name": "Changed Name"})
    assert User.objects.get(pk=person.pk).full_name == "Changed Name"
    event = AuditEvent.objects.get(action="profile.update", object_id=str(person.pk))
    assert event.fields == ["full_name"] and event.actor_id == person.pk
    assert "Changed Name" not in event.reason
