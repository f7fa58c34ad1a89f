from __future__ import annotations

import pytest
from django.core.management import call_command

from agencies import demo
from raids import demo as raids_demo
from raids.choices import RaidStatus
from raids.models import ProsecutionCase, Raid, Task

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_one_fictional_raid_idempotently(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    raid = Raid.objects.get()
    assert raid.codename == raids_demo.CODENAME and raid.status == RaidStatus.BRIEFED
    assert "not a real place" in raid.target_location
    assert Task.objects.filter(raid=raid).count() == 4
    assert ProsecutionCase.objects.filter(fir_number=raids_demo.FIR).count() == 1
    people = demo.build(password=None)
    assert not Raid.objects.visible_to(people["media_member"]).exists()
    assert not Raid.objects.visible_to(people["convenor"]).exists()
    assert Raid.objects.visible_to(people["shelter_coordinator"]).exists()
