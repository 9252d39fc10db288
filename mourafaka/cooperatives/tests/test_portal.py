"""The cooperative's own portal, and what its regional delegate sees of it; the list filters."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mourafaka.calls.models import Application
from mourafaka.cooperatives.demo_members import minimal_pdf
from mourafaka.cooperatives.models import Cooperative, Member, RegistrySettings
from mourafaka.programmes.models import Enrolment

OWN = "SAF-2022-0088"  # the demo representative's cooperative


def own() -> Cooperative:
    return Cooperative.objects.get(registration_number=OWN)


@pytest.mark.django_db
def test_the_representative_updates_its_contacts_and_the_delegate_sees_who_did(client_for, persona):
    cooperative = own()
    client = client_for("cooperative")
    form = client.get(reverse("cooperatives:edit", args=[cooperative.pk])).context["form"]
    assert set(form.fields) == {"president_name", "phone", "email"}
    response = client.post(
        reverse("cooperatives:edit", args=[cooperative.pk]),
        {"president_name": "Abdelkrim Saidi", "phone": "+212661998877", "email": "contact@sardine.ma"},
    )
    assert response.status_code == 302
    cooperative.refresh_from_db()
    assert cooperative.email == "contact@sardine.ma"
    entry = LogEntry.objects.filter(object_pk=str(cooperative.pk), actor=persona("cooperative")).latest(
        "timestamp"
    )
    assert "email" in entry.changes_dict
    page = client_for("delegate.safi").get(reverse("cooperatives:detail", args=[cooperative.pk]))
    changed = [
        event
        for event in page.context["timeline"]
        if event.kind == "record" and event.actor == persona("cooperative")
    ]
    assert changed and changed[0].details


@pytest.mark.django_db
def test_the_representative_manages_its_members_and_the_delegate_sees_it(client_for, persona):
    cooperative = own()
    client = client_for("cooperative")
    response = client.post(
        reverse("cooperatives:members:create", args=[cooperative.pk]),
        {"full_name_ar": "سعاد البحري", "sex": "F", "role": "member", "cin": "HB220011", "consent": "on"},
    )
    assert response.status_code == 302
    member = Member.objects.get(cin="HB220011")
    client.post(
        reverse("cooperatives:members:edit", args=[member.pk]),
        {
            "full_name_ar": "سعاد البحري",
            "full_name_fr": "Souad El Bahri",
            "sex": "F",
            "role": "treasurer",
            "cin": "HB220011",
            "consent": "on",
        },
    )
    member.refresh_from_db()
    assert member.role == "treasurer"
    timeline = (
        client_for("delegate.safi")
        .get(reverse("cooperatives:detail", args=[cooperative.pk]))
        .context["timeline"]
    )
    member_url = reverse("cooperatives:members:detail", args=[member.pk])
    assert any(event.kind == "member_joined" and event.url == member_url for event in timeline)
    changed = [event for event in timeline if event.kind == "member_changed"]
    assert changed and changed[0].actor == persona("cooperative")


@pytest.mark.django_db
def test_the_representative_uploads_a_document_the_delegate_can_download(client_for):
    cooperative = own()
    response = client_for("cooperative").post(
        reverse("cooperatives:documents:list", args=[cooperative.pk]),
        {
            "kind": "ga_minutes",
            "title": "PV AG 2025",
            "file": SimpleUploadedFile("pv.pdf", minimal_pdf("PV")),
        },
    )
    assert response.status_code == 302
    document = cooperative.documents.get(original_name="pv.pdf")
    delegate = client_for("delegate.safi")
    assert delegate.get(reverse("cooperatives:documents:download", args=[document.pk])).status_code == 200
    assert (
        document in delegate.get(reverse("cooperatives:detail", args=[cooperative.pk])).context["documents"]
    )


@pytest.mark.django_db
def test_the_representative_touches_nothing_else(client_for):
    other = Cooperative.objects.get(registration_number="SAF-2021-0120")
    client = client_for("cooperative")
    assert client.get(reverse("cooperatives:edit", args=[other.pk])).status_code == 404
    assert client.get(reverse("cooperatives:members:create", args=[other.pk])).status_code == 404
    assert client.get(reverse("cooperatives:duplicates:list")).status_code == 403
    member = Member.objects.filter(cooperative=other).first()
    assert client.get(reverse("cooperatives:members:detail", args=[member.pk])).status_code == 404


# ---------------------------------------------------------------------------
# List filters: women-led, youth-led, programme status


def listed(client, **filters) -> set[str]:
    page = client.get(reverse("cooperatives:list"), filters)
    return {cooperative.registration_number for cooperative in page.context["page"].paginator.object_list}


def api_listed(client, **filters) -> set[str]:
    rows = client.get("/api/v1/cooperatives/", {**filters, "page_size": 100}).json()["results"]
    return {row["registration_number"] for row in rows}


@pytest.mark.django_db
def test_women_and_youth_led_follow_the_configured_thresholds(client_for):
    client = client_for("manager")
    women_led = listed(client, women_led="yes")
    assert "MAR-2022-0141" in women_led  # 18 women of 18
    assert "SAF-2022-0088" not in women_led  # 3 of 14
    assert women_led.isdisjoint(listed(client, women_led="no"))
    assert women_led == api_listed(client, women_led="true")
    youth_led = listed(client, youth_led="yes")
    assert "BER-2022-0203" in youth_led  # 5 young of 6
    assert "MAR-2022-0141" not in youth_led  # 6 of 18
    RegistrySettings.objects.update_or_create(pk=1, defaults={"youth_led_min_share": Decimal("0.30")})
    assert "MAR-2022-0141" in listed(client, youth_led="yes")  # 6 of 18 ≥ 30 %
    page = client.get(reverse("cooperatives:list"))
    assert "30 %" in page.content.decode()  # the rule is shown with its threshold


@pytest.mark.django_db
def test_programme_status_splits_the_cooperatives_in_three(client_for):
    client = client_for("manager")
    enrolled = listed(client, programme_status="enrolled")
    applied = listed(client, programme_status="applied")
    neither = listed(client, programme_status="none")
    assert enrolled == set(Enrolment.objects.values_list("cooperative__registration_number", flat=True))
    submitted = set(
        Application.objects.filter(status="submitted").values_list(
            "cooperative__registration_number", flat=True
        )
    )
    assert applied == submitted - enrolled
    assert enrolled | applied | neither == set(
        Cooperative.objects.values_list("registration_number", flat=True)
    )
    assert not (enrolled & applied or enrolled & neither or applied & neither)
    assert api_listed(client, programme_status="none") == neither


@pytest.mark.django_db
def test_the_filtered_list_costs_the_same_queries_whatever_the_data(
    client_for, django_assert_max_num_queries
):
    client = client_for("manager")
    province = own().province

    def add(count: int, start: int) -> None:
        Cooperative.objects.bulk_create(
            Cooperative(
                registration_number=f"WL-{i}",
                name_fr=f"Coop femmes {i}",
                province=province,
                region_id=province.region_id,
                members_total=10,
                members_women=9,
            )
            for i in range(start, start + count)
        )

    filters = {"women_led": "yes", "youth_led": "no", "programme_status": "none"}
    add(3, 0)
    with django_assert_max_num_queries(12) as small:
        page = client.get(reverse("cooperatives:list"), filters)
    assert len(page.context["page"].object_list) >= 3
    add(60, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("cooperatives:list"), filters)
    assert page.context["page"].paginator.count >= 63
