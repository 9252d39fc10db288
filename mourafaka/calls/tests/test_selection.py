"""The selection process end to end through the real services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from mourafaka.accounts.models import Role, User
from mourafaka.calls import services
from mourafaka.calls.models import (
    Appeal,
    Application,
    Call,
    Criterion,
    EligibilityCheck,
    RankingEntry,
    RankingVersion,
)
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.models import Notification
from mourafaka.programmes.models import Edition, Enrolment, Programme
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

OPENS = timezone.make_aware(dt.datetime(2024, 1, 8, 9, 0))
CLOSES = timezone.make_aware(dt.datetime(2024, 3, 31, 18, 0))


@pytest.fixture
def call(persona):
    # A programme of its own: the demo cooperatives are already beneficiaries of Mourafaka.
    programme = Programme.objects.create(code="selection-test", name_fr="Programme de test")
    edition = Edition.objects.create(programme=programme, code="selection-test", name_fr="Test")
    regions = list(Region.objects.filter(code__in=["07", "10", "08", "06"]))
    call = Call(
        edition=edition, code="t4-test", name_fr="AMI test", opens_at=OPENS,
        closes_at=CLOSES, waitlist_length=1, reallocate_unused=True,
    )  # fmt: skip
    services.set_up_call(call=call, regions=regions, by=persona("manager"))
    call.quotas.update(places=1)
    return call


@pytest.fixture
def jurors(persona):
    second = User.objects.create_user(
        "juror2@demo.mourafaka.ma", "x-long-password", full_name="Juror 2", role=Role.JUROR
    )
    return [persona("juror"), second]


def coop(number):
    return Cooperative.objects.get(registration_number=number)


def apply_all(call, persona, numbers):
    manager = persona("manager")
    return [
        services.submit_application(
            call=call,
            cooperative=coop(n),
            by=manager,
            project_summary=f"Projet {n}",
            at=CLOSES - dt.timedelta(hours=len(numbers) - i),
        )  # fmt: skip
        for i, n in enumerate(numbers)
    ]


def test_the_call_gets_default_rules_grid_and_quotas(call):
    assert [rule["rule"] for rule in call.eligibility_rules][:3] == [
        "max_legal_age",
        "min_activity",
        "min_members",
    ]
    assert call.criteria.filter(kind=Criterion.Kind.REVIEWED).count() == 3
    assert call.quotas.count() == 4


def test_a_representative_applies_for_its_own_cooperative_only(call, persona):
    representative = persona("cooperative")
    application = services.submit_application(
        call=call,
        cooperative=coop("SAF-2022-0088"),
        by=representative,
        project_summary="Conserverie de sardines",
        at=CLOSES - dt.timedelta(days=1),
    )
    assert application.status == Application.Status.SUBMITTED
    with pytest.raises(PermissionDenied):
        services.submit_application(
            call=call, cooperative=coop("SAF-2021-0120"), by=representative, project_summary="x", at=CLOSES
        )


@pytest.mark.parametrize(
    ("number", "at", "message"),
    [
        ("SAF-2022-0088", CLOSES, "closed"),
        ("SAF-2022-0088", OPENS - dt.timedelta(minutes=1), "opens"),
        ("SET-2023-0044", CLOSES - dt.timedelta(minutes=1), None),  # region 06 is in the call
    ],
)
def test_applying_outside_the_dates_is_refused_with_the_reason(call, persona, number, at, message):
    if message is None:
        services.submit_application(
            call=call, cooperative=coop(number), by=persona("manager"), project_summary="x", at=at
        )
        return
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            services.submit_application(
                call=call, cooperative=coop(number), by=persona("manager"), project_summary="x", at=at
            )
        assert message in " ".join(error.value.messages).lower()


def test_applying_twice_or_from_another_region_is_refused(call, persona):
    manager = persona("manager")
    at = CLOSES - dt.timedelta(days=1)
    services.submit_application(
        call=call, cooperative=coop("GUE-2023-0021"), by=manager, project_summary="x", at=at
    )
    with pytest.raises(ValidationError):
        services.submit_application(
            call=call, cooperative=coop("GUE-2023-0021"), by=manager, project_summary="x", at=at
        )
    call.regions.remove(Region.objects.get(code="10"))
    with pytest.raises(ValidationError):
        services.submit_application(
            call=call, cooperative=coop("GUE-2022-0150"), by=manager, project_summary="x", at=at
        )


def test_eligibility_is_explained_per_rule_and_rerun_keeps_history(call, persona):
    manager = persona("manager")
    cooperative = coop("MAR-2020-0555")
    cooperative.creation_date = dt.date(2019, 6, 1)  # a typo: more than 4 years before the closing date
    cooperative.save()
    (application,) = apply_all(call, persona, ["MAR-2020-0555"])
    services.run_eligibility(call=call, by=manager)
    application.refresh_from_db()
    assert application.eligible is False
    check = application.eligibility_checks.get(current=True)
    failed = [o for o in check.report["outcomes"] if not o["passed"]]
    assert [o["rule"] for o in failed] == ["max_legal_age"]
    assert "2019-06-01" in failed[0]["messages"]["fr"]
    cooperative.creation_date = dt.date(2020, 11, 5)
    cooperative.save()
    services.run_eligibility(call=call, by=manager)
    application.refresh_from_db()
    assert application.eligible is True
    assert EligibilityCheck.objects.filter(application=application).count() == 2
    assert EligibilityCheck.objects.filter(application=application, current=True).count() == 1


def test_a_reviewer_cannot_score_with_a_conflict_nor_outside_the_scale(call, persona, jurors):
    manager = persona("manager")
    apply_all(call, persona, ["MAR-2022-0141", "GUE-2023-0021"])
    services.run_eligibility(call=call, by=manager)
    services.assign_reviewers(call=call, reviewers=jurors, per_application=2, by=manager)
    application = Application.objects.get(call=call, cooperative__registration_number="MAR-2022-0141")
    impact = call.criteria.get(code="social_impact")
    with pytest.raises(ValidationError):
        services.record_score(reviewer=jurors[0], application=application, criterion=impact, value=5)
    services.record_score(reviewer=jurors[0], application=application, criterion=impact, value=3)
    services.declare_conflict(
        reviewer=jurors[0], application=application, reason="Ma cousine en est présidente"
    )
    assert not application.scores.filter(reviewer=jurors[0]).exists()
    with pytest.raises(ValidationError):
        services.record_score(reviewer=jurors[0], application=application, criterion=impact, value=3)


def test_reviewers_are_balanced(call, persona, jurors):
    manager = persona("manager")
    apply_all(call, persona, ["MAR-2022-0141", "MAR-2021-0877", "GUE-2021-0099", "GUE-2022-0150"])
    services.run_eligibility(call=call, by=manager)
    services.assign_reviewers(call=call, reviewers=jurors, per_application=1, by=manager)
    progress = {row["reviewer"].email: row["assigned"] for row in services.review_progress(call)}
    assert sorted(progress.values()) == [2, 2]


def _score_everyone(call, jurors, values):
    for application in Application.objects.filter(call=call, eligible=True):
        for criterion in call.criteria.filter(kind=Criterion.Kind.REVIEWED):
            for juror in jurors:
                if application.reviewer_assignments.filter(reviewer=juror).exists():
                    services.record_score(reviewer=juror, application=application, criterion=criterion,
                                          value=values[application.cooperative.registration_number])  # fmt: skip


def test_the_whole_selection_from_applications_to_beneficiaries(
    call, persona, jurors, django_capture_on_commit_callbacks
):
    manager = persona("manager")
    # Marrakech-Safi (07): three candidates for one place; Guelmim (10): two; Drâa (08) and
    # Casablanca-Settat (06): none. One place each, waitlist of one.
    numbers = ["MAR-2022-0141", "MAR-2021-0877", "SAF-2022-0088", "GUE-2021-0099", "GUE-2022-0150"]
    apply_all(call, persona, numbers)
    result = services.run_eligibility(call=call, by=manager)
    assert result["eligible"] == 5
    services.assign_reviewers(call=call, reviewers=jurors, per_application=2, by=manager)
    _score_everyone(call, jurors, {"MAR-2022-0141": 4, "MAR-2021-0877": 3, "SAF-2022-0088": 2,
                                   "GUE-2021-0099": 1, "GUE-2022-0150": 0.5})  # fmt: skip
    version = services.compute_ranking(call=call, by=manager)
    entries = {e.application.cooperative.registration_number: e for e in version.entries.all()}
    # Totals (reviewed weights 3+2+2 on 0–4; computed: women/youth-led 2, national programme 1, legal 1):
    # MAR-0141 100 (women-led, INDH); MAR-0877 56.82; SAF-0088 50 (INDH); GUE-0150 44.32
    # (women-led, INDH); GUE-0099 25.
    assert [round(float(entries[n].total), 2) for n in
            ["MAR-2022-0141", "MAR-2021-0877", "SAF-2022-0088", "GUE-2022-0150", "GUE-2021-0099"]] == [
        100.0, 56.82, 50.0, 44.32, 25.0]  # fmt: skip
    # 07 and 10 take their place; the places of 08 and 06 (no applicant) go nationally to the next best.
    assert {number: entry.outcome for number, entry in entries.items()} == {
        "MAR-2022-0141": "selected", "GUE-2022-0150": "selected", "MAR-2021-0877": "reallocated",
        "SAF-2022-0088": "reallocated", "GUE-2021-0099": "waitlisted",
    }  # fmt: skip
    with pytest.raises(ValidationError):
        services.publish_results(version=version, by=manager)  # not frozen yet
    services.freeze_ranking(version=version, by=manager)
    with pytest.raises(ValidationError):
        services.record_score(reviewer=jurors[0], application=version.entries.first().application,
                              criterion=call.criteria.get(code="social_impact"), value=1)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        published = services.publish_results(version=version, by=manager)
    assert published["enrolled"] == 4
    assert set(Enrolment.objects.filter(edition=call.edition).values_list("cooperative__registration_number", flat=True)) == {
        "MAR-2022-0141", "GUE-2022-0150", "MAR-2021-0877", "SAF-2022-0088"}  # fmt: skip
    assert Notification.objects.filter(user=persona("cooperative"), title__icontains="AMI test").exists()

    # A beneficiary of Guelmim withdraws: the waitlisted cooperative of Guelmim moves up.
    withdrawn = Enrolment.objects.get(edition=call.edition, cooperative__registration_number="GUE-2022-0150")
    promoted = services.withdraw_beneficiary(enrolment=withdrawn, reason="Dissolution", by=manager)
    assert promoted.cooperative.registration_number == "GUE-2021-0099"
    assert promoted.source == Enrolment.Source.PROMOTED


def test_an_appeal_within_the_delay_leads_to_a_new_audited_version(call, persona, jurors):
    manager = persona("manager")
    cooperative = coop("MAR-2020-0555")
    cooperative.creation_date = dt.date(2019, 6, 1)
    cooperative.save()
    apply_all(call, persona, ["MAR-2022-0141", "MAR-2020-0555"])
    services.run_eligibility(call=call, by=manager)
    version = services.freeze_ranking(version=services.compute_ranking(call=call, by=manager), by=manager)
    services.publish_results(version=version, by=manager)
    application = Application.objects.get(call=call, cooperative__registration_number="MAR-2020-0555")
    assert version.entries.get(application=application).outcome == RankingEntry.Outcome.INELIGIBLE
    appeal = services.submit_appeal(application=application, reason="Date de création erronée", by=manager)
    with pytest.raises(ValidationError):
        services.submit_appeal(application=application, reason="encore", by=manager)
    cooperative.creation_date = dt.date(2020, 11, 5)
    cooperative.save()
    services.run_eligibility(call=call, by=manager)
    services.decide_appeal(appeal=appeal, upheld=True, decision="Statuts de 2020 fournis", by=manager)
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD
    new_version = appeal.resulting_ranking
    assert new_version.number == 2 and new_version.status == RankingVersion.Status.FROZEN
    assert "Statuts de 2020" in new_version.reason
    version.refresh_from_db()
    assert version.status == RankingVersion.Status.SUPERSEDED
    assert new_version.entries.get(application=application).outcome != RankingEntry.Outcome.INELIGIBLE


def test_an_appeal_after_the_delay_is_refused(call, persona):
    manager = persona("manager")
    (application,) = apply_all(call, persona, ["MAR-2022-0141"])
    services.run_eligibility(call=call, by=manager)
    version = services.freeze_ranking(version=services.compute_ranking(call=call, by=manager), by=manager)
    services.publish_results(version=version, by=manager)
    late = call.results_published_at + dt.timedelta(days=call.appeal_days, minutes=1)
    with pytest.raises(ValidationError):
        services.submit_appeal(application=application, reason="trop tard", by=manager, at=late)


def test_the_ranking_is_reproducible(call, persona, jurors):
    manager = persona("manager")
    apply_all(call, persona, ["MAR-2022-0141", "MAR-2021-0877", "GUE-2023-0021"])
    services.run_eligibility(call=call, by=manager)
    first = services.compute_ranking(call=call, by=manager)
    second = services.compute_ranking(call=call, by=manager)
    assert first.checksum == second.checksum


def test_weights_summing_to_zero_are_refused(call, persona):
    call.criteria.update(weight=0)
    with pytest.raises(ValidationError):
        services.compute_ranking(call=call, by=persona("manager"))


def test_only_head_office_runs_the_committee_steps(call, persona):
    for key in ("delegate.safi", "juror", "cooperative"):
        with pytest.raises(PermissionDenied):
            services.run_eligibility(call=call, by=persona(key))
