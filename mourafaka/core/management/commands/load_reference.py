from django.core.management.base import BaseCommand

from mourafaka.cooperatives.reference import load_registry_reference
from mourafaka.territory.reference import load_territory
from mourafaka.trainings.reference import load_training_reference


class Command(BaseCommand):
    help = (
        "Load or refresh all reference data (territory, sectors, national programmes, training "
        "catalogue). Idempotent."
    )

    def handle(self, *args, **options):
        counts = {**load_territory(), **load_registry_reference(), **load_training_reference()}
        self.stdout.write(
            self.style.SUCCESS("Reference data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        )
