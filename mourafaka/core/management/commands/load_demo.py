from django.conf import settings
from django.core.management.base import BaseCommand

from mourafaka.core.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo (a programme with its tranche, cooperatives, one account per role). Idempotent."

    def handle(self, *args, **options):
        accounts = load_demo()
        password = settings.MOURAFAKA["DEMO_PASSWORD"]
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in at http://127.0.0.1:8000/ with:"))
        for account in accounts:
            self.stdout.write(f"  {account.role.label:<32} {account.email:<40} {password}")
