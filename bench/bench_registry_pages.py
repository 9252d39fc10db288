"""The cooperative list and its searches at national size, through the Django test client.

Loads the synthetic national registry (60,939 cooperatives, about 764,000 members) straight into
a fresh scratch database, then requests the list page as the head office and as the delegate of
Safi with several queries, 30+ times each after a warm-up: p50 and p95 in milliseconds against a
target p95 under 200 ms. For page sizes 25 and 100 it counts the SQL queries of each page (they
must not grow) and compares the page's time with the bare SQL of the same page (the statements
the page ran, executed again directly on the cursor).

    .venv/bin/python bench/bench_registry_pages.py [--cooperatives N] [--requests 30]
"""

import argparse
import sys
import time

import common

TARGET_P95_MS = 200


def _queries(persona_key: str) -> list[tuple[str, dict]]:
    from mourafaka.cooperatives.models import Cooperative, Sector
    from mourafaka.territory.models import Region

    safi = persona_key.startswith("delegate")
    region = Region.objects.get(code="07" if safi else "06")
    sector = Sector.objects.get(code="AGR")
    numbers = Cooperative.objects.filter(region=region, registration_number__regex=r"^\d\d-").order_by("pk")
    number = numbers.values_list("registration_number", flat=True)[numbers.count() // 2]
    return [
        ("no filter", {}),
        ("by region", {"region": region.pk}),
        ("by sector", {"sector": sector.pk}),
        ("French name", {"q": "Al Baraka"}),
        ("Arabic name with diacritics", {"q": "تَعاوُنِيَّة الْبَرَكَة"}),
        ("registration number", {"q": number}),
        ("region + sector + name", {"region": region.pk, "sector": sector.pk, "q": "nour"}),
        ("page 40", {"page": 40}),
    ]


def _bare_sql_ms(statements: list[str], repeat: int) -> float:
    """Median time of running the page's own SQL (the statements on cooperatives) directly."""
    from django.db import connection

    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return common.percentile(samples, 50)


def _measure(client, url: str, params: dict, requests: int) -> tuple[list[float], list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        assert client.get(url, params).status_code == 200
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    return samples, [query["sql"] for query in captured.captured_queries]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=common.national_size())
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2025)
    options = parser.parse_args(argv)

    common.setup(fresh=True)
    from django.test import Client
    from django.urls import reverse

    from mourafaka.accounts.models import User
    from mourafaka.cooperatives import synthetic, views

    with common.timed() as timer:
        cooperatives, members = synthetic.load(
            synthetic.generate(seed=options.seed, cooperatives=options.cooperatives)
        )
    database = common.database_label()
    print(f"Registry pages on {database}: {cooperatives:,} cooperatives, {members:,} members")
    print(f"  loaded with bulk_create in {timer.seconds:.1f} s")
    _analyse()

    url = reverse("cooperatives:list")
    timings, counts = [], []
    worst = 0.0
    for persona in ("manager", "delegate.safi"):
        client = Client()
        client.force_login(User.objects.get(email=f"{persona}@demo.mourafaka.ma"))
        for label, params in _queries(persona):
            row_counts = []
            for page_size in (25, 100):
                views.PAGE_SIZE = page_size
                samples, statements = _measure(client, url, params, options.requests)
                row_counts.append(len(statements))
                if page_size == 25:
                    p50, p95 = common.percentile(samples, 50), common.percentile(samples, 95)
                    worst = max(worst, p95)
                    own = [sql for sql in statements if "cooperatives_cooperative" in sql]
                    bare = _bare_sql_ms(own, options.requests)
                    timings.append((persona, label, p50, p95, bare, f"x{p50 / bare:.1f}" if bare else "-"))
            views.PAGE_SIZE = 25
            counts.append((persona, label, *row_counts, "yes" if row_counts[0] == row_counts[1] else "NO"))
    common.print_table(
        f"Cooperative list, {options.requests} requests each, page of 25 ({database})",
        ("persona", "query", "p50 ms", "p95 ms", "bare SQL ms", "page / SQL"),
        timings,
    )
    common.print_table(
        "SQL queries per page",
        ("persona", "query", "page of 25", "page of 100", "same"),
        counts,
    )
    steady = all(row[-1] == "yes" for row in counts)
    print(
        f"\nTarget p95 < {TARGET_P95_MS} ms and a fixed number of queries: "
        f"{'met' if worst < TARGET_P95_MS and steady else 'MISSED'} (worst p95 {worst:.0f} ms)"
    )
    return 0


def _analyse() -> None:
    """Fresh planner statistics, as a production database would have after its nightly maintenance."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
