"""Regional and sector averages computed in a fixed number of queries."""

import pytest

from mourafaka.diagnostics import queries, services
from mourafaka.diagnostics.models import Diagnostic

from .conftest import answer_all


def test_averages_by_region_and_sector_match_the_individual_scores(fresh, persona, django_assert_num_queries):
    consultant, delegate = persona("consultant"), persona("delegate.safi")
    first, second = fresh("SAF-2021-0120"), fresh("JAD-2022-0412")
    answer_all(first, consultant, level=4)
    answer_all(second, consultant, level=1)
    for diagnostic in (first, second):
        services.submit(diagnostic=diagnostic, by=consultant)
        services.validate(diagnostic=diagnostic, by=delegate)
    chosen = Diagnostic.objects.filter(pk__in=[first.pk, second.pk])
    with django_assert_num_queries(5):
        averages = queries.averages(chosen)
    one, two = queries.result_of(first), queries.result_of(second)
    cooperative = first.enrolment.cooperative
    # Both are agricultural cooperatives of the Casablanca-Settat / Marrakech-Safi regions.
    sector = averages.by_sector[cooperative.sector_id]
    assert sector.count == 2
    assert sector.overall == pytest.approx((one.overall + two.overall) / 2)
    region = averages.by_region[cooperative.region_id]
    assert region.axes["governance"] == pytest.approx(one.axes["governance"].score)
    assert averages.by_region_and_sector[(cooperative.region_id, cooperative.sector_id)].count == 1
