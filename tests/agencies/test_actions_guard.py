"""The identity guard: a post or comment holding a child's identity is refused, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from agencies.models_actions import ActionComment, ActionPost
from agencies.services_actions import (
    action_comment,
    blind_index_guard,
    candidate_phrases,
    register_identity_guard,
    unregister_identity_guard,
    words_of,
)
from ftu.crypto import blind_index
from ftu.models import AuditEvent
from tests.agencies.actions_support import make_post, private_media  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_media")

PURPOSE = "child.identity"
CANARY_NAMES = ["Canaryname Priyanka Sharmawal", "Chhavikanary", "प्रियकैनरी"]
CANARY_SCHOOL = "Saraswati Canary Vidya Mandir"


@pytest.fixture
def guard(personas: dict[str, Any]) -> Iterator[Any]:
    """What the referrals app will register: the blind indexes of the cases a person holds.

    Here the NGO's people hold one case (names and school); nobody else holds any.
    """
    holders = {personas["ngo_coordinator"].pk, personas["ngo_counsellor"].pk}
    indexes = {blind_index(v, purpose=PURPOSE) for v in [*CANARY_NAMES, CANARY_SCHOOL]}

    def provider(actor: Any) -> set[str]:
        return indexes if actor.pk in holders else set()

    registered = register_identity_guard(
        blind_index_guard(
            provider, purpose=PURPOSE, reason="a name or school recorded on a case you hold"
        )
    )
    yield registered
    unregister_identity_guard(registered)


def test_words_keep_devanagari_vowel_signs_and_drop_punctuation() -> None:
    assert words_of("मिले: प्रिया, (बच्ची)!") == ["मिले", "प्रिया", "बच्ची"]
    assert words_of("Met  D'Souza-Khan, at 10.") == ["met", "d'souza-khan", "at", "10"]


def test_candidate_phrases_are_one_to_four_words() -> None:
    phrases = set(candidate_phrases("a b c d e"))
    assert {"a", "a b", "a b c d", "b c d e", "e"} <= phrases
    assert "a b c d e" not in phrases
    assert {"al amin", "alamin", "al-amin"} <= set(candidate_phrases("Al-Amin"))


@pytest.mark.parametrize(
    "text",
    [
        "Counselling for CANARYNAME   priyanka sharmawal went well.",
        "We met chhavikanary's mother today.",  # possessive: the name is still there
        "Canaryname Priyanka-Sharmawal attended",  # written with a hyphen
        "बच्ची प्रियकैनरी से मुलाक़ात हुई।",
        "Visited the Saraswati Canary Vidya Mandir for a session.",
    ],
)
def test_post_with_a_held_identity_is_refused_saying_why(
    personas: dict[str, Any], guard: Any, text: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        make_post(personas, author="ngo_counsellor", text=text)
    message = exc.value.message_dict["text"][0]
    assert "identity of a child" in message
    assert "a name or school recorded on a case you hold" in message
    for fragment in ("priyanka", "Priyanka", "chhavi", "Chhavi", "प्रिय", "Saraswati"):
        assert fragment not in message
    assert not ActionPost.objects.exists()
    refusal = AuditEvent.objects.get(action="action.post_refused")
    assert (
        refusal.outcome == AuditEvent.Outcome.DENIED and refusal.actor == personas["ngo_counsellor"]
    )
    for fragment in ("riyanka", "havikanary", "Saraswati"):
        assert fragment not in refusal.reason


def test_phrase_index_agrees_with_the_text_side(personas: dict[str, Any]) -> None:
    from agencies.services_actions import phrase_index

    index = phrase_index("Sharmawal, Canaryname (Priyanka)", purpose=PURPOSE)
    guard = blind_index_guard(lambda actor: {index}, purpose=PURPOSE, reason="a name")
    assert guard(None, "seen: SHARMAWAL CANARYNAME PRIYANKA.") == ["a name"]
    assert guard(None, "Sharmawal and Canaryname Priyanka") == []


def test_a_partial_name_alone_does_not_block(personas: dict[str, Any], guard: Any) -> None:
    post = make_post(personas, author="ngo_counsellor", text="Priyanka Chopra's film was shown.")
    assert post.pk


def test_the_guard_checks_the_cases_the_poster_holds(personas: dict[str, Any], guard: Any) -> None:
    # The police officer holds none of these cases (in this test): not refused by this guard.
    post = make_post(
        personas, author="ahtu_officer", org="ahtu", text="Met Canaryname Priyanka Sharmawal."
    )
    assert post.pk


def test_a_clean_post_goes_through(personas: dict[str, Any], guard: Any) -> None:
    assert make_post(personas, author="ngo_counsellor", text="Two sessions with girls in care.").pk


def test_a_comment_with_a_held_identity_is_refused(personas: dict[str, Any], guard: Any) -> None:
    post = make_post(personas, author="ahtu_officer", org="ahtu", text="Training held.")
    with pytest.raises(ValidationError) as exc:
        action_comment(
            actor=personas["ngo_counsellor"], post=post, text="Chhavikanary came to the session"
        )
    assert "identity of a child" in exc.value.messages[0]
    assert not ActionComment.objects.exists()
    assert AuditEvent.objects.filter(action="action.comment_refused").count() == 1


def test_a_broken_guard_refuses_the_post(personas: dict[str, Any]) -> None:
    def broken(actor: Any, text: str) -> list[str]:
        raise RuntimeError("case store unreachable")

    register_identity_guard(broken)
    try:
        with pytest.raises(ValidationError) as exc:
            make_post(personas, text="Anything at all.")
    finally:
        unregister_identity_guard(broken)
    assert "could not run" in exc.value.message_dict["text"][0]
    assert not ActionPost.objects.exists()


def test_the_page_shows_the_refusal(personas: dict[str, Any], guard: Any, login: Any) -> None:
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/",
        {
            "organisation": personas["orgs"]["ngo"].pk,
            "category": "rescue_rehab",
            "date": "2026-01-10",
            "place": "Meerut",
            "text": "Counselling for canaryname priyanka sharmawal continues.",
            "visibility": "partners",
            "no_identity": "on",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "seems to contain the identity of a child" in body
    # The form gives the text back to be fixed; the refusal itself never quotes it.
    assert body.count("priyanka sharmawal") == 1
    assert not ActionPost.objects.exists()
