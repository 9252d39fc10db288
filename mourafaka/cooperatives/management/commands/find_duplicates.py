"""Look for likely duplicate cooperatives and members (all provinces, or the ones named)."""

import time

from django.core.management.base import BaseCommand

from mourafaka.cooperatives.dedup import scan_duplicates
from mourafaka.cooperatives.models import DuplicateCandidate
from mourafaka.territory.models import Province


class Command(BaseCommand):
    help = "Record likely duplicate cooperatives and members for a person to merge or dismiss."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", action="append", default=[], help="Province code, e.g. 07.431 (repeatable)."
        )
        parser.add_argument(
            "--kind", choices=DuplicateCandidate.Kind.values, help="Only cooperatives or only members."
        )

    def handle(self, *args, province, kind, **options):
        province_ids = None
        if province:
            province_ids = list(Province.objects.filter(code__in=province).values_list("pk", flat=True))
            if len(province_ids) != len(set(province)):
                self.stderr.write(self.style.ERROR("Unknown province code among: " + ", ".join(province)))
                return
        started = time.perf_counter()

        def progress(done, total):
            if options["verbosity"] > 1:
                self.stdout.write(f"{done}/{total} provinces")

        found = scan_duplicates(province_ids=province_ids, kinds=[kind] if kind else None, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{found} new likely duplicate(s) found in {elapsed:.1f} s."))
