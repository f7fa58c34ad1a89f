"""Ending a person's sessions and sockets when their access is withdrawn."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction

from notifications.services import revoke_sockets


def end_sessions(user: Any) -> None:
    """Delete every session of ``user`` and close their sockets, once the caller commits.

    allauth's usersessions tracks each logged-in session (USERSESSIONS_TRACK_ACTIVITY), so
    this finds them without scanning the session table.  Permission checks read memberships
    on every request, so access is gone at commit even for a session not yet tracked.
    """
    user_id = user.pk

    def _end() -> None:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session in UserSession.objects.filter(user_id=user_id):
            store().delete(session.session_key)
            session.delete()

    transaction.on_commit(_end)
    revoke_sockets(user_id)
