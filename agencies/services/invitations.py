"""Invitation-only accounts: a coordinator invites, the invitee accepts once, in time."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Invitation, Membership, Organisation, User, hash_token
from agencies.permissions import can_manage_members
from ftu import audit
from ftu.models import AuditEvent
from ftu.policy import forget
from ftu.roles import Role


class InvitationUnusable(Exception):  # noqa: N818 - reads as a state, like Http404
    """The link cannot be used; ``reason`` says why in words the invitee understands."""

    MESSAGES = {
        "unknown": gettext_lazy(
            "This invitation link is not valid. Check that you copied it whole."
        ),
        "expired": gettext_lazy(
            "This invitation has expired. Ask the person who invited you to send a new one."
        ),
        "used": gettext_lazy(
            "This invitation has already been used. Log in with your e-mail address instead."
        ),
        "revoked": gettext_lazy(
            "This invitation was withdrawn. Ask your coordinator if you still need access."
        ),
        "organisation_inactive": gettext_lazy(
            "The organisation this invitation is for is no longer active on the hub."
        ),
    }
    #: unknown links are 404; links that existed but can no longer be used are 410 Gone
    STATUS = {"unknown": 404}

    def __init__(self, reason: str, invitation: Invitation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.reason])

    @property
    def status(self) -> int:
        return self.STATUS.get(self.reason, 410)


def _check_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.state == Invitation.State.ACCEPTED:
        raise InvitationUnusable("used", invitation)
    if invitation.state == Invitation.State.REVOKED:
        raise InvitationUnusable("revoked", invitation)
    if invitation.is_expired:
        raise InvitationUnusable("expired", invitation)
    if not invitation.organisation.is_active:
        raise InvitationUnusable("organisation_inactive", invitation)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation behind a link, or ``InvitationUnusable`` saying why not."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return _check_usable(invitation)


def _invitation_email(link: str) -> tuple[str, str]:
    # The link and nothing else: no organisation, role or names travel by e-mail.
    subject = _("Your invitation to FTU Hub")
    hours = settings.INVITATION_VALID_HOURS
    body = _(
        "You have been invited to FTU Hub.\n\n"
        "Open this link within %(hours)d hours to set your password:\n%(link)s\n\n"
        "The link works once. If you did not expect this message, ignore it."
    ) % {"hours": hours, "link": link}
    return subject, body


def invitation_create(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    full_name: str,
    role: str = Role.MEMBER,
    title: str = "",
    link_for: Any,
) -> Invitation:
    """Invite one person to ``organisation`` with a preset role and title.

    ``link_for(token) -> absolute URL`` builds the link; the token itself is never stored
    (only its SHA-256).  A pending invitation to the same address and organisation is
    withdrawn, so re-sending is safe.  The e-mail goes after commit.
    """
    if not can_manage_members(actor, organisation):
        raise PermissionDenied
    if not organisation.is_active:
        raise ValidationError(_("This organisation is deactivated: nobody can join it."))
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if Membership.objects.active().filter(user__email__iexact=email, organisation=organisation):
        raise ValidationError(
            {"email": _("This person is already an active member of this organisation.")}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        superseded = Invitation.objects.select_for_update().filter(
            email__iexact=email, organisation=organisation, state=Invitation.State.PENDING
        )
        for old in superseded:
            old.state = Invitation.State.REVOKED
            old.save(update_fields=["state"])
            audit.record(
                actor=actor,
                action="invitation.supersede",
                obj=old,
                organisation=organisation,
                fields=["state"],
            )
        invitation = Invitation(
            email=email,
            full_name=full_name.strip(),
            organisation=organisation,
            role=role,
            title=title.strip(),
            token_hash=hash_token(token),
            invited_by=actor,
            expires=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
        )
        invitation.full_clean()
        invitation.save()
        audit.record(
            actor=actor,
            action="invitation.create",
            obj=invitation,
            organisation=organisation,
            fields=["email", "full_name", "role", "title", "expires"],
        )
        subject, body = _invitation_email(link_for(token))
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        )
    return invitation


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation (its link stops working at once)."""
    if not can_manage_members(actor, invitation.organisation):
        raise PermissionDenied
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.PENDING
        ).update(state=Invitation.State.REVOKED)
        if not updated:
            raise ValidationError(_("This invitation is no longer pending."))
        audit.record(
            actor=actor,
            action="invitation.revoke",
            obj=invitation,
            organisation=invitation.organisation,
            fields=["state"],
        )
    invitation.refresh_from_db()
    return invitation


def invitation_accept(
    *,
    token: str,
    actor: User | None = None,
    full_name: str = "",
    password: str = "",
    language: str = "",
) -> User:
    """Use an invitation once: create the person (or, logged in, add the membership).

    Without ``actor`` a new account is made with ``password`` (Django's validators); an
    address that already has an account must log in first and accept as ``actor``.  The
    invitation row is locked, so two tabs cannot both use it.  A refused use of a link that
    exists (used, expired, withdrawn) is audited on its own, after the rollback.
    """
    try:
        return _accept(
            token=token, actor=actor, full_name=full_name, password=password, language=language
        )
    except InvitationUnusable as exc:
        invitation_refused(exc, actor=actor)
        raise


def invitation_refused(exc: InvitationUnusable, *, actor: User | None = None) -> None:
    """Audit an attempt to use a link that exists but can no longer be used."""
    if exc.invitation is not None:
        audit.record(
            actor=actor,
            action="invitation.refused",
            obj=exc.invitation,
            organisation=exc.invitation.organisation,
            reason=exc.reason,
            outcome=AuditEvent.Outcome.DENIED,
        )


def _accept(
    *, token: str, actor: User | None, full_name: str, password: str, language: str
) -> User:
    with transaction.atomic():
        invitation = _check_usable(
            Invitation.objects.select_for_update()
            .select_related("organisation")
            .filter(token_hash=hash_token(token))
            .first()
        )
        existing = User.objects.filter(email__iexact=invitation.email).first()
        if actor is not None and actor.is_authenticated:
            if actor.email.lower() != invitation.email.lower():
                raise ValidationError(
                    _(
                        "This invitation is for another e-mail address. Log out, then open "
                        "the link again."
                    )
                )
            user = actor
        elif existing is not None:
            raise ValidationError(
                _("You already have an account. Log in first, then open the link again.")
            )
        else:
            user = User(
                email=invitation.email,
                full_name=(full_name or invitation.full_name).strip(),
                preferred_language=language
                if language in dict(settings.LANGUAGES)
                else settings.LANGUAGE_CODE,
            )
            validate_password(password, user=user)
            user.set_password(password)
            user.full_clean(exclude=["password"])
            user.save()
            audit.record(
                actor=user,
                action="person.create",
                obj=user,
                organisation=invitation.organisation,
                fields=["email", "full_name", "password"],
            )
        if not user.is_active:
            raise ValidationError(_("This account is deactivated. Ask the FTU convenor."))
        membership = Membership.objects.filter(
            user=user, organisation=invitation.organisation
        ).first()
        if membership is not None and membership.is_active:
            raise ValidationError(_("You are already an active member of this organisation."))
        if membership is None:
            membership = Membership(user=user, organisation=invitation.organisation)
        membership.role = invitation.role
        membership.title = invitation.title
        membership.is_active = True
        membership.ended = None
        membership.full_clean(validate_unique=False)
        membership.save()
        now = timezone.now()
        updated = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.PENDING
        ).update(state=Invitation.State.ACCEPTED, accepted=now, accepted_by=user)
        if not updated:  # pragma: no cover - the row lock makes this unreachable
            raise InvitationUnusable("used", invitation)
        audit.record(
            actor=user,
            action="invitation.accept",
            obj=invitation,
            organisation=invitation.organisation,
            fields=["state", "accepted", "accepted_by"],
        )
        audit.record(
            actor=user,
            action="membership.create",
            obj=membership,
            organisation=invitation.organisation,
            fields=["role", "title", "is_active"],
        )
        forget(user)
    return user
