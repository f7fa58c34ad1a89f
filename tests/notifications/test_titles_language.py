"""A notification reads in its reader's language, whatever language its sender used."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from ftu.scheduling import run_tick
from notifications.delivery import render_email
from notifications.models import Notification, OutboxMessage
from notifications.services import notify
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Any:
    """A request in Hindi leaves Hindi active in this thread: later tests expect the default."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _sent_in_english(personas: dict[str, Any]) -> Notification:
    with translation.override("en"):
        case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
        refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    return Notification.objects.get(kind="referral.sent")


def _hindi(msgid: str, **values: Any) -> str:
    with translation.override("hi"):
        return gettext(msgid) % values


def test_a_title_given_as_a_function_is_kept_in_every_language(personas: dict[str, Any]) -> None:
    [n] = notify(
        recipients=[personas["ngo_coordinator"]],
        kind="referral.accepted",
        title=lambda: gettext("%(code)s: referral accepted") % {"code": "FTU-2026-0042"},
        url="/cases/",
    )
    assert set(n.titles) == {code for code, _name in settings.LANGUAGES}
    assert n.titles["en"] == "FTU-2026-0042: referral accepted"
    hindi = _hindi("%(code)s: referral accepted", code="FTU-2026-0042")
    assert n.titles["hi"] == hindi != n.titles["en"]
    with translation.override("hi"):
        assert n.display_title == hindi
    # The socket carries the one in the recipient's preferred language, and nothing more.
    preferred = personas["ngo_coordinator"].preferred_language or settings.LANGUAGE_CODE
    assert n.payload()["title"] == n.title == n.titles[preferred]
    assert "titles" not in n.payload()


def test_a_plain_title_reads_as_written(personas: dict[str, Any]) -> None:
    [n] = notify(
        recipients=[personas["ngo_coordinator"]],
        kind="referral.accepted",
        title="FTU-2026-0042 as written",
        url="/cases/",
    )
    assert n.titles == {} and "titles" not in n.payload()
    with translation.override("hi"):
        assert n.display_title == "FTU-2026-0042 as written"


def test_a_referral_sent_in_english_reads_in_hindi_in_the_inbox(
    personas: dict[str, Any], login: Any
) -> None:
    n = _sent_in_english(personas)
    assert n.title.endswith("new referral for Counselling")  # stored as its sender wrote it
    client = login(personas["ngo_coordinator"])
    client.cookies["django_language"] = "hi"
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert n.titles["hi"] in html and n.title not in html
    assert "परामर्श" in n.titles["hi"]  # the service, in Hindi too


def test_the_email_is_in_the_recipients_language(personas: dict[str, Any]) -> None:
    n = _sent_in_english(personas)
    coordinator = personas["ngo_coordinator"]
    coordinator.preferred_language = "hi"
    coordinator.save(update_fields=["preferred_language"])
    message = OutboxMessage(
        channel="email", recipient=coordinator, notification=n, template="notification"
    )
    subject, body = render_email(message)
    assert n.titles["hi"] in subject and n.titles["hi"] in body
    assert n.title not in subject


def test_a_deadline_warning_from_the_tick_reads_in_hindi(personas: dict[str, Any]) -> None:
    start = timezone.now() - datetime.timedelta(hours=1)
    with translation.override("en"):
        make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"], first_contact_at=start)
        run_tick(start + datetime.timedelta(hours=18, minutes=1))  # 6 h before the 24 h clocks
    n = Notification.objects.filter(kind="clock.due_soon").first()
    assert n is not None and n.title.isascii() and n.text.isascii()  # the tick writes English
    with translation.override("hi"):
        assert not n.display_title.isascii() and not n.display_text.isascii()
        assert n.display_text.startswith("नियत समय ") and "IST" in n.display_text
