"""Audit rows and the preferred language for authentication events.

Log-ins, failed log-ins, log-outs and MFA changes happen inside django.contrib.auth and
allauth, not in our services, so the audit rows for them are written from these signals:
the signals are the only place these events surface, and each receiver writes exactly one
row.  Every other write in the hub goes through a service.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ftu import audit
from ftu.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="agencies.audit_login")
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.login", obj=user, request=request)
    if request is not None and hasattr(request, "session"):
        # The 12-hour limit (ftu.middleware.SessionLimitsMiddleware) counts from log-in.
        now = int(time.time())
        request.session["ftu_started"] = now
        request.session["ftu_seen"] = now
    if request is not None and user.preferred_language:
        # ftu.middleware.PreferredLanguageMiddleware turns this into the language cookie.
        request.ftu_login_language = user.preferred_language


@receiver(user_logged_out, dispatch_uid="agencies.audit_logout")
def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action="auth.logout", obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="agencies.audit_login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    # The typed address is never stored (people paste passwords into it); only the
    # account it names, when there is one.
    login = credentials.get("email") or credentials.get("username") or ""
    user = get_user_model().objects.filter(email__iexact=str(login)).first() if login else None
    audit.record(
        actor=None,
        action="auth.login_failed",
        object_type="agencies.user" if user else "",
        object_id=user.pk if user else "",
        outcome=AuditEvent.Outcome.FAILED,
        request=request,
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="agencies.audit_mfa_added")
def on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    audit.record(
        actor=user, action=f"mfa.add.{authenticator.type}", obj=authenticator, request=request
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="agencies.audit_mfa_removed")
def on_authenticator_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    audit.record(
        actor=user,
        action=f"mfa.remove.{authenticator.type}",
        object_type="mfa.authenticator",
        object_id=authenticator.pk or "",
        request=request,
    )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="agencies.audit_mfa_reset")
def on_authenticator_reset(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    audit.record(
        actor=user, action=f"mfa.reset.{authenticator.type}", obj=authenticator, request=request
    )


@receiver(mfa_signals.authentication_failed, dispatch_uid="agencies.audit_mfa_failed")
def on_mfa_failed(
    sender: Any, request: Any, user: Any, authenticator: Any = None, **kw: Any
) -> None:
    audit.record(
        actor=None,
        action="mfa.failed",
        object_type="agencies.user",
        object_id=user.pk,
        outcome=AuditEvent.Outcome.FAILED,
        request=request,
    )
