from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ftu.keyrotation import DEFAULT_BATCH, RotationError, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (and the MFA secrets) under the newest key, the "
        "first of FIELD_ENCRYPTION_KEYS, in batches; write one audit event with the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = rotate_all(batch_size=options["batch_size"])
        except RotationError as exc:
            # Batches before the failing one are committed and stay readable (old keys kept).
            raise CommandError(f"Rotation stopped: {exc}.") from exc
        if settings.BLIND_INDEX_KEY in settings.FIELD_ENCRYPTION_KEYS:
            # Blind indexes are HMACs under BLIND_INDEX_KEY, which defaults to the *oldest*
            # field key: removing that key would silently stop every exact-match search.
            self.stderr.write(
                self.style.WARNING(
                    "BLIND_INDEX_KEY is not set apart: it is one of FIELD_ENCRYPTION_KEYS. Set "
                    "BLIND_INDEX_KEY to that key's value before removing it from "
                    "FIELD_ENCRYPTION_KEYS, or blind-index searches will stop matching."
                )
            )
        for label, values in report.values.items():
            self.stdout.write(f"{label}: {report.rows[label]} rows, {values} values re-encrypted")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {report.total} values under the newest key. The old keys can now be "
                "removed from FIELD_ENCRYPTION_KEYS."
            )
        )
