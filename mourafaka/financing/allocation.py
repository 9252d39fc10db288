"""Allocation of a financing round's budget: which projects are funded, in plain Python.

The rule (pinned by tests, told in docs/rules.md):

1. Projects come in ranking order (the calls ranking engine: total score descending, earlier
   submission, registration number). Projects that are not ranked (not eligible, below the
   minimum total) are never funded.
2. The committee's inclusions come first, in ranking order: each is funded for its amount (the
   amount the committee set, else the amount requested). They count towards the budget, the
   maximum number of projects and the regional caps, but the caps do not stop them; the budget
   does: the inclusions together can never exceed the envelope (refused before this rule runs).
3. The committee's exclusions are never funded.
4. Every other project, in ranking order: once the maximum number of projects is reached, it is
   "maximum reached"; else, if its region already has its cap of projects, "region's project
   cap"; else, if its amount is more than the budget left, "over budget"; else, if it would take
   its region past its amount cap, "region's amount cap"; else it is funded and its amount leaves
   the budget. A project that is skipped does not stop the next ones: a smaller project further
   down the ranking may still fit.

The amounts are Decimals (dirhams and centimes); nothing here reads the database or the clock.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal


class Outcome:
    FUNDED = "funded"
    FUNDED_BY_COMMITTEE = "funded_by_committee"
    EXCLUDED_BY_COMMITTEE = "excluded_by_committee"
    OVER_BUDGET = "over_budget"
    OVER_REGION_PROJECTS = "over_region_projects"
    OVER_REGION_AMOUNT = "over_region_amount"
    OVER_MAX_PROJECTS = "over_max_projects"
    NOT_RANKED = "not_ranked"

    FUNDED_KINDS = frozenset({FUNDED, FUNDED_BY_COMMITTEE})


INCLUDE, EXCLUDE = "include", "exclude"


@dataclass(frozen=True)
class Project:
    proposal: int | str
    region: str
    amount: Decimal  # amount requested
    position: int | None  # rank in the ranking; None when not ranked


@dataclass(frozen=True)
class Cap:
    max_projects: int | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True)
class Envelope:
    budget: Decimal
    max_projects: int | None = None
    caps: Mapping[str, Cap] = None  # region → cap

    def cap(self, region: str) -> Cap:
        return (self.caps or {}).get(region) or Cap()


@dataclass(frozen=True)
class Override:
    decision: str  # INCLUDE or EXCLUDE
    amount: Decimal | None = None  # the amount granted on inclusion (else the amount requested)


@dataclass
class Decision:
    proposal: int | str
    region: str
    position: int | None
    amount_requested: Decimal
    amount_granted: Decimal
    outcome: str
    remaining_after: Decimal

    @property
    def funded(self) -> bool:
        return self.outcome in Outcome.FUNDED_KINDS


class InvalidAllocation(ValueError):
    """Inputs the rule refuses; `code` names the reason for the message shown to the user."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = values


def check_inputs(projects: list[Project], envelope: Envelope, overrides: Mapping) -> None:
    if envelope.budget < 0:
        raise InvalidAllocation("negative_budget")
    if envelope.max_projects is not None and envelope.max_projects < 0:
        raise InvalidAllocation("negative_max_projects")
    by_id = {project.proposal: project for project in projects}
    included = Decimal(0)
    for proposal, override in overrides.items():
        project = by_id.get(proposal)
        if project is None:
            continue
        if override.decision == INCLUDE:
            if project.position is None:
                raise InvalidAllocation("include_not_ranked", proposal=proposal)
            amount = granted(project, override)
            if amount <= 0 or amount > project.amount:
                raise InvalidAllocation("include_amount", proposal=proposal)
            included += amount
    if included > envelope.budget:
        raise InvalidAllocation("inclusions_over_budget", included=included, budget=envelope.budget)


def granted(project: Project, override: Override | None) -> Decimal:
    if override is not None and override.decision == INCLUDE and override.amount is not None:
        return override.amount
    return project.amount


def _ranking_order(project: Project):
    return (project.position is None, project.position or 0, str(project.proposal))


class _Ledger:
    """What has been funded so far: budget left, projects funded, per region."""

    def __init__(self, envelope: Envelope):
        self.envelope = envelope
        self.remaining = envelope.budget
        self.count = 0
        self.region_count: dict = defaultdict(int)
        self.region_amount: dict = defaultdict(Decimal)

    def fund(self, project: Project, amount: Decimal) -> None:
        self.remaining -= amount
        self.count += 1
        self.region_count[project.region] += 1
        self.region_amount[project.region] += amount

    def why_not(self, project: Project) -> str | None:
        """The reason the project cannot be funded now, or None when it fits."""
        cap = self.envelope.cap(project.region)
        if self.envelope.max_projects is not None and self.count >= self.envelope.max_projects:
            return Outcome.OVER_MAX_PROJECTS
        if cap.max_projects is not None and self.region_count[project.region] >= cap.max_projects:
            return Outcome.OVER_REGION_PROJECTS
        if project.amount > self.remaining:
            return Outcome.OVER_BUDGET
        if (
            cap.max_amount is not None
            and self.region_amount[project.region] + project.amount > cap.max_amount
        ):
            return Outcome.OVER_REGION_AMOUNT
        return None


def allocate(
    projects: Iterable[Project], envelope: Envelope, overrides: Mapping | None = None
) -> list[Decision]:
    """Decide every project, in ranking order (unranked ones last). Same inputs → same result."""
    projects = sorted(projects, key=_ranking_order)
    overrides = overrides or {}
    check_inputs(projects, envelope, overrides)
    ledger = _Ledger(envelope)
    decided: dict = {}
    for project in projects:
        override = overrides.get(project.proposal)
        if project.position is not None and override is not None and override.decision == INCLUDE:
            amount = granted(project, override)
            ledger.fund(project, amount)
            decided[project.proposal] = (Outcome.FUNDED_BY_COMMITTEE, amount)

    decisions = []
    for project in projects:
        override = overrides.get(project.proposal)
        if project.proposal not in decided:
            if project.position is None:
                decided[project.proposal] = (Outcome.NOT_RANKED, Decimal(0))
            elif override is not None and override.decision == EXCLUDE:
                decided[project.proposal] = (Outcome.EXCLUDED_BY_COMMITTEE, Decimal(0))
            elif (reason := ledger.why_not(project)) is not None:
                decided[project.proposal] = (reason, Decimal(0))
            else:
                ledger.fund(project, project.amount)
                decided[project.proposal] = (Outcome.FUNDED, project.amount)
        outcome, amount = decided[project.proposal]
        decisions.append(
            Decision(
                proposal=project.proposal,
                region=project.region,
                position=project.position,
                amount_requested=project.amount,
                amount_granted=amount,
                outcome=outcome,
                remaining_after=ledger.remaining,
            )
        )
    return decisions


def tranche_amounts(grant: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split a grant by percentage shares, each rounded down to the centime; the last tranche takes
    what rounding left, so that the tranches always sum to the grant exactly."""
    if not shares or any(share <= 0 for share in shares) or sum(shares) != 100:
        raise InvalidAllocation("tranche_shares")
    cent = Decimal("0.01")
    amounts = [(grant * share / 100).quantize(cent, rounding=ROUND_DOWN) for share in shares[:-1]]
    return [*amounts, grant - sum(amounts, Decimal(0))]
