"""Purge audit and access logs older than N days (N >= 365), only when retention is set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ftu.retention import MINIMUM_DAYS, NotConfigured, RetentionError, purge_audit


class Command(BaseCommand):
    help = (
        "Delete audit events and log-in records older than --older-than-days (at least "
        f"{MINIMUM_DAYS} and FTU_AUDIT_RETENTION_DAYS); the audit chain stays verifiable."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--older-than-days", type=int, required=True)

    def handle(self, *args: Any, older_than_days: int, **options: Any) -> None:
        try:
            result = purge_audit(older_than_days)
        except NotConfigured as exc:
            self.stdout.write(str(exc))
            return
        except RetentionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Purged {result.audit_rows} audit events (through #{result.through_seq or '-'}) "
            f"and {result.access_rows} log-in records created before {result.cutoff:%Y-%m-%d}."
        )
