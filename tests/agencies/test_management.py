"""The convenor's partner list and coordinators' teams: stored effects, audit, who may not."""

from __future__ import annotations

from typing import Any

import pytest

from agencies.models import LanguageServed, Membership, Organisation, ServiceOffered
from ftu.models import AuditEvent
from ftu.roles import OrgKind, Role

pytestmark = pytest.mark.django_db


def org_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Nirbhaya Legal Aid Cell",
        "name_hi": "निर्भया विधिक सहायता प्रकोष्ठ",
        "short_name": "NLAC",
        "kind": OrgKind.LEGAL_AID,
        "parent": "",
        "district": "Meerut",
        "shelter_beds": "",
        "counselling_slots": "12",
        "phone_24x7": "0121-0000999",
        "email": "cell@example.org",
        "address": "Court compound",
        "is_public": "on",
        "services": [ServiceOffered.objects.get(code="legal_aid").pk],
        "languages": [LanguageServed.objects.get(code="hi").pk],
    }
    data.update(overrides)
    return data


# --- organisations ----------------------------------------------------------------------------


def test_convenor_adds_an_organisation_with_every_field(
    personas: dict[str, Any], login: Any
) -> None:
    client = login(personas["convenor"])
    assert client.get("/partners/new/").status_code == 200
    response = client.post("/partners/new/", org_form())
    assert response.status_code == 302
    org = Organisation.objects.get(name="Nirbhaya Legal Aid Cell")
    assert (org.kind, org.short_name, org.counselling_slots, org.phone_24x7) == (
        OrgKind.LEGAL_AID,
        "NLAC",
        12,
        "0121-0000999",
    )
    assert org.is_public and org.is_active and org.shelter_beds is None
    assert list(org.services.values_list("code", flat=True)) == ["legal_aid"]
    assert list(org.languages.values_list("code", flat=True)) == ["hi"]
    event = AuditEvent.objects.get(action="organisation.create")
    assert {"name", "kind", "services", "languages"} <= set(event.fields)


def test_convenor_edits_an_organisation(personas: dict[str, Any], login: Any) -> None:
    shelter = personas["orgs"]["shelter"]
    client = login(personas["convenor"])
    response = client.post(
        f"/partners/{shelter.pk}/edit/",
        org_form(
            name=shelter.name,
            kind=OrgKind.SHELTER,
            shelter_beds="45",
            parent=personas["orgs"]["dcpu"].pk,
            is_public="",
        ),
    )
    assert response.status_code == 302
    shelter.refresh_from_db()
    assert shelter.shelter_beds == 45 and shelter.parent == personas["orgs"]["dcpu"]
    assert not shelter.is_public
    event = AuditEvent.objects.get(action="organisation.update")
    assert "shelter_beds" in event.fields and "parent" in event.fields


def test_an_organisation_cannot_be_its_own_parent(personas: dict[str, Any], login: Any) -> None:
    ngo = personas["orgs"]["ngo"]
    response = login(personas["convenor"]).post(
        f"/partners/{ngo.pk}/edit/", org_form(name=ngo.name, kind=OrgKind.NGO, parent=ngo.pk)
    )
    assert response.status_code == 200
    ngo.refresh_from_db()
    assert ngo.parent is None


@pytest.mark.parametrize("key", ["ngo_coordinator", "police_supervisor", "media_member"])
def test_others_cannot_manage_organisations(personas: dict[str, Any], login: Any, key: str) -> None:
    client = login(personas[key])
    shelter = personas["orgs"]["shelter"]
    assert client.get("/partners/new/").status_code == 403
    assert client.post("/partners/new/", org_form()).status_code == 403
    assert client.post(f"/partners/{shelter.pk}/edit/", org_form()).status_code == 404
    assert client.post(f"/partners/{shelter.pk}/active/", {"active": "0"}).status_code == 404
    assert not Organisation.objects.filter(name="Nirbhaya Legal Aid Cell").exists()
    shelter.refresh_from_db()
    assert shelter.is_active


def test_convenor_deactivates_and_reactivates_an_organisation(
    personas: dict[str, Any], login: Any
) -> None:
    shelter = personas["orgs"]["shelter"]
    client = login(personas["convenor"])
    assert client.post(f"/partners/{shelter.pk}/active/", {"active": "0"}).status_code == 302
    shelter.refresh_from_db()
    assert not shelter.is_active
    # its people lose access; it leaves the directory but the convenor can still open it
    assert login(personas["shelter_staff"]).get("/").status_code == 403
    directory = client.get("/partners/").content.decode()
    listed, _, deactivated = directory.partition("Deactivated organisations")
    assert shelter.name not in listed and shelter.name in deactivated
    assert client.get(f"/partners/{shelter.pk}/edit/").status_code == 200
    assert client.post(f"/partners/{shelter.pk}/active/", {"active": "1"}).status_code == 302
    shelter.refresh_from_db()
    assert shelter.is_active
    actions = list(
        AuditEvent.objects.filter(object_id=str(shelter.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["organisation.deactivate", "organisation.activate"]


def test_convenor_cannot_deactivate_the_secretariat_they_belong_to(
    personas: dict[str, Any], login: Any
) -> None:
    secretariat = personas["orgs"]["secretariat"]
    login(personas["convenor"]).post(f"/partners/{secretariat.pk}/active/", {"active": "0"})
    secretariat.refresh_from_db()
    assert secretariat.is_active


def test_organisation_pages_wrong_method(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["convenor"])
    shelter = personas["orgs"]["shelter"]
    assert client.get(f"/partners/{shelter.pk}/active/").status_code == 405
    assert client.put(f"/partners/{shelter.pk}/edit/").status_code == 405


# --- memberships -----------------------------------------------------------------------------


def test_coordinator_changes_a_members_role_and_title(
    personas: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    membership = personas["ngo_counsellor"].memberships.get()
    client = login(personas["ngo_coordinator"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            f"/partners/people/{membership.pk}/",
            {f"m{membership.pk}-role": Role.COORDINATOR, f"m{membership.pk}-title": "Lead"},
        )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.title) == (Role.COORDINATOR, "Lead")
    event = AuditEvent.objects.get(action="membership.role_change")
    assert sorted(event.fields) == ["role", "title"]
    assert event.actor == personas["ngo_coordinator"]
    assert len(callbacks) == 1  # the socket revocation, after commit


def test_a_title_change_alone_is_not_a_role_change(personas: dict[str, Any], login: Any) -> None:
    membership = personas["ngo_counsellor"].memberships.get()
    login(personas["ngo_coordinator"]).post(
        f"/partners/people/{membership.pk}/",
        {f"m{membership.pk}-role": Role.MEMBER, f"m{membership.pk}-title": "Senior counsellor"},
    )
    membership.refresh_from_db()
    assert membership.title == "Senior counsellor"
    assert AuditEvent.objects.filter(action="membership.update").exists()
    assert not AuditEvent.objects.filter(action="membership.role_change").exists()


def test_a_coordinator_cannot_change_their_own_role(personas: dict[str, Any], login: Any) -> None:
    own = personas["ngo_coordinator"].memberships.get()
    login(personas["ngo_coordinator"]).post(
        f"/partners/people/{own.pk}/", {f"m{own.pk}-role": Role.MEMBER, f"m{own.pk}-title": ""}
    )
    own.refresh_from_db()
    assert own.role == Role.COORDINATOR


@pytest.mark.parametrize(
    "key", ["shelter_coordinator", "ngo_counsellor", "outsider", "media_member", "cwc_chair"]
)
def test_others_cannot_touch_the_ngos_memberships(
    personas: dict[str, Any], login: Any, key: str
) -> None:
    membership = personas["ngo_counsellor"].memberships.get()
    client = login(personas[key])
    edit = client.post(
        f"/partners/people/{membership.pk}/",
        {f"m{membership.pk}-role": Role.COORDINATOR, f"m{membership.pk}-title": "X"},
    )
    end = client.post(f"/partners/people/{membership.pk}/end/")
    assert (edit.status_code, end.status_code) == (404, 404)
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER and membership.is_active


def test_the_convenor_manages_any_organisations_memberships(
    personas: dict[str, Any], login: Any
) -> None:
    membership = personas["shelter_staff"].memberships.get()
    response = login(personas["convenor"]).post(f"/partners/people/{membership.pk}/end/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active and membership.ended is not None


def test_coordinator_ends_a_membership_and_access_goes_with_it(
    personas: dict[str, Any], login: Any
) -> None:
    membership = personas["ngo_counsellor"].memberships.get()
    counsellor = login(personas["ngo_counsellor"])
    assert counsellor.get("/partners/").status_code == 200
    response = login(personas["ngo_coordinator"]).post(f"/partners/people/{membership.pk}/end/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEvent.objects.filter(
        action="membership.deactivate", object_id=str(membership.pk)
    ).exists()
    assert counsellor.get("/partners/").status_code == 403
    assert not Membership.objects.active().filter(user=personas["ngo_counsellor"]).exists()


def test_membership_actions_wrong_method(personas: dict[str, Any], login: Any) -> None:
    membership = personas["ngo_counsellor"].memberships.get()
    client = login(personas["ngo_coordinator"])
    assert client.get(f"/partners/people/{membership.pk}/").status_code == 405
    assert client.get(f"/partners/people/{membership.pk}/end/").status_code == 405


def test_team_page_lists_members_for_the_coordinator(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(personas["ngo_coordinator"])
    with django_assert_max_num_queries(20):
        page = client.get("/partners/people/")
    body = page.content.decode()
    assert personas["ngo_counsellor"].full_name in body
    assert personas["shelter_staff"].full_name not in body
    assert "Deactivate the person everywhere" not in body


@pytest.mark.parametrize("key", ["ngo_counsellor", "media_member", "outsider"])
def test_team_page_is_refused_to_members(personas: dict[str, Any], login: Any, key: str) -> None:
    assert login(personas[key]).get("/partners/people/").status_code == 403


def test_a_deactivated_person_is_sent_to_log_in(personas: dict[str, Any], login: Any) -> None:
    response = login(personas["deactivated"]).get("/partners/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- people --------------------------------------------------------------------------------


def test_convenor_deactivates_a_person(personas: dict[str, Any], login: Any) -> None:
    person = personas["ngo_counsellor"]
    client = login(personas["convenor"])
    page = client.get(f"/partners/people/?organisation={personas['orgs']['ngo'].pk}")
    assert "Deactivate the person everywhere" in page.content.decode()
    response = client.post(f"/partners/person/{person.pk}/deactivate/")
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert AuditEvent.objects.filter(action="person.deactivate", object_id=str(person.pk))
    assert login(person).get("/").status_code == 302


@pytest.mark.parametrize("key", ["ngo_coordinator", "police_supervisor", "ngo_counsellor"])
def test_only_the_convenor_deactivates_people(
    personas: dict[str, Any], login: Any, key: str
) -> None:
    person = personas["ngo_counsellor"] if key != "ngo_counsellor" else personas["ngo_coordinator"]
    assert login(personas[key]).post(f"/partners/person/{person.pk}/deactivate/").status_code == 404
    person.refresh_from_db()
    assert person.is_active


def test_person_deactivate_wrong_method(personas: dict[str, Any], login: Any) -> None:
    person = personas["ngo_counsellor"]
    response = login(personas["convenor"]).get(f"/partners/person/{person.pk}/deactivate/")
    assert response.status_code == 405
