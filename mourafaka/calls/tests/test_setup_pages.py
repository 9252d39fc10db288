"""Head office sets up a call from the pages: dates, regions and quotas, rules, scoring grid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.calls import eligibility, services
from mourafaka.calls.models import Call
from mourafaka.programmes.models import Edition, Phase
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

STAMP = "%Y-%m-%dT%H:%M"


def rendered_initial(client, url) -> dict:
    """The form as the page renders it, as the browser would post it back (checked boxes only)."""
    import re

    page = client.get(url).content.decode()
    data = {}
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>(?:[^<]*</textarea>)?", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        name = name.group(1)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name] = value.group(1) if value else ""
    for name, block in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', block)
        data[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = text.strip()
    return data


def new_call_data(client, **changes) -> dict:
    phase = Phase.objects.get(edition__code="tranche-4", number=2)
    data = rendered_initial(client, reverse("calls:create") + f"?phase={phase.pk}")
    opens = timezone.localtime() + dt.timedelta(days=1)
    data.update({
        "call-code": "t4-phase-2", "call-kind": "selection", "call-name_fr": "AMI phase 2",
        "call-name_ar": "طلب إبداء الاهتمام المرحلة 2", "call-opens_at": opens.strftime(STAMP),
        "call-closes_at": (opens + dt.timedelta(days=30)).strftime(STAMP),
        "call-waitlist_length": "2", "call-reviewers_per_application": "2", "call-appeal_days": "15",
    })  # fmt: skip
    data.update(changes)
    return data


def test_the_page_offers_the_phase_regions_the_engine_rules_and_the_default_grid(client_for):
    phase = Phase.objects.get(edition__code="tranche-4", number=2)
    data = rendered_initial(client_for("manager"), reverse("calls:create") + f"?phase={phase.pk}")
    ticked = {name.removeprefix("regions-open_") for name in data if name.startswith("regions-open_")}
    assert ticked == {region.code for region in phase.regions.all()}
    assert data["call-edition"] == str(phase.edition_id) and data["call-phase"] == str(phase.pk)
    for code in eligibility.RULES:
        if code in eligibility.FINANCING_RULES:  # set by a financing round, never by hand
            assert f"rules-use_{code}" not in data
        else:
            assert f"rules-use_{code}" in data or code in ("women_led", "youth_led")
    assert data["rules-max_legal_age__years"] == "4"
    assert [data[f"grid-{i}-code"] for i in range(len(services.DEFAULT_GRID))] == [
        row[0] for row in services.DEFAULT_GRID
    ]


def test_head_office_creates_a_call_with_its_quotas_rules_and_grid(client_for):
    client = client_for("manager")
    data = new_call_data(client, **{
        "regions-places_01": "7", "rules-min_members__count": "7", "grid-0-weight": "5",
        "grid-5-DELETE": "on", "rules-use_women_led": "on", "rules-women_led__min_share": "0.6",
    })  # fmt: skip
    response = client.post(reverse("calls:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    call = Call.objects.get(code="t4-phase-2")
    assert response["Location"] == reverse("calls:detail", args=[call.pk])
    assert {region.code for region in call.regions.all()} == {"01", "02", "03", "05"}
    assert dict(call.quotas.values_list("region__code", "places")) == {"01": 7, "02": 50, "03": 50, "05": 50}
    rules = {entry["rule"]: entry["params"] for entry in call.eligibility_rules}
    assert rules["min_members"] == {"count": 7}
    assert rules["region_in_call"] == {"regions": ["01", "02", "03", "05"]}
    assert rules["women_led"] == {"min_share": 0.6}
    assert rules["not_previous_beneficiary"] == {"programme": "mourafaka"}
    grid = {criterion.code: criterion.weight for criterion in call.criteria.all()}
    assert grid["social_impact"] == Decimal(5) and "legal_status" not in grid
    detail = client.get(reverse("calls:detail", args=[call.pk])).content.decode()
    assert reverse("calls:edit", args=[call.pk]) in detail


def test_adding_a_criterion_row_keeps_what_was_typed_and_saves_nothing(client_for):
    client = client_for("manager")
    data = new_call_data(client, **{"call-name_fr": "AMI typé"})
    rows = int(data["grid-TOTAL_FORMS"])
    response = client.post(reverse("calls:create"), {**data, "add_criterion": "1"})
    assert response.status_code == 200
    again = response.content.decode()
    assert f'name="grid-{rows}-code"' in again and 'value="AMI typé"' in again
    assert not Call.objects.filter(code="t4-phase-2").exists()
    data[f"grid-{rows}-code"], data[f"grid-{rows}-weight"] = "local_anchoring", "1"
    data["grid-TOTAL_FORMS"] = str(rows + 1)
    for name in ("name_fr", "name_ar"):
        data[f"grid-{rows}-{name}"] = "Ancrage local"
    data.update(
        {f"grid-{rows}-kind": "reviewed", f"grid-{rows}-scale_min": "0", f"grid-{rows}-scale_max": "5"}
    )
    assert client.post(reverse("calls:create"), data).status_code == 302
    assert Call.objects.get(code="t4-phase-2").criteria.filter(code="local_anchoring").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({f"grid-{i}-weight": "0" for i in range(6)}, "somme"),
        ({"regions-places_02": "-1"}, "quota"),
        ({"call-closes_at": "2020-01-01T10:00"}, "se clôturer après son ouverture"),
        ({"grid-0-scale_max": "0"}, "note maximale doit dépasser"),
        ({"grid-0-kind": "computed", "grid-0-source": ""}, "source"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(client_for, changes, message):
    client = client_for("manager")
    response = client.post(reverse("calls:create"), new_call_data(client, **changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body, body[:4000]
    assert not Call.objects.filter(code="t4-phase-2").exists()


def test_an_edit_that_breaks_the_grid_leaves_the_call_as_it_was(client_for, persona):
    client = client_for("manager")
    assert client.post(reverse("calls:create"), new_call_data(client)).status_code == 302
    call = Call.objects.get(code="t4-phase-2")
    url = reverse("calls:edit", args=[call.pk])
    data = rendered_initial(client, url)
    data.update({f"grid-{i}-weight": "0" for i in range(6)})
    data.update({"call-waitlist_length": "9", "regions-places_01": "3"})
    response = client.post(url, data)
    assert response.status_code == 400 and "somme" in response.content.decode()
    call.refresh_from_db()
    assert call.waitlist_length == 2
    assert call.quotas.get(region__code="01").places == 50
    assert call.criteria.filter(weight=0).count() == 0
    data.update({f"grid-{i}-weight": "1" for i in range(6)})
    assert client.post(url, data).status_code == 302
    call.refresh_from_db()
    assert call.waitlist_length == 9 and call.quotas.get(region__code="01").places == 3


def test_a_closed_call_can_no_longer_be_edited(client_for, persona):
    call = services.set_up_call(
        call=Call(edition=Edition.objects.get(code="tranche-4"), code="closed", name_fr="Fermé",
                  opens_at=timezone.now() - dt.timedelta(days=20), closes_at=timezone.now() - dt.timedelta(days=1)),
        regions=list(Region.objects.filter(code="07")), by=persona("manager"),
    )  # fmt: skip
    client = client_for("manager")
    client.cookies["mourafaka_language"] = "en"
    response = client.get(reverse("calls:edit", args=[call.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("calls:detail", args=[call.pk])
    assert "This call is closed: its settings can no longer change." in response.content.decode()
    data = {"call-code": "closed", "call-name_fr": "Changed", "regions-open_07": "on"}
    client.post(reverse("calls:edit", args=[call.pk]), data)
    call.refresh_from_db()
    assert call.name_fr == "Fermé"
    assert (
        reverse("calls:edit", args=[call.pk])
        not in client.get(reverse("calls:detail", args=[call.pk])).content.decode()
    )


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative", "juror", "observer"])
def test_only_head_office_sets_up_calls(client_for, key):
    client = client_for(key)
    assert client.get(reverse("calls:create")).status_code == 403
    assert "calls/new/" not in client.get(reverse("calls:list")).content.decode()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(places=st.lists(st.integers(min_value=-3, max_value=5), min_size=4, max_size=4))
def test_quotas_are_saved_only_when_none_is_negative(persona, places):
    """Property: a set-up either saves every quota as given, or (one negative) saves nothing."""
    phase = Phase.objects.get(edition__code="tranche-4", number=2)
    regions = list(phase.regions.order_by("code"))
    now = timezone.now()
    call = Call(edition=phase.edition, phase=phase, code="prop", name_fr="P", opens_at=now,
                closes_at=now + dt.timedelta(days=5))  # fmt: skip
    try:
        services.configure_call(
            call=call, regions=regions, by=persona("manager"), quotas=dict(zip(regions, places, strict=True))
        )
    except services.ValidationError:
        assert min(places) < 0
        assert not Call.objects.filter(code="prop").exists()
    else:
        assert min(places) >= 0
        assert [quota.places for quota in call.quotas.order_by("region__code")] == places
        Call.objects.filter(pk=call.pk).delete()
