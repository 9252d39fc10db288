import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from mourafaka.cooperatives.models import Cooperative

pytestmark = pytest.mark.django_db


def coop(number: str) -> Cooperative:
    return Cooperative.objects.get(registration_number=number)


def test_the_list_shows_a_delegate_only_its_delegation(client_for):
    response = client_for("delegate.safi").get(reverse("cooperatives:list"))
    assert response.status_code == 200
    page_numbers = {c.registration_number for c in response.context["page"]}
    assert page_numbers == {"SAF-2022-0088", "SAF-2021-0120", "JAD-2022-0412"}


def test_it_hides_other_regions(client_for):
    client = client_for("delegate.safi")
    outside = coop("MAR-2022-0141")
    assert client.get(reverse("cooperatives:detail", args=[outside.pk])).status_code == 404
    assert client.get(reverse("cooperatives:edit", args=[outside.pk])).status_code == 404
    response = client.post(reverse("cooperatives:edit", args=[outside.pk]), {"name_fr": "Piraté"})
    assert response.status_code == 404
    outside.refresh_from_db()
    assert outside.name_fr != "Piraté"


def test_a_delegate_opens_and_changes_a_cooperative_in_the_other_region_of_its_delegation(client_for):
    client = client_for("delegate.safi")
    jadida = coop("JAD-2022-0412")  # El Jadida: Casablanca-Settat, followed from Safi
    assert client.get(reverse("cooperatives:detail", args=[jadida.pk])).status_code == 200
    form = client.get(reverse("cooperatives:edit", args=[jadida.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["national_programmes"] = [p.pk for p in data.get("national_programmes", [])]
    data["president_name"] = "Souad El Mansouri"
    response = client.post(reverse("cooperatives:edit", args=[jadida.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    jadida.refresh_from_db()
    assert jadida.president_name == "Souad El Mansouri"


def test_it_requires_write_access(client_for):
    client = client_for("coach")
    assigned = coop("SAF-2022-0088")
    assert client.get(reverse("cooperatives:detail", args=[assigned.pk])).status_code == 200
    assert client.get(reverse("cooperatives:edit", args=[assigned.pk])).status_code == 403
    assert client.get(reverse("cooperatives:create")).status_code == 403


def test_a_delegate_cannot_place_a_cooperative_outside_its_delegation(client_for):
    from mourafaka.territory.models import Province

    marrakech = Province.objects.get(code="07.351")
    response = client_for("delegate.safi").post(
        reverse("cooperatives:create"),
        {
            "registration_number": "NEW-1",
            "name_fr": "Nouvelle",
            "region": marrakech.region_id,
            "province": marrakech.pk,
            "members_total": 5,
            "members_women": 1,
            "members_youth": 1,
        },
    )
    assert response.status_code == 200
    assert "province" in response.context["form"].errors
    assert not Cooperative.objects.filter(registration_number="NEW-1").exists()


def test_a_province_outside_the_region_is_refused_with_the_reason(client_for):
    from mourafaka.territory.models import Province, Region

    response = client_for("manager").post(
        reverse("cooperatives:create"),
        {
            "registration_number": "NEW-2",
            "name_fr": "Nouvelle",
            "region": Region.objects.get(code="10").pk,
            "province": Province.objects.get(code="07.351").pk,
            "members_total": 5,
            "members_women": 9,
            "members_youth": 1,
        },
    )
    errors = response.context["form"].errors
    assert "province" in errors
    assert not Cooperative.objects.filter(registration_number="NEW-2").exists()


def test_the_representative_updates_its_contacts_only(client_for):
    client = client_for("cooperative")
    own = coop("SAF-2022-0088")
    response = client.post(
        reverse("cooperatives:edit", args=[own.pk]),
        {
            "president_name": own.president_name,
            "phone": "+212612345678",
            "email": "contact@sardine.ma",
            "name_fr": "Changement interdit",
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.email == "contact@sardine.ma"
    assert own.name_fr == "Coopérative Sardine d'or"
    other = coop("SAF-2021-0120")
    assert client.get(reverse("cooperatives:detail", args=[other.pk])).status_code == 404


def test_changes_are_audited_and_shown_on_the_record_page(client_for):
    client = client_for("cooperative")
    own = coop("SAF-2022-0088")
    client.post(
        reverse("cooperatives:edit", args=[own.pk]),
        {"president_name": "Abdelkrim Saidi", "phone": "", "email": "bureau@sardine.ma"},
    )
    entry = LogEntry.objects.get_for_object(own).order_by("-timestamp").first()
    assert entry.actor.email == "cooperative@demo.mourafaka.ma"
    assert "email" in entry.changes_dict
    page = client_for("delegate.safi").get(reverse("cooperatives:detail", args=[own.pk]))
    assert "bureau@sardine.ma" in page.content.decode()


def test_search_finds_names_in_either_script(client_for):
    client = client_for("manager")
    by_french = client.get(reverse("cooperatives:list"), {"q": "sardine"}).context["page"]
    by_arabic = client.get(reverse("cooperatives:list"), {"q": "السردين"}).context["page"]
    assert [c.registration_number for c in by_french] == ["SAF-2022-0088"]
    assert [c.registration_number for c in by_arabic] == ["SAF-2022-0088"]


def test_the_htmx_request_returns_only_the_results_fragment(client_for):
    response = client_for("manager").get(
        reverse("cooperatives:list"), {"q": "dattes"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body


def test_the_list_costs_the_same_number_of_queries_whatever_the_data(
    client_for, django_assert_max_num_queries
):
    from mourafaka.territory.models import Province

    client = client_for("manager")
    with django_assert_max_num_queries(10) as small:
        client.get(reverse("cooperatives:list"))
    province = Province.objects.get(code="07.351")
    Cooperative.objects.bulk_create(
        Cooperative(
            registration_number=f"BULK-{i}",
            name_fr=f"Coop {i}",
            province=province,
            region_id=province.region_id,
        )
        for i in range(60)
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("cooperatives:list"))


def test_the_export_runs_as_a_job_and_only_its_owner_downloads_it(
    client_for, django_capture_on_commit_callbacks
):
    client = client_for("delegate.safi")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cooperatives:export"))
    assert response.status_code == 302
    job_url = response["Location"]
    job = response.wsgi_request.user.jobs.get()
    assert job.status == "done" and job.result["rows"] == 3
    assert client.get(job_url).status_code == 200
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(
        load_workbook(BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True)
    )
    assert len(rows) == 4
    assert client_for("manager").get(job_url).status_code == 404
