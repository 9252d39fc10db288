"""Retention: the members of cooperatives that left all programmes are anonymised after N months."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings

from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.programmes.models import Edition, Enrolment, Programme
from mourafaka.trust import personal_data
from mourafaka.trust.models import ErasureRecord

ON = dt.date(2031, 1, 15)  # 60 months before: 2026-01-15


@pytest.fixture
def world(persona):
    """Five cooperatives with members and explicit enrolment histories; the demo's enrolments set active."""
    Enrolment.objects.update(status=Enrolment.Status.ACTIVE, withdrawn_on=None)
    programme = Programme.objects.first()
    old = Edition.objects.create(programme=programme, code="retention-old", ends_on=dt.date(2025, 6, 30))
    older = Edition.objects.create(programme=programme, code="retention-older", ends_on=dt.date(2019, 12, 31))
    unknown = Edition.objects.create(programme=programme, code="retention-open", ends_on=None)
    enrolled = Enrolment.objects.values("cooperative")
    free = list(
        Cooperative.objects.exclude(pk__in=enrolled)
        .annotate(n=Count("members"))
        .filter(n__gte=1)
        .order_by("pk")[:6]
    )
    assert len(free) == 6
    withdrawn_before, withdrawn_on_cutoff, still_active, completed_before, never, completed_unknown = free

    def enrol(cooperative, edition, status, withdrawn_on=None):
        return Enrolment.objects.create(
            edition=edition,
            cooperative=cooperative,
            status=status,
            started_on=dt.date(2018, 1, 1),
            withdrawn_on=withdrawn_on,
        )

    W, C, A = Enrolment.Status.WITHDRAWN, Enrolment.Status.COMPLETED, Enrolment.Status.ACTIVE
    enrol(withdrawn_before, old, W, dt.date(2026, 1, 14))  # one day more than 60 months: due
    enrol(withdrawn_before, older, C)
    enrol(withdrawn_on_cutoff, old, W, dt.date(2026, 1, 15))  # exactly 60 months: not yet
    enrol(still_active, older, W, dt.date(2019, 1, 1))
    enrol(still_active, old, A)  # an active enrolment: never due
    enrol(completed_before, old, C)  # the edition ended on 2025-06-30: due
    # no enrolment for `never`: not concerned
    enrolment = enrol(completed_unknown, unknown, C)  # no end date: its last change counts
    Enrolment.objects.filter(pk=enrolment.pk).update(updated_at=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    return {
        "due": {withdrawn_before.pk, completed_before.pk},
        "not_due": {withdrawn_on_cutoff.pk, still_active.pk, never.pk, completed_unknown.pk},
        "on_cutoff": withdrawn_on_cutoff.pk,
        "unknown_end": completed_unknown.pk,
    }


def members_of(cooperatives) -> set[int]:
    return set(Member.objects.filter(cooperative_id__in=cooperatives).values_list("pk", flat=True))


@pytest.mark.django_db
def test_exactly_the_members_of_cooperatives_past_the_period_are_due(world):
    assert personal_data.cooperatives_due_for_retention(ON) == world["due"]
    assert set(personal_data.members_due_for_retention(ON).values_list("pk", flat=True)) == members_of(
        world["due"]
    )
    # A year later the cooperative whose last enrolment had no end date is due as well (2027-03-01 + 60 months).
    later = personal_data.cooperatives_due_for_retention(dt.date(2032, 3, 2))
    assert later == world["due"] | world["not_due"] - {
        pk for pk in world["not_due"] if not Enrolment.objects.filter(cooperative_id=pk).exists()
    } - {
        pk for pk in world["not_due"] if Enrolment.objects.filter(cooperative_id=pk, status="active").exists()
    }


@pytest.mark.django_db
def test_the_command_anonymises_once_and_prints_the_counts(world, persona):
    due = members_of(world["due"])
    spared = members_of(world["not_due"])
    # One member of a due cooperative was already erased on request.
    first = min(due)
    personal_data.anonymise_member(
        member=Member.objects.get(pk=first), by=persona("manager"), reason="Request"
    )
    out = StringIO()
    call_command("apply_retention", "--dry-run", "--date", ON.isoformat(), stdout=out)
    assert f"{len(due) - 1} members would be anonymised" in out.getvalue()
    assert ErasureRecord.objects.count() == 1
    out = StringIO()
    call_command("apply_retention", "--date", ON.isoformat(), stdout=out)
    assert (
        f"2 cooperatives past the period, {len(due) - 1} members anonymised, 1 already anonymised"
        in out.getvalue()
    )
    erased = set(ErasureRecord.objects.values_list("member_id", flat=True))
    assert erased == due
    assert not erased & spared
    assert ErasureRecord.objects.filter(source="retention", by=None).count() == len(due) - 1
    assert all(
        name.startswith("Membre anonymisé")
        for name in Member.objects.filter(pk__in=due).values_list("full_name_fr", flat=True)
    )
    # Idempotent.
    out = StringIO()
    call_command("apply_retention", "--date", ON.isoformat(), stdout=out)
    assert f"0 members anonymised, {len(due)} already anonymised" in out.getvalue()


@pytest.mark.django_db
def test_the_period_is_a_setting(world, settings):
    settings.MOURAFAKA = {**settings.MOURAFAKA, "RETENTION_MONTHS_AFTER_PROGRAMMES": 12}
    assert personal_data.retention_months() == 12
    # 12 months before 2027-01-14 is 2026-01-14: the withdrawal of 2026-01-15 is not yet past, the rest is.
    assert personal_data.cooperatives_due_for_retention(dt.date(2027, 1, 16)) == world["due"] | {
        pk
        for pk in world["not_due"]
        if Enrolment.objects.filter(cooperative_id=pk, withdrawn_on=dt.date(2026, 1, 15)).exists()
    }


@override_settings(MOURAFAKA={})
def test_the_default_period_is_sixty_months():
    assert personal_data.retention_months() == 60
