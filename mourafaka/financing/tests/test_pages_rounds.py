"""Financing pages of a round: the home page of each role, setting up a round, its page, eligibility,
the committee and its scoring, results and late milestones; who sees what (404 out of scope, 403)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mourafaka.calls.models import Call, ConflictOfInterest, ReviewerAssignment, Score
from mourafaka.financing import rounds
from mourafaka.financing.models import Milestone, Proposal, Round
from mourafaka.programmes.models import Edition

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client_for):
    def make(key):
        client = client_for(key)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---------------------------------------------------------------------------
# Home


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi"])
def test_the_office_sees_the_rounds_with_their_figures(en, financing_round, make_proposal, key):
    make_proposal(financing_round, "SAF-2022-0088", amount_requested=Decimal(123_000))
    html = page(en(key).get(reverse("financing:home")))
    assert reverse("financing:round", args=[financing_round.pk]) in html
    assert "123,000" in html


def test_another_delegation_does_not_count_proposals_outside_it(en, financing_round, make_proposal):
    make_proposal(financing_round, "SAF-2022-0088", amount_requested=Decimal(123_000))
    assert "123,000" not in page(en("delegate.guelmim").get(reverse("financing:home")))


def test_the_coach_sees_the_proposals_of_the_cooperatives_they_coach(en, financing_round, make_proposal):
    mine = make_proposal(financing_round, "SAF-2022-0088")
    other = make_proposal(financing_round, "BER-2022-0203")
    html = page(en("coach").get(reverse("financing:home")))
    assert reverse("financing:proposal", args=[mine.pk]) in html
    assert reverse("financing:proposal", args=[other.pk]) not in html
    assert reverse("financing:proposal_new", args=[financing_round.pk]) in html


def test_the_cooperative_sees_its_proposal_and_agreement(en, financing_round, make_proposal, make_agreement):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    agreement = make_agreement(proposal)
    other = make_proposal(financing_round, "BER-2022-0203")
    html = page(en("cooperative").get(reverse("financing:home")))
    assert reverse("financing:proposal", args=[proposal.pk]) in html
    assert reverse("financing:agreement", args=[agreement.pk]) in html
    assert reverse("financing:proposal", args=[other.pk]) not in html


def test_a_cooperative_without_a_proposal_is_offered_the_open_round(en, financing_round):
    html = page(en("cooperative").get(reverse("financing:home")))
    assert reverse("financing:proposal_new", args=[financing_round.pk]) in html


@pytest.mark.parametrize("key", ["observer", "consultant", "trainer", "mentor"])
def test_other_roles_do_not_open_financing(en, key):
    assert en(key).get(reverse("financing:home")).status_code == 403


def test_the_home_page_queries_are_bounded(en, financing_round, make_proposal, django_assert_max_num_queries):
    for number in ("SAF-2022-0088", "BER-2022-0203", "JAD-2022-0412", "GUE-2022-0150"):
        make_proposal(financing_round, number)
    client = en("manager")
    with django_assert_max_num_queries(20):
        page(client.get(reverse("financing:home")))


# ---------------------------------------------------------------------------
# Setting up a round


def round_post(**changes) -> dict:
    edition = Edition.objects.get(programme__code="mourafaka", code="tranche-4")
    now = timezone.localtime()
    data = {
        "call-edition": edition.pk,
        "call-code": "fin-2030",
        "call-name_fr": "Financement des projets 2030",
        "call-name_ar": "تمويل المشاريع 2030",
        "call-description_fr": "Appel à projets des bénéficiaires.",
        "call-description_ar": "",
        "call-opens_at": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "call-closes_at": (now + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "call-reviewers_per_application": "2",
        "round-budget": "800000",
        "round-ceiling": "250000",
        "round-min_cofinancing_percent": "15",
        "round-max_projects": "5",
        "round-tranche_shares": "50 / 30 / 20",
        "round-milestone_grace_days": "10",
        "round-beneficiaries_only": "on",
        "regions-open_06": "on",
        "regions-open_07": "on",
        "regions-projects_07": "2",
        "regions-amount_06": "300000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_head_office_creates_a_round(en):
    client = en("manager")
    assert "Envelope and rules" in page(client.get(reverse("financing:round_new")))
    response = client.post(reverse("financing:round_new"), round_post())
    round = Round.objects.get(call__code="fin-2030")
    assert response.status_code == 302
    assert response.url == reverse("financing:round", args=[round.pk])
    assert round.call.kind == Call.Kind.FINANCING
    assert round.budget == Decimal(800_000) and round.ceiling == Decimal(250_000)
    assert round.min_cofinancing_share == Decimal("0.15")
    assert round.max_projects == 5 and round.milestone_grace_days == 10
    assert round.shares == [Decimal(50), Decimal(30), Decimal(20)]
    assert sorted(round.call.regions.values_list("code", flat=True)) == ["06", "07"]
    caps = {
        cap.region.code: (cap.max_projects, cap.max_amount)
        for cap in round.region_caps.select_related("region")
    }
    assert caps == {"06": (None, Decimal(300_000)), "07": (2, None)}
    assert round.call.criteria.count() == 5
    html = page(client.get(response.url))
    assert "Financement des projets 2030" in html and "800,000" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"round-ceiling": "900000"}, "above the budget"),
        ({"round-tranche_shares": "40 / 40"}, "100"),
        ({"round-min_cofinancing_percent": "120"}, "100"),
        ({"round-budget": "abc"}, "number"),
        ({"regions-open_06": None, "regions-open_07": None}, "at least one region"),
        ({"call-closes_at": "2000-01-01T00:00"}, "close after it opens"),
    ],
)
def test_a_round_with_bad_settings_is_refused_with_the_reason_and_nothing_saved(en, changes, message):
    response = en("manager").post(reverse("financing:round_new"), round_post(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Financement des projets 2030" in html  # what was typed is given back
    assert not Call.objects.filter(code="fin-2030").exists()


def test_head_office_edits_a_round(en, financing_round):
    client = en("manager")
    html = page(client.get(reverse("financing:round_edit", args=[financing_round.pk])))
    assert "1000000" in html
    data = round_post(**{"call-code": "test-round", "round-budget": "1200000"})
    data.pop("call-edition")
    data["regions-open_10"] = "on"
    response = client.post(reverse("financing:round_edit", args=[financing_round.pk]), data)
    assert response.status_code == 302
    financing_round.refresh_from_db()
    assert financing_round.budget == Decimal(1_200_000)


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative", "juror", "observer"])
def test_only_head_office_sets_up_rounds(en, financing_round, key):
    assert en(key).get(reverse("financing:round_new")).status_code == 403
    assert en(key).get(reverse("financing:round_edit", args=[financing_round.pk])).status_code == 403
    assert en(key).post(reverse("financing:round_new"), round_post()).status_code == 403
    assert not Call.objects.filter(code="fin-2030").exists()


# ---------------------------------------------------------------------------
# The round's page


def test_the_round_page_counts_and_lists_the_proposals(en, financing_round, make_proposal):
    make_proposal(financing_round, "SAF-2022-0088", amount_requested=Decimal(111_000))
    make_proposal(
        financing_round, "BER-2022-0203", status=Proposal.Status.DRAFT, amount_requested=Decimal(99_000)
    )
    html = page(en("manager").get(reverse("financing:round", args=[financing_round.pk])))
    assert "111,000" in html and "99,000" in html
    assert "Submitted" in html and "Draft" in html
    assert reverse("financing:round_eligibility", args=[financing_round.pk]) in html
    assert reverse("financing:allocation_compute", args=[financing_round.pk]) in html


def test_a_delegate_sees_only_the_proposals_of_its_delegation(en, financing_round, make_proposal):
    safi = make_proposal(financing_round, "SAF-2022-0088")
    beni = make_proposal(financing_round, "BER-2022-0203")
    html = page(en("delegate.safi").get(reverse("financing:round", args=[financing_round.pk])))
    assert reverse("financing:proposal", args=[safi.pk]) in html
    assert reverse("financing:proposal", args=[beni.pk]) not in html
    assert reverse("financing:round_eligibility", args=[financing_round.pk]) not in html


def test_the_cooperative_sees_only_its_proposal_on_the_round_page(en, financing_round, make_proposal):
    mine = make_proposal(financing_round, "SAF-2022-0088")
    other = make_proposal(financing_round, "BER-2022-0203")
    html = page(en("cooperative").get(reverse("financing:round", args=[financing_round.pk])))
    assert reverse("financing:proposal", args=[mine.pk]) in html
    assert reverse("financing:proposal", args=[other.pk]) not in html
    assert reverse("financing:proposal_new", args=[financing_round.pk]) not in html  # it has one already


def test_an_observer_does_not_open_a_round(en, financing_round):
    assert en("observer").get(reverse("financing:round", args=[financing_round.pk])).status_code == 403


def test_an_unknown_round_is_not_found(en):
    assert en("manager").get(reverse("financing:round", args=[987654])).status_code == 404


def test_the_round_page_queries_are_bounded(
    en, financing_round, make_proposal, django_assert_max_num_queries
):
    for number in ("SAF-2022-0088", "BER-2022-0203", "JAD-2022-0412", "GUE-2022-0150", "MAR-2022-0141"):
        make_proposal(financing_round, number)
    client = en("manager")
    with django_assert_max_num_queries(30):
        page(client.get(reverse("financing:round", args=[financing_round.pk])))


# ---------------------------------------------------------------------------
# Eligibility, committee, scoring


def test_head_office_runs_eligibility_and_each_proposal_explains_its_outcome(
    en, financing_round, make_proposal
):
    good = make_proposal(financing_round, "SAF-2022-0088")
    short = make_proposal(financing_round, "BER-2022-0203", documents=False)
    client = en("manager")
    response = client.post(reverse("financing:round_eligibility", args=[financing_round.pk]))
    assert response.status_code == 302
    good.refresh_from_db()
    short.refresh_from_db()
    assert good.status == Proposal.Status.ELIGIBLE
    assert short.status == Proposal.Status.INELIGIBLE
    html = page(client.get(reverse("financing:proposal", args=[short.pk])))
    assert "Not eligible" in html
    assert "business plan" in html.lower()


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative", "juror"])
def test_only_head_office_runs_eligibility(en, financing_round, make_proposal, key):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    assert en(key).post(reverse("financing:round_eligibility", args=[financing_round.pk])).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


@pytest.fixture
def eligible(financing_round, make_proposal):
    return [
        make_proposal(financing_round, number, status=Proposal.Status.ELIGIBLE)
        for number in ("SAF-2022-0088", "BER-2022-0203")
    ]


def test_head_office_names_the_committee_and_follows_the_scoring(en, financing_round, eligible, persona):
    client = en("manager")
    assert "Name the committee" in page(
        client.get(reverse("financing:round_committee", args=[financing_round.pk]))
    )
    juror = persona("juror")
    response = client.post(
        reverse("financing:round_committee", args=[financing_round.pk]),
        {"members": [juror.pk], "per_proposal": "1"},
    )
    assert response.status_code == 302
    assert (
        ReviewerAssignment.objects.filter(reviewer=juror, application__call=financing_round.call).count() == 2
    )
    html = page(client.get(reverse("financing:round_committee", args=[financing_round.pk])))
    assert juror.full_name in html


def test_a_committee_without_members_is_refused(en, financing_round, eligible):
    response = en("manager").post(
        reverse("financing:round_committee", args=[financing_round.pk]), {"per_proposal": "1"}
    )
    assert response.status_code == 400
    assert "Choose at least one committee member" in response.content.decode()
    assert not ReviewerAssignment.objects.filter(application__call=financing_round.call).exists()


@pytest.mark.parametrize("key", ["delegate.safi", "juror", "cooperative"])
def test_only_head_office_names_the_committee(en, financing_round, key):
    assert en(key).get(reverse("financing:round_committee", args=[financing_round.pk])).status_code == 403


@pytest.fixture
def assigned(financing_round, eligible, persona):
    rounds.assign_committee(
        round=financing_round, members=[persona("juror")], by=persona("manager"), per_proposal=1
    )
    return eligible


def scores(**values) -> dict:
    data = {f"score_{code}": "3" for code in ("viability", "social_impact", "jobs", "environment")}
    data.update({f"score_{code}": value for code, value in values.items()})
    return data


def test_a_juror_scores_the_proposals_assigned_to_them(en, financing_round, assigned, persona):
    client = en("juror")
    html = page(client.get(reverse("financing:scoring", args=[financing_round.pk])))
    for proposal in assigned:
        assert reverse("financing:proposal_score", args=[proposal.pk]) in html
    first = assigned[0]
    assert "viability" in page(client.get(reverse("financing:proposal_score", args=[first.pk])))
    response = client.post(reverse("financing:proposal_score", args=[first.pk]), scores(comment_jobs="Bien"))
    assert response.status_code == 302
    assert Score.objects.filter(reviewer=persona("juror"), application=first.application).count() == 4
    first.refresh_from_db()
    assert first.status == Proposal.Status.SCORED


def test_a_score_outside_the_scale_is_refused_and_the_typed_scores_kept(en, assigned, persona):
    proposal = assigned[0]
    response = en("juror").post(reverse("financing:proposal_score", args=[proposal.pk]), scores(jobs="9"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "between 0 and 4" in html
    assert 'value="9"' in html
    assert not Score.objects.filter(application=proposal.application).exists()


def test_a_juror_declares_a_conflict_and_can_no_longer_score(en, assigned, persona):
    proposal = assigned[0]
    client = en("juror")
    response = client.post(
        reverse("financing:proposal_conflict", args=[proposal.pk]), {"reason": "Ma cousine"}
    )
    assert response.status_code == 302
    assert ConflictOfInterest.objects.filter(
        reviewer=persona("juror"), application=proposal.application
    ).exists()
    html = page(client.get(reverse("financing:proposal_score", args=[proposal.pk])))
    assert "conflict of interest" in html
    response = client.post(reverse("financing:proposal_score", args=[proposal.pk]), scores())
    assert response.status_code in (400, 403)
    assert not Score.objects.filter(application=proposal.application).exists()


def test_a_juror_does_not_score_a_proposal_not_assigned_to_them(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.ELIGIBLE)
    # 404 when the juror reviews nothing of that cooperative, 403 when they see it from another call.
    assert en("juror").get(reverse("financing:proposal_score", args=[proposal.pk])).status_code in (403, 404)


@pytest.mark.parametrize("key", ["cooperative", "coach", "delegate.safi"])
def test_only_committee_members_score(en, assigned, key):
    assert en(key).get(reverse("financing:proposal_score", args=[assigned[0].pk])).status_code == 403


def test_the_juror_home_lists_the_rounds_to_score(en, financing_round, assigned):
    html = page(en("juror").get(reverse("financing:home")))
    assert reverse("financing:scoring", args=[financing_round.pk]) in html


def test_the_scoring_list_queries_are_bounded(en, financing_round, assigned, django_assert_max_num_queries):
    client = en("juror")
    with django_assert_max_num_queries(20):
        page(client.get(reverse("financing:scoring", args=[financing_round.pk])))


# ---------------------------------------------------------------------------
# Results and late milestones


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "observer"])
def test_results_are_read_by_office_and_partners(en, financing_round, make_proposal, make_agreement, key):
    make_agreement(make_proposal(financing_round, "SAF-2022-0088"), amount=Decimal(180_000))
    html = page(en(key).get(reverse("financing:results", args=[financing_round.pk])))
    assert "180,000" in html


@pytest.mark.parametrize("key", ["coach", "cooperative", "juror"])
def test_results_are_not_for_field_roles(en, financing_round, key):
    assert en(key).get(reverse("financing:results", args=[financing_round.pk])).status_code == 403


def late_milestone(agreement) -> Milestone:
    milestone = agreement.milestones.order_by("order").first()
    milestone.due_on = timezone.localdate() - dt.timedelta(days=60)
    milestone.save()
    return milestone


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "coach", "cooperative"])
def test_late_milestones_are_listed_in_scope(en, financing_round, make_proposal, make_agreement, key):
    milestone = late_milestone(make_agreement(make_proposal(financing_round, "SAF-2022-0088")))
    html = page(en(key).get(reverse("financing:late")))
    assert milestone.title in html


def test_late_milestones_outside_the_scope_are_not_listed(en, financing_round, make_proposal, make_agreement):
    milestone = late_milestone(make_agreement(make_proposal(financing_round, "SAF-2022-0088")))
    assert milestone.title not in page(en("delegate.guelmim").get(reverse("financing:late")))


@pytest.mark.parametrize("key", ["observer", "juror"])
def test_late_milestones_are_not_for_other_roles(en, key):
    assert en(key).get(reverse("financing:late")).status_code == 403


def test_the_late_list_queries_are_bounded(
    en, financing_round, make_proposal, make_agreement, django_assert_max_num_queries
):
    for number in ("SAF-2022-0088", "BER-2022-0203", "JAD-2022-0412"):
        late_milestone(make_agreement(make_proposal(financing_round, number)))
    client = en("manager")
    with django_assert_max_num_queries(15):
        page(client.get(reverse("financing:late")))
