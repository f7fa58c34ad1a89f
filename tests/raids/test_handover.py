"""The rescue → child case → CWC chain: confirming an outcome opens one case per minor."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ftu.models import AuditEvent, Clock
from notifications.models import Notification
from raids import services
from raids.choices import AgeBand, RaidStatus, Section, Sex
from raids.models import HandOver
from referrals import clock_rules
from referrals.models import ChildCase, Referral
from tests.raids.helpers import make_raid

pytestmark = pytest.mark.django_db

RESCUED_AT = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=5)


@pytest.fixture
def outcome(personas):
    raid = make_raid(personas, status=RaidStatus.EXECUTED)
    lead = personas["ahtu_officer"]
    outcome = services.outcome_save(
        actor=lead,
        raid=raid,
        minors_rescued=2,
        adults_rescued=1,
        fir_number="77/2026",
        fir_registered_on=timezone.localdate(),
        police_station=personas["orgs"]["ps_civil"],
        sections=[Section.POCSO_4],
    )
    for band, sex, needs in (
        (AgeBand.AGE_16_17, Sex.FEMALE, ["medical", "family_tracing"]),
        (AgeBand.UNDER_12, Sex.MALE, ["shelter"]),
        (AgeBand.AGE_18_PLUS, Sex.FEMALE, ["counselling"]),
    ):
        services.rescued_add(
            actor=lead,
            outcome=outcome,
            rescued_at=RESCUED_AT,
            age_band=band,
            sex=sex,
            languages=["hi", "bn"],
            needs=needs,
        )
    return outcome


def _confirm(personas, outcome):
    services.outcome_confirm(actor=personas["ahtu_officer"], outcome=outcome)
    outcome.refresh_from_db()


def test_two_minors_become_two_child_cases_with_clocks_from_the_rescue(personas, outcome):
    _confirm(personas, outcome)
    cases = list(ChildCase.objects.order_by("pk"))
    assert len(cases) == 2
    ahtu, civil = personas["orgs"]["ahtu"], personas["orgs"]["ps_civil"]
    for case in cases:
        assert case.recording_org == ahtu and case.police_station == civil
        assert case.source == "rescue" and case.first_contact_at == RESCUED_AT
        assert case.age_basis == "appearance"
        assert case.age_assessed_by == personas["ahtu_officer"]
        assert case.treated_as_child and case.district == ahtu.district
        # No identity anywhere: the holders fill it in.
        assert all(getattr(case, f) == "" for f in ChildCase.PROTECTED_FIELDS)
        due = {c.rule: c.due_at for c in Clock.objects.filter(object_id=str(case.pk))}
        assert due == {
            rule.code: RESCUED_AT + datetime.timedelta(hours=24)
            for rule in (
                clock_rules.MEDICAL_CARE,
                clock_rules.REPORT_CWC_COURT,
                clock_rules.CWC_PRODUCTION,
            )
        }
    first, second = cases
    assert (first.sex, first.age_band, first.languages) == ("female", "15-17", ["hi", "bn"])
    assert first.needs == ["medical", "other"]
    # Under 12 does not fit one band of the case: uncertain, the rescue's band on the timeline.
    assert (second.sex, second.age_band) == ("male", "uncertain")
    assert "Under 12" in second.events.get(kind="created").summary
    referrals = list(Referral.objects.order_by("pk"))
    assert [(r.case, r.to_org, r.from_org, r.state, r.service) for r in referrals] == [
        (case, personas["orgs"]["cwc"], ahtu, Referral.State.DRAFT, "cwc_production")
        for case in cases
    ]
    rows = list(outcome.rescued.order_by("pk"))
    assert [(p.handover, p.child_case_ref) for p in rows] == [
        (HandOver.DONE, first.code),
        (HandOver.DONE, second.code),
        (HandOver.NOT_APPLICABLE, ""),
    ]
    assert AuditEvent.objects.filter(action="case.create_from_rescue").count() == 2
    assert AuditEvent.objects.get(action="raid.minors_handover").reason == "2 child case(s) opened"


def test_the_handover_is_idempotent(personas, outcome):
    _confirm(personas, outcome)
    lead = personas["ahtu_officer"]
    assert services.outcome_hand_over_pending(actor=lead, outcome=outcome) == []
    services._hand_over_rescued_minors(outcome, lead)
    assert ChildCase.objects.count() == 2
    assert Referral.objects.count() == 2
    assert Clock.objects.filter(rule__startswith="case.").count() == 6


def test_a_pending_minor_is_replayed_once(personas, outcome):
    _confirm(personas, outcome)
    lead = personas["ahtu_officer"]
    # A row confirmed before the chain was wired stays pending: the replay opens its case.
    person = outcome.rescued.filter(handover=HandOver.DONE).first()
    person.handover, person.child_case_ref = HandOver.PENDING, ""
    person.save()
    assert len(services.outcome_hand_over_pending(actor=lead, outcome=outcome)) == 1
    assert services.outcome_hand_over_pending(actor=lead, outcome=outcome) == []
    assert ChildCase.objects.count() == 3
    with pytest.raises(PermissionDenied):
        services.outcome_hand_over_pending(actor=personas["cwc_member"], outcome=outcome)


def test_confirming_over_http_twice_opens_the_cases_once(personas, outcome, login):
    client = login(personas["ahtu_officer"])
    url = reverse("raids:outcome_confirm", args=[outcome.raid.pk])
    assert client.post(url).status_code == 302
    client.post(url)
    assert ChildCase.objects.count() == 2 and Referral.objects.count() == 2


@pytest.mark.parametrize(
    "key",
    [
        "ngo_coordinator",
        "ngo_counsellor",
        "cwc_member",
        "shelter_staff",
        "media_member",
        "mp_reviewer",
        "outsider",
        "ps_kotwali",
    ],
)
def test_people_not_on_the_case_get_404(personas, outcome, login, key, other_supervisor):
    _confirm(personas, outcome)
    user = other_supervisor if key == "ps_kotwali" else personas[key]
    for case in ChildCase.objects.all():
        response = login(user).get(reverse("referrals:case", args=[case.pk]))
        assert response.status_code == 404


def test_holders_see_the_case_and_its_deadlines(personas, outcome, login):
    _confirm(personas, outcome)
    case = ChildCase.objects.order_by("pk").first()
    for key in ("ahtu_officer", "station_officer"):
        body = login(personas[key]).get(reverse("referrals:case", args=[case.pk])).content
        assert case.code in body.decode() and b"Production before the CWC" in body


def test_notifications_carry_the_code_and_no_identity(personas, outcome):
    _confirm(personas, outcome)
    codes = set(ChildCase.objects.values_list("code", flat=True))
    rows = list(Notification.objects.filter(kind="case.from_rescue"))
    assert rows and {r.recipient_id for r in rows} >= {personas["station_officer"].pk}
    assert personas["ahtu_officer"].pk not in {r.recipient_id for r in rows}  # the actor
    assert not Notification.objects.filter(
        recipient=personas["cwc_member"], kind="case.from_rescue"
    )
    for row in Notification.objects.all():
        text = f"{row.title} {row.text} {row.url}"
        assert "KESTREL" not in text or row.kind.startswith("raid.")
        assert "CANARY" not in text
    assert {r.title.split(":")[0] for r in rows} == codes


def test_nothing_is_opened_when_the_confirmation_fails(personas, outcome):
    services.rescued_add(
        actor=personas["ahtu_officer"],
        outcome=outcome,
        rescued_at=RESCUED_AT,
        age_band=AgeBand.AGE_12_15,
        sex=Sex.FEMALE,
        languages=[],
        needs=[],
    )
    with pytest.raises(ValidationError):  # the counts no longer match
        _confirm(personas, outcome)
    assert not ChildCase.objects.exists() and not Notification.objects.filter(
        kind="case.from_rescue"
    )


def test_a_holder_records_the_identity_once(personas, outcome, login):
    from referrals import services as referrals

    _confirm(personas, outcome)
    case = ChildCase.objects.order_by("pk").first()
    url = reverse("referrals:case_identity_record", args=[case.pk])
    page = login(personas["station_officer"]).get(reverse("referrals:case", args=[case.pk]))
    assert url in page.content.decode()
    for key in ("ngo_coordinator", "cwc_member", "media_member", "convenor"):
        assert login(personas[key]).get(url).status_code == 404
        assert login(personas[key]).post(url, {"name": "Intruder"}).status_code == 404
    client = login(personas["station_officer"])
    assert client.post(url, {"name": ""}).status_code == 200
    response = client.post(url, {"name": "CANARY-NAME-31", "guardian_contact": "98 7654 3210"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.name == "CANARY-NAME-31" and case.duplicate_index
    event = AuditEvent.objects.get(action="case.identity_record")
    assert sorted(event.fields) == ["guardian_contact", "name"] and "CANARY" not in str(
        event.__dict__
    )
    with pytest.raises(ValidationError):
        referrals.case_identity_record(
            actor=personas["ahtu_officer"], case=case, data={"name": "Overwrite"}
        )
    case.refresh_from_db()
    assert case.name == "CANARY-NAME-31"
    assert url not in client.get(reverse("referrals:case", args=[case.pk])).content.decode()
