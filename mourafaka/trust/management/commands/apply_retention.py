"""Anonymise the members of cooperatives that left all programmes longer ago than the retention period.

    manage.py apply_retention [--dry-run] [--date YYYY-MM-DD] [--months N]

The period is `settings.MOURAFAKA["RETENTION_MONTHS_AFTER_PROGRAMMES"]` (60 months by default).
Run it again: members already anonymised are left as they are. Each erasure is an `ErasureRecord`
(source "retention"); the counts are printed and written to the "mourafaka.trust" log.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mourafaka.trust.personal_data import apply_retention


class Command(BaseCommand):
    help = (
        "Anonymise the members of cooperatives that left all programmes more than the retention period ago."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count the members due, change nothing.")
        parser.add_argument("--date", help="The reference date (YYYY-MM-DD); today by default.")
        parser.add_argument("--months", type=int, help="Override the retention period (months).")

    def handle(self, *args, **options):
        on = timezone.localdate()
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError("--date must be YYYY-MM-DD") from error
        if options["months"] is not None and options["months"] < 0:
            raise CommandError("--months must be positive")
        counts = apply_retention(on=on, dry_run=options["dry_run"], months=options["months"])
        verb = "would be anonymised" if counts["dry_run"] else "anonymised"
        due = counts["due"] if counts["dry_run"] else counts["anonymised"]
        self.stdout.write(
            f"Retention on {counts['date']} ({counts['months']} months after the programmes): "
            f"{counts['cooperatives']} cooperatives past the period, {due} members {verb}, "
            f"{counts['already_anonymised']} already anonymised."
        )
