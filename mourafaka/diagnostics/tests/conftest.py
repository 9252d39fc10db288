import datetime as dt

import pytest

from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Cooperative
from mourafaka.diagnostics import services
from mourafaka.diagnostics.demo import load_diagnostics
from mourafaka.diagnostics.models import Diagnostic, Template
from mourafaka.diagnostics.reference import load_default_template
from mourafaka.programmes.models import Edition, Enrolment


def enrol(number: str) -> Enrolment:
    edition = Edition.objects.get(code="tranche-4", programme__code="mourafaka")
    enrolment, _ = Enrolment.objects.get_or_create(
        edition=edition,
        cooperative=Cooperative.objects.get(registration_number=number),
        defaults={"started_on": dt.date(2024, 3, 1)},
    )
    return enrolment


@pytest.fixture
def template(db) -> Template:
    return load_default_template()


@pytest.fixture
def demo_diagnostics(db, template) -> dict[str, Diagnostic]:
    """The demo diagnostics by registration number (beneficiaries enrolled if the demo did not)."""
    for number in ("SAF-2022-0088", "MAR-2022-0141", "MAR-2021-0877"):
        enrol(number)
    load_diagnostics()
    return {
        diagnostic.enrolment.cooperative.registration_number: diagnostic
        for diagnostic in Diagnostic.objects.select_related("enrolment__cooperative")
    }


@pytest.fixture
def fresh(db, template, persona):
    """A new draft diagnostic of SAF-2021-0120 (delegation of Safi) for the demo consultant."""

    def make(number: str = "SAF-2021-0120") -> Diagnostic:
        enrolment = enrol(number)
        Diagnostic.objects.filter(enrolment=enrolment).delete()
        return services.start_diagnostic(
            enrolment=enrolment, consultant=persona("consultant"), template=template, by=persona("manager")
        )

    return make


def answer_all(diagnostic: Diagnostic, by: User, level: int = 3) -> None:
    from mourafaka.diagnostics.demo import _value

    for question in diagnostic.template.questions.all():
        services.save_answer(diagnostic=diagnostic, question=question, raw=_value(question, level), by=by)
