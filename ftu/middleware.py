"""Cross-cutting middleware: request ids, no-store on authenticated pages, session limits."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from ftu.logging import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a well-formed one from the proxy) for the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class NoStoreMiddleware:
    """Authenticated pages are never cached by the browser or a proxy (shared station PCs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/accounts/"):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0, private"
        return response


class SessionLimitsMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT idle or SESSION_COOKIE_AGE in all.

    Django's own expiry is absolute only when nothing touches the session; this keeps both
    limits server-side, so a stolen cookie dies with the session it belonged to.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("ftu_started", now)
            last = session.get("ftu_seen", now)
            idle = now - last > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = settings.LOGIN_URL_PATH
                    return response
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            # Write at most once a minute: a session save per request costs a query.
            if now - last >= 60 or "ftu_seen" not in session:
                session["ftu_seen"] = now
        return self.get_response(request)


# URL names a person who must enrol in MFA may still reach: enrolment itself, the re-auth
# step allauth asks for before adding an authenticator, leaving, and switching language.
MFA_ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_login",
        "account_logout",
        "set_language",
        "healthz",
        "readyz",
    }
)


def mfa_enrolment_pending(user: object) -> bool:
    """Whether this person must enrol an authenticator before using the hub.

    Those holding ``Cap.MFA_REQUIRED`` need a TOTP or WebAuthn authenticator (recovery codes
    alone do not count).  Only in the embedded demo may seeded demo users skip it.
    """
    from allauth.mfa.models import Authenticator

    from ftu.policy import Cap, can

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if settings.FTU_DEMO_SKIP_MFA and getattr(user, "is_demo", False):
        return False
    if not can(user, Cap.MFA_REQUIRED):  # type: ignore[arg-type]
        return False
    return (
        not Authenticator.objects.filter(user_id=user.pk)  # type: ignore[attr-defined]
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


class MFARequiredMiddleware:
    """Until enrolled, a person who must use MFA reaches only the enrolment pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._allowed(request) or not mfa_enrolment_pending(getattr(request, "user", None)):
            return self.get_response(request)
        from django.contrib import messages
        from django.urls import reverse
        from django.utils.translation import gettext as _

        target = reverse("mfa_index")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        if request.method == "GET":
            messages.warning(
                request,
                _(
                    "Set up two-factor authentication first: your role can see information "
                    "that puts children at risk if an account is taken over."
                ),
            )
        return redirect(target)

    @staticmethod
    def _allowed(request: HttpRequest) -> bool:
        from django.urls import Resolver404, resolve

        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True  # the 404 page shows nothing
        return match.url_name in MFA_ENROLMENT_URL_NAMES


class PreferredLanguageMiddleware:
    """At log-in, switch the interface to the person's preferred language (cookie)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, "ftu_login_language", None)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
            )
        return response
