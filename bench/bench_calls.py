"""Selection at national scale through the real services: eligibility of 10,000 applications
(target < 5 s) and the ranking of 10,000 applications scored by 3 reviewers each (target < 2 s).

Baselines measured in the same run, on the same rows: the same work in bare Python over bare SQL
(the facts read with one SELECT, the rules as plain comparisons, the outcome written with one
executemany; for the ranking, the scores read with one SELECT, means, weighted totals, the sort
and the quota selection in plain Python, nothing written).

    .venv/bin/python bench/bench_calls.py [--applications N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_calls.py
"""

import argparse
import datetime as dt
import random
import sys
from collections import defaultdict

import common

TARGET_ELIGIBILITY = 5.0
TARGET_RANKING = 2.0
REVIEWERS = 3


def _world(size: int):
    """A call open to every region, `size` cooperatives that applied, 3 reviewers."""
    from django.utils import timezone

    from mourafaka.accounts.models import Role, User
    from mourafaka.calls import services
    from mourafaka.calls.models import Application, Call
    from mourafaka.cooperatives.models import Cooperative, Sector
    from mourafaka.programmes.models import Edition
    from mourafaka.territory.models import Province, Region

    manager = User.objects.get(email="manager@demo.mourafaka.ma")
    tranche = Edition.objects.get(code="tranche-4")
    edition = Edition.objects.create(programme=tranche.programme, code="bench", name_fr="Bench")
    closes = timezone.make_aware(dt.datetime(2024, 3, 31, 18))  # noqa: DTZ001 (the office time zone)
    call = Call(edition=edition, code="bench", name_fr="Bench", opens_at=closes - dt.timedelta(days=90),
                closes_at=closes, waitlist_length=10, reallocate_unused=True, reviewers_per_application=REVIEWERS)  # fmt: skip
    regions = list(Region.objects.all())
    services.configure_call(call=call, regions=regions, by=manager, quotas=dict.fromkeys(regions, 50))
    provinces = list(Province.objects.all())
    sector = Sector.objects.filter(parent__isnull=True).first()
    rng = random.Random(4)
    cooperatives = []
    for number in range(size):
        province = provinces[number % len(provinces)]
        created = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
        total = rng.randrange(3, 40)
        cooperatives.append(Cooperative(
            registration_number=f"BENCH-{number:06d}", name_fr=f"Coopérative {number}", province=province,
            region_id=province.region_id, sector=sector, creation_date=created,
            activity_start_date=created + dt.timedelta(days=rng.randrange(0, 400)), members_total=total,
            members_women=rng.randrange(0, total + 1), members_youth=rng.randrange(0, total + 1),
            legal_status_ok=rng.random() > 0.05, rural=rng.random() > 0.4,
        ))  # fmt: skip
    Cooperative.objects.bulk_create(cooperatives, batch_size=2000)
    cooperatives = Cooperative.objects.filter(registration_number__startswith="BENCH-").order_by("pk")
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                cooperative=cooperative,
                status=Application.Status.SUBMITTED,
                project_summary="Projet",
                submitted_at=closes - dt.timedelta(minutes=i % 50_000),
            )  # fmt: skip
            for i, cooperative in enumerate(cooperatives)
        ],
        batch_size=2000,
    )
    reviewers = [
        User.objects.create_user(
            f"bench{n}@bench.invalid", "x-long-password", full_name=f"Reviewer {n}", role=Role.JUROR
        )  # fmt: skip
        for n in range(REVIEWERS)
    ]
    return call, manager, reviewers


def _score_everything(call, reviewers) -> int:
    """Every application gets 3 reviewers and their scores (bulk: this is set-up, not measured)."""
    from mourafaka.calls.models import Application, Criterion, ReviewerAssignment, Score

    Application.objects.filter(call=call).update(eligible=True)  # rank all 10,000
    criteria = list(call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    rng = random.Random(7)
    ids = list(Application.objects.filter(call=call).values_list("pk", flat=True))
    ReviewerAssignment.objects.bulk_create(
        [ReviewerAssignment(reviewer=r, application_id=a) for a in ids for r in reviewers], batch_size=5000
    )
    scores = [
        Score(application_id=a, reviewer=r, criterion=c, value=rng.randrange(0, 9) / 2)
        for a in ids
        for r in reviewers
        for c in criteria
    ]
    Score.objects.bulk_create(scores, batch_size=5000)
    return len(scores)


def _eligibility_baseline(call) -> float:
    """Bare SQL + bare Python: read the facts, apply the six rules, write the outcome."""
    from django.db import connection, transaction

    from mourafaka.calls.eligibility import years_before

    at = call.reference_date
    regions = {r for rule in call.eligibility_rules for r in rule["params"].get("regions", [])}
    with common.timed() as timer, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, c.creation_date, c.activity_start_date, c.members_total, c.legal_status_ok, r.code "
                "FROM calls_application a JOIN cooperatives_cooperative c ON c.id = a.cooperative_id "
                "JOIN territory_region r ON r.id = c.region_id WHERE a.call_id = %s AND a.status = 'submitted'",
                [call.pk],
            )
            rows = []
            for pk, created, started, members, legal, region in cursor.fetchall():
                if isinstance(created, str):  # SQLite returns dates as text
                    created, started = dt.date.fromisoformat(created), dt.date.fromisoformat(started)
                eligible = (
                    years_before(at, 4) <= created <= at
                    and started <= years_before(at, 1)
                    and members >= 5
                    and bool(legal)
                    and region in regions
                )
                rows.append((eligible, pk))
            cursor.executemany("UPDATE calls_application SET eligible = %s WHERE id = %s", rows)
        transaction.set_rollback(True)
    return timer.seconds


def _ranking_baseline(call) -> float:
    """Bare SQL + bare Python: means of the reviewers' scores, weighted totals, sort, quotas."""
    from django.db import connection

    criteria = {c.pk: c for c in call.criteria.all()}
    quotas = {q.region_id: q.places for q in call.quotas.all()}
    with common.timed() as timer:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.application_id, s.criterion_id, s.value FROM calls_score s "
                "JOIN calls_application a ON a.id = s.application_id WHERE a.call_id = %s",
                [call.pk],
            )
            sums = defaultdict(lambda: defaultdict(list))
            for application, criterion, value in cursor.fetchall():
                sums[application][criterion].append(float(value))
            cursor.execute(
                "SELECT a.id, a.submitted_at, c.registration_number, c.region_id FROM calls_application a "
                "JOIN cooperatives_cooperative c ON c.id = a.cooperative_id WHERE a.call_id = %s",
                [call.pk],
            )
            applicants = cursor.fetchall()
        weights = sum(float(c.weight) for c in criteria.values())
        ranked = []
        for pk, submitted, number, region in applicants:
            total = 0.0
            for criterion_id, values in sums[pk].items():
                c = criteria[criterion_id]
                mean = sum(values) / len(values)
                total += float(c.weight) * (mean - float(c.scale_min)) / float(c.scale_max - c.scale_min)
            ranked.append((-round(100 * total / weights, 9), str(submitted), number, region))
        ranked.sort()
        taken = defaultdict(int)
        for _total, _submitted, _number, region in ranked:
            if taken[region] < quotas.get(region, 0):
                taken[region] += 1
    return timer.seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args(argv)
    common.setup(fresh=True)
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from mourafaka.calls import services

    call, manager, reviewers = _world(args.applications)
    with CaptureQueriesContext(connection) as queries, common.timed() as eligibility:
        result = services.run_eligibility(call=call, by=manager)
    eligibility_queries = len(queries)
    eligibility_baseline = _eligibility_baseline(call)
    scores = _score_everything(call, reviewers)
    reset_queries()
    with CaptureQueriesContext(connection) as queries, common.timed() as ranking:
        version = services.compute_ranking(call=call, by=manager, reason="bench")
    ranking_queries = len(queries)
    ranking_baseline = _ranking_baseline(call)
    entries = version.entries.count()
    rows = [
        ("eligibility (service)", result["evaluated"], f"{eligibility.seconds:.2f}", eligibility_queries,
         f"{eligibility_baseline:.2f}", f"{eligibility.seconds / eligibility_baseline:.1f}×",
         f"< {TARGET_ELIGIBILITY:.0f} s", "ok" if eligibility.seconds < TARGET_ELIGIBILITY else "MISSED"),
        ("ranking (service)", entries, f"{ranking.seconds:.2f}", ranking_queries, f"{ranking_baseline:.2f}",
         f"{ranking.seconds / ranking_baseline:.1f}×", f"< {TARGET_RANKING:.0f} s",
         "ok" if ranking.seconds < TARGET_RANKING else "MISSED"),
    ]  # fmt: skip
    common.print_table(
        f"Selection — {common.database_label()} — {args.applications:,} applications, {scores:,} scores",
        ("step", "applications", "seconds", "queries", "baseline s", "ratio", "target", ""),
        rows,
    )
    print(f"eligible: {result['eligible']:,}, not eligible: {result['not_eligible']:,}; peak RSS "
          f"{common.peak_rss_mb():.0f} MB")  # fmt: skip
    missed = eligibility.seconds >= TARGET_ELIGIBILITY or ranking.seconds >= TARGET_RANKING
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
