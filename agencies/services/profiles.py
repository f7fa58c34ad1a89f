"""Writes about partners and people.  Each checks permission and writes the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from agencies.models import User
from ftu import audit


def profile_update(*, actor: User, data: dict[str, Any]) -> User:
    """A person edits their own profile (name, phone, language, notification e-mail)."""
    allowed = ("full_name", "phone", "preferred_language", "notification_email")
    with transaction.atomic():
        # Compare with the stored row, not with ``actor``: a ModelForm bound to the same
        # instance has already copied the new values onto it.
        person = User.objects.select_for_update().get(pk=actor.pk)
        changed = sorted(k for k in allowed if k in data and getattr(person, k) != data[k])
        for key in changed:
            setattr(person, key, data[key])
        person.full_clean(exclude=["password"])
        if changed:
            person.save(update_fields=changed)
            audit.record(actor=actor, action="profile.update", obj=person, fields=changed)
    for key in changed:
        setattr(actor, key, getattr(person, key))
    return person
