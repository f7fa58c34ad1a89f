"""The access policy: who may see and do what, as one table.

Read it as: a capability is granted to the people whose *active* membership of an *active*
organisation matches one of the listed (organisation kind, role) pairs.  ``ANY`` stands for
every kind or every role.  Capabilities decide which pages and actions a person can reach;
*which objects* they see is decided by each model's ``objects.visible_to(user)`` (need-to-know:
a case's holders, a raid's named team, a meeting's invitees), never by role alone.

docs/access.md is generated from this module (``manage.py access_table``) and a test keeps
them equal; the permission-matrix test walks every URL pattern against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from ftu.roles import OrgKind, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from agencies.models import User

ANY = "*"


class Cap(StrEnum):
    USE_HUB = "hub.use"
    DIRECTORY_VIEW = "directory.view"
    DIRECTORY_VIEW_ALL = "directory.view_all"
    ORGANISATION_MANAGE = "organisation.manage"
    MEMBER_INVITE = "member.invite"
    MEMBER_INVITE_ANY_ORG = "member.invite_any_org"
    PERSON_DEACTIVATE = "person.deactivate"
    AUDIT_VIEW = "audit.view"
    CASE_CREATE = "case.create"
    CASE_LIST = "case.list"
    CASE_CLOSE = "case.close"
    CASE_LEGAL_HOLD = "case.legal_hold"
    REFERRAL_RESPOND = "referral.respond"
    LEAD_RECORD = "lead.record"
    LEAD_RECEIVE = "lead.receive"
    RAID_OPEN = "raid.open"
    RAID_APPROVE = "raid.approve"
    RAID_JOIN = "raid.join"
    RAID_LEAD = "raid.lead"
    PROSECUTION_VIEW = "prosecution.view"
    PROSECUTION_MANAGE = "prosecution.manage"
    MEETING_SCHEDULE = "meeting.schedule"
    MEETING_ATTEND = "meeting.attend"
    MINUTES_APPROVE = "minutes.approve"
    MINUTES_READ_PUBLISHED = "minutes.read_published"
    ACTION_POST = "action.post"
    ACTION_FEED = "action.feed"
    ACTION_PARTNER = "action.partner"
    DASHBOARD_FULL = "dashboard.full"
    DASHBOARD_SUPPRESSED = "dashboard.suppressed"
    CLOCKS_OVERSEE = "clocks.oversee"
    OUTBOX_VIEW = "outbox.view"
    MFA_REQUIRED = "mfa.required"


# Organisation kinds whose people can ever see a child's identity or a raid.
SENSITIVE_KINDS = (
    OrgKind.POLICE,
    OrgKind.ADMINISTRATION,
    OrgKind.WCD,
    OrgKind.CWC,
    OrgKind.NGO,
    OrgKind.SHELTER,
    OrgKind.MEDICAL,
    OrgKind.LEGAL_AID,
    OrgKind.SECRETARIAT,
    OrgKind.OTHER,
)
CARE_KINDS = (OrgKind.WCD, OrgKind.CWC, OrgKind.NGO, OrgKind.SHELTER)
PARTNER_KINDS = tuple(k for k in OrgKind if k not in (OrgKind.MEDIA,))


def _pairs(kinds: Iterable[str], role: str = ANY) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), role) for k in kinds)


CONVENOR = (str(OrgKind.SECRETARIAT), str(Role.COORDINATOR))

#: The table.  Keep it in this order: it is the order of docs/access.md.
POLICY: dict[Cap, tuple[tuple[str, str], ...]] = {
    Cap.USE_HUB: ((ANY, ANY),),
    Cap.DIRECTORY_VIEW: ((ANY, ANY),),
    Cap.DIRECTORY_VIEW_ALL: _pairs(PARTNER_KINDS),
    Cap.ORGANISATION_MANAGE: (CONVENOR,),
    Cap.MEMBER_INVITE: ((ANY, str(Role.COORDINATOR)),),
    Cap.MEMBER_INVITE_ANY_ORG: (CONVENOR,),
    Cap.PERSON_DEACTIVATE: (CONVENOR,),
    Cap.AUDIT_VIEW: (CONVENOR,),
    Cap.CASE_CREATE: _pairs((OrgKind.POLICE, *CARE_KINDS)),
    Cap.CASE_LIST: _pairs((OrgKind.POLICE, *CARE_KINDS, OrgKind.MEDICAL, OrgKind.LEGAL_AID))
    + (CONVENOR,),
    # On a case it holds: the recording organisation's coordinator, or the CWC handling it.
    Cap.CASE_CLOSE: _pairs((OrgKind.POLICE, *CARE_KINDS), str(Role.COORDINATOR))
    + _pairs((OrgKind.CWC,)),
    Cap.CASE_LEGAL_HOLD: (CONVENOR, *_pairs((OrgKind.CWC,))),
    Cap.REFERRAL_RESPOND: _pairs(
        (OrgKind.POLICE, *CARE_KINDS, OrgKind.MEDICAL, OrgKind.LEGAL_AID), str(Role.COORDINATOR)
    ),
    Cap.LEAD_RECORD: _pairs((OrgKind.NGO, OrgKind.SHELTER, OrgKind.CWC, OrgKind.WCD)),
    Cap.LEAD_RECEIVE: _pairs((OrgKind.POLICE,)),
    Cap.RAID_OPEN: _pairs((OrgKind.POLICE,)),
    Cap.RAID_APPROVE: _pairs((OrgKind.POLICE,), str(Role.COORDINATOR)),
    Cap.RAID_JOIN: _pairs(SENSITIVE_KINDS),
    Cap.RAID_LEAD: _pairs((OrgKind.POLICE,)),
    Cap.PROSECUTION_VIEW: _pairs(SENSITIVE_KINDS),
    Cap.PROSECUTION_MANAGE: _pairs((OrgKind.POLICE,)),
    Cap.MEETING_SCHEDULE: (CONVENOR,),
    Cap.MEETING_ATTEND: _pairs(PARTNER_KINDS),
    Cap.MINUTES_APPROVE: _pairs((OrgKind.MP_OFFICE,)),
    Cap.MINUTES_READ_PUBLISHED: _pairs(PARTNER_KINDS),
    Cap.ACTION_POST: ((ANY, ANY),),
    Cap.ACTION_FEED: ((ANY, ANY),),
    Cap.ACTION_PARTNER: _pairs(PARTNER_KINDS),
    Cap.DASHBOARD_FULL: (CONVENOR, (str(OrgKind.MP_OFFICE), ANY)),
    Cap.DASHBOARD_SUPPRESSED: ((ANY, ANY),),
    Cap.CLOCKS_OVERSEE: (CONVENOR,),
    Cap.OUTBOX_VIEW: (CONVENOR,),
    Cap.MFA_REQUIRED: _pairs(SENSITIVE_KINDS),
}

CAP_LABELS: dict[Cap, Any] = {
    Cap.USE_HUB: _("Use the hub (home, profile, inbox)"),
    Cap.DIRECTORY_VIEW: _("See the partner directory"),
    Cap.DIRECTORY_VIEW_ALL: _("See every partner and contact, not only public ones"),
    Cap.ORGANISATION_MANAGE: _("Add and edit partner organisations"),
    Cap.MEMBER_INVITE: _("Invite people to one's own organisation"),
    Cap.MEMBER_INVITE_ANY_ORG: _("Invite people to any organisation"),
    Cap.PERSON_DEACTIVATE: _("Deactivate a person's account everywhere"),
    Cap.AUDIT_VIEW: _("Read the audit log"),
    Cap.CASE_CREATE: _("Record a child case"),
    Cap.CASE_LIST: _("List the child cases one holds or is referred"),
    Cap.CASE_CLOSE: _("Close or reopen a child case (its recorder's coordinator, its CWC)"),
    Cap.CASE_LEGAL_HOLD: _("Put a closed case's identity under legal hold (convenor, its CWC)"),
    Cap.REFERRAL_RESPOND: _("Accept or decline referrals to one's organisation"),
    Cap.LEAD_RECORD: _("Record a lead about an offender"),
    Cap.LEAD_RECEIVE: _("Receive leads about offenders"),
    Cap.RAID_OPEN: _("Open a raid"),
    Cap.RAID_APPROVE: _("Approve a raid (police supervisor)"),
    Cap.RAID_JOIN: _("Be named on a raid team"),
    Cap.RAID_LEAD: _(
        "Lead a raid one is named lead of: team, tasks, checklist, briefing, execution, outcome"
    ),
    Cap.PROSECUTION_VIEW: _("Follow the prosecution cases of one's unit or raid team"),
    Cap.PROSECUTION_MANAGE: _("Record prosecution cases, accused and their stages"),
    Cap.MEETING_SCHEDULE: _("Schedule meetings and draft minutes"),
    Cap.MEETING_ATTEND: _("Be invited to meetings and comment on minutes"),
    Cap.MINUTES_APPROVE: _("Approve or return minutes"),
    Cap.MINUTES_READ_PUBLISHED: _("Read published minutes"),
    Cap.ACTION_POST: _("Post actions taken"),
    Cap.ACTION_FEED: _("Read the actions feed"),
    Cap.ACTION_PARTNER: _(
        "Read partners-only actions, acknowledge and comment (media: public actions only)"
    ),
    Cap.DASHBOARD_FULL: _("See the district dashboard in full"),
    Cap.DASHBOARD_SUPPRESSED: _("See the dashboard with small numbers suppressed"),
    Cap.CLOCKS_OVERSEE: _("See every overdue statutory clock"),
    Cap.OUTBOX_VIEW: _("See failed e-mail and SMS deliveries"),
    Cap.MFA_REQUIRED: _("Must use two-factor authentication"),
}


def profiles(user: User | AnonymousUser | None) -> frozenset[tuple[str, str]]:
    """The (organisation kind, role) pairs of a person's active memberships (cached per user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ftu_profiles", None)
    if cached is None:
        from agencies.models import Membership

        cached = frozenset(
            Membership.objects.active()
            .filter(user=user)
            .values_list("organisation__kind", "role")
            .distinct()
        )
        user._ftu_profiles = cached  # type: ignore[union-attr]
    return cached


def forget(user: Any) -> None:
    """Drop the per-request cache after a membership change."""
    if hasattr(user, "_ftu_profiles"):
        del user._ftu_profiles


def grants(cap: Cap, kind: str, role: str) -> bool:
    return any((k == ANY or k == kind) and (r == ANY or r == role) for k, r in POLICY.get(cap, ()))


def can(user: User | AnonymousUser | None, cap: Cap) -> bool:
    """Whether the person holds ``cap`` through any active membership.  Deny by default."""
    return any(grants(cap, kind, role) for kind, role in profiles(user))


def is_convenor(user: User | AnonymousUser | None) -> bool:
    return CONVENOR in profiles(user)


@dataclass(frozen=True)
class Access:
    """What a view requires, declared next to it and read by the permission-matrix test.

    ``cap``: the capability required (None with ``public=True``).  ``sample``: the name of the
    test fixture that builds an object for URL arguments; such views fetch through
    ``visible_to`` and answer 404 outside it.
    """

    cap: Cap | None
    public: bool = False
    sample: str | None = None
    methods: tuple[str, ...] = ("GET",)


def table_rows() -> list[tuple[str, str, str]]:
    """(capability, description, who) rows for docs and the README."""
    kind_labels = dict(OrgKind.choices)
    role_labels = dict(Role.choices)
    rows = []
    for cap, pairs in POLICY.items():
        who = []
        for kind, role in pairs:
            k = "any organisation" if kind == ANY else str(kind_labels[kind])
            r = "anyone" if role == ANY else str(role_labels[role]).lower() + "s"
            who.append(f"{k}: {r}")
        rows.append((cap.value, str(CAP_LABELS[cap]), "; ".join(who)))
    return rows


def markdown_table() -> str:
    from django.utils import translation

    with translation.override("en"):
        lines = ["| capability | what it allows | who holds it |", "| --- | --- | --- |"]
        lines += [f"| `{c}` | {d} | {w} |" for c, d, w in table_rows()]
    return "\n".join(lines) + "\n"
