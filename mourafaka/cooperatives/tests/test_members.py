import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.cooperatives import member_rules
from mourafaka.cooperatives.models import Cooperative, Member

SAFI = "SAF-2022-0088"
GUELMIM = "GUE-2023-0021"


def cooperative(number: str) -> Cooperative:
    return Cooperative.objects.get(registration_number=number)


def member_with_cin(number: str) -> Member:
    return Member.objects.filter(cooperative__registration_number=number, cin__isnull=False).first()


def in_english(client):
    client.cookies["mourafaka_language"] = "en"
    return client


def form_data(**overrides) -> dict:
    data = {
        "full_name_fr": "Hind Ouardi",
        "full_name_ar": "هند الوردي",
        "sex": "F",
        "birth_date": "1990-05-17",
        "cin": "jb 451 208",
        "role": "member",
        "phone": "06 61 23 45 67",
        "joined_date": "2023-02-01",
        "consent": "on",
        "consent_date": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_demo_gives_every_cooperative_its_declared_members():
    for coop in Cooperative.objects.filter(registration_number__in=[SAFI, "MAR-2022-0141", "JAD-2022-0412"]):
        members = Member.objects.filter(cooperative=coop, cin__isnull=False)
        assert members.count() == coop.members_total
        assert members.filter(sex="F").count() == coop.members_women
    assert Member.objects.filter(consent=False).exists()
    assert Member.objects.exclude(full_name_ar="").exclude(full_name_fr="").exists()


@pytest.mark.django_db
def test_a_manager_reads_the_cin_and_phone_in_clear(client_for):
    member = member_with_cin(SAFI)
    page = client_for("manager").get(reverse("cooperatives:members:list", args=[member.cooperative_id]))
    assert page.status_code == 200
    assert member.cin in page.content.decode()
    assert member.phone in page.content.decode()


@pytest.mark.django_db
def test_a_coach_sees_the_phone_but_a_masked_cin(client_for):
    member = member_with_cin(SAFI)
    page = client_for("coach").get(reverse("cooperatives:members:detail", args=[member.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert member.cin not in body
    assert member.cin[:2] + "••••" in body
    assert member.phone in body


@pytest.mark.django_db
def test_a_juror_sees_neither_cin_phone_nor_birth_date(client_for, persona):
    from mourafaka.accounts.models import Assignment

    member = member_with_cin(SAFI)
    Assignment.objects.create(user=persona("juror"), cooperative=member.cooperative, kind="jury", active=True)
    body = client_for("juror").get(reverse("cooperatives:members:detail", args=[member.pk])).content.decode()
    assert member.cin not in body
    assert member.phone not in body
    assert member.birth_date.isoformat() not in body


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["delegate.guelmim", "cooperative", "trainer", "observer"])
def test_members_outside_the_scope_do_not_exist(client_for, who):
    # The trainer follows cooperatives of Marrakech only; the representative its own, in Safi.
    member = member_with_cin(GUELMIM if who == "cooperative" else SAFI)
    client = client_for(who)
    assert client.get(reverse("cooperatives:members:detail", args=[member.pk])).status_code == 404
    assert client.get(reverse("cooperatives:members:edit", args=[member.pk])).status_code == 404
    assert client.get(reverse("cooperatives:members:list", args=[member.cooperative_id])).status_code == 404
    assert client.post(reverse("cooperatives:members:set_active", args=[member.pk])).status_code == 404


@pytest.mark.django_db
def test_a_delegate_adds_a_member_with_normalised_cin_phone_and_dated_consent(client_for):
    coop = cooperative(SAFI)
    response = client_for("delegate.safi").post(
        reverse("cooperatives:members:create", args=[coop.pk]), form_data()
    )
    assert response.status_code == 302
    member = Member.objects.get(cin="JB451208")
    assert (member.cooperative, member.province_id, member.region_id) == (
        coop,
        coop.province_id,
        coop.region_id,
    )
    assert member.phone == "+212661234567"
    assert member.consent and member.consent_date == timezone.localdate()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "future"),
        ({"cin": "123456"}, "cin", "one or two letters"),
        ({"phone": "+33612345678"}, "phone", "Moroccan"),
        ({"full_name_fr": "", "full_name_ar": ""}, "full_name_fr", "French or in Arabic"),
        ({"consent_date": "2999-01-01"}, "consent_date", "future"),
    ],
)
def test_bad_input_is_refused_with_its_reason_and_nothing_saved(client_for, overrides, field, message):
    coop = cooperative(SAFI)
    before = Member.objects.count()
    response = in_english(client_for("manager")).post(
        reverse("cooperatives:members:create", args=[coop.pk]), form_data(**overrides)
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert Member.objects.count() == before


@pytest.mark.django_db
def test_a_cin_already_used_by_another_person_is_refused_without_naming_them(client_for):
    other = member_with_cin(GUELMIM)  # outside the delegate's scope
    coop = cooperative(SAFI)
    response = in_english(client_for("delegate.safi")).post(
        reverse("cooperatives:members:create", args=[coop.pk]), form_data(cin=other.cin.lower())
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already used by another person" in body
    assert other.full_name_fr not in body if other.full_name_fr else True
    assert not Member.objects.filter(full_name_fr="Hind Ouardi").exists()


@pytest.mark.django_db
def test_editing_keeps_its_own_cin(client_for):
    member = member_with_cin(SAFI)
    response = client_for("manager").post(
        reverse("cooperatives:members:edit", args=[member.pk]),
        form_data(cin=member.cin, full_name_fr="Nouveau Nom"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name_fr == "Nouveau Nom"


@pytest.mark.django_db
def test_a_member_leaves_and_comes_back_and_the_list_shows_both_states(client_for):
    member = member_with_cin(SAFI)
    client = client_for("delegate.safi")
    client.post(reverse("cooperatives:members:set_active", args=[member.pk]), {"active": "0"})
    member.refresh_from_db()
    assert not member.active
    url = reverse("cooperatives:members:list", args=[member.cooperative_id])
    assert member in client.get(url + "?status=former").context["page"].object_list
    assert member not in client.get(url).context["page"].object_list
    client.post(reverse("cooperatives:members:set_active", args=[member.pk]), {"active": "1"})
    member.refresh_from_db()
    assert member.active


@pytest.mark.django_db
def test_read_only_roles_cannot_add_members(client_for):
    coop = cooperative(SAFI)
    response = client_for("coach").post(reverse("cooperatives:members:create", args=[coop.pk]), form_data())
    assert response.status_code == 403
    assert not Member.objects.filter(cin="JB451208").exists()


@pytest.mark.django_db
def test_women_above_total_are_refused_on_the_cooperative_form(client_for):
    coop = cooperative(SAFI)
    client = in_english(client_for("manager"))
    form = client.get(reverse("cooperatives:edit", args=[coop.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        members_total=5,
        members_women=9,
        members_youth=1,
        national_programmes=[p.pk for p in data.get("national_programmes", [])],
    )
    response = client.post(reverse("cooperatives:edit", args=[coop.pk]), data)
    assert response.status_code == 200
    assert "Women members cannot outnumber" in response.content.decode()
    coop.refresh_from_db()
    assert coop.members_women != 9


# ---------------------------------------------------------------------------
# API


@pytest.mark.django_db
def test_the_members_api_is_scoped_and_masks_the_cin(client_for):
    from mourafaka.accounts.models import Assignment

    coach = client_for("coach").get("/api/v1/members/", {"page_size": 500})
    cooperatives = {row["cooperative"] for row in coach.json()["results"]}
    followed = Assignment.objects.filter(user__email__startswith="coach@", active=True)
    assert cooperatives and cooperatives <= set(followed.values_list("cooperative_id", flat=True))
    assert all("•" in row["cin"] for row in coach.json()["results"] if row["cin"])
    member = member_with_cin(GUELMIM)
    assert client_for("coach").get(f"/api/v1/members/{member.pk}/").status_code == 404
    manager = client_for("manager").get(f"/api/v1/members/{member.pk}/").json()
    assert manager["cin"] == member.cin


@pytest.mark.django_db
def test_the_members_api_creates_with_the_same_rules(client_for):
    coop = cooperative(SAFI)
    taken = member_with_cin(GUELMIM).cin
    client = client_for("cooperative")  # the representative of SAF-2022-0088
    payload = {"cooperative": coop.pk, "full_name_fr": "Said Api", "sex": "M", "cin": taken, "role": "member"}
    refused = client.post(
        "/api/v1/members/", payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert "already used by another person" in str(refused.json()["cin"])
    future = {**payload, "cin": "", "birth_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat()}
    refused = client.post(
        "/api/v1/members/", future, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert "future" in str(refused.json()["birth_date"])
    created = client.post("/api/v1/members/", {**payload, "cin": "jk 7788"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Member.objects.get(pk=created.json()["id"]).cin == "JK7788"
    elsewhere = {**payload, "cooperative": cooperative(GUELMIM).pk, "cin": "JK7789"}
    assert client.post("/api/v1/members/", elsewhere, content_type="application/json").status_code == 400
    assert not Member.objects.filter(cin="JK7789").exists()


@pytest.mark.django_db
def test_a_role_that_cannot_read_a_cin_cannot_write_one_through_the_api(client_for, persona):
    member = member_with_cin(SAFI)
    client = client_for("coach")
    response = client.patch(f"/api/v1/members/{member.pk}/", {"cin": "ZZ1"}, content_type="application/json")
    assert response.status_code == 403  # a coach reads members but does not change them
    member.refresh_from_db()
    assert member.cin != "ZZ1"


# ---------------------------------------------------------------------------
# Rules as properties

cin_letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2)
cin_digits = st.text(alphabet="0123456789", min_size=3, max_size=8)
separators = st.sampled_from(["", " ", "-", ".", " / "])


@given(letters=cin_letters, digits=cin_digits, separator=separators, lower=st.booleans())
def test_a_cin_however_typed_is_stored_in_one_form(letters, digits, separator, lower):
    typed = f"{letters}{separator}{digits}"
    typed = typed.lower() if lower else typed
    stored = member_rules.normalise_cin(typed)
    assert stored == f"{letters}{digits}"
    assert member_rules.normalise_cin(stored) == stored


@given(cin=st.from_regex(r"[A-Z]{1,2}[0-9]{3,8}", fullmatch=True))
def test_a_masked_cin_never_shows_its_middle(cin):
    from mourafaka.core.masking import mask

    shown = mask(cin)
    assert len(shown) == len(cin)
    assert shown != cin
    hidden = [char for char, original in zip(shown, cin, strict=True) if char != original]
    assert hidden and set(hidden) == {"•"}
