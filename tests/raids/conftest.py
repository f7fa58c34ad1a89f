from __future__ import annotations

from typing import Any

import pytest

from agencies.models import Membership, User
from ftu.roles import Role
from tests.conftest import enrol_totp


@pytest.fixture
def other_supervisor(personas: dict[str, Any]) -> User:
    """A police supervisor of another unit (Kotwali station): must not see AHTU raids."""
    user = User.objects.create_user("kotwali.sho@demo.ftu.example", None, full_name="SHO Kotwali")
    Membership.objects.create(
        user=user, organisation=personas["orgs"]["ps_kotwali"], role=Role.COORDINATOR
    )
    enrol_totp(user)  # police must use MFA: an unenrolled one would only reach enrolment
    return user


@pytest.fixture
def outsiders(personas: dict[str, Any], other_supervisor: User) -> dict[str, User]:
    """Everyone who must never see the default test raid, nor any trace of it."""
    return {
        "station_officer": personas["station_officer"],  # police, not on the team
        "other_supervisor": other_supervisor,
        "media_member": personas["media_member"],
        "mp_reviewer": personas["mp_reviewer"],
        "ngo_coordinator": personas["ngo_coordinator"],  # the NGO is on it, she is not
        "convenor": personas["convenor"],
        "shelter_coordinator": personas["shelter_coordinator"],
        "wcd_officer": personas["wcd_officer"],
        "admin_officer": personas["admin_officer"],
        "outsider": personas["outsider"],
    }
