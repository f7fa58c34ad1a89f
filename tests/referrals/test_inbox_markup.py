"""The referral inbox as a phone shows it: cards that name each cell, a one-word urgency."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Any:
    """A request in Hindi leaves Hindi active in this thread: later tests expect the default."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_inbox_names_every_cell_and_badges_the_urgency_in_one_word(
    personas: dict[str, Any], login: Any
) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    client = login(personas["ngo_coordinator"])
    client.cookies["django_language"] = "hi"
    html = client.get(reverse("referrals:inbox")).content.decode()
    with translation.override("hi"):
        urgent, long_label = (
            translation.gettext("Urgent"),
            translation.gettext("Urgent (respond within 24 hours)"),
        )
        labels = [translation.gettext(m) for m in ("Case", "Service", "From", "Answer")]
    assert 'class="stack"' in html
    assert f'<span class="badge urgent">{urgent}</span>' in html
    assert long_label not in html[html.index('id="referral-list"') :]  # (the filter has it)
    for label in labels:
        assert f'data-label="{label}"' in html
