"""The identifying phrases of a child case, kept as blind indexes for the actions feed's guard.

When a service writes a case's identity it also stores (``CaseIdentityIndex``) the keyed hash
of each identifying phrase, computed exactly as the guard hashes the text it reads
(``agencies.services_actions.phrase_index``).  At post time the guard compares the poster's
text with the hashes of the cases that person *holds* (``ChildCase.objects.held_by``): nothing
is decrypted, and a person who does not hold a case is not stopped from writing a name they
cannot know.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from agencies.services_actions import (
    MAX_NGRAM,
    _forms,
    blind_index_guard,
    phrase_index,
    words_of,
)

PURPOSE = "case.identity-guard"
REASON = _("a name or other identifying detail recorded on a case you hold")

# Aliases are typed one per line or separated by commas, semicolons or slashes.
_ALIAS_SEPARATORS = re.compile(r"[\n\r,;/|]+")
# A phrase shorter than this (in letters and digits) would refuse ordinary words.
MIN_PHRASE_CHARS = 3


def _phrases(value: str) -> set[str]:
    """The value as the guard can meet it: its first MAX_NGRAM words (a longer value starts
    with them), each word in every spelling the guard reads ("al-amin", "al amin", "alamin")."""
    words = [sorted(_forms(w)) for w in words_of(value or "")[:MAX_NGRAM]]
    if not words:
        return set()
    return {" ".join(combination) for combination in itertools.product(*words)}


def identity_phrases(
    *, name: str = "", aliases: str = "", guardian_name: str = "", school: str = ""
) -> set[str]:
    """The phrases of a case that must not appear in a holder's post (normalised words)."""
    values = [name, guardian_name, school, *_ALIAS_SEPARATORS.split(aliases or "")]
    phrases = {p for v in values for p in _phrases(v)}
    return {p for p in phrases if sum(ch.isalnum() for ch in p) >= MIN_PHRASE_CHARS}


def phone_phrases(contact: str) -> set[str]:
    """A phone number as it gets written: 10 digits together, or as 5 + 5."""
    digits = "".join(ch for ch in contact or "" if ch.isdigit())[-10:]
    if len(digits) < 6:
        return set()
    phrases = {digits}
    if len(digits) == 10:
        phrases.add(f"{digits[:5]} {digits[5:]}")
    return phrases


def case_digests(case: Any) -> set[str]:
    """The blind indexes of a case's identifying phrases (from its decrypted fields in memory)."""
    phrases = identity_phrases(
        name=case.name,
        aliases=case.aliases,
        guardian_name=case.guardian_name,
        school=case.school,
    ) | phone_phrases(case.guardian_contact)
    return {phrase_index(p, purpose=PURPOSE) for p in phrases}


def store_case_identity(case: Any) -> None:
    """Replace the stored indexes of a case; call in the transaction that writes its identity."""
    from referrals.models import CaseIdentityIndex

    CaseIdentityIndex.objects.filter(case=case).delete()
    CaseIdentityIndex.objects.bulk_create(
        [CaseIdentityIndex(case=case, digest=d) for d in sorted(case_digests(case))]
    )


def held_identity_digests(actor: Any) -> Iterable[str]:
    """The indexes of every case ``actor`` holds (one query; no decryption)."""
    from referrals.models import CaseIdentityIndex, ChildCase

    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    held = ChildCase.objects.held_by(actor).values("pk")
    return CaseIdentityIndex.objects.filter(case__in=held).values_list("digest", flat=True)


guard = blind_index_guard(held_identity_digests, purpose=PURPOSE, reason=REASON)
