import csv
import io

import pytest
from django.urls import reverse

from mourafaka.cooperatives.models import Cooperative, NationalProgramme
from mourafaka.cooperatives.statistics import by_region, by_sector, by_zone
from mourafaka.core.models import DataAccessLog

pytestmark = pytest.mark.django_db


def listed(client, **params):
    return [c.registration_number for c in client.get(reverse("cooperatives:list"), params).context["page"]]


@pytest.mark.parametrize(
    "query",
    ["tighmert", "TIGHMERT", "Tighmért", "تغمرت", "تَغْمَرْت", "GUE-2023-0021", "gue-2023-0021"],
)
def test_search_ignores_case_accents_and_arabic_diacritics(client_for, query):
    assert listed(client_for("manager"), q=query) == ["GUE-2023-0021"]


def test_search_ignores_arabic_letter_variants(client_for):
    cooperative = Cooperative.objects.get(registration_number="SAF-2021-0120")
    cooperative.name_ar = "تعاونية الأمل للحبوب"
    cooperative.save()
    assert listed(client_for("manager"), q="الامل") == ["SAF-2021-0120"]
    assert listed(client_for("manager"), q="ٱلأمل") == ["SAF-2021-0120"]


def test_filters_combine_and_stay_within_scope(client_for):
    client = client_for("delegate.safi")
    assert set(listed(client, rural="yes")) == {"SAF-2021-0120", "JAD-2022-0412"}
    pmv = NationalProgramme.objects.get(code="PMV")
    assert listed(client, national_programme=pmv.pk) == ["JAD-2022-0412"]
    # A filter on a region outside the delegation gives nothing, not another region's records.
    marrakech = Cooperative.objects.get(registration_number="MAR-2022-0141").region_id
    outside = [n for n in listed(client, region=marrakech) if not n.startswith(("SAF", "JAD"))]
    assert outside == []


def test_the_csv_export_has_the_import_columns_and_neutralises_formulas(client_for):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    cooperative.president_name = '=HYPERLINK("http://evil")'
    cooperative.save()
    response = client_for("delegate.safi").get(reverse("cooperatives:export_csv"), {"q": "sardine"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:3] == ["registration_number", "name_fr", "name_ar"]
    assert rows[0][-1] == "national_programmes"
    assert len(rows) == 2
    assert rows[1][rows[0].index("president_name")].startswith("'=")
    assert DataAccessLog.objects.filter(action="cooperatives.export_csv").exists()


def test_the_export_masks_phones_for_roles_that_may_not_read_them(client_for):
    cooperative = Cooperative.objects.get(registration_number="GUE-2022-0150")
    cooperative.phone = "+212612345678"
    cooperative.save()
    juror = client_for("juror").get(reverse("cooperatives:export_csv"), {"q": "couscous"})
    rows = list(csv.reader(io.StringIO(b"".join(juror.streaming_content).decode("utf-8-sig"))))
    masked = rows[1][rows[0].index("phone")]
    assert masked.endswith("+2126••••••78") and "612345678" not in masked
    manager = client_for("manager").get(reverse("cooperatives:export_csv"), {"q": "couscous"})
    rows = list(csv.reader(io.StringIO(b"".join(manager.streaming_content).decode("utf-8-sig"))))
    assert rows[1][rows[0].index("phone")] == "+212612345678"


def test_the_export_never_leaves_the_scope(client_for):
    response = client_for("delegate.guelmim").get(reverse("cooperatives:export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {"GUE-2023-0021", "GUE-2022-0150", "GUE-2021-0099"}


def test_statistics_group_regions_by_zone_with_subtotals(persona):
    blocks, grand_total = by_zone(persona("manager"))
    assert [block.zone.code for block in blocks] == ["Z1", "Z2", "Z3"]
    assert sum(len(block.rows) for block in blocks) == 12
    assert grand_total.cooperatives == Cooperative.objects.count()
    assert sum(block.total.cooperatives for block in blocks) == grand_total.cooperatives
    z1 = blocks[0]
    assert z1.total.members == sum(row.members for row in z1.rows)


def test_statistics_of_a_delegate_cover_its_provinces_only(persona):
    rows = by_region(persona("delegate.safi"))
    assert {row.region.code for row in rows} == {"06", "07"}
    assert sum(row.cooperatives for row in rows) == 3


def test_statistics_by_sector_add_up(persona):
    rows = by_sector(persona("manager"))
    assert sum(row.cooperatives for row in rows) == Cooperative.objects.count()
    assert rows[0].label.code == "AGR"


def test_the_statistics_page_costs_a_fixed_number_of_queries(client_for, django_assert_max_num_queries):
    client = client_for("observer")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("statistics"))
    assert response.status_code == 200
    assert "Total Z1" in response.content.decode()
