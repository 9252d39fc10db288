"""Eligibility of an applicant: rules configured per call with parameters, each one explained.

A call stores its rules as data: `[{"rule": "max_legal_age", "params": {"years": 4}}, …]`.
`evaluate(facts, rules, at=…)` checks each rule at the stated date (the call's closing date) and
returns, per rule, pass/fail, the values used and a sentence saying why, in French, Arabic and
English. Nothing here reads the database or the clock.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from mourafaka.core.values import amount_text

LANGUAGES = ("fr", "ar", "en")


@dataclass(frozen=True)
class Facts:
    """What the rules know about an applicant, loaded once from the registry."""

    registration_number: str = ""
    creation_date: dt.date | None = None
    activity_start_date: dt.date | None = None
    members_total: int = 0
    members_women: int = 0
    members_youth: int = 0
    legal_status_ok: bool = False
    region_code: str = ""
    earlier_programmes: frozenset = field(default_factory=frozenset)  # programme codes already benefited from
    # Facts of a financing proposal (None or empty for other calls).
    beneficiary: bool = False  # an active beneficiary of the call's edition
    amount_requested: Decimal | None = None
    total_cost: Decimal | None = None
    cofinancing: Decimal | None = None  # own contribution + other co-financing
    missing_items: tuple = ()  # codes of PROPOSAL_ITEMS the proposal lacks


@dataclass(frozen=True)
class Outcome:
    rule: str
    passed: bool
    values: dict
    messages: dict  # language → sentence

    def as_dict(self) -> dict:
        return {"rule": self.rule, "passed": self.passed, "values": self.values, "messages": self.messages}


@dataclass(frozen=True)
class Report:
    eligible: bool
    outcomes: tuple[Outcome, ...]
    at: dt.date

    def as_dict(self) -> dict:
        return {
            "eligible": self.eligible,
            "at": self.at.isoformat(),
            "outcomes": [outcome.as_dict() for outcome in self.outcomes],
        }


class UnknownRule(ValueError):
    pass


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def full_years(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _template(message, language: str) -> str:
    """The sentence in `language`, read from the catalogues without activating the language (the
    evaluation of 10,000 applications × 6 rules × 3 languages would spend seconds switching)."""
    msgid = message._args[0] if hasattr(message, "_args") else str(message)
    key = (msgid, language)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = translation.trans_real.translation(language).gettext(msgid)
    return _TEMPLATES[key]


_TEMPLATES: dict[tuple[str, str], str] = {}


def _say(message, values: dict) -> dict:
    return {language: _template(message, language) % values for language in LANGUAGES}


def _outcome(rule: str, passed: bool, message, values: dict) -> Outcome:
    shown = {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}
    return Outcome(rule=rule, passed=passed, values=shown, messages=_say(message, shown))


@dataclass(frozen=True)
class Param:
    """A parameter a rule takes, so that set-up pages and the API can offer it without knowing the rule.

    kind: "integer" (a count of years, of members…), "share" (0 to 1), "text", or "call_regions"
    (filled from the call's regions, never typed).
    """

    name: str
    kind: str
    label: object
    default: object = None


RuleFunction = Callable[[Facts, dict, dt.date], Outcome]
RULES: dict[str, RuleFunction] = {}
LABELS = {}
PARAMETERS: dict[str, tuple[Param, ...]] = {}


def rule(code: str, label, params: Sequence[Param] = ()):
    def register(function: RuleFunction) -> RuleFunction:
        RULES[code] = function
        LABELS[code] = label
        PARAMETERS[code] = tuple(params)
        return function

    return register


@rule(
    "max_legal_age",
    _("Legal existence of at most N years"),
    [Param("years", "integer", _("Maximum years of legal existence"), 4)],
)
def max_legal_age(facts: Facts, params: dict, at: dt.date) -> Outcome:
    years = int(params.get("years", 4))
    if facts.creation_date is None:
        return _outcome("max_legal_age", False, _("No legal creation date is recorded."), {})
    age = full_years(facts.creation_date, at)
    passed = facts.creation_date >= years_before(at, years) and facts.creation_date <= at
    values = {"created": facts.creation_date, "at": at, "age": age, "years": years}
    if passed:
        message = _(
            "Created on %(created)s: %(age)s full year(s) of legal existence on %(at)s, within the limit of %(years)s."
        )
    else:
        message = _("Created on %(created)s: more than %(years)s years of legal existence on %(at)s.")
    return _outcome("max_legal_age", passed, message, values)


@rule(
    "min_activity",
    _("At least N years of activity"),
    [Param("years", "integer", _("Minimum years of activity"), 1)],
)
def min_activity(facts: Facts, params: dict, at: dt.date) -> Outcome:
    years = int(params.get("years", 1))
    if facts.activity_start_date is None:
        return _outcome("min_activity", False, _("No start of activity is recorded."), {})
    passed = facts.activity_start_date <= years_before(at, years)
    values = {"started": facts.activity_start_date, "at": at, "years": years}
    if passed:
        message = _("Activity started on %(started)s: at least %(years)s year(s) of activity on %(at)s.")
    else:
        message = _("Activity started on %(started)s: less than %(years)s year(s) of activity on %(at)s.")
    return _outcome("min_activity", passed, message, values)


@rule("min_members", _("At least N members"), [Param("count", "integer", _("Minimum number of members"), 5)])
def min_members(facts: Facts, params: dict, at: dt.date) -> Outcome:
    minimum = int(params.get("count", 5))
    passed = facts.members_total >= minimum
    values = {"members": facts.members_total, "minimum": minimum}
    if passed:
        message = _("%(members)s members, at least the %(minimum)s required.")
    else:
        message = _("%(members)s members, fewer than the %(minimum)s required.")
    return _outcome("min_members", passed, message, values)


@rule("legal_status_ok", _("Legal status in good standing"))
def legal_status_ok(facts: Facts, params: dict, at: dt.date) -> Outcome:
    if facts.legal_status_ok:
        return _outcome("legal_status_ok", True, _("The legal status is in good standing."), {})
    return _outcome("legal_status_ok", False, _("The legal status is not in good standing."), {})


@rule(
    "region_in_call",
    _("Located in one of the call's regions"),
    [Param("regions", "call_regions", _("Regions of the call"), ())],
)
def region_in_call(facts: Facts, params: dict, at: dt.date) -> Outcome:
    regions = sorted(params.get("regions", []))
    passed = facts.region_code in regions
    values = {"region": facts.region_code, "regions": ", ".join(regions)}
    if passed:
        message = _("Region %(region)s is one of the call's regions (%(regions)s).")
    else:
        message = _("Region %(region)s is not among the call's regions (%(regions)s).")
    return _outcome("region_in_call", passed, message, values)


@rule(
    "not_previous_beneficiary",
    _("Not already a beneficiary of the programme"),
    [Param("programme", "text", _("Programme code"), "")],
)
def not_previous_beneficiary(facts: Facts, params: dict, at: dt.date) -> Outcome:
    programme = params.get("programme", "")
    passed = programme not in facts.earlier_programmes
    values = {"programme": programme}
    if passed:
        message = _("Not a beneficiary of an earlier edition of %(programme)s.")
    else:
        message = _("Already a beneficiary of an earlier edition of %(programme)s.")
    return _outcome("not_previous_beneficiary", passed, message, values)


def _share_rule(code: str, count_attr: str, passed_message, failed_message):
    def check(facts: Facts, params: dict, at: dt.date) -> Outcome:
        share = float(params.get("min_share", 0.5))
        count = getattr(facts, count_attr)
        passed = facts.members_total > 0 and count >= share * facts.members_total
        values = {"count": count, "members": facts.members_total, "share": round(share * 100)}
        return _outcome(code, passed, passed_message if passed else failed_message, values)

    return check


SHARE = Param("min_share", "share", _("Minimum share of members (0 to 1)"), 0.5)

rule("women_led", _("Women-led"), [SHARE])(
    _share_rule(
        "women_led",
        "members_women",
        _("%(count)s women among %(members)s members: at least %(share)s %% — women-led."),
        _("%(count)s women among %(members)s members: below %(share)s %% — not women-led."),
    )
)
rule("youth_led", _("Youth-led"), [SHARE])(
    _share_rule(
        "youth_led",
        "members_youth",
        _("%(count)s young members among %(members)s: at least %(share)s %% — youth-led."),
        _("%(count)s young members among %(members)s: below %(share)s %% — not youth-led."),
    )
)


# ---------------------------------------------------------------------------
# Financing proposals

#: What a complete proposal holds (code → label), checked by the rule "proposal_complete".
PROPOSAL_ITEMS = {
    "description": _("a description of the project"),
    "budget_lines": _("budget lines"),
    "impact": _("the expected social impact"),
    "business_plan": _("the business plan"),
    "quote": _("at least one quote"),
}


@rule("beneficiary", _("Active beneficiary of the edition"))
def beneficiary(facts: Facts, params: dict, at: dt.date) -> Outcome:
    if facts.beneficiary:
        return _outcome("beneficiary", True, _("An active beneficiary of this edition."), {})
    return _outcome("beneficiary", False, _("Not an active beneficiary of this edition."), {})


@rule(
    "max_amount_requested",
    _("Amount requested within the ceiling"),
    [Param("ceiling", "integer", _("Ceiling per project (MAD)"), 0)],
)
def max_amount_requested(facts: Facts, params: dict, at: dt.date) -> Outcome:
    ceiling = Decimal(params.get("ceiling", 0))
    requested = facts.amount_requested or Decimal(0)
    passed = facts.amount_requested is not None and 0 < requested <= ceiling
    values = {"requested": amount_text(requested), "ceiling": amount_text(ceiling)}
    if passed:
        message = _("%(requested)s MAD requested, within the ceiling of %(ceiling)s MAD.")
    else:
        message = _("%(requested)s MAD requested, outside the ceiling of %(ceiling)s MAD.")
    return _outcome("max_amount_requested", passed, message, values)


@rule(
    "min_cofinancing_share",
    _("Co-financing of at least a share of the cost"),
    [Param("min_share", "share", _("Minimum co-financing share (0 to 1)"), 0.1)],
)
def min_cofinancing_share(facts: Facts, params: dict, at: dt.date) -> Outcome:
    share = Decimal(str(params.get("min_share", 0.1)))
    cost, cofinancing = facts.total_cost or Decimal(0), facts.cofinancing or Decimal(0)
    passed = cost > 0 and cofinancing >= share * cost
    actual = (100 * cofinancing / cost).quantize(Decimal("0.1")) if cost > 0 else Decimal(0)
    values = {
        "cofinancing": amount_text(cofinancing),
        "cost": amount_text(cost),
        "actual": str(actual),
        "share": str((100 * share).quantize(Decimal("0.1"))),
    }
    if passed:
        message = _(
            "%(cofinancing)s MAD of co-financing for a cost of %(cost)s MAD: %(actual)s %%, at least %(share)s %%."
        )
    else:
        message = _(
            "%(cofinancing)s MAD of co-financing for a cost of %(cost)s MAD: %(actual)s %%, below %(share)s %%."
        )
    return _outcome("min_cofinancing_share", passed, message, values)


@rule("proposal_complete", _("Proposal complete"))
def proposal_complete(facts: Facts, params: dict, at: dt.date) -> Outcome:
    if not facts.missing_items:
        return _outcome("proposal_complete", True, _("The proposal is complete."), {})
    messages = {}
    for language in LANGUAGES:
        missing = ", ".join(_template(PROPOSAL_ITEMS[code], language) for code in facts.missing_items)
        messages[language] = _template(_("The proposal lacks %(missing)s."), language) % {"missing": missing}
    return Outcome(
        rule="proposal_complete",
        passed=False,
        values={"missing": list(facts.missing_items)},
        messages=messages,
    )


#: Rules that read a financing proposal: set by a financing round, not offered for other calls.
FINANCING_RULES = frozenset(
    {"beneficiary", "max_amount_requested", "min_cofinancing_share", "proposal_complete"}
)


def financing_rules(
    *, regions: Sequence[str], ceiling: Decimal, min_share: Decimal, beneficiaries_only: bool
) -> list[dict]:
    """The defaults of a financing round."""
    rules = [{"rule": "beneficiary", "params": {}}] if beneficiaries_only else []
    return rules + [
        {"rule": "legal_status_ok", "params": {}},
        {"rule": "region_in_call", "params": {"regions": sorted(regions)}},
        {"rule": "max_amount_requested", "params": {"ceiling": int(ceiling)}},
        {"rule": "min_cofinancing_share", "params": {"min_share": float(min_share)}},
        {"rule": "proposal_complete", "params": {}},
    ]


def check_rules(rules: Sequence[dict]) -> None:
    for entry in rules:
        if entry.get("rule") not in RULES:
            raise UnknownRule(entry.get("rule"))


def evaluate(facts: Facts, rules: Sequence[dict], *, at: dt.date) -> Report:
    """Check every configured rule at date `at`; eligible when all pass."""
    check_rules(rules)
    outcomes = tuple(RULES[entry["rule"]](facts, entry.get("params", {}), at) for entry in rules)
    return Report(eligible=all(outcome.passed for outcome in outcomes), outcomes=outcomes, at=at)


def default_rules(*, regions: Sequence[str], programme: str, prize: str | None = None) -> list[dict]:
    """The Mourafaka defaults (tranche 4), plus women-led or youth-led for the prizes."""
    rules = [
        {"rule": "max_legal_age", "params": {"years": 4}},
        {"rule": "min_activity", "params": {"years": 1}},
        {"rule": "min_members", "params": {"count": 5}},
        {"rule": "legal_status_ok", "params": {}},
        {"rule": "region_in_call", "params": {"regions": sorted(regions)}},
        {"rule": "not_previous_beneficiary", "params": {"programme": programme}},
    ]
    if prize in ("women_led", "youth_led"):
        rules.append({"rule": prize, "params": {"min_share": 0.5}})
    return rules
