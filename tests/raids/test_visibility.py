"""Need-to-know: a raid exists only for its lead, its approving supervisor and its team."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from notifications.models import Notification
from raids.choices import RaidStatus
from raids.models import Raid
from tests.raids.helpers import GROUNDS, LOCATION, make_raid

pytestmark = pytest.mark.django_db

PAGES = ["raids:detail", "raids:board", "raids:target", "raids:outcome"]
POSTS = [
    ("raids:move", {"step": "brief"}),
    ("raids:plan", {}),
    ("raids:team_add", {}),
    ("raids:task_create", {}),
    ("raids:outcome_save", {}),
    ("raids:outcome_confirm", {}),
]


def _main(response: Any) -> str:
    """The page's main content (the header carries per-request CSRF tokens and the path)."""
    body = response.content.decode()
    if "<main" not in body:
        return body
    return body[body.index("<main") : body.index("</main>")]


def test_outsiders_get_404_on_every_raid_page(personas, outsiders, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    missing = Raid.objects.order_by("-pk").first().pk + 1000
    for key, user in outsiders.items():
        client = login(user)
        for name in PAGES:
            seen = client.get(reverse(name, args=[raid.pk]))
            absent = client.get(reverse(name, args=[missing]))
            assert seen.status_code == 404, (key, name, seen.status_code)
            # The same page as for a raid that does not exist: nothing confirms it.
            assert _main(seen) == _main(absent), (key, name)
        for name, data in POSTS:
            response = client.post(reverse(name, args=[raid.pk]), data)
            assert response.status_code in (403, 404), (key, name)
    raid.refresh_from_db()
    assert raid.status == RaidStatus.BRIEFED


def test_outsiders_see_no_trace_in_lists_search_counts_or_inbox(personas, outsiders, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    for key, user in outsiders.items():
        assert not Raid.objects.visible_to(user).exists(), key
        client = login(user)
        for url in (reverse("raids:list"), reverse("raids:list") + "?q=KEST"):
            response = client.get(url)
            body = _main(response)
            assert raid.codename not in body, key
            if response.status_code == 200:
                assert "0 raids" in body, key
            else:
                assert response.status_code == 403, key  # media, MP's office: no raid pages at all
        home = client.get("/").content.decode()
        assert raid.codename not in home
        assert not Notification.objects.filter(
            recipient=user, title__contains=raid.codename
        ).exists()


def test_team_lead_and_supervisor_see_it(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    for key in ("ahtu_officer", "police_supervisor", "ngo_counsellor", "cwc_member"):
        user = personas[key]
        assert Raid.objects.visible_to(user).filter(pk=raid.pk).exists(), key
        body = login(user).get(reverse("raids:list")).content.decode()
        assert raid.codename in body and "1 raid" in body, key
        assert login(user).get(raid.get_absolute_url()).status_code == 200


def test_member_reads_location_only_from_the_briefing(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    member = login(personas["ngo_counsellor"])
    detail = member.get(raid.get_absolute_url())
    assert detail.status_code == 200
    assert LOCATION not in detail.content.decode()
    assert reverse("raids:target", args=[raid.pk]) not in detail.content.decode()
    assert member.get(reverse("raids:target", args=[raid.pk])).status_code == 403

    # The lead and the supervisor read it before the briefing.
    for key in ("ahtu_officer", "police_supervisor"):
        page = login(personas[key]).get(reverse("raids:target", args=[raid.pk]))
        assert page.status_code == 200 and LOCATION in page.content.decode()

    from raids import services

    services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="brief")
    page = member.get(reverse("raids:target", args=[raid.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert LOCATION in body and GROUNDS in body
    assert "no-store" in page["Cache-Control"]
    # Still never on the detail page or the board (refreshed live, cached by browsers).
    assert LOCATION not in member.get(raid.get_absolute_url()).content.decode()
    assert LOCATION not in member.get(reverse("raids:board", args=[raid.pk])).content.decode()


def test_every_read_of_the_target_is_audited(personas, login) -> None:
    from ftu.models import AuditEvent

    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    login(personas["cwc_member"]).get(reverse("raids:target", args=[raid.pk]))
    event = AuditEvent.objects.filter(action="raid.target_view").get()
    assert event.actor == personas["cwc_member"]
    assert event.fields == ["grounds", "target_location"]
    assert event.reason
    assert LOCATION not in str(AuditEvent.objects.values_list())


def test_target_closes_again_when_cancelled(personas, login) -> None:
    from raids import services

    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    services.raid_move(
        actor=personas["ahtu_officer"], raid=raid, step="cancel", reason="Leak feared"
    )
    assert (
        login(personas["ngo_counsellor"]).get(reverse("raids:target", args=[raid.pk])).status_code
        == 403
    )


def test_location_and_grounds_are_encrypted_at_rest(personas) -> None:
    from django.db import connection

    raid = make_raid(personas)
    with connection.cursor() as cur:
        cur.execute("SELECT grounds, target_location FROM raids_raid WHERE id = %s", [raid.pk])
        row = cur.fetchone()
    assert all(v.startswith("fernet:") for v in row)
    assert "CANARY" not in "".join(row)


def test_leaving_ones_organisation_ends_access(personas) -> None:
    from agencies.models import Membership

    raid = make_raid(personas)
    user = personas["cwc_member"]
    Membership.objects.filter(user=user).update(is_active=False)
    from ftu.policy import forget

    forget(user)
    assert not Raid.objects.visible_to(user).filter(pk=raid.pk).exists()


def test_plan_form_errors_never_show_the_target_to_a_team_member(personas, login) -> None:
    """A police officer on the team, before the briefing: an invalid plan POST is refused
    without re-rendering the target and grounds."""
    from raids import services
    from raids.choices import TeamRole

    raid = make_raid(personas, status=RaidStatus.APPROVED)
    services.team_add(
        actor=personas["ahtu_officer"],
        raid=raid,
        user=personas["station_officer"],
        organisation=personas["orgs"]["ps_civil"],
        role=TeamRole.OFFICER,
    )
    officer = login(personas["station_officer"])
    assert officer.get(reverse("raids:target", args=[raid.pk])).status_code == 403
    response = officer.post(reverse("raids:plan", args=[raid.pk]), {})
    assert response.status_code == 403
    body = response.content.decode()
    assert LOCATION not in body and GROUNDS not in body


def test_the_leads_invalid_plan_is_re_shown_and_audited(personas, login) -> None:
    from ftu.models import AuditEvent

    raid = make_raid(personas, status=RaidStatus.PLANNING)
    response = login(personas["ahtu_officer"]).post(reverse("raids:plan", args=[raid.pk]), {})
    assert response.status_code == 400
    assert AuditEvent.objects.filter(
        action="raid.target_view", actor=personas["ahtu_officer"]
    ).exists()
