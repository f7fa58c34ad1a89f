"""Third-party strings a Hindi reader meets on the hub's account pages are in Hindi."""

from __future__ import annotations

import datetime

from allauth.account.fields import PasswordField
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone, translation


def _ago(**delta: float) -> str:
    return naturaltime(timezone.now() - datetime.timedelta(**delta)).replace("\xa0", " ")


def test_relative_times_on_the_sessions_page_are_hindi() -> None:
    with translation.override("hi"):
        assert _ago(seconds=38) == "38 सेकंड पहले"
        assert _ago(seconds=70) == "एक मिनट पहले"
        assert _ago(hours=3, minutes=1) == "3 घंटे पहले"
        assert _ago(days=2, hours=1) == "2 दिन, 1 घंटा पहले"


def test_the_forgotten_password_link_is_hindi() -> None:
    with translation.override("hi"):
        assert "पासवर्ड भूल गए?" in str(PasswordField(show_reset_help=True).help_text)
