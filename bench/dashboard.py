"""Bench: the district dashboard with 10,000 cases, 30,000 referrals and 30,000 clocks.

Usage (from the project root):
    .venv/bin/python bench/dashboard.py                      # SQLite, in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash .venv/bin/python bench/dashboard.py

Seeds as ``bench/cases.py`` does (same function), then spreads the cases' first contact and
the referrals over the last 12 months, decides the clocks (met in time, met late, missed) and
gives accepted referrals a response time, so that every figure has data.  Prints, per page,
the number of queries and p50/p95 of the response time through Django's test client, twice:
**cold** (the figures' cache emptied before every request, so every figure is computed) and
**warm** (the figures served from the cache, as within the TTL after a first visit).  The
query count must not grow with the data (``--cases 1000`` gives the same counts).

``BENCH_REUSE=1 FTU_DATA_DIR=<dir>`` keeps the seeded SQLite database between runs (the
same data for a before/after comparison of two versions of the code).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cases import _prepare_database, seed  # noqa: E402


def spread() -> None:
    """Move timestamps across 12 months and decide clocks, in a few bulk UPDATEs."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from ftu.models import Clock
    from referrals.models import ChildCase, Referral

    now = timezone.now()
    day = datetime.timedelta(days=1)
    with transaction.atomic():
        # Case i contacted i * 50 minutes ago: 10,000 cases cover about 347 days.
        ids = list(ChildCase.objects.order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cur:
            for start in range(0, len(ids), 1000):
                for offset, pk in enumerate(ids[start : start + 1000]):
                    at = now - datetime.timedelta(minutes=50 * (start + offset))
                    cur.execute(
                        "UPDATE referrals_childcase SET first_contact_at = %s WHERE id = %s",
                        [at, pk],
                    )
        for state, offset in (("accepted", 0), ("completed", 1)):
            Referral.objects.filter(state=state).update(
                sent_at=F("sent_at") - day * (30 * offset + 5),
                responded_at=F("sent_at") - day * (30 * offset + 5) + datetime.timedelta(hours=7),
            )
        clocks = Clock.objects.order_by("pk").values_list("pk", flat=True)
        pks = list(clocks)
        third = len(pks) // 3
        Clock.objects.filter(pk__in=pks[:third]).update(state="met", met_at=F("started_at"))
        Clock.objects.filter(pk__in=pks[third : 2 * third]).update(
            state="met", met_at=F("due_at") + datetime.timedelta(hours=2)
        )
        Clock.objects.filter(pk__in=pks[2 * third :]).update(state="missed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--referrals", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    vendor = _prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftu.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from referrals.models import ChildCase

    if not ChildCase.objects.exists():
        seed(args.cases, args.referrals)
        spread()
    measure(vendor, args.runs)
    suppression_cost()


def suppression_cost(runs: int = 5) -> None:
    """The suppression step alone on sparse data (the bench's data have no small cells):
    36 months of random small counts in every figure, so that most months need
    complementary cells.  No database: the tables are built as the selectors build them."""
    import random

    from dashboard import selectors
    from dashboard.selectors import Period, Row, Table
    from dashboard.suppression import hidden_cells

    rng = random.Random(7)
    period = Period(datetime.date(2024, 1, 1), datetime.date(2026, 12, 1))
    months = period.months

    def month_table(key: str, width: int, high: int, total: bool = True) -> Table:
        counts = {m: [rng.randint(0, high) for _ in range(width)] for m in months}
        return Table(
            key,
            key,
            "Month",
            [f"c{c}" for c in range(width)],
            selectors._month_rows(period, counts, width),
            total_column=total,
            month_rows=len(months),
        )

    def entity_table(key: str, n: int, high: int) -> Table:
        counts = {
            f"e{e}": {m: {c: rng.randint(0, high) for c in "abc"} for m in months} for e in range(n)
        }
        keys, rows, by_month = selectors._entity_table(counts, period, list("abc"), str)
        return Table(
            key,
            key,
            "Row",
            list("abc"),
            selectors._with_total_row(rows, 3),
            total_column=True,
            by_month=by_month,
            row_keys=keys,
        )

    state = month_table("referrals_state", 5, 6)
    state.column_keys = ["sent", "accepted", "declined", "withdrawn", "completed"]
    service = month_table("referrals_service", 4, 6)
    for s_row, v_row in zip(state.rows, service.rows, strict=True):  # the same referrals
        v_row.values[0] += sum(s_row.values) - sum(v_row.values)
        if v_row.values[0] < 0:
            s_row.values[0] -= v_row.values[0]
            v_row.values[0] = 0
    tables = [
        month_table("rescued", 1, 9, total=False),
        month_table("production", 2, 6),
        state,
        service,
        month_table("raids", 1, 4, total=False),
        month_table("arrested", 4, 3),
        month_table("prosecutions", 2, 3, total=False),
        Table(
            "actions",
            "actions",
            "Org",
            ["open", "overdue"],
            selectors._with_total_row(
                [Row(f"o{i}", [rng.randint(0, 6), rng.randint(0, 3)]) for i in range(10)], 2
            ),
        ),
        entity_table("attendance", 10, 3),
        entity_table("clocks", 5, 6),
    ]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        hidden = hidden_cells(tables)
        times.append((time.perf_counter() - t) * 1000)
    cells = sum(len(row) for rows in hidden.values() for row in rows)
    shown = sum(not h for rows in hidden.values() for row in rows for h in row)
    print(
        f"\nsuppression alone, 36 sparse months: {statistics.median(times):.0f} ms median "
        f"of {runs} ({shown} of {cells} cells shown)"
    )


def measure(vendor: str, runs: int) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from agencies.demo import email_for
    from agencies.models import User

    pages = [
        ("home (floor, same run)", "media_member", reverse("home")),
        ("dashboard (MP's office, full)", "mp_reviewer", reverse("dashboard:dashboard")),
        ("dashboard (media, suppressed)", "media_member", reverse("dashboard:dashboard")),
        ("dashboard CSV (MP's office)", "mp_reviewer", reverse("dashboard:csv")),
        (
            "dashboard, 36 months",
            "mp_reviewer",
            reverse("dashboard:dashboard") + "?start=2024-01&end=2026-12",
        ),
    ]
    print(f"\n{vendor}: page | mode | queries | p50 ms | p95 ms")
    for label, key, url in pages:
        client = Client()
        client.force_login(User.objects.get(email=email_for(key)))
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        for mode in ("cold", "warm"):
            counted: list[str] = []

            def count(execute, sql, params, many, context, counted=counted):  # type: ignore[no-untyped-def]
                counted.append(sql)
                return execute(sql, params, many, context)

            if mode == "cold":
                cache.delete_many(_figure_keys())
            with connection.execute_wrapper(count):
                client.get(url)
            times = []
            for _ in range(runs):
                if mode == "cold":
                    # Only the figures: the session stays cached as for a real visitor.
                    cache.delete_many(_figure_keys())
                t = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"{label:32} | {mode} | {len(counted):3d} | "
                f"{statistics.median(times):7.1f} | {p95:7.1f}"
            )


def _figure_keys() -> list[str]:
    """The cached figures' version key: a new version makes every figure unreachable.

    Never ``cache.clear()``: on Redis it empties a database that others may share."""
    try:
        from dashboard.figures import VERSION_KEY
    except ImportError:  # a version of the code without the cache
        return []
    return [VERSION_KEY]


if __name__ == "__main__":
    main()
