"""The district dashboard: one page and its CSV, aggregates only.

Every member sees it (``DASHBOARD_SUPPRESSED``) with small numbers suppressed, complementary
cells included (``dashboard.suppression``); the MP's office and the convenor
(``DASHBOARD_FULL``) see every number.  Figures come from ``dashboard.figures`` (cached).
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dashboard import selectors
from dashboard.figures import figures, rendered
from dashboard.forms import period_from
from ftu.access import requires
from ftu.policy import Cap, can

SUPPRESSED_NOTE = gettext_noop(
    "Cells shown as * are hidden: counts from 1 to 4, and the figures that would let one "
    "be worked out from the others (see the dashboard's note on small numbers)."
)


@requires(Cap.DASHBOARD_SUPPRESSED)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = period_from(request.GET)
    full = can(request.user, Cap.DASHBOARD_FULL)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "period": period,
            "figures": rendered(period, full=full),
            "full": full,
            "query": request.GET.urlencode(),
        },
    )


@requires(Cap.DASHBOARD_SUPPRESSED)
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    _form, period = period_from(request.GET)
    full = can(request.user, Cap.DASHBOARD_FULL)
    tables, computed_at = figures(period, full=full)
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
    as_of = timezone.localtime(computed_at, selectors.IST)
    writer.writerow([_("Figures as of %(time)s IST.") % {"time": f"{as_of:%Y-%m-%d %H:%M}"}])
    if not full:
        writer.writerow([_(SUPPRESSED_NOTE)])
    return response


def _csv_safe(text: str) -> str:
    """No cell may start like a spreadsheet formula ("<5" and numbers are safe; be sure)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
