"""Remind the people expected at the training sessions starting soon (run daily by cron)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from mourafaka.trainings.invitations import remind_upcoming


class Command(BaseCommand):
    help = (
        "Remind the invited and confirmed participants of the planned training sessions that start "
        "within the coming days (each person once; safe to run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=2,
            help="How many days before a session's first day (default 2).",
        )
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Run as if on this date (YYYY-MM-DD)."
        )

    def handle(self, *args, days_ahead, today, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead cannot be negative.")
        reminded = remind_upcoming(days_ahead=days_ahead, today=today)
        self.stdout.write(self.style.SUCCESS(f"{reminded} participant(s) reminded."))
