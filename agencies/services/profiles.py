"""Writes about partners and people.  Each checks permission and writes the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from agencies.models import User
from ftu import audit


def profile_update(*, actor: User, data: dict[str, Any]) -> User:
    """A person edits their own profile (name, phone, language, notification e-mail)."""
    allowed = {"full_name", "phone", "preferred_language", "notification_email"}
    changed = [k for k in allowed if k in data and getattr(actor, k) != data[k]]
    with transaction.atomic():
        for key in changed:
            setattr(actor, key, data[key])
        actor.full_clean(exclude=["password"])
        if changed:
            actor.save(update_fields=changed)
        audit.record(actor=actor, action="profile.update", obj=actor, fields=changed)
    return actor
