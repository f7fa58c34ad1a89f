from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ftu import accessdocs
from ftu.policy import markdown_table


class Command(BaseCommand):
    help = (
        "Print the access policy as a Markdown table; with --write, put it into docs/access.md "
        "and README.md (between their access-table markers)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write"]:
            for path in accessdocs.write_all():
                self.stdout.write(f"Wrote the table into {path}")
            return
        self.stdout.write(markdown_table(), ending="")
