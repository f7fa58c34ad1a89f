"""A fictional Meerut-like FTU: the partners and one person per role.

Used by ``manage.py seed_demo`` (the embedded demo) and by the test personas, so that the
demo and the tests speak of the same world.  Idempotent: running it again changes nothing.
All names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from agencies.models import LanguageServed, Membership, Organisation, ServiceOffered, User
from ftu.roles import OrgKind, Role

DEMO_PASSWORD = "demo-hub-2026!"  # noqa: S105 - the embedded demo's published password
DEMO_DOMAIN = "demo.ftu.example"


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    name_hi: str
    kind: str
    parent: str | None = None
    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("hi", "en")
    district: str = "Meerut"
    is_public: bool = False
    phone: str = ""
    shelter_beds: int | None = None
    counselling_slots: int | None = None


ORGS: list[OrgSpec] = [
    OrgSpec(
        "police",
        "Meerut District Police",
        "मेरठ ज़िला पुलिस",
        OrgKind.POLICE,
        services=("rescue",),
        is_public=True,
        phone="112",
    ),
    OrgSpec(
        "ahtu",
        "Anti-Human Trafficking Unit, Meerut",
        "मानव तस्करी निरोधक इकाई, मेरठ",
        OrgKind.POLICE,
        parent="police",
        services=("rescue",),
        phone="0121-0000101",
    ),
    OrgSpec(
        "ps_civil",
        "Police Station Civil Lines",
        "थाना सिविल लाइंस",
        OrgKind.POLICE,
        parent="police",
        services=("rescue",),
        phone="0121-0000102",
    ),
    OrgSpec(
        "ps_kotwali",
        "Police Station Kotwali",
        "थाना कोतवाली",
        OrgKind.POLICE,
        parent="police",
        services=("rescue",),
        phone="0121-0000103",
    ),
    OrgSpec(
        "admin",
        "District Administration, Meerut",
        "ज़िला प्रशासन, मेरठ",
        OrgKind.ADMINISTRATION,
        is_public=True,
    ),
    OrgSpec(
        "dcpu",
        "District Child Protection Unit, Meerut",
        "ज़िला बाल संरक्षण इकाई, मेरठ",
        OrgKind.WCD,
        services=("support_person", "other"),
        is_public=True,
    ),
    OrgSpec(
        "cwc",
        "Child Welfare Committee, Meerut",
        "बाल कल्याण समिति, मेरठ",
        OrgKind.CWC,
        services=("cwc_production",),
        is_public=True,
        phone="1098",
    ),
    OrgSpec(
        "ngo",
        "Asha Counselling Trust",
        "आशा परामर्श ट्रस्ट",
        OrgKind.NGO,
        services=("counselling", "support_person", "awareness"),
        languages=("hi", "en", "ur"),
        is_public=True,
        counselling_slots=40,
    ),
    OrgSpec(
        "shelter",
        "Suraksha Shelter Home",
        "सुरक्षा आश्रय गृह",
        OrgKind.SHELTER,
        services=("shelter", "counselling"),
        shelter_beds=30,
    ),
    OrgSpec(
        "media",
        "Meerut Samachar",
        "मेरठ समाचार",
        OrgKind.MEDIA,
        services=("awareness",),
        is_public=True,
    ),
    OrgSpec(
        "mp",
        "Office of the Member of Parliament, Meerut",
        "सांसद कार्यालय, मेरठ",
        OrgKind.MP_OFFICE,
        is_public=True,
    ),
    OrgSpec(
        "secretariat",
        "FTU Secretariat, Meerut",
        "एफ़टीयू सचिवालय, मेरठ",
        OrgKind.SECRETARIAT,
        is_public=True,
    ),
    OrgSpec(
        "unrelated",
        "Prakash Youth Club",
        "प्रकाश युवा क्लब",
        OrgKind.NGO,
        services=("awareness",),
        district="Ghaziabad",
    ),
]


@dataclass(frozen=True)
class PersonSpec:
    key: str
    name: str
    org: str
    role: str = Role.MEMBER
    title: str = ""
    active: bool = True


PEOPLE: list[PersonSpec] = [
    PersonSpec("ahtu_officer", "Inspector Kavita Rana", "ahtu", title="AHTU inspector"),
    PersonSpec("station_officer", "SI Ramesh Tyagi", "ps_civil", title="Sub-inspector"),
    PersonSpec(
        "police_supervisor",
        "SP Arvind Chauhan",
        "police",
        Role.COORDINATOR,
        "Superintendent of Police (Crime)",
    ),
    PersonSpec("ngo_coordinator", "Meena Joshi", "ngo", Role.COORDINATOR, "Programme coordinator"),
    PersonSpec("ngo_counsellor", "Farah Siddiqui", "ngo", title="Counsellor"),
    PersonSpec("shelter_staff", "Sunita Verma", "shelter", title="Caretaker"),
    PersonSpec(
        "shelter_coordinator", "Rekha Bansal", "shelter", Role.COORDINATOR, "Superintendent"
    ),
    PersonSpec("cwc_member", "Dr. Anil Goel", "cwc", title="CWC member"),
    PersonSpec("cwc_chair", "Usha Agarwal", "cwc", Role.COORDINATOR, "CWC chairperson"),
    PersonSpec(
        "wcd_officer", "Pooja Saini", "dcpu", Role.COORDINATOR, "District child protection officer"
    ),
    PersonSpec(
        "admin_officer",
        "ADM Sanjay Mittal",
        "admin",
        Role.COORDINATOR,
        "Additional District Magistrate",
    ),
    PersonSpec("media_member", "Rahul Bhardwaj", "media", title="Reporter"),
    PersonSpec("mp_reviewer", "Neha Kapoor", "mp", title="Private secretary"),
    PersonSpec("convenor", "Dr. Shalini Rastogi", "secretariat", Role.COORDINATOR, "FTU convenor"),
    PersonSpec("outsider", "Vikas Kumar", "unrelated", title="Volunteer"),
    PersonSpec("deactivated", "Former Counsellor", "ngo", title="Counsellor", active=False),
]


def email_for(key: str) -> str:
    return f"{key.replace('_', '.')}@{DEMO_DOMAIN}"


@transaction.atomic
def build(*, password: str | None = DEMO_PASSWORD, demo: bool = True) -> dict[str, Any]:
    """Create (or find) the organisations and people; returns them by key."""
    services = {s.code: s for s in ServiceOffered.objects.all()}
    languages = {lang.code: lang for lang in LanguageServed.objects.all()}
    orgs: dict[str, Organisation] = {}
    for spec in ORGS:
        org, _ = Organisation.objects.get_or_create(
            name=spec.name,
            defaults={
                "name_hi": spec.name_hi,
                "kind": spec.kind,
                "parent": orgs.get(spec.parent) if spec.parent else None,
                "district": spec.district,
                "is_public": spec.is_public,
                "phone_24x7": spec.phone,
                "shelter_beds": spec.shelter_beds,
                "counselling_slots": spec.counselling_slots,
                "email": f"{spec.key}@{DEMO_DOMAIN}",
            },
        )
        org.services.set([services[c] for c in spec.services if c in services])
        org.languages.set([languages[c] for c in spec.languages if c in languages])
        orgs[spec.key] = org
    people: dict[str, Any] = {"orgs": orgs}
    for person in PEOPLE:
        user = User.objects.filter(email=email_for(person.key)).first()
        if user is None:
            user = User(
                email=email_for(person.key),
                full_name=person.name,
                preferred_language="en",
                is_demo=demo,
                is_active=person.active,
            )
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(
            user=user,
            organisation=orgs[person.org],
            defaults={"role": person.role, "title": person.title},
        )
        people[person.key] = user
    return people


def build_cases(people: dict[str, Any]) -> list[Any]:
    """A few fictional child cases, made through the referral services (clearly fake data).

    Idempotent: does nothing once the demo cases exist.  Returns the cases created.
    """
    import datetime
    import uuid

    from django.utils import timezone

    from referrals import services
    from referrals.models import ChildCase

    orgs = people["orgs"]
    if ChildCase.objects.filter(recording_org=orgs["ahtu"]).exists():
        return []
    now = timezone.now()
    made = []
    specs = [
        ("ahtu_officer", "ahtu", "Demo Child One (fictional)", 20, "12-14", "female"),
        ("ngo_counsellor", "ngo", "Demo Child Two (fictional)", 5, "15-17", "female"),
        ("wcd_officer", "dcpu", "Demo Child Three (fictional)", 30, "6-11", "male"),
    ]
    for key, org, name, hours_ago, band, sex in specs:
        case, _dups = services.case_create(
            actor=people[key],
            organisation=orgs[org],
            data={
                "first_contact_at": now - datetime.timedelta(hours=hours_ago),
                "source": "rescue" if org == "ahtu" else "childline",
                "police_station": orgs["ps_civil"],
                "district": "Meerut",
                "sex": sex,
                "apparent_age": None,
                "age_band": band,
                "age_basis": "appearance",
                "age_assessed_at": now - datetime.timedelta(hours=hours_ago),
                "languages": ["hi"],
                "needs": ["medical", "counselling", "shelter"],
                "name": name,
                "aliases": "",
                "guardian_name": "Demo Guardian (fictional)",
                "guardian_contact": "0000000000",
                "address": "Demo address, not a real place",
                "school": "",
                "identifying_marks": "",
                "circumstances": "Fictional demo record: no real child.",
            },
        )
        made.append(case)
    first = made[0]
    services.referral_create(
        actor=people["ahtu_officer"],
        case=first,
        to_org=orgs["cwc"],
        service="cwc_production",
        urgency="emergency",
        note="Demo referral: production before the CWC.",
        idempotency_key=uuid.uuid4(),
    )
    services.referral_create(
        actor=people["ahtu_officer"],
        case=first,
        to_org=orgs["ngo"],
        service="counselling",
        urgency="urgent",
        note="Demo referral: counselling in Hindi.",
        idempotency_key=uuid.uuid4(),
    )
    return made
