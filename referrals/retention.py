"""Retention: erase the protected identity of cases closed longer than the retention period.

``FTU_CASE_IDENTITY_RETENTION_DAYS`` (0: never; otherwise at least 365) after ``closed_at``,
a case without a legal hold loses its protected fields (set to empty), its duplicate-check
blind index and the free-text CWC order details.  The case code, the clear fields (district,
sex, age band, source, dates), the clocks, referrals, productions and timeline stay, so every
figure counted from them is unchanged.  One transaction and one ``case.identity_erase``
audit row (field names only) per case; the row is locked and the conditions re-checked, so a
hold set or a reopening at the same moment wins.  Running it again changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from ftu import audit
from ftu.scheduling import register_tick
from referrals.models import CaseEvent, CaseIdentityIndex, ChildCase, CwcProduction

MINIMUM_DAYS = 365
# The erased fields, in the order the audit row lists them.
ERASED_FIELDS = (
    *ChildCase.PROTECTED_FIELDS,
    "duplicate_index",
    "identity_indexes",
    "cwcproduction.order_details",
)


def retention_days() -> int:
    """The configured period; 0 means never.  Refuses a period shorter than a year."""
    days = settings.FTU_CASE_IDENTITY_RETENTION_DAYS
    if days is None or days == 0:
        return 0
    if days < MINIMUM_DAYS:
        raise ImproperlyConfigured(
            f"FTU_CASE_IDENTITY_RETENTION_DAYS must be 0 or at least {MINIMUM_DAYS} (is {days})."
        )
    return int(days)


def _due(cutoff: datetime.datetime) -> QuerySet[ChildCase]:
    # Served by the partial index case_erase_due_idx (closed, not yet erased).
    return ChildCase.objects.filter(
        closed_at__isnull=False,
        closed_at__lte=cutoff,
        identity_erased_at__isnull=True,
        legal_hold=False,
    )


def cases_due(now: datetime.datetime | None = None) -> QuerySet[ChildCase]:
    days = retention_days()
    if not days:
        return ChildCase.objects.none()
    now = now or timezone.now()
    return _due(now - datetime.timedelta(days=days))


def erase_case_identity(*, case_id: int, cutoff: datetime.datetime, now: datetime.datetime) -> bool:
    """Erase one case's identity if it is still due.  Returns whether it was erased."""
    with transaction.atomic():
        case = (
            _due(cutoff)
            .select_for_update(of=("self",))
            .select_related("recording_org")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            return False
        for name in ChildCase.PROTECTED_FIELDS:
            setattr(case, name, "")
        case.duplicate_index = ""
        case.identity_erased_at = now
        case.save(
            update_fields=[
                *ChildCase.PROTECTED_FIELDS,
                "duplicate_index",
                "identity_erased_at",
                "updated",
            ]
        )
        # The keyed hashes of the name, guardian, school and phone go with the identity.
        CaseIdentityIndex.objects.filter(case=case).delete()
        # Update the rows one by one: the encrypted field encrypts the empty value.
        for production in CwcProduction.objects.filter(case=case).only("pk"):
            production.order_details = ""
            production.save(update_fields=["order_details"])
        audit.record(
            actor=None,
            action="case.identity_erase",
            obj=case,
            organisation=case.recording_org,
            fields=list(ERASED_FIELDS),
            reason=f"closed {case.closed_at:%Y-%m-%d}, retention {retention_days()} days",
        )
        CaseEvent.record(
            case, CaseEvent.Kind.ERASED, gettext_noop("Identity erased (retention)"), at=now
        )
    return True


@dataclass
class ErasureResult:
    days: int
    cutoff: datetime.datetime | None
    dry_run: bool
    codes: list[str] = field(default_factory=list)


def erase_closed_identities(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> ErasureResult:
    """Erase every due case (or, with ``dry_run``, only list them).  Idempotent."""
    now = now or timezone.now()
    days = retention_days()
    if not days:
        return ErasureResult(days=0, cutoff=None, dry_run=dry_run)
    cutoff = now - datetime.timedelta(days=days)
    result = ErasureResult(days=days, cutoff=cutoff, dry_run=dry_run)
    due = list(_due(cutoff).order_by("closed_at", "pk").values_list("pk", "code"))
    for pk, code in due:
        if dry_run or erase_case_identity(case_id=pk, cutoff=cutoff, now=now):
            result.codes.append(code)
    return result


@register_tick("cases.identity_retention")
def identity_retention_tick(now: datetime.datetime) -> None:
    erase_closed_identities(now=now)
