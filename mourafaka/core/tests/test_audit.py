import pytest
from django.utils.translation import override

from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Cooperative, NationalProgramme
from mourafaka.core.audit import history_of

pytestmark = pytest.mark.django_db


@override("en")
def test_history_shows_who_changed_what_in_readable_values(persona):
    from auditlog.context import set_actor

    cooperative = Cooperative.objects.get(registration_number="GUE-2023-0021")
    with set_actor(persona("delegate.guelmim")):
        cooperative.legal_status_ok = False
        cooperative.president_name = "Aicha Ait Baha"
        cooperative.save()
        cooperative.national_programmes.add(NationalProgramme.objects.get(code="MOAZARA"))
    history = history_of(cooperative)
    latest_change = next(entry for entry in history if entry.action == "Changed" and entry.actor)
    assert latest_change.actor.email == "delegate.guelmim@demo.mourafaka.ma"
    by_label = {change.label: change for entry in history for change in entry.changes}
    assert (
        by_label["legal status in good standing"].before,
        by_label["legal status in good standing"].after,
    ) == ("Yes", "No")
    assert by_label["president"].after == "Aicha Ait Baha"
    assert "Moazara" in by_label["national programmes"].after
    assert history[-1].action == "Created" and history[-1].changes == []


def test_passwords_never_reach_the_journal(persona):
    from auditlog.models import LogEntry

    user = persona("coach")
    user.set_password("another-long-password")
    user.save()
    entries = LogEntry.objects.get_for_object(user)
    assert all("password" not in (entry.changes or {}) for entry in entries)
    assert User.objects.filter(pk=user.pk).exists()
