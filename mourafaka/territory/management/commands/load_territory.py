from django.core.management.base import BaseCommand

from mourafaka.territory.reference import load_territory


class Command(BaseCommand):
    help = "Load or refresh the 12 regions, 75 prefectures/provinces, delegations and zones (idempotent)."

    def handle(self, *args, **options):
        counts = load_territory()
        self.stdout.write(
            self.style.SUCCESS("Territory loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        )
