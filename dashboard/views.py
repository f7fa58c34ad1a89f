"""The district dashboard: one page and its CSV, aggregates only.

Every member sees it (``DASHBOARD_SUPPRESSED``) with counts from 1 to 4 suppressed; the MP's
office and the convenor (``DASHBOARD_FULL``) see every number.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dashboard import selectors
from dashboard.forms import period_from
from dashboard.suppression import ShownTable, shown
from ftu.access import requires
from ftu.policy import Cap, can


def _tables(request: HttpRequest) -> tuple[object, selectors.Period, list[ShownTable], bool]:
    form, period = period_from(request.GET)
    full = can(request.user, Cap.DASHBOARD_FULL)
    tables = [shown(t, full=full) for t in selectors.dashboard_tables(period)]
    return form, period, tables, full


@requires(Cap.DASHBOARD_SUPPRESSED)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period, tables, full = _tables(request)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "period": period,
            "tables": tables,
            "full": full,
            "query": request.GET.urlencode(),
        },
    )


@requires(Cap.DASHBOARD_SUPPRESSED)
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    _form, period, tables, full = _tables(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"ftu-dashboard-{period.first:%Y-%m}-{period.last:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow([_("Figure"), _("Row"), _("Column"), _("Value")])
    for table in tables:
        for row in table.rows:
            for header, cell in zip(table.headers, row.cells, strict=True):
                writer.writerow(
                    [_csv_safe(str(v)) for v in (table.table.title, row.label, header, cell.text)]
                )
    if not full:
        writer.writerow([_("Counts from 1 to 4, and totals that include them, are shown as <5.")])
    return response


def _csv_safe(text: str) -> str:
    """No cell may start like a spreadsheet formula ("<5" and numbers are safe; be sure)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
