"""Every URL pattern of the hub × every persona, against the declared access policy.

A view declares what it requires with ``ftu.access.requires`` (or ``public``); a pattern
without a declaration fails here.  Object pages name a sample (tests/samples/) and are
expected to answer 404 to anyone outside ``visible_to``.  Adding a page to the matrix is
declaring its policy (and, for an object page, adding a sample) — nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ftu.policy import Access, can
from tests.conftest import PERSONAS
from tests.samples import load_all

# URL namespaces and modules that are not the hub's own pages (they have their own guards).
FOREIGN_PREFIXES = ("admin/", "accounts/", "i18n/", "static/")
HUB_MODULES = (
    "ftu.",
    "agencies.",
    "referrals.",
    "raids.",
    "meetings.",
    "notifications.",
    "dashboard.",
)


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    view: Any

    @property
    def access(self) -> Access | None:
        return getattr(self.view, "ftu_access", None)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern.url_patterns, route, ns)
        elif isinstance(pattern, URLPattern):
            yield Route(route, f"{namespace}{pattern.name or ''}", pattern.callback)


def hub_routes() -> list[Route]:
    routes = []
    for r in _walk(get_resolver().url_patterns):
        if r.route.startswith(FOREIGN_PREFIXES):
            continue
        module = getattr(r.view, "__module__", "")
        if module.startswith(HUB_MODULES):
            routes.append(r)
    return routes


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    from django.urls import reverse

    return reverse(route.name, kwargs=kwargs or None)


def test_every_hub_url_declares_its_access_policy() -> None:
    undeclared = [f"{r.route} ({r.name})" for r in hub_routes() if r.access is None]
    assert undeclared == [], f"URL patterns without a declared policy: {undeclared}"


def test_every_declared_sample_exists() -> None:
    samples = load_all()
    missing = [
        r.name
        for r in hub_routes()
        if r.access and r.access.sample and r.access.sample not in samples
    ]
    assert missing == []


ROUTES = [r for r in hub_routes() if r.access is not None and "GET" in r.access.methods]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_permission_matrix(route: Route, personas: dict[str, Any], login: Any) -> None:
    access = route.access
    assert access is not None
    kwargs: dict[str, Any] = {}
    obj = None
    if access.sample:
        kwargs, obj = load_all()[access.sample](personas)
    url = _url(route, kwargs)

    failures = []
    for key in [*PERSONAS, "anonymous"]:
        user = None if key == "anonymous" else personas[key]
        response = login(user).get(url)
        if access.public:
            expected: tuple[int, ...] = (200,)
        elif user is None or not user.is_active:
            expected = (302,)  # to the log-in page
        elif not can(user, access.cap):
            expected = (404,) if access.sample else (403,)
        elif obj is not None and not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
            expected = (404,)
        else:
            expected = (200,)
        if response.status_code not in expected:
            failures.append(f"{key}: got {response.status_code}, expected {expected}")
        if response.status_code == 302 and expected == (302,):
            assert "/accounts/login/" in response["Location"], key
    assert failures == [], f"{route.name} ({url}): " + "; ".join(failures)
