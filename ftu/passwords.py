"""Password rules beyond Django's: no words an attacker would try first for this site."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class ContextWordsValidator:
    """Refuse passwords built on the site's own words (district, "ftu", "police"…)."""

    WORDS = ("ftu", "police", "pocso", "password", "meerut", "hub", "cwc", "ngo")

    def validate(self, password: str, user: object | None = None) -> None:
        lowered = password.lower()
        words = {*self.WORDS, settings.FTU_DISTRICT.lower()}
        stripped = "".join(ch for ch in lowered if ch.isalpha())
        for word in words:
            if word and (stripped == word or (word in lowered and len(stripped) <= len(word) + 4)):
                raise ValidationError(
                    _("This password is built on a word people would guess for this site."),
                    code="password_context_word",
                )

    def get_help_text(self) -> str:
        return _("Your password cannot be built on the district's or the site's name.")
