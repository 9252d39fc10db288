"""Record the new deliverables of the providers' contracts (run daily by cron)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mourafaka.coaching.deliverables import collect_all, collect_deliverables
from mourafaka.coaching.models import Contract


class Command(BaseCommand):
    help = (
        "Record the diagnostics validated, training days held and coaching visits confirmed by each "
        "provider's staff as deliverables of its active contracts (each once; safe to run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", help="Only this contract (its reference).")
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Run as if on this date (YYYY-MM-DD)."
        )

    def handle(self, *args, contract, today, **options):
        if contract:
            try:
                record = Contract.objects.get(reference=contract)
            except Contract.DoesNotExist as error:
                raise CommandError(f"No contract with the reference {contract!r}.") from error
            try:
                recorded = collect_deliverables(contract=record, today=today)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        else:
            recorded = collect_all(today=today)
        self.stdout.write(self.style.SUCCESS(f"{recorded} deliverable(s) recorded."))
