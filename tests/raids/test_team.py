"""Naming people on the team, and ending their seat at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.models import Notification
from raids import services
from raids.choices import RaidStatus, TeamRole
from raids.models import Raid, TeamMember
from tests.raids.helpers import make_raid

pytestmark = pytest.mark.django_db


def test_lead_names_a_person_through_the_page(personas, login) -> None:
    raid = make_raid(personas, team=())
    member = personas["wcd_officer"]
    membership = member.memberships.get()
    response = login(personas["ahtu_officer"]).post(
        reverse("raids:team_add", args=[raid.pk]),
        {"membership": membership.pk, "role": TeamRole.WCD_MEMBER},
    )
    assert response.status_code == 302
    seat = TeamMember.objects.get(raid=raid, user=member)
    assert seat.organisation == personas["orgs"]["dcpu"] and seat.role == TeamRole.WCD_MEMBER
    assert Raid.objects.visible_to(member).filter(pk=raid.pk).exists()
    note = Notification.objects.get(recipient=member)
    assert note.title == "Raid KESTREL: you are on the team" and note.kind == "raid.team"


@pytest.mark.parametrize("key,org", [("media_member", "media"), ("mp_reviewer", "mp")])
def test_media_and_mp_office_can_never_be_named(personas, key, org) -> None:
    raid = make_raid(personas, team=())
    with pytest.raises(ValidationError):
        services.team_add(
            actor=personas["ahtu_officer"],
            raid=raid,
            user=personas[key],
            organisation=personas["orgs"][org],
            role=TeamRole.OTHER,
        )
    assert not raid.team.exists()


def test_team_form_offers_no_media_or_mp_people(personas, login) -> None:
    raid = make_raid(personas, team=())
    services.team_add(
        actor=personas["ahtu_officer"],
        raid=raid,
        user=personas["cwc_member"],
        organisation=personas["orgs"]["cwc"],
        role=TeamRole.CWC_MEMBER,
    )
    body = login(personas["ahtu_officer"]).get(raid.get_absolute_url()).content.decode()
    options = body[
        body.index('name="membership"') : body.index("</select>", body.index('name="membership"'))
    ]
    assert personas["ngo_coordinator"].full_name in options
    assert personas["cwc_member"].full_name not in options  # already on the team
    assert personas["police_supervisor"].full_name not in options
    assert personas["media_member"].full_name not in body
    assert personas["mp_reviewer"].full_name not in body


def test_only_the_lead_manages_the_team(personas, login) -> None:
    raid = make_raid(personas)
    membership = personas["wcd_officer"].memberships.get()
    for key in ("police_supervisor", "ngo_counsellor"):
        response = login(personas[key]).post(
            reverse("raids:team_add", args=[raid.pk]),
            {"membership": membership.pk, "role": TeamRole.WCD_MEMBER},
        )
        assert response.status_code in (403,), key
    assert not raid.team.filter(user=personas["wcd_officer"]).exists()


def test_officer_roles_are_for_police_and_seats_are_unique(personas) -> None:
    raid = make_raid(personas)
    lead = personas["ahtu_officer"]
    with pytest.raises(ValidationError):
        services.team_add(
            actor=lead,
            raid=raid,
            user=personas["ngo_coordinator"],
            organisation=personas["orgs"]["ngo"],
            role=TeamRole.WOMAN_OFFICER,
        )
    with pytest.raises(ValidationError):
        services.team_add(
            actor=lead,
            raid=raid,
            user=personas["ngo_counsellor"],
            organisation=personas["orgs"]["ngo"],
            role=TeamRole.COUNSELLOR,
        )
    with pytest.raises(ValidationError):  # not a member of that organisation
        services.team_add(
            actor=lead,
            raid=raid,
            user=personas["ngo_counsellor"],
            organisation=personas["orgs"]["shelter"],
            role=TeamRole.COUNSELLOR,
        )


def test_removing_a_member_ends_access_at_once(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    member = personas["cwc_member"]
    client = login(member)
    assert client.get(raid.get_absolute_url()).status_code == 200
    old = Notification.objects.filter(recipient=member, title__contains="KESTREL")
    assert old.exists()
    task = services.task_create(
        actor=personas["ahtu_officer"],
        raid=raid,
        title="CWC sitting",
        due=raid.window_start,
        owner_user=member,
    )
    seat = raid.team.get(user=member)
    response = login(personas["ahtu_officer"]).post(
        reverse("raids:team_remove", args=[raid.pk, seat.pk])
    )
    assert response.status_code == 302
    for name in ("raids:detail", "raids:board", "raids:target", "raids:outcome"):
        assert client.get(reverse(name, args=[raid.pk])).status_code == 404, name
    assert "KESTREL" not in client.get(reverse("raids:list")).content.decode()
    # Told generically; earlier notifications lose the codename and the link.
    last = Notification.objects.filter(recipient=member).order_by("-id").first()
    assert last.title == "A raid assignment ended" and last.kind == "raid.assignment_ended"
    assert not Notification.objects.filter(recipient=member, title__contains="KESTREL").exists()
    for row in Notification.objects.filter(recipient=member):
        assert "KESTREL" not in str(row.titles) + str(row.texts) + row.text
    # Nor in the inbox, in either language (it shows the title in the reader's language).
    for language in ("en", "hi"):
        client.cookies["django_language"] = language
        inbox = client.get(reverse("notifications:inbox")).content.decode()
        assert "KESTREL" not in inbox.upper(), language
    assert not Notification.objects.filter(
        recipient=member, url__startswith=raid.get_absolute_url()
    ).exists()
    # Their task goes back to their organisation.
    task.refresh_from_db()
    assert task.owner_user is None and task.owner_org == personas["orgs"]["cwc"]
    # The seat is kept as history, ended.
    seat.refresh_from_db()
    assert seat.removed_at is not None and seat.removed_by == personas["ahtu_officer"]


def test_removed_members_open_board_reloads_into_a_404(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    member = personas["ngo_counsellor"]
    services.team_remove(actor=personas["ahtu_officer"], member=raid.team.get(user=member))
    response = login(member).get(reverse("raids:board", args=[raid.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert response["HX-Refresh"] == "true"
    assert b"KESTREL" not in response.content


def test_a_removed_person_can_be_named_again(personas) -> None:
    raid = make_raid(personas)
    member = personas["ngo_counsellor"]
    services.team_remove(actor=personas["ahtu_officer"], member=raid.team.get(user=member))
    services.team_add(
        actor=personas["ahtu_officer"],
        raid=raid,
        user=member,
        organisation=personas["orgs"]["ngo"],
        role=TeamRole.COUNSELLOR,
    )
    assert Raid.objects.visible_to(member).filter(pk=raid.pk).exists()
    assert raid.team.filter(user=member).count() == 2
