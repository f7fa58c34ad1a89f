"""allauth's pages inside the hub's layout, and clean under the Content Security Policy."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.agencies.helpers import PASSWORD, full_login, make_person, totp_code

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def assert_csp_clean(html: str, nonce: str | None) -> None:
    for attrs in SCRIPT.findall(html):
        if "src=" in attrs:
            assert re.search(r'src="/static/', attrs), attrs
        elif 'type="application/json"' in attrs:
            continue  # data, never executed
        else:
            assert nonce and f'nonce="{nonce}"' in attrs, attrs
    assert not INLINE_HANDLER.search(html)
    assert not INLINE_STYLE.search(html)


def _nonce(response: Any) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


def _open(client: Client, url: str, secret: str, when: Any) -> Any:
    """GET a page, passing allauth's re-authentication step when it asks for one."""
    response = client.get(url)
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        step = response["Location"]
        if step.startswith("/accounts/2fa/"):
            when.shift(timedelta(seconds=31))
            client.post(step, {"code": totp_code(secret)})
        else:
            client.post(step, {"password": PASSWORD})
        response = client.get(url)
    return response


def test_login_page_offers_no_sign_up_and_fits_the_layout(client: Client, db: Any) -> None:
    page = client.get("/accounts/login/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "sign up" not in body.lower()
    assert "by invitation only" in body
    assert 'class="site-header"' in body
    assert_csp_clean(body, _nonce(page))


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/sessions/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
    ],
)
def test_account_pages_render_in_the_layout_under_the_csp(
    personas: dict[str, Any], url: str
) -> None:
    user, _ = make_person(personas["orgs"]["media"], mfa=False)  # not held at enrolment
    with time_machine.travel(timezone.now(), tick=False) as when:
        client = Client()
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        page = _open(client, url, "", when)
    assert page.status_code == 200, url
    body = page.content.decode()
    assert 'class="site-header"' in body and 'class="skip-link"' in body
    assert_csp_clean(body, _nonce(page))


def test_the_second_step_page_is_clean_under_the_csp(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["police"])
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    page = client.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200
    assert_csp_clean(page.content.decode(), _nonce(page))


def test_webauthn_page_loads_allauths_scripts_from_static(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["police"])
    with time_machine.travel(timezone.now(), tick=False) as when:
        client = full_login(user.email, secret)
        page = _open(client, "/accounts/2fa/webauthn/add/", secret, when)
    body = page.content.decode()
    assert page.status_code == 200
    assert "/static/mfa/js/webauthn.js" in body
    assert_csp_clean(body, _nonce(page))
