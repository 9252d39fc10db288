"""Remind the coaches of the visits planned in the coming days (run daily by cron)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from mourafaka.coaching.followup import remind_coaches


class Command(BaseCommand):
    help = (
        "Remind each coach of their coaching visits planned within the coming days (each visit once; "
        "safe to run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-ahead", type=int, default=3, help="How many days before a planned visit (default 3)."
        )
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Run as if on this date (YYYY-MM-DD)."
        )

    def handle(self, *args, days_ahead, today, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead cannot be negative.")
        reminded = remind_coaches(days_ahead=days_ahead, today=today)
        self.stdout.write(self.style.SUCCESS(f"{reminded} visit(s) reminded."))
