"""The password policy (REFERENCE R11): length over composition, no guessable site words."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from agencies.models import User


@pytest.mark.parametrize(
    "password",
    [
        "abcdefghijk",  # 11 characters
        "Password@123",
        "meerutpolice2025",
        "FTUhub2026!!",
        "123456789012",
        "qwertyuiop12",
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple at the ghat",
        "twelve chars",
        "police officer who walks the old lanes every night",
    ],
)
def test_long_passphrases_pass(password: str) -> None:
    validate_password(password)


def test_a_sixty_four_character_passphrase_passes() -> None:
    passphrase = "monsoon clouds gather over the sugarcane fields by the old wells"
    assert len(passphrase) == 64
    validate_password(passphrase)


@pytest.mark.django_db
def test_a_password_like_the_persons_own_address_is_refused() -> None:
    user = User(email="kavita.rana@example.org", full_name="Kavita Rana")
    with pytest.raises(ValidationError):
        validate_password("kavita.rana@example", user=user)
