"""Enforced MFA: enrolment first, secrets encrypted at rest, codes single-use, one log-in flow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ftu.middleware import MFA_ENROLMENT_URL_NAMES
from ftu.models import AuditEvent
from ftu.policy import Cap, can
from tests.agencies.helpers import PASSWORD, make_person, password_login, totp_code
from tests.samples import load_all
from tests.test_permission_matrix import hub_routes

pytestmark = pytest.mark.django_db


def _argless_url_names(patterns: list[Any], namespace: str = "") -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _argless_url_names(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def _urls_without_enrolment_pages(personas: dict[str, Any]) -> dict[str, str]:
    """Every hub page (object pages through their samples) plus every other named URL
    that takes no arguments (allauth, admin), except the enrolment allow-list."""
    urls: dict[str, str] = {}
    samples = load_all()
    built: dict[str, dict[str, Any]] = {}  # one object per sample: builders may create rows
    for route in hub_routes():
        if route.access is None:
            continue
        name = route.access.sample
        if name and name not in built:
            built[name] = samples[name](personas)[0]
        kwargs = built[name] if name else {}
        try:
            urls[route.name] = reverse(route.name, kwargs=kwargs or None)
        except NoReverseMatch:  # a POST-only object action without a sample
            continue
    for name in _argless_url_names(get_resolver().url_patterns):
        if name in urls:
            continue
        try:
            urls[name] = reverse(name)
        except Exception:  # noqa: BLE001, S112 - patterns with arguments are covered above or not ours
            continue
    return {n: u for n, u in urls.items() if n.split(":")[-1] not in MFA_ENROLMENT_URL_NAMES}


def test_a_person_without_mfa_reaches_only_enrolment(personas: dict[str, Any], login: Any) -> None:
    user, _ = make_person(personas["orgs"]["ngo"], mfa=False)
    assert can(user, Cap.MFA_REQUIRED)
    client = login(user)
    urls = _urls_without_enrolment_pages(personas)
    assert "agencies:directory" in urls and "usersessions_list" in urls and "admin:index" in urls
    leaks = {}
    for name, url in urls.items():
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if not (response.status_code == 302 and response["Location"] == "/accounts/2fa/"):
                leaks[f"{method} {name}"] = response.status_code
    assert leaks == {}
    # ...while enrolment, leaving and the language switch stay open
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "hi", "next": "/"}).status_code == 302
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code in (200, 302)
    if activate.status_code == 302:  # allauth may ask for the password again first
        assert client.get(activate["Location"]).status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_an_htmx_request_is_told_where_to_go(personas: dict[str, Any], login: Any) -> None:
    user, _ = make_person(personas["orgs"]["police"], mfa=False)
    response = login(user).get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/2fa/"


def test_recovery_codes_alone_do_not_count(personas: dict[str, Any], login: Any) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user, _ = make_person(personas["orgs"]["cwc"], mfa=False)
    RecoveryCodes.activate(user)
    assert login(user).get("/").status_code == 302


def test_roles_that_never_see_identities_are_not_held(personas: dict[str, Any], login: Any) -> None:
    user, _ = make_person(personas["orgs"]["media"], mfa=False)
    assert not can(user, Cap.MFA_REQUIRED)
    assert login(user).get("/").status_code == 200


def test_demo_users_skip_only_when_the_demo_switch_is_on(
    personas: dict[str, Any], login: Any, settings: Any
) -> None:
    user, _ = make_person(personas["orgs"]["ngo"], mfa=False, is_demo=True)
    settings.FTU_DEMO_SKIP_MFA = True
    page = login(user).get("/")
    assert page.status_code == 200
    assert "Demo account" in page.content.decode()
    settings.FTU_DEMO_SKIP_MFA = False
    assert login(user).get("/").status_code == 302
    real, _ = make_person(personas["orgs"]["ngo"], email="real@example.org", mfa=False)
    settings.FTU_DEMO_SKIP_MFA = True
    assert login(real).get("/").status_code == 302


def test_enrolling_totp_through_the_pages_opens_the_hub(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    user, _ = make_person(personas["orgs"]["shelter"], mfa=False)
    client = Client()
    assert password_login(client, user.email).status_code == 302
    assert client.get("/").status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before an authenticator is added
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(page["Location"], {"password": PASSWORD}).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert "script-src" in page["Content-Security-Policy"]
    secret = client.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="mfa.add.totp").exists()


def test_totp_secret_is_not_stored_in_clear(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["ngo"])
    with connection.cursor() as cur:
        cur.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s", [user.pk])
        (raw,) = cur.fetchone()
    assert secret not in str(raw)
    assert secret.lower() not in str(raw).lower()
    # ...and it still works through allauth
    from allauth.mfa.totp.internal.auth import TOTP

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(totp_code(secret))


def test_recovery_code_seed_is_not_stored_in_clear(personas: dict[str, Any]) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user, _ = make_person(personas["orgs"]["ngo"])
    codes = RecoveryCodes.activate(user)
    from allauth.mfa.utils import decrypt

    seed = decrypt(codes.instance.data["seed"])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT data FROM mfa_authenticator WHERE user_id = %s AND type = %s",
            [user.pk, "recovery_codes"],
        )
        (raw,) = cur.fetchone()
    assert seed not in str(raw)
    assert codes.get_unused_codes()[0] not in str(raw)


def test_the_same_totp_code_cannot_be_used_twice(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["police"])
    with time_machine.travel(timezone.now(), tick=False):
        code = totp_code(secret)
        first = Client()
        password_login(first, user.email)
        assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
        assert first.get("/").status_code == 200

        second = Client()
        assert password_login(second, user.email)["Location"] == "/accounts/2fa/authenticate/"
        reused = second.post("/accounts/2fa/authenticate/", {"code": code})
        assert reused.status_code == 200
        assert "Incorrect code" in reused.content.decode()
        assert second.get("/").status_code == 302


def test_the_mfa_code_form_is_rate_limited_then_lifts(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["police"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = Client()
        password_login(client, user.email)
        wrong = "000000" if totp_code(secret) != "000000" else "111111"
        for _ in range(5):
            client.post("/accounts/2fa/authenticate/", {"code": wrong})
        refused = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert refused.status_code == 200
        assert "Too many" in refused.content.decode()
        assert AuditEvent.objects.filter(action="mfa.failed", object_id=str(user.pk)).count() >= 4
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client = Client()
        password_login(client, user.email)
        ok = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert ok.status_code == 302
        assert client.get("/").status_code == 200


def test_the_admin_login_goes_through_allauth(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["secretariat"], is_staff=True)
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # The admin's own form does not log anyone in.
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302
    # allauth's flow (password, then TOTP) does.
    password_login(client, user.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200


def test_the_mfa_settings_match_the_policy(settings: Any) -> None:
    assert "webauthn" in settings.MFA_SUPPORTED_TYPES
    assert "totp" in settings.MFA_SUPPORTED_TYPES
    assert settings.MFA_TRUST_ENABLED is False
    assert settings.MFA_ADAPTER == "agencies.adapters.MFAAdapter"
