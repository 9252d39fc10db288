import pytest
from django.utils.translation import override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment
from mourafaka.cooperatives.models import Cooperative
from mourafaka.territory.models import Province

pytestmark = pytest.mark.django_db


def numbers(queryset):
    return set(queryset.values_list("registration_number", flat=True))


def test_head_office_sees_every_cooperative(persona):
    assert (
        policy.visible(persona("manager"), Cooperative.objects.all()).count() == Cooperative.objects.count()
    )


def test_a_delegate_sees_exactly_the_provinces_of_its_delegation_across_two_regions(persona):
    seen = numbers(Cooperative.objects.visible_to(persona("delegate.safi")))
    # Safi and Youssoufia (Marrakech-Safi) and El Jadida (Casablanca-Settat), not Marrakech nor Settat.
    assert seen == {"SAF-2022-0088", "SAF-2021-0120", "JAD-2022-0412"}


def test_a_delegate_of_one_region_sees_only_it(persona):
    seen = numbers(Cooperative.objects.visible_to(persona("delegate.guelmim")))
    assert seen == {"GUE-2023-0021", "GUE-2022-0150", "GUE-2021-0099"}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("consultant", {"MAR-2022-0141", "MAR-2021-0877", "SAF-2022-0088"}),
        ("coach", {"SAF-2022-0088", "SAF-2021-0120", "JAD-2022-0412"}),
        ("juror", {"MAR-2023-0310", "GUE-2022-0150"}),
        ("mentor", {"GUE-2022-0150"}),
        ("cooperative", {"SAF-2022-0088"}),
        ("observer", set()),
    ],
)
def test_field_roles_see_only_their_assigned_cooperatives(persona, key, expected):
    assert numbers(Cooperative.objects.visible_to(persona(key))) == expected


def test_an_ended_assignment_no_longer_gives_access(persona):
    coach = persona("coach")
    Assignment.objects.filter(user=coach, cooperative__registration_number="JAD-2022-0412").update(
        active=False
    )
    assert "JAD-2022-0412" not in numbers(Cooperative.objects.visible_to(coach))


def test_anonymous_and_inactive_users_see_nothing(persona):
    from django.contrib.auth.models import AnonymousUser

    assert not Cooperative.objects.visible_to(AnonymousUser()).exists()
    manager = persona("manager")
    manager.is_active = False
    assert not Cooperative.objects.visible_to(manager).exists()


@override("en")
def test_write_rules_give_their_reason(persona):
    inside = Cooperative.objects.get(registration_number="JAD-2022-0412")
    outside = Cooperative.objects.get(registration_number="MAR-2022-0141")
    assert policy.check(persona("delegate.safi"), "cooperatives.change_cooperative", inside)
    refusal = policy.check(persona("delegate.safi"), "cooperatives.change_cooperative", outside)
    assert not refusal and "delegation" in refusal.reason
    coach_refusal = policy.check(persona("coach"), "cooperatives.change_cooperative", inside)
    assert not coach_refusal and coach_refusal.reason
    assert not policy.check(persona("delegate.safi"), "cooperatives.delete_cooperative", inside)
    assert policy.check(persona("manager"), "cooperatives.delete_cooperative", inside)


def test_django_permissions_answer_like_the_policy(persona):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    assert persona("cooperative").has_perm("cooperatives.change_cooperative", cooperative)
    assert not persona("coach").has_perm("cooperatives.change_cooperative", cooperative)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    province_codes=st.lists(
        st.sampled_from(["07.431", "06.181", "07.351", "06.461", "10.261", "08.201"]), min_size=1, max_size=6
    )
)
def test_a_delegate_sees_a_cooperative_if_and_only_if_its_province_is_in_the_delegation(
    persona, province_codes
):
    delegate = persona("delegate.safi")
    mine = set(Province.objects.filter(delegation=delegate.delegation).values_list("code", flat=True))
    created = []
    for index, code in enumerate(province_codes):
        province = Province.objects.get(code=code)
        created.append(
            Cooperative.objects.create(
                registration_number=f"PROP-{index}",
                name_fr=f"Essai {index}",
                province=province,
                region_id=province.region_id,
            )
        )
    seen = set(
        Cooperative.objects.visible_to(delegate)
        .filter(registration_number__startswith="PROP-")
        .values_list("registration_number", flat=True)
    )
    expected = {c.registration_number for c in created if c.province.code in mine}
    Cooperative.objects.filter(pk__in=[c.pk for c in created]).delete()
    assert seen == expected
