"""Erase the protected identity of cases closed longer than the retention period."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from referrals.retention import erase_closed_identities


class Command(BaseCommand):
    help = (
        "Erase the protected identity fields of child cases closed more than "
        "FTU_CASE_IDENTITY_RETENTION_DAYS ago and not under a legal hold (audited, "
        "idempotent).  --dry-run lists them only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        try:
            result = erase_closed_identities(dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not result.days:
            self.stdout.write("FTU_CASE_IDENTITY_RETENTION_DAYS is 0: nothing is erased.")
            return
        verb = "Would erase" if dry_run else "Erased"
        codes = ", ".join(result.codes) or "-"
        self.stdout.write(
            f"{verb} the identity of {len(result.codes)} case(s) closed before "
            f"{result.cutoff:%Y-%m-%d}: {codes}"
        )
