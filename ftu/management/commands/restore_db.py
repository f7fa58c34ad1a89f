"""Restore an encrypted backup into a NEW database (docs/operations.md, "Restore")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ftu import audit, backup


class Command(BaseCommand):
    help = (
        "Check a backup's manifest and hash, restore it into a new (or empty) database on "
        "the same server, and compare every table's row count.  Never overwrites data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="ftu-<time>.dump.enc")
        parser.add_argument("--target", required=True, help="name of the NEW database")
        parser.add_argument("--database", default="default", help="server to restore on")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup.restore_backup(
                options["file"], options["target"], using=options["database"]
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        audit.record(
            actor=None,
            action="backup.restore",
            object_type="backup",
            object_id=Path(options["file"]).name,
            reason=f"restored into database {result.database}",
        )
        self.stdout.write(
            json.dumps(
                {
                    "database": result.database,
                    "tables": len(result.counts),
                    "rows": sum(result.counts.values()),
                    "seconds": result.seconds,
                    "next": "run verify_audit against it, then point DATABASE_URL at it",
                }
            )
        )
