"""Bench: case and referral pages with 10,000 cases and 30,000 referrals.

Usage (from the project root):
    .venv/bin/python bench/cases.py                      # SQLite, in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cases .venv/bin/python bench/cases.py

The PostgreSQL database is created if missing and emptied before the run.  Prints, per page,
the number of queries (which must not grow with the data) and p50/p95 of the response time
through Django's test client (no network), over ``--runs`` requests after a warm-up.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _prepare_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        os.environ.setdefault("FTU_DATA_DIR", tempfile.mkdtemp(prefix="ftu-bench-"))
        db = Path(os.environ["FTU_DATA_DIR"]) / "ftu.sqlite3"
        if db.exists() and not os.environ.get("BENCH_REUSE"):
            db.unlink()
        return "sqlite"
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--referrals", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=40)
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
    measure(vendor, args.runs)


def seed(n_cases: int, n_referrals: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from agencies import demo
    from ftu.crypto import encrypt_str
    from ftu.models import Clock
    from referrals import clock_rules
    from referrals.models import CaseCounter, Caseworker, ChildCase, Referral
    from referrals.services import duplicate_index

    rng = random.Random(42)
    people = demo.build(password=None, demo=False)
    orgs = people["orgs"]
    recorders = [
        (people["ahtu_officer"], orgs["ahtu"]),
        (people["ngo_counsellor"], orgs["ngo"]),
        (people["cwc_member"], orgs["cwc"]),
        (people["wcd_officer"], orgs["dcpu"]),
    ]
    receivers = [orgs["ngo"], orgs["shelter"], orgs["cwc"], orgs["dcpu"]]
    now = timezone.now()
    year = timezone.localtime(now).year
    t0 = time.perf_counter()
    # One encrypted token reused per field: Fernet dominates the seeding time otherwise.
    token = {f: encrypt_str(f"Fictional {f}") for f in ChildCase.PROTECTED_FIELDS}
    with transaction.atomic():
        cases = []
        for i in range(n_cases):
            user, org = recorders[i % len(recorders)]
            c = ChildCase(
                code=f"FTU-{year}-{i + 1:05d}",
                recording_org=org,
                created_by=user,
                district="Meerut",
                police_station=orgs["ps_civil"] if i % 3 == 0 else None,
                sex=rng.choice(["female", "male"]),
                apparent_age=rng.randint(8, 17),
                age_band="12-14",
                languages=["hi"],
                needs=["counselling"],
                source="rescue",
                first_contact_at=now - datetime.timedelta(minutes=i * 7),
                age_basis="appearance",
                age_assessed_by=user,
                age_assessed_at=now - datetime.timedelta(minutes=i * 7),
                duplicate_index=duplicate_index(name=str(i), age_band="12-14", guardian_contact=""),
            )
            cases.append(c)
        ChildCase.objects.bulk_create(cases, batch_size=1000)
        from django.db import connection

        with connection.cursor() as cur:
            sets = ", ".join(f"{f} = %s" for f in ChildCase.PROTECTED_FIELDS)
            cur.execute(
                f"UPDATE referrals_childcase SET {sets}",  # noqa: S608 - field names
                [token[f] for f in ChildCase.PROTECTED_FIELDS],
            )
        CaseCounter.objects.update_or_create(year=year, defaults={"last": n_cases})
        cases = list(ChildCase.objects.only("pk", "recording_org_id", "created_by_id"))
        Caseworker.objects.bulk_create(
            [
                Caseworker(
                    case=c,
                    user_id=c.created_by_id,
                    organisation_id=c.recording_org_id,
                    added_by_id=c.created_by_id,
                )
                for c in cases
            ],
            batch_size=2000,
        )
        states = ["sent", "accepted", "declined", "completed", "sent", "withdrawn"]
        refs = []
        for i in range(n_referrals):
            case = cases[i % len(cases)]
            to_org = receivers[i % len(receivers)]
            if to_org.pk == case.recording_org_id:
                to_org = orgs["shelter"]
            state = states[i % len(states)]
            accepted = state in ("accepted", "completed")
            refs.append(
                Referral(
                    case=case,
                    from_org_id=case.recording_org_id,
                    to_org=to_org,
                    created_by_id=case.created_by_id,
                    service="counselling",
                    urgency=rng.choice(["emergency", "urgent", "routine"]),
                    state=state,
                    sent_at=now - datetime.timedelta(hours=i % 200),
                    response_due_at=now + datetime.timedelta(hours=24 - i % 48),
                    caseworker=people["ngo_counsellor"] if accepted else None,
                    decline_reason="No capacity" if state == "declined" else "",
                    idempotency_key=uuid.uuid4(),
                )
            )
        Referral.objects.bulk_create(refs, batch_size=2000)
        ct = ContentType.objects.get_for_model(ChildCase)
        clocks = []
        for c in cases:
            for rule in (
                clock_rules.MEDICAL_CARE,
                clock_rules.REPORT_CWC_COURT,
                clock_rules.CWC_PRODUCTION,
            ):
                start = now - datetime.timedelta(hours=rng.randint(0, 30))
                clocks.append(
                    Clock(
                        content_type=ct,
                        object_id=str(c.pk),
                        rule=rule.code,
                        started_at=start,
                        due_at=rule.due_for(start),
                    )
                )
        Clock.objects.bulk_create(clocks, batch_size=2000)
    print(
        f"seeded {n_cases} cases, {n_referrals} referrals, {len(clocks)} clocks "
        f"in {time.perf_counter() - t0:.1f} s"
    )


def measure(vendor: str, runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from agencies.demo import email_for
    from agencies.models import User
    from referrals.models import ChildCase

    def client_for(key: str) -> Client:
        c = Client()
        c.force_login(User.objects.get(email=email_for(key)))
        return c

    case = ChildCase.objects.filter(recording_org__name__startswith="Anti").order_by("pk").first()
    pages = [
        ("home (floor, same run)", "ngo_coordinator", reverse("home")),
        ("partners directory (ref.)", "ngo_coordinator", reverse("agencies:directory")),
        ("inbox (NGO coordinator)", "ngo_coordinator", reverse("referrals:inbox")),
        ("inbox, last page", "ngo_coordinator", reverse("referrals:inbox") + "?page=last"),
        ("inbox, overdue filter", "ngo_coordinator", reverse("referrals:inbox") + "?overdue=true"),
        ("outbox (AHTU)", "ahtu_officer", reverse("referrals:outbox")),
        ("case list (convenor)", "convenor", reverse("referrals:cases")),
        ("case page (holder)", "ahtu_officer", case.get_absolute_url()),
        ("case page (convenor)", "convenor", case.get_absolute_url()),
        ("deadlines (convenor)", "convenor", reverse("referrals:clocks")),
    ]
    print(f"\n{vendor}: page | queries | p50 ms | p95 ms")
    for label, key, url in pages:
        client = client_for(key)
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        counted: list[str] = []

        def count(execute, sql, params, many, context, counted=counted):  # type: ignore[no-untyped-def]
            counted.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:28} | {len(counted):3d} | {statistics.median(times):7.1f} | {p95:7.1f}")


if __name__ == "__main__":
    main()
