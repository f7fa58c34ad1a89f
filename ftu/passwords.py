"""Password rules beyond Django's: no words an attacker would try first for this site."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class ContextWordsValidator:
    """Refuse passwords built on the site's own words (district, "ftu", "police"…)."""

    WORDS = ("ftu", "police", "pocso", "password", "meerut", "hub", "cwc", "ngo")

    #: letters that must remain once the site's words are taken out
    MIN_OTHER_LETTERS = 6

    def validate(self, password: str, user: object | None = None) -> None:
        lowered = password.lower()
        words = sorted({*self.WORDS, settings.FTU_DISTRICT.lower()}, key=len, reverse=True)
        rest = lowered
        for word in words:
            if word:
                rest = rest.replace(word, " ")
        if rest == lowered:
            return
        # "meerutpolice2025", "Password@123": the site's words plus digits and symbols.
        if sum(ch.isalpha() for ch in rest) < self.MIN_OTHER_LETTERS:
            raise ValidationError(
                _("This password is built on a word people would guess for this site."),
                code="password_context_word",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be built on the district's or the site's name.")
