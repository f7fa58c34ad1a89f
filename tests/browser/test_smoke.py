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
