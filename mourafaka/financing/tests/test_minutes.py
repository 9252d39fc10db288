"""Minutes of an allocation: PDF in French and Arabic, XLSX (financing.minutes)."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from mourafaka.calls.models import Criterion
from mourafaka.financing import decisions, rounds
from mourafaka.financing.minutes import allocation_html, allocation_pdf, allocation_xlsx
from mourafaka.financing.models import RegionCap
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(financing_round, make_proposal, persona):
    """A frozen allocation of three scored proposals and an ineligible one; budget 400,000 MAD, region 06
    capped at 300,000 MAD; the committee excludes BER-2022-0203."""
    manager, juror = persona("manager"), persona("juror")
    made = {
        "SAF-2022-0088": make_proposal(financing_round, "SAF-2022-0088", amount_requested=200_000),
        "BER-2022-0203": make_proposal(financing_round, "BER-2022-0203", amount_requested=150_000),
        "JAD-2022-0412": make_proposal(financing_round, "JAD-2022-0412", amount_requested=180_000),
        "MAR-2020-0555": make_proposal(financing_round, "MAR-2020-0555", amount_requested=100_000),
    }
    rounds.run_round_eligibility(round=financing_round, by=manager)
    rounds.assign_committee(round=financing_round, members=[juror], by=manager, per_proposal=1)
    reviewed = list(financing_round.call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    for number, score in (("SAF-2022-0088", 4), ("BER-2022-0203", 3), ("JAD-2022-0412", 2)):
        rounds.score_proposal(
            reviewer=juror, proposal=made[number], values={c: (score, "") for c in reviewed}
        )
    financing_round.budget = Decimal(400_000)
    financing_round.save()
    RegionCap.objects.create(round=financing_round, region=Region.objects.get(code="06"), max_amount=300_000)
    decisions.set_override(
        round=financing_round, proposal=made["BER-2022-0203"], decision="exclude",
        reason="Projet déjà financé par l'INDH.", by=manager,
    )  # fmt: skip
    allocation = decisions.compute_allocation(round=financing_round, by=manager, reason="Comité du 12 mai")
    return decisions.freeze_allocation(allocation=allocation, by=manager)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_minutes_pdf_in_both_languages(frozen, language):
    content = allocation_pdf(frozen, language=language)
    assert content.startswith(b"%PDF")
    assert len(content) > 2000


def test_minutes_html_holds_the_decision(frozen):
    html = allocation_html(frozen, language="fr")
    assert 'dir="ltr"' in html and 'lang="fr"' in html
    assert frozen.checksum in html
    assert "Comité du 12 mai" in html
    assert "Projet déjà financé par l&#x27;INDH." in html
    for number in ("SAF-2022-0088", "BER-2022-0203", "JAD-2022-0412", "MAR-2020-0555"):
        assert number in html
    arabic = allocation_html(frozen, language="ar")
    assert '<html lang="ar" dir="rtl">' in arabic
    assert frozen.checksum in arabic


def test_minutes_xlsx_rows(frozen):
    workbook = load_workbook(BytesIO(allocation_xlsx(frozen)), read_only=True)
    entries, summary = workbook.worksheets
    rows = list(entries.iter_rows(values_only=True))
    assert len(rows[0]) == 12
    body = [(row[0], row[1], row[5], row[7], row[8], row[10], row[11]) for row in rows[1:]]
    assert body == [
        (1, "SAF-2022-0088", "07", 200000, 200000, 200000, None),
        (2, "BER-2022-0203", "06", 150000, 0, 200000, "Projet déjà financé par l'INDH."),
        (3, "JAD-2022-0412", "06", 180000, 180000, 20000, None),
        (None, "MAR-2020-0555", "07", 100000, 0, 20000, None),
    ]
    assert all(isinstance(row[6], int | float) for row in rows[1:4]) and rows[4][6] is None
    facts = dict(summary.iter_rows(values_only=True))
    assert frozen.checksum in facts.values()
    assert 400000 in facts.values() and 380000 in facts.values()
