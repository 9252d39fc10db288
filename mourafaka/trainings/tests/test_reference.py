import pytest
import yaml
from auditlog.models import LogEntry

from mourafaka.diagnostics.models import Question, Template
from mourafaka.diagnostics.reference import DEFAULT_TEMPLATE
from mourafaka.trainings.models import Module
from mourafaka.trainings.reference import load_training_reference, read_modules

pytestmark = pytest.mark.django_db


def diagnostic_training_needs() -> set[str]:
    needs = yaml.safe_load(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))["needs"]
    return {code for code, need in needs.items() if need["kind"] == "training"}


def test_loading_twice_changes_nothing():
    first = load_training_reference()
    modules = Module.objects.count()
    journal = LogEntry.objects.count()
    second = load_training_reference()
    assert first == second == {"training_modules": 15, "satisfaction_questions": 6}
    assert Module.objects.count() == modules
    assert LogEntry.objects.count() == journal, "an unchanged module is not saved again"


def test_loading_again_restores_a_module_changed_in_the_database():
    load_training_reference()
    Module.objects.filter(code="TR-ACC").update(duration_days=5, name_fr="Autre chose")
    load_training_reference()
    module = Module.objects.get(code="TR-ACC")
    assert (module.duration_days, module.name_fr) == (2, "Comptabilité simplifiée de la coopérative")


def test_every_module_is_described_in_french_and_arabic():
    load_training_reference()
    for module in Module.objects.filter(code__in=[row["code"] for row in read_modules()]):
        for field in ("name", "objectives", "material"):
            assert getattr(module, f"{field}_fr").strip(), (module.code, field)
            assert getattr(module, f"{field}_ar").strip(), (module.code, field)
        assert any("\u0600" <= letter <= "\u06ff" for letter in module.name_ar), module.code
        assert module.duration_days >= 1 and 1 <= module.hours_per_day <= 12


def test_codes_in_the_catalogue_file_are_unique():
    codes = [row["code"] for row in read_modules()]
    assert len(codes) == len(set(codes))


def test_every_training_need_of_the_diagnostic_is_a_module_for_members():
    load_training_reference()
    needs = diagnostic_training_needs()
    modules = set(
        Module.objects.filter(code__in=needs, audience=Module.Audience.MEMBERS).values_list("code", flat=True)
    )
    assert needs and modules == needs


def test_the_catalogue_covers_the_themes_of_the_programme_and_of_the_prizes():
    load_training_reference()
    by_theme = {theme: set(codes) for theme, codes in _codes_by_theme().items()}
    assert {"TR-GOV-LEGAL", "TR-ACC", "TR-RES"} <= by_theme[Module.Theme.GOVERNANCE]
    assert {"TR-GOV-AG", "TR-COMM"} <= by_theme[Module.Theme.COMMUNICATION]
    assert {"TR-MKT"} <= by_theme[Module.Theme.MARKETING]
    assert {"TR-FIN", "TR-MARKET", "TR-ECOM", "TR-QUAL", "TR-PARTNERS", "TR-PITCH"} <= by_theme[
        Module.Theme.PRIZE_WORKSHOP
    ]
    assert Module.objects.get(code="TOT-TRAINERS").audience == Module.Audience.TRAINERS
    assert Module.objects.get(code="STAFF-PROG").audience == Module.Audience.STAFF


def _codes_by_theme() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for code, theme in Module.objects.values_list("code", "theme"):
        result.setdefault(theme, []).append(code)
    return result


def test_the_satisfaction_questionnaire_is_published_for_its_purpose():
    load_training_reference()
    template = Template.objects.get(code="training-satisfaction", status=Template.Status.PUBLISHED)
    assert template.purpose == Template.Purpose.SATISFACTION
    assert 1 <= template.axes.count() <= 2
    types = list(template.questions.values_list("type", flat=True))
    assert types.count(Question.Type.TEXT) == 1
    assert types.count(Question.Type.SCALE_0_4) >= 3
    assert all(question.text_ar for question in template.questions.all())
    text = template.questions.get(type=Question.Type.TEXT)
    assert not text.required, "suggestions are optional"
