"""Who sees what: full numbers for the MP's office and the convenor, small numbers suppressed
for everyone else (media included); the CSV suppressed the same way; constant queries."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.figures import VERSION_KEY
from dashboard.selectors import Period, Row, Table, month_label
from dashboard.suppression import shown
from ftu.policy import Cap, can
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db
FULL = ("mp_reviewer", "convenor")
SUPPRESSED = ("media_member", "ngo_counsellor", "station_officer", "cwc_chair")
RESCUED = "Children rescued or first contacted"


def _cases(p, n, **kw):
    at = timezone.now() - datetime.timedelta(hours=2)
    return [
        make_case(p["cwc_member"], p["orgs"]["cwc"], first_contact_at=at, age_assessed_at=at, **kw)
        for _ in range(n)
    ]


def _csv(client, **params):
    response = client.get(reverse("dashboard:csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _cell(rows, figure, label, column):
    return next(r[3] for r in rows if r[:3] == [figure, label, column])


@pytest.mark.parametrize("key", FULL + SUPPRESSED)
def test_full_for_the_mp_office_and_convenor_suppressed_for_others(personas, login, key) -> None:
    _cases(personas, 3)
    assert can(personas[key], Cap.DASHBOARD_FULL) == (key in FULL)
    client = login(personas[key])
    page = client.get(reverse("dashboard:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    last = Period.last_twelve().last
    rows = _csv(client)
    value = _cell(rows, RESCUED, month_label(last), "Children")
    year_total = _cell(rows, RESCUED, f"Total {last.year}", "Children")
    if key in FULL:
        assert value == "3" and year_total == "3"
        assert "small numbers suppressed" not in html
    else:
        assert value == "*" and year_total == "*"
        assert "small numbers suppressed" in html and "hidden to protect small numbers" in html
    # Zero is no small number: months with nothing show 0 to everyone.
    assert _cell(rows, RESCUED, month_label(Period.last_twelve().first), "Children") == "0"


def test_five_and_more_is_shown_to_everyone(personas, login) -> None:
    _cases(personas, 5)
    rows = _csv(login(personas["media_member"]))
    assert _cell(rows, RESCUED, month_label(Period.last_twelve().last), "Children") == "5"


def test_the_page_names_no_child_no_person_no_station(personas, login) -> None:
    case = _cases(personas, 6)[0]
    refer(personas["cwc_member"], case, personas["orgs"]["ngo"])
    for key in ("convenor", "media_member"):
        client = login(personas[key])
        html = client.get(reverse("dashboard:dashboard")).content.decode()
        data = client.get(reverse("dashboard:csv")).content.decode()
        for text in (html, data):
            assert case.code not in text
            assert personas["cwc_member"].full_name not in text
            assert personas["orgs"]["ps_civil"].name not in text
        assert ' style="' not in html  # CSP: no inline styles


def test_suppression_rules_on_a_table() -> None:
    table = Table(
        "t",
        "T",
        "Month",
        ["a", "b"],
        [
            Row("m1", [3, 10]),
            Row("m2", [0, 7]),
            Row("Total", [3, 17], parts=[0, 1]),
        ],
        total_column=True,
        extra_label="share",
        extra_unit="%",
    )
    for row in table.rows:
        row.extra, row.extra_of = 50, (0, 1)
    hidden = shown(table, full=False)
    assert [[c.text for c in r.cells] for r in hidden.rows] == [
        # The 3 is hidden, and so is the 10 beside it (else 3 = 13 - 10) ...
        ["*", "*", "13", "*"],
        # ... m2 has nothing hidden (its 0 is shown) ...
        ["0", "7", "7", "50%"],
        # ... so the column totals over m1's hidden cells go too (else 3 = Total - 0 and
        # 10 = 17 - 7), and a share over a hidden count.
        ["*", "*", "20", "*"],
    ]
    full = shown(table, full=True)
    assert [c.text for c in full.rows[0].cells] == ["3", "10", "13", "50%"]
    # A total from 1 to 4 is hidden even when its parts are zero or hidden anyway.
    small = Table(
        "s", "S", "Month", ["a"], [Row("m", [0]), Row("n", [0]), Row("T", [0], parts=[0, 1])]
    )
    small.rows[2].values = [2]
    assert shown(small, full=False).rows[2].cells[0].text == "*"


def test_a_period_of_choice_and_its_validation(personas, login) -> None:
    client = login(personas["convenor"])
    url = reverse("dashboard:dashboard")
    response = client.get(url, {"start": "2025-01", "end": "2025-03"})
    assert response.status_code == 200
    assert [r[1] for r in _csv(client, start="2025-01", end="2025-03") if r[0] == RESCUED] == [
        "Jan 2025",
        "Feb 2025",
        "Mar 2025",
        "Total 2025",
    ]
    bad = client.get(url, {"start": "2025-03", "end": "2025-01"})
    assert bad.status_code == 200 and "The last month is before the first." in bad.content.decode()
    assert (
        "Choose at most 36 months."
        in client.get(url, {"start": "2020-01", "end": "2025-01"}).content.decode()
    )


def test_anonymous_is_sent_to_log_in_and_a_deactivated_member_refused(
    personas, client, login
) -> None:
    assert client.get(reverse("dashboard:dashboard")).status_code == 302
    assert client.get(reverse("dashboard:csv")).status_code == 302
    gone = login(personas["deactivated"])
    assert gone.get(reverse("dashboard:csv")).status_code in (302, 403)


def test_query_count_is_constant_as_data_grow(
    personas, login, django_assert_max_num_queries
) -> None:
    client = login(personas["mp_reviewer"])
    url = reverse("dashboard:dashboard")
    client.get(url)
    cache.delete(VERSION_KEY)  # computed afresh: every figure's query
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    cold = len(small.captured_queries)  # now: the log is a bounded deque
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    # Warm, the figures come from the cache: no figure is queried again.
    assert len(warm.captured_queries) <= cold - 10
    cases = _cases(personas, 8)
    for case in cases:
        refer(personas["cwc_member"], case, personas["orgs"]["ngo"])
    # A write to the data behind the figures invalidates them: computed again, with as
    # many queries as on the empty database (at most: the session is cached by then).
    with CaptureQueriesContext(connection) as grown:
        assert client.get(url).status_code == 200
    assert len(grown.captured_queries) <= cold
    assert "8" in _cell(_csv(client), RESCUED, month_label(Period.last_twelve().last), "Children")
    cache.delete(VERSION_KEY)
    with django_assert_max_num_queries(cold):
        client.get(reverse("dashboard:csv"))


def test_page_and_csv_hide_the_same_cells_and_say_when_computed(personas, login) -> None:
    cases = _cases(personas, 7)
    for case in cases[:3]:
        refer(personas["cwc_member"], case, personas["orgs"]["ngo"])
    client = login(personas["media_member"])
    html = client.get(reverse("dashboard:dashboard")).content.decode()
    rows = _csv(client)
    hidden = [r for r in rows if len(r) == 4 and r[3] == "*"]
    assert hidden  # the 3 referrals, and what would give them away
    assert html.count('title="hidden to protect small numbers"') == len(hidden)
    assert "Figures as of" in html and rows[-2][0].startswith("Figures as of")
    # The month's 7 children are shown; its 3 referrals are not, by state or by service.
    month = month_label(Period.last_twelve().last)
    assert _cell(rows, RESCUED, month, "Children") == "7"
    assert _cell(rows, "Referrals by state", month, "Total") == "*"
    assert _cell(rows, "Referrals by service", month, "Total") == "*"
