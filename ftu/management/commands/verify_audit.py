from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ftu.audit import verify_chain
from ftu.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Walk the hash chain of the audit log and report the first broken link (exit code 1). "
        "A chain cannot show that its newest rows were cut off: record the printed head "
        "elsewhere and pass it back with --anchor to check that it is still there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            metavar="SEQ:HASH",
            help="a head printed by an earlier run, which must still be in the chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_at}: {report.problem} "
                f"({report.checked} events before it are intact)."
            )
        if options["anchor"]:
            seq_text, _, expected = options["anchor"].partition(":")
            try:
                seq = int(seq_text)
            except ValueError as exc:
                raise CommandError("--anchor must look like SEQ:HASH.") from exc
            found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
            if found != expected:
                raise CommandError(
                    f"Audit chain broken at event #{seq}: the anchored head is "
                    + ("missing." if found is None else "different.")
                )
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
        if head:
            self.stdout.write(f"Head: {head[0]}:{head[1]}")
