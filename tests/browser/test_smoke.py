"""The browser harness itself: the hub serves, a demo person logs in, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import log_in, no_horizontal_scroll


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_log_in_at_phone_size(phone: Any, shots: Any, lang: str) -> None:
    page = log_in(phone(lang), "convenor", lang)
    shots(page, f"home-{lang}")
    assert page.locator("main").is_visible()
    assert no_horizontal_scroll(page)


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_missing_page_is_the_hubs_own_not_a_technical_one(
    phone: Any, shots: Any, lang: str
) -> None:
    page = log_in(phone(lang), "ngo_counsellor", lang)
    response = page.goto("/cases/999999/")
    assert response is not None and response.status == 404
    shots(page, f"not-found-{lang}")
    body = page.locator("body").inner_text()
    assert "URLconf" not in body and "Traceback" not in body
    assert page.locator("a.skip-link").count() == 1  # the hub's layout
    assert no_horizontal_scroll(page)
