"""List pages fold their filter form until a filter is set, in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _details(html: str) -> str:
    start = html.index('<details class="filters-box"')
    return html[start : html.index(">", start) + 1]


def test_the_form_is_folded_until_a_filter_is_set(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["ngo_coordinator"])
    url = reverse("referrals:inbox")
    html = client.get(url).content.decode()
    assert " open" not in _details(html)
    assert 'role="search"' in html  # still a plain GET form: works without JavaScript
    html = client.get(url, {"state": "sent", "service": "", "page": "2"}).content.decode()
    assert " open" in _details(html)
    assert "Filters (1 set)" in html and 'href="?"' in html


def test_the_folded_form_reads_in_hindi(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["ngo_coordinator"])
    client.cookies["django_language"] = "hi"
    html = client.get(reverse("referrals:inbox"), {"state": "sent"}).content.decode()
    assert "फ़िल्टर (1 लगाया गया)" in html and "हटाएँ" in html
