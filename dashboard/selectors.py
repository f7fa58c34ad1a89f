"""The district dashboard's figures: aggregates only, computed in the database.

Each selector returns a :class:`Table` of raw counts for a :class:`Period` of IST months and
runs a constant number of queries whatever the amount of data (one, except the median,
computed in Python over one ``values_list`` query, and the prosecution figures, three).
Nothing here carries an identity or a place below the district: rows are months, years,
organisations (police stations folded into one row), rules, states, services and roles.
Small-number suppression is applied afterwards, by :mod:`dashboard.suppression`, for the
viewers who do not hold ``Cap.DASHBOARD_FULL``.  The caller checks the capability.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ftu.clocks import RULES
from ftu.models import Clock
from ftu.roles import OrgKind
from meetings.models import ActionItem, Attendance, Meeting
from raids.choices import OffenderRole, RaidStatus
from raids.models import ArrestedOffender, Raid
from raids.selectors import prosecution_figures
from referrals import clock_rules
from referrals.models import ChildCase, Referral, ReferralService

IST = ZoneInfo("Asia/Kolkata")
MAX_MONTHS = 36
STATIONS = "__police_stations__"
INDIVIDUALS = "__individuals__"


# --- the period --------------------------------------------------------------------------


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole IST months from ``first`` to ``last`` (both the first day of their month)."""

    first: datetime.date
    last: datetime.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1 or self.last < self.first:
            raise ValueError("a period runs from the first of one month to another")
        if len(self.months) > MAX_MONTHS:
            raise ValueError("a period is at most 36 months")

    @classmethod
    def last_twelve(cls, today: datetime.date | None = None) -> Period:
        today = today or timezone.localdate(timezone=IST)
        last = today.replace(day=1)
        return cls(add_months(last, -11), last)

    @property
    def months(self) -> list[datetime.date]:
        months, current = [], self.first
        while current <= self.last:
            months.append(current)
            current = add_months(current, 1)
        return months

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first, datetime.time(), tzinfo=IST)

    @property
    def end(self) -> datetime.datetime:
        """Exclusive: the first instant after the period."""
        return datetime.datetime.combine(add_months(self.last, 1), datetime.time(), tzinfo=IST)

    @property
    def last_day(self) -> datetime.date:
        return add_months(self.last, 1) - datetime.timedelta(days=1)


def month_of(value: datetime.date | datetime.datetime) -> datetime.date:
    """The IST month of a date or an aware datetime."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(IST)
        return value.date().replace(day=1)
    return value.replace(day=1)


def month_label(month: datetime.date) -> str:
    return date_format(month, "M Y")


# --- tables ------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    values: list[int]
    # Rows summed into this one (year and period totals): suppressed if any part is.
    parts: list[int] | None = None
    # A derived figure (a share in %, a median in hours) and the columns it depends on.
    extra: float | None = None
    extra_of: tuple[int, ...] = ()

    @property
    def is_total(self) -> bool:
        return self.parts is not None


@dataclass
class Table:
    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    total_column: bool = False  # a "Total" column summing each row's cells
    extra_label: str = ""  # the derived column's heading ("" when there is none)
    extra_unit: str = ""
    chart_extra: bool = False  # chart the derived figure (a share) rather than the total
    note: str = ""
    # How the figure is built from IST months (for small-number suppression, which protects
    # each month on its own and publishes a sum over months only when every part is shown):
    # ``month_rows``: the first n rows are the period's months (a row per month);
    # ``by_month``: for a table of organisations or rules over the whole period, each month's
    # counts (per month, per row that is not a total, per column).
    month_rows: int = 0
    by_month: list[list[list[int]]] | None = None
    row_keys: list[str] = field(default_factory=list)  # stable keys of by_month's rows
    column_keys: list[str] = field(default_factory=list)  # the columns' values (choices)


def _month_rows(
    period: Period,
    counts: dict[datetime.date, list[int]],
    width: int,
) -> list[Row]:
    """One row per month, then one total row per calendar year of the period."""
    rows = [Row(month_label(m), list(counts.get(m, [0] * width))) for m in period.months]
    years: dict[int, list[int]] = defaultdict(list)
    for index, month in enumerate(period.months):
        years[month.year].append(index)
    for year, parts in years.items():
        values = [sum(rows[i].values[c] for i in parts) for c in range(width)]
        label = _("Total %(year)s") % {"year": year}
        rows.append(Row(label, values, parts=parts))
    if len(years) > 1:
        parts = list(range(len(period.months)))
        values = [sum(rows[i].values[c] for i in parts) for c in range(width)]
        rows.append(Row(_("Total for the period"), values, parts=parts))
    return rows


def month_bounds(period: Period) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Each month's [start, end) as aware IST datetimes (IST midnight on the first)."""
    return [
        (
            datetime.datetime.combine(m, datetime.time(), tzinfo=IST),
            datetime.datetime.combine(add_months(m, 1), datetime.time(), tzinfo=IST),
        )
        for m in period.months
    ]


Counts = dict[Any, dict[datetime.date, dict[str, int]]]


def month_index(field: str, period: Period) -> Case | Value:
    """The index of ``field``'s IST month in the period, for rows already in the period.

    A nested CASE that halves the months at each level (at most six comparisons for 36
    months): plain range comparisons on the stored value, so no per-row time-zone
    conversion (on SQLite ``TruncMonth(tzinfo=...)`` runs a Python function per row) and
    one pass over the rows.
    """
    starts = [start for start, _end in month_bounds(period)]

    def between(lo: int, hi: int) -> Case | Value:
        if hi - lo == 1:
            return Value(lo, output_field=IntegerField())
        mid = (lo + hi) // 2
        return Case(
            When(Q(**{f"{field}__lt": starts[mid]}), then=between(lo, mid)),
            default=between(mid, hi),
            output_field=IntegerField(),
        )

    return between(0, len(starts))


def _monthly(
    qs: QuerySet[Any],
    field: str,
    period: Period,
    conditions: dict[str, Q] | None = None,
    by: str | tuple[str, ...] | None = None,
) -> Counts:
    """Counts per IST month (and per ``conditions`` name, and per value of ``by``).

    One query: each row's month index computed once in the database, then GROUP BY the
    month (and ``by``) with one (conditional) COUNT per condition.  ``by`` as a tuple keys
    the result by tuples of values.
    """
    conditions = conditions or {"n": Q()}
    keys = (by,) if isinstance(by, str) else tuple(by or ())
    aggregates = {
        f"c_{name}": Count("pk", filter=condition) if condition else Count("pk")
        for name, condition in conditions.items()
    }
    rows = (
        qs.filter(**{f"{field}__gte": period.start, f"{field}__lt": period.end})
        .annotate(_month=month_index(field, period))
        .order_by()
        .values("_month", *keys)
        .annotate(**aggregates)
    )
    months = period.months
    result: Counts = {}
    for row in rows:
        if not 0 <= row["_month"] < len(months):
            continue
        if by is None:
            key = None
        elif isinstance(by, str):
            key = row[by]
        else:
            key = tuple(row[k] for k in keys)
        cells = result.setdefault(key, {}).setdefault(
            months[row["_month"]], dict.fromkeys(conditions, 0)
        )
        for name in conditions:
            cells[name] += row[f"c_{name}"] or 0
    for by_key in result.values():
        for month in months:
            by_key.setdefault(month, dict.fromkeys(conditions, 0))
    return result


def _columns_by_month(counts: Counts, columns: list[Any]) -> dict[datetime.date, list[int]]:
    """``_monthly(..., by=...)`` as one list of counts per month, in ``columns`` order."""
    result: dict[datetime.date, list[int]] = {}
    for c, key in enumerate(columns):
        for month, cells in counts.get(key, {}).items():
            result.setdefault(month, [0] * len(columns))[c] += cells["n"]
    return result


def _single(counts: Counts, *names: str) -> dict[datetime.date, list[int]]:
    return {m: [cells[n] for n in names] for m, cells in counts.get(None, {}).items()}


def _with_total_row(rows: list[Row], width: int) -> list[Row]:
    if rows:
        parts = list(range(len(rows)))
        values = [sum(r.values[c] for r in rows) for c in range(width)]
        rows.append(Row(_("Total"), values, parts=parts))
    return rows


def _share(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator) if denominator else None


# --- the figures -------------------------------------------------------------------------


def children_rescued(period: Period) -> Table:
    """Child cases by the IST month of rescue or first contact.  One query."""
    counts = _single(_monthly(ChildCase.objects.all(), "first_contact_at", period), "n")
    return Table(
        "rescued",
        _("Children rescued or first contacted"),
        _("Month"),
        [_("Children")],
        _month_rows(period, counts, 1),
        month_rows=len(period.months),
    )


def cwc_production(period: Period) -> Table:
    """The production clocks (24 h) decided, by the IST month they started; one query.

    Within 24 h: met no later than due.  Late or missed: met after the due time, or missed.
    Running clocks (not yet decided) and clocks marked not applicable are left out.
    """
    monthly = _monthly(
        Clock.objects.filter(rule=clock_rules.CWC_PRODUCTION.code),
        "started_at",
        period,
        {
            "within": Q(state=Clock.State.MET, met_at__lte=F("due_at")),
            "late": Q(state=Clock.State.MET, met_at__gt=F("due_at")) | Q(state=Clock.State.MISSED),
        },
    )
    counts = _single(monthly, "within", "late")
    table_rows = _month_rows(period, counts, 2)
    for row in table_rows:
        row.extra = _share(row.values[0], sum(row.values))
        row.extra_of = (0, 1)
    return Table(
        "production",
        _("Children produced before the CWC within 24 hours"),
        _("Month"),
        [_("Within 24 h"), _("Late or missed")],
        table_rows,
        total_column=True,
        extra_label=_("Share within 24 h"),
        extra_unit="%",
        chart_extra=True,
        month_rows=len(period.months),
    )


class HoursBetween(Func):
    """Hours from the second datetime to the first (first - second), in the database.

    Saves converting two datetimes per row to Python objects (most of the figure's time on
    SQLite at 10,000 referrals).
    """

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 24.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)",
            arg_joiner=" - ",
            **extra,
        )


def referral_acceptance(period: Period) -> Table:
    """Median hours from a referral sent to its acceptance, by the IST month it was sent.

    One ``values_list`` query (the month index computed in the database); the median is
    computed in Python.
    """
    pairs = (
        Referral.objects.filter(
            sent_at__gte=period.start,
            sent_at__lt=period.end,
            responded_at__isnull=False,
            state__in=(Referral.State.ACCEPTED, Referral.State.COMPLETED),
        )
        .annotate(
            _month=month_index("sent_at", period), _hours=HoursBetween("responded_at", "sent_at")
        )
        .values_list("_month", "_hours")
    )
    months = period.months
    hours: dict[datetime.date, list[float]] = defaultdict(list)
    for index, duration in pairs:
        if 0 <= index < len(months):
            hours[months[index]].append(duration)
    counts = {m: [len(v)] for m, v in hours.items()}
    rows = _month_rows(period, counts, 1)
    for index, row in enumerate(rows):
        parts = row.parts if row.parts is not None else [index]
        values = [h for i in parts for h in hours.get(months[i], [])]
        row.extra = round(statistics.median(values), 1) if values else None
        row.extra_of = (0,)
    return Table(
        "acceptance",
        _("Time from referral sent to acceptance"),
        _("Month"),
        [_("Referrals accepted")],
        rows,
        extra_label=_("Median hours"),
        extra_unit=" h",
        chart_extra=True,
        month_rows=len(months),
    )


def referral_counts(period: Period) -> Counts:
    """Referrals sent (drafts never count), by IST month sent, state today and service.

    One query; both referral figures are cut from it.
    """
    return _monthly(
        Referral.objects.exclude(state=Referral.State.DRAFT),
        "sent_at",
        period,
        by=("state", "service"),
    )


def _referrals_by(
    period: Period,
    position: int,
    choices: Any,
    key: str,
    title: str,
    note: str,
    counts: Counts | None,
) -> Table:
    counts = referral_counts(period) if counts is None else counts
    columns = [value for value, _label in choices]
    by_month: dict[datetime.date, list[int]] = {}
    for by_key, months in counts.items():
        if by_key[position] not in columns:
            continue
        c = columns.index(by_key[position])
        for month, cells in months.items():
            by_month.setdefault(month, [0] * len(columns))[c] += cells["n"]
    return Table(
        f"referrals_{key}",
        title,
        _("Month"),
        [str(label) for _value, label in choices],
        _month_rows(period, by_month, len(columns)),
        total_column=True,
        note=note,
        month_rows=len(period.months),
        column_keys=[str(c) for c in columns],
    )


def referrals_by_state(period: Period, counts: Counts | None = None) -> Table:
    """Referrals sent, by the IST month sent and their state today.  One query."""
    choices = [c for c in Referral.State.choices if c[0] != Referral.State.DRAFT]
    return _referrals_by(
        period,
        0,
        choices,
        "state",
        _("Referrals by state"),
        _("By month sent; state today."),
        counts,
    )


def referrals_by_service(period: Period, counts: Counts | None = None) -> Table:
    """Referrals sent, by the IST month sent and the service asked.  One query."""
    return _referrals_by(
        period,
        1,
        ReferralService.choices,
        "service",
        _("Referrals by service"),
        _("By month sent."),
        counts,
    )


def raids_executed(period: Period) -> Table:
    """Closed raids only (a raid still open never counts), by IST month executed.  One query."""
    closed = Raid.objects.filter(status=RaidStatus.CLOSED).annotate(
        when=Coalesce("executed_at", "closed_at")
    )
    counts = _single(_monthly(closed, "when", period), "n")
    return Table(
        "raids",
        _("Raids executed (closed raids only)"),
        _("Month"),
        [_("Raids")],
        _month_rows(period, counts, 1),
        month_rows=len(period.months),
    )


def offenders_arrested(period: Period) -> Table:
    """Offenders arrested in closed raids, by role and IST month executed.  One query."""
    columns = [value for value, _label in OffenderRole.choices]
    arrested = ArrestedOffender.objects.filter(outcome__raid__status=RaidStatus.CLOSED).annotate(
        when=Coalesce("outcome__raid__executed_at", "outcome__raid__closed_at")
    )
    counts = _columns_by_month(_monthly(arrested, "when", period, by="role"), columns)
    return Table(
        "arrested",
        _("Offenders arrested in raids, by role"),
        _("Month"),
        [str(label) for _value, label in OffenderRole.choices],
        _month_rows(period, counts, len(columns)),
        total_column=True,
        month_rows=len(period.months),
    )


def prosecutions(period: Period) -> Table:
    """Customers charged under POCSO and convicted, by month (``prosecution_figures``)."""
    figures = prosecution_figures(start=period.first, end=period.last_day)
    counts = {f.month: [f.customers_charged_pocso, f.customers_convicted] for f in figures}
    return Table(
        "prosecutions",
        _("Customers charged under POCSO and convicted"),
        _("Month"),
        [_("Charged under POCSO"), _("Convicted")],
        _month_rows(period, counts, 2),
        month_rows=len(period.months),
    )


def _organisation_label() -> Case:
    """The organisation's name; police stations folded into one row (a station is a place)."""
    return Case(
        When(
            Q(organisation__kind=OrgKind.POLICE, organisation__parent__isnull=False),
            then=Value(STATIONS),
        ),
        When(organisation__isnull=True, then=Value(INDIVIDUALS)),
        default=F("organisation__name"),
        output_field=CharField(),
    )


def _org_name(label: str) -> str:
    if label == STATIONS:
        return _("Police stations (together)")
    if label == INDIVIDUALS:
        return _("People invited by name")
    return label


def action_items(today: datetime.date | None = None) -> Table:
    """Live action items still open today, and those overdue, by owning organisation.

    A picture of today (not of the period).  One query.
    """
    today = today or timezone.localdate(timezone=IST)
    rows = (
        ActionItem.objects.filter(published__isnull=False, state__in=ActionItem.PENDING)
        .annotate(org=_organisation_label())
        .values("org")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
        .order_by("org")
    )
    table_rows = [Row(_org_name(r["org"]), [r["open"], r["overdue"]]) for r in rows]
    return Table(
        "actions",
        _("Open and overdue action items by organisation"),
        _("Organisation"),
        [_("Open"), _("Of which overdue")],
        _with_total_row(table_rows, 2),
        note=_("As of today."),
    )


def _entity_table(
    counts: Counts, period: Period, names: list[str], label: Callable[[Any], str]
) -> tuple[list[str], list[Row], list[list[list[int]]]]:
    """Rows (one per key of ``counts`` with anything in the period, in key order) of the
    period's sums, and each month's counts per row, for a table over the whole period."""
    keys = sorted(k for k, by in counts.items() if any(any(c.values()) for c in by.values()))
    rows = [
        Row(label(k), [sum(counts[k][m][n] for m in period.months) for n in names]) for k in keys
    ]
    by_month = [[[counts[k][m][n] for n in names] for k in keys] for m in period.months]
    return [str(k) for k in keys], rows, by_month


def attendance(period: Period) -> Table:
    """Attendance at meetings held in the period, by organisation.  One query."""
    monthly = _monthly(
        Attendance.objects.filter(meeting__state=Meeting.State.HELD).annotate(
            org=_organisation_label()
        ),
        "meeting__start",
        period,
        {
            "present": Q(status=Attendance.Status.PRESENT),
            "apologies": Q(status=Attendance.Status.APOLOGIES),
            "absent": Q(status=Attendance.Status.ABSENT),
        },
        by="org",
    )
    keys, table_rows, by_month = _entity_table(
        monthly, period, ["present", "apologies", "absent"], _org_name
    )
    table_rows = _with_total_row(table_rows, 3)
    for row in table_rows:
        row.extra = _share(row.values[0], sum(row.values))
        row.extra_of = (0, 1, 2)
    return Table(
        "attendance",
        _("Meeting attendance by organisation"),
        _("Organisation"),
        [_("Present"), _("Apologies"), _("Absent")],
        table_rows,
        total_column=True,
        extra_label=_("Share present"),
        extra_unit="%",
        chart_extra=True,
        note=_("Meetings held in the period."),
        by_month=by_month,
        row_keys=keys,
    )


def clocks(period: Period) -> Table:
    """Statutory clocks that fell due in the period, met in time, met late or missed, by rule.

    One query (by IST month due and rule).  The 24-hour production before the CWC has its
    own figure (by month started): it is left out here, so that no two figures count the
    same clocks and one cannot be subtracted from the other to undo small-number suppression.
    """
    monthly = _monthly(
        Clock.objects.exclude(rule=clock_rules.CWC_PRODUCTION.code),
        "due_at",
        period,
        {
            "met": Q(state=Clock.State.MET, met_at__lte=F("due_at")),
            "late": Q(state=Clock.State.MET, met_at__gt=F("due_at")),
            "missed": Q(state=Clock.State.MISSED),
        },
        by="rule",
    )
    label: Callable[[str], str] = lambda code: str(RULES[code].label) if code in RULES else code  # noqa: E731
    keys, table_rows, by_month = _entity_table(monthly, period, ["met", "late", "missed"], label)
    return Table(
        "clocks",
        _("Statutory deadlines met and missed, by rule"),
        _("Deadline"),
        [_("Met in time"), _("Met late"), _("Missed")],
        _with_total_row(table_rows, 3),
        total_column=True,
        note=_("Deadlines that fell due in the period; the 24-hour production is shown above."),
        by_month=by_month,
        row_keys=keys,
    )


def dashboard_tables(period: Period) -> list[Table]:
    """Every figure, in the order of the page and of the CSV."""
    referrals = referral_counts(period)
    return [
        children_rescued(period),
        cwc_production(period),
        referral_acceptance(period),
        referrals_by_state(period, referrals),
        referrals_by_service(period, referrals),
        raids_executed(period),
        offenders_arrested(period),
        prosecutions(period),
        action_items(),
        attendance(period),
        clocks(period),
    ]
