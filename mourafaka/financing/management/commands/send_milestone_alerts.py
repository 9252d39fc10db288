"""Alert the coaches, delegates and head office about late project milestones (run daily by cron)."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from mourafaka.financing.followup import send_milestone_alerts


class Command(BaseCommand):
    help = (
        "Alert the coach, the delegates of the province and head office about each late milestone of a "
        "financed project (each milestone once a week at most; safe to run several times a day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, help="Run as if on this date (YYYY-MM-DD).")

    def handle(self, *args, date, **options):
        alerted = send_milestone_alerts(at=date or timezone.localdate())
        self.stdout.write(self.style.SUCCESS(f"{alerted} late milestone(s) alerted."))
