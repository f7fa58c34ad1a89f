"""Cut a person off at once (lost phone, left the service, suspected misuse).

Deactivates the account (every page then treats them as logged out: Django refuses
inactive users), ends every session of theirs in the cache and the database, closes their
open sockets, and audits it with the reason.  Memberships are left as they are, so the
organisation's coordinator can see what they held; reactivating is a separate, deliberate
act in the admin.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ftu import audit


def end_sessions(user_id: int) -> int:
    """End every live session of the person (cache and database); returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user_id):
            store(session.session_key).delete()  # cached_db: removes the cache copy too
            ended += 1
    from allauth.usersessions.models import UserSession

    UserSession.objects.filter(user_id=user_id).delete()
    return ended


class Command(BaseCommand):
    help = "Deactivate a person now: account off, sessions ended, sockets closed, audited."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--reason", required=True, help="why (kept in the audit log)")

    def handle(self, *args: Any, email: str, reason: str, **options: Any) -> None:
        if len(reason.strip()) < 5:
            raise CommandError("Give a reason (it is kept in the audit log).")
        user_model = get_user_model()
        with transaction.atomic():
            user = user_model.objects.select_for_update().filter(email=email.lower()).first()
            if user is None:
                raise CommandError("No account with that e-mail address.")
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit.record(
                actor=None,
                action="person.deactivate",
                obj=user,
                fields=["is_active"],
                reason=reason.strip(),
            )
            from notifications.services import revoke_sockets

            revoke_sockets(user.pk)
        ended = end_sessions(user.pk)
        self.stdout.write(f"Deactivated account #{user.pk}; {ended} session(s) ended.")
