"""Maturity scores of 600 diagnostics and their averages by region, by sector and by both
(target: well under a second, in a fixed number of queries).

Baseline measured in the same run, on the same rows: the answers read with one raw SELECT
(joined to their question and axis), the same formula in bare Python loops, the same groupings.

    .venv/bin/python bench/bench_diagnostics.py [--diagnostics N]
"""

import argparse
import datetime as dt
import random
import sys
from collections import defaultdict

import common

TARGET = 1.0


def _world(size: int) -> list[int]:
    """`size` validated diagnostics of the default template on cooperatives spread over the country."""
    from mourafaka.accounts.models import User
    from mourafaka.cooperatives.models import Cooperative, Sector
    from mourafaka.diagnostics.demo import _value
    from mourafaka.diagnostics.models import Answer, Diagnostic
    from mourafaka.diagnostics.reference import load_default_template
    from mourafaka.programmes.models import Edition, Enrolment
    from mourafaka.territory.models import Province

    template = load_default_template()
    questions = list(template.questions.all())
    consultant = User.objects.get(email="consultant@demo.mourafaka.ma")
    edition = Edition.objects.get(code="tranche-4")
    provinces = list(Province.objects.all())
    sectors = list(Sector.objects.filter(parent__isnull=True))
    rng = random.Random(12)
    Cooperative.objects.bulk_create(
        [
            Cooperative(
                registration_number=f"DIAG-{n:05d}", name_fr=f"Coopérative {n}", province=provinces[n % len(provinces)],
                region_id=provinces[n % len(provinces)].region_id, sector=sectors[n % len(sectors)],
                creation_date=dt.date(2022, 1, 1), members_total=10,
            )
            for n in range(size)
        ]
    )  # fmt: skip
    cooperatives = Cooperative.objects.filter(registration_number__startswith="DIAG-").order_by("pk")
    Enrolment.objects.bulk_create(
        [Enrolment(edition=edition, cooperative=c, started_on=dt.date(2024, 3, 1)) for c in cooperatives]
    )
    enrolments = Enrolment.objects.filter(cooperative__registration_number__startswith="DIAG-")
    Diagnostic.objects.bulk_create(
        [
            Diagnostic(
                enrolment=e, template=template, consultant=consultant, status=Diagnostic.Status.VALIDATED
            )
            for e in enrolments
        ]
    )
    diagnostics = list(Diagnostic.objects.filter(enrolment__in=enrolments).values_list("pk", flat=True))
    Answer.objects.bulk_create(
        [
            Answer(diagnostic_id=pk, question=q, value=_value(q, rng.randrange(0, 5)))
            for pk in diagnostics
            for q in questions
            if rng.random() > 0.05
        ],
        batch_size=5000,
    )
    return diagnostics


def _baseline(ids: list[int]) -> float:
    """Same scores and groupings from one raw SELECT, in bare Python."""
    from django.db import connection

    with common.timed() as timer:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.diagnostic_id, q.type, q.weight, q.choices, q.target, x.code, x.weight, c.region_id,"
                " c.sector_id, a.value FROM diagnostics_answer a JOIN diagnostics_question q ON q.id = a.question_id"
                " JOIN diagnostics_axis x ON x.id = q.axis_id JOIN diagnostics_diagnostic d ON d.id = a.diagnostic_id"
                " JOIN programmes_enrolment e ON e.id = d.enrolment_id JOIN cooperatives_cooperative c"
                " ON c.id = e.cooperative_id WHERE d.status = 'validated'"
            )
            rows = cursor.fetchall()
        import json

        earned, weights, places, axis_weight = defaultdict(float), defaultdict(float), {}, {}
        choice_cache = {}
        for pk, kind, weight, choices, target, axis, a_weight, region, sector, raw in rows:
            weight = float(weight)
            if kind == "text" or not weight or (kind == "number" and not target):
                continue
            value = json.loads(raw) if isinstance(raw, str) else raw
            if kind == "yes_no":
                share = 1.0 if value else 0.0
            elif kind == "scale_0_4":
                share = value / 4
            elif kind == "number":
                share = min(1.0, max(0.0, value / float(target)))
            else:
                key = choices if isinstance(choices, str) else json.dumps(choices)
                scores = choice_cache.get(key)
                if scores is None:
                    parsed = json.loads(choices) if isinstance(choices, str) else choices
                    scores = choice_cache[key] = {c["code"]: c["score"] for c in parsed}
                share = (
                    scores.get(value, 0)
                    if kind == "single_choice"
                    else min(1.0, sum(scores.get(v, 0) for v in value))
                )
            earned[(pk, axis)] += weight * share
            weights[(pk, axis)] += weight
            places[pk] = (region, sector)
            axis_weight[axis] = float(a_weight)
        overall = defaultdict(lambda: [0.0, 0.0])
        for (pk, axis), total in weights.items():
            overall[pk][0] += axis_weight[axis] * 100 * earned[(pk, axis)] / total
            overall[pk][1] += axis_weight[axis]
        groups = defaultdict(list)
        for pk, (numerator, denominator) in overall.items():
            region, sector = places[pk]
            for key in (("r", region), ("s", sector), ("rs", region, sector)):
                groups[key].append(numerator / denominator)
        {key: sum(values) / len(values) for key, values in groups.items()}
    return timer.seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diagnostics", type=int, default=600)
    args = parser.parse_args(argv)
    common.setup(fresh=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mourafaka.diagnostics import queries
    from mourafaka.diagnostics.models import Answer, Diagnostic

    ids = _world(args.diagnostics)
    chosen = Diagnostic.objects.filter(pk__in=ids)
    queries.averages(chosen)  # warm the connection and caches, as a page after the first would
    samples = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as captured, common.timed() as timer:
            averages = queries.averages(chosen)
        samples.append(timer.seconds)
    baseline = min(_baseline(ids) for _ in range(5))
    best = min(samples)
    common.print_table(
        f"Diagnostics — {common.database_label()} — {len(ids):,} diagnostics, "
        f"{Answer.objects.filter(diagnostic__in=chosen).count():,} answers",
        ("step", "seconds (best of 5)", "median", "queries", "baseline s", "ratio", "target", ""),
        [
            ("scores + averages by region, sector, both", f"{best:.3f}", f"{common.percentile(samples, 50):.3f}",
             len(captured), f"{baseline:.3f}", f"{best / baseline:.1f}×", f"< {TARGET:.0f} s",
             "ok" if best < TARGET else "MISSED"),
        ],
    )  # fmt: skip
    print(
        f"groups: {len(averages.by_region)} regions, {len(averages.by_sector)} sectors, "
        f"{len(averages.by_region_and_sector)} region×sector; peak RSS {common.peak_rss_mb():.0f} MB"
    )
    return 0 if best < TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
