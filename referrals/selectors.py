"""Reads: every list and detail starts from ``visible_to(user)``; joins are added here, once."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agencies.models import Membership, Organisation, User
from ftu import clocks
from ftu.models import Clock
from ftu.policy import CONVENOR, Cap, can, grants, is_convenor
from ftu.roles import OrgKind, Role
from referrals.models import (
    CaseEvent,
    Caseworker,
    ChildCase,
    CwcProduction,
    HeldCase,
    Lead,
    Referral,
    org_ids,
)

# Kinds of organisation a referral may be addressed to (they hold REFERRAL_RESPOND).
RECEIVING_KINDS = tuple(
    kind for kind in OrgKind if grants(Cap.REFERRAL_RESPOND, str(kind), str(Role.COORDINATOR))
)


# Lists never show protected fields: leave them undecrypted (and out of memory).
CASE_PROTECTED = ChildCase.PROTECTED_FIELDS
CASE_PROTECTED_VIA_REFERRAL = tuple(f"case__{f}" for f in ChildCase.PROTECTED_FIELDS)


def cases_visible_to(user: Any) -> QuerySet[ChildCase]:
    return ChildCase.objects.visible_to(user).select_related("recording_org", "police_station")


def case_list(user: Any) -> QuerySet[ChildCase]:
    return cases_visible_to(user).defer(*CASE_PROTECTED)


def case_detail(user: Any, pk: int) -> ChildCase:
    return get_object_or_404(case_list(user), pk=pk)


def held_case(user: Any, pk: int) -> HeldCase:
    return get_object_or_404(
        HeldCase.objects.visible_to(user)
        .select_related("recording_org", "police_station", "cwc")
        .defer(*CASE_PROTECTED),
        pk=pk,
    )


def is_holder(user: Any, case: ChildCase) -> bool:
    return ChildCase.objects.held_by(user).filter(pk=case.pk).exists()


def holding_orgs(case: ChildCase) -> list[int]:
    """Organisations that hold the case (identity) right now."""
    ids = {case.recording_org_id}
    if case.police_station_id:
        ids.add(case.police_station_id)
    if case.cwc_id:
        ids.add(case.cwc_id)
    ids |= set(
        Referral.objects.filter(case=case, state=Referral.State.ACCEPTED).values_list(
            "to_org_id", flat=True
        )
    )
    return sorted(ids)


def police_holders(case: ChildCase) -> QuerySet[Organisation]:
    """The police units on the case: those a lead can go to."""
    return Organisation.objects.filter(
        pk__in=holding_orgs(case), kind=OrgKind.POLICE, is_active=True
    ).order_by("name")


def active_people(**membership_filter: Any) -> QuerySet[User]:
    members = Membership.objects.active().filter(user=OuterRef("pk"), **membership_filter)
    return User.objects.filter(Exists(members), is_active=True)


def case_holder_people(case: ChildCase) -> list[User]:
    """Everyone who holds the case: members of holding organisations and named caseworkers."""
    workers = Caseworker.objects.filter(case=case, active=True).values("user_id")
    return list(
        User.objects.filter(
            Q(pk__in=active_people(organisation__in=holding_orgs(case)).values("pk"))
            | Q(pk__in=workers),
            is_active=True,
        )
    )


def convenors() -> list[User]:
    kind, role = CONVENOR
    return list(active_people(organisation__kind=kind, role=role))


def coordinators_of(org_id: int) -> list[User]:
    return list(active_people(organisation_id=org_id, role=Role.COORDINATOR))


def members_of(org_id: int) -> list[User]:
    return list(active_people(organisation_id=org_id))


def sender_people(referral: Referral) -> list[User]:
    """The person who referred and the sending organisation's coordinators."""
    return [referral.created_by, *coordinators_of(referral.from_org_id)]


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    return (
        Referral.objects.visible_to(user)
        .select_related("case", "from_org", "to_org", "caseworker")
        .defer(*CASE_PROTECTED_VIA_REFERRAL)
    )


def referral_detail(user: Any, pk: int) -> Referral:
    return get_object_or_404(referrals_visible_to(user), pk=pk)


def _referrals(user: Any) -> QuerySet[Referral]:
    if not can(user, Cap.CASE_LIST):
        return Referral.objects.none()
    return Referral.objects.select_related("case", "from_org", "to_org", "caseworker").defer(
        *CASE_PROTECTED_VIA_REFERRAL
    )


# The inbox and the outbox are, each, one of the branches of ``Referral.visible_to`` itself
# (see there), so they filter on that branch alone: the same rule without the OR of the
# others, which the database cannot use an index for (bench/cases.py: 585 ms → see README).
# tests/referrals/test_referrals.py checks that both stay inside ``visible_to``.
def inbox(user: Any) -> QuerySet[Referral]:
    return _referrals(user).filter(to_org__in=org_ids(user), state__in=Referral.RECEIVER_STATES)


def outbox(user: Any) -> QuerySet[Referral]:
    return _referrals(user).filter(from_org__in=org_ids(user))


def coordinated_orgs(user: Any) -> list[int]:
    """Organisations where the person is an active coordinator."""
    return list(
        Membership.objects.active()
        .filter(user=user, role=Role.COORDINATOR)
        .values_list("organisation_id", flat=True)
    )


def caseworker_choices(org_ids_: list[int]) -> dict[int, list[User]]:
    """Active members per organisation, for the accept forms of a whole list (one query)."""
    rows = (
        Membership.objects.active()
        .filter(organisation_id__in=org_ids_)
        .select_related("user")
        .order_by("user__full_name")
    )
    out: dict[int, list[User]] = {}
    for m in rows:
        out.setdefault(m.organisation_id, []).append(m.user)
    return out


def case_page(user: Any, case: ChildCase) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries."""
    holder = is_holder(user, case)
    # Holders and the convenor see every referral of the case (visible_to's case branch);
    # others only the ones visible to them.
    base = Referral.objects if holder or is_convenor(user) else Referral.objects.visible_to(user)
    referrals = list(base.filter(case=case).select_related("from_org", "to_org"))
    data: dict[str, Any] = {
        "case": case,
        "is_holder": holder,
        "clocks": clocks.clocks_for(case),
        "referrals": referrals,
        "now": timezone.now(),
    }
    if holder:
        data["events"] = list(
            CaseEvent.objects.filter(case=case).select_related("actor", "organisation")[:100]
        )
        data["productions"] = list(
            CwcProduction.objects.filter(case=case).select_related("cwc").defer("order_details")
        )
        # A holder sees the leads its organisation recorded or received (Lead.visible_to).
        data["leads"] = list(
            Lead.objects.filter(case=case)
            .filter(Q(recording_org__in=org_ids(user)) | Q(police_org__in=org_ids(user)))
            .select_related("police_org")
            .defer("description", "places", "phones", "vehicles")
        )
        data["caseworkers"] = list(
            Caseworker.objects.filter(case=case, active=True).select_related("user", "organisation")
        )
    return data


def referral_timeline(referral: Referral) -> list[CaseEvent]:
    return list(referral.events.select_related("actor", "organisation")[:100])


def clocks_board(user: Any, *, now: datetime.datetime | None = None, horizon_hours: int = 24):
    """Running clocks that are overdue or due within ``horizon_hours``, and missed ones."""
    now = now or timezone.now()
    return (
        Clock.objects.visible_to(user)
        # A missed clock is always past its due time, so one range on (state, due_at) serves
        # both: the index clock_state_due_idx.
        .filter(
            state__in=[Clock.State.RUNNING, Clock.State.MISSED],
            due_at__lte=now + datetime.timedelta(hours=horizon_hours),
        )
        .order_by("due_at")
        .prefetch_related(
            GenericPrefetch(
                "obj",
                [
                    ChildCase.objects.defer(*CASE_PROTECTED),
                    Referral.objects.select_related("case").defer(*CASE_PROTECTED_VIA_REFERRAL),
                ],
            )
        )
    )


def leads_visible_to(user: Any) -> QuerySet[Lead]:
    return (
        Lead.objects.visible_to(user)
        .select_related("case", "police_org", "recording_org")
        .defer(*CASE_PROTECTED_VIA_REFERRAL)
    )


def lead_detail(user: Any, pk: int) -> Lead:
    return get_object_or_404(leads_visible_to(user), pk=pk)
