import pytest
from django.core.exceptions import PermissionDenied

from mourafaka.cooperatives.forms import CooperativeForm
from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.cooperatives.services import save_cooperative, save_member
from mourafaka.territory.models import Province

pytestmark = pytest.mark.django_db


def test_a_member_takes_the_territory_of_its_cooperative(persona):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    member = save_member(
        member=Member(cooperative=cooperative, full_name_fr="Said Amri", sex="M"), by=persona("cooperative")
    )
    assert (member.region_id, member.province_id) == (cooperative.region_id, cooperative.province_id)
    assert member.search_name.startswith("said amri")


def test_members_follow_their_cooperative_when_it_moves(persona):
    manager = persona("manager")
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    member = save_member(member=Member(cooperative=cooperative, full_name_ar="سعيد", sex="M"), by=manager)
    essaouira = Province.objects.get(code="07.211")
    form = CooperativeForm(instance=cooperative, user=manager)
    data = {**form.initial, "province": essaouira.pk, "national_programmes": []}
    data = {key: value for key, value in data.items() if value is not None}
    form = CooperativeForm(data, instance=cooperative, user=manager)
    assert form.is_valid(), form.errors
    save_cooperative(form=form, by=manager)
    member.refresh_from_db()
    assert member.province_id == essaouira.pk


def test_a_coach_cannot_add_a_member(persona):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    with pytest.raises(PermissionDenied):
        save_member(member=Member(cooperative=cooperative, full_name_fr="X", sex="F"), by=persona("coach"))
    assert not Member.objects.filter(full_name_fr="X").exists()
