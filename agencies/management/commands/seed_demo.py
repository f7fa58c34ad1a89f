from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies import demo, demo_actions


class Command(BaseCommand):
    help = "Seed the embedded demo: a fictional Meerut-like FTU and one person per role."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with FTU_ENV=production.")
        people = demo.build()
        from meetings import demo as meetings_demo

        meetings_demo.build(people)
        demo_actions.build(people)
        from raids import demo as raids_demo

        raids_demo.build(people)
        cases = demo.build_cases(people)
        if cases:
            self.stdout.write(f"Demo child cases (fictional): {', '.join(c.code for c in cases)}")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for person in demo.PEOPLE:
            if person.active:
                self.stdout.write(f"  {person.key:<20} {demo.email_for(person.key)}")
