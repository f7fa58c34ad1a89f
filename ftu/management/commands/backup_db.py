"""Encrypted backup of the PostgreSQL database (docs/operations.md, "Backups")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ftu import audit, backup


class Command(BaseCommand):
    help = (
        "pg_dump (custom format, compressed), encrypted with the backup key, with a signed "
        "manifest of row counts and SHA-256 sums."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output-dir", type=Path, default=None, help="default FTU_BACKUP_DIR")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="afterwards delete this tool's backups older than N days (N >= 7)",
        )
        parser.add_argument(
            "--generate-key", action="store_true", help="print a new backup key and stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate_key"]:
            self.stdout.write(backup.generate_key())
            return
        keep = options["keep_days"]
        if keep is not None and keep < 7:
            raise CommandError("--keep-days below 7 would leave too few restore points.")
        try:
            result = backup.create_backup(options["output_dir"], using=options["database"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        try:
            audit.record(
                actor=None,
                action="backup.create",
                object_type="backup",
                object_id=result.path.name,
                reason=f"sha256 {result.manifest['file_sha256']}",
            )
        except DatabaseError:
            # Dumping from the read-only replica: the backup stands; journald has the line.
            self.stderr.write("Backup made; no audit row (read-only database).")
        removed = backup.prune(result.path.parent, keep) if keep is not None else []
        summary = {
            "file": str(result.path),
            "manifest": str(result.manifest_path),
            "bytes": result.manifest["bytes"],
            "rows": sum(result.manifest["tables"].values()),
            "seconds": result.seconds,
            "pruned": removed,
            "directory": str(options["output_dir"] or settings.FTU_BACKUP_DIR),
        }
        self.stdout.write(json.dumps(summary))
