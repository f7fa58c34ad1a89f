"""Reads about raids and prosecutions, always starting from ``visible_to(user)``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404

from raids.choices import OffenderRole, Stage
from raids.models import (
    Accused,
    ProsecutionCase,
    Raid,
    RaidOutcome,
    Task,
    TaskEvent,
    TeamMember,
)


def raids_visible_to(user: Any) -> QuerySet[Raid]:
    """The list: a constant number of queries whatever the number of raids."""
    return (
        Raid.objects.visible_to(user)
        .select_related("unit", "lead")
        .annotate(
            team_size=Count("team", filter=Q(team__removed_at__isnull=True), distinct=True),
            open_tasks=Count("tasks", filter=~Q(tasks__state="done"), distinct=True),
        )
        .order_by("-window_start", "-id")
    )


def _team_prefetch() -> Prefetch:
    return Prefetch(
        "team",
        queryset=TeamMember.objects.active().select_related("user", "organisation"),
        to_attr="active_team",
    )


def raid_detail(user: Any, pk: int) -> Raid:
    qs = (
        Raid.objects.visible_to(user)
        .select_related("unit", "lead", "supervisor")
        .prefetch_related(_team_prefetch(), "checklist")
    )
    return get_object_or_404(qs, pk=pk)


def raid_tasks(raid: Raid) -> QuerySet[Task]:
    return raid.tasks.select_related("owner_org", "owner_user")


def raid_task_events(raid: Raid, limit: int = 30) -> list[TaskEvent]:
    """The latest changes, newest first (ids give the commit order of concurrent changes)."""
    return list(
        TaskEvent.objects.filter(raid=raid).select_related("actor", "task").order_by("-id")[:limit]
    )


def raid_outcome(raid: Raid) -> RaidOutcome | None:
    return (
        RaidOutcome.objects.filter(raid=raid)
        .select_related("police_station")
        .prefetch_related("rescued", "arrested")
        .first()
    )


def cases_visible_to(user: Any) -> QuerySet[ProsecutionCase]:
    return (
        ProsecutionCase.objects.visible_to(user)
        .select_related("police_station", "unit__parent", "raid")
        .prefetch_related("accused")
        .order_by("-fir_registered_on", "-id")
    )


def case_detail(user: Any, pk: int) -> ProsecutionCase:
    return get_object_or_404(cases_visible_to(user), pk=pk)


# --- figures for the dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    month: datetime.date  # the first day of the month
    customers_arrested: int
    customers_charged_pocso: int
    customers_convicted: int


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + datetime.timedelta(days=32)).replace(day=1)
    return months


def prosecution_figures(
    *, start: datetime.date, end: datetime.date, unit: Any = None
) -> list[MonthFigures]:
    """Customers arrested, charged under POCSO and convicted, by month, between two dates.

    Each accused counts in the month of the date of that stage (arrest, charge sheet,
    judgment).  Aggregates only — no identity, no case, no place — so the dashboard can show
    them after its own small-number suppression.  The caller checks the dashboard capability.
    Three queries whatever the data size.
    """
    if end < start:
        raise ValueError("end is before start")
    base = Accused.objects.filter(role=OffenderRole.CUSTOMER)
    if unit is not None:
        base = base.filter(case__unit=unit)

    def by_month(qs: QuerySet[Accused], field: str) -> dict[datetime.date, int]:
        rows = (
            qs.filter(**{f"{field}__gte": start, f"{field}__lte": end})
            .annotate(month=TruncMonth(field))
            .values("month")
            .annotate(n=Count("id"))
            .order_by()
        )
        result: dict[datetime.date, int] = {}
        for row in rows:
            month = row["month"]
            if isinstance(month, datetime.datetime):
                month = month.date()
            result[month] = result.get(month, 0) + row["n"]
        return result

    arrested = by_month(base, "arrested_on")
    charged = by_month(base.filter(under_pocso=True), "charge_sheeted_on")
    convicted = by_month(base.filter(stage=Stage.CONVICTED), "judgment_on")
    return [
        MonthFigures(m, arrested.get(m, 0), charged.get(m, 0), convicted.get(m, 0))
        for m in _months(start, end)
    ]
