"""Ranking of applications with regional quotas: the rule of the programme, in plain Python.

Semantics (pinned by tests):

1. Each criterion score is scaled to 0..1 by its scale: (value - min) / (max - min).
   A computed criterion takes its value from the data; a reviewer-scored criterion takes the
   mean of the scores of the reviewers who scored it (reviewers with a declared conflict never
   score). Option `standardise`: each reviewer's scores on a criterion are first standardised
   (z-score over the applications that reviewer scored), then put back on the scale with the
   mean and standard deviation of all scores on that criterion, and clipped to the scale; a
   reviewer with a single score or no spread is only shifted by the difference of means.
2. total = 100 × Σ(weight × score) / Σ(weight). Totals are compared after rounding to 9 decimal
   places (so that float noise never decides an order); they are shown rounded to 2 decimals.
   A missing score counts as 0 for that criterion.
3. Only eligible applications are ranked; an optional minimum total excludes the others
   ("below minimum").
4. Order: total descending, then earlier submission time, then registration number ascending.
5. In each region, the first applications up to the region's quota are selected. If
   reallocation is on, the places left empty in regions (quota minus selected, when a region has
   fewer ranked applications than places) go to the best remaining applications nationally, in
   ranking order. Then, in each region, the next ones up to the waitlist length are waitlisted
   (numbered 1, 2… per region); the rest are not selected.
"""

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean, pstdev
from typing import NamedTuple

COMPARE_DECIMALS = 9


class Outcome:
    SELECTED = "selected"
    REALLOCATED = "reallocated"  # selected on a place left empty in another region
    WAITLISTED = "waitlisted"
    NOT_SELECTED = "not_selected"
    BELOW_MINIMUM = "below_minimum"
    INELIGIBLE = "ineligible"

    SELECTED_KINDS = frozenset({SELECTED, REALLOCATED})


@dataclass(frozen=True)
class Criterion:
    code: str
    weight: float
    reviewed: bool
    scale_min: float = 0.0
    scale_max: float = 1.0

    def scaled(self, value: float) -> float:
        span = self.scale_max - self.scale_min
        return min(1.0, max(0.0, (value - self.scale_min) / span)) if span else 0.0


class Review(NamedTuple):  # a tuple: 90,000 of them are built for a national ranking
    reviewer: int | str
    criterion: str
    value: float


@dataclass(frozen=True)
class Candidate:
    application: int | str
    registration_number: str
    region: str
    submitted_at: datetime
    eligible: bool = True
    computed: dict = field(default_factory=dict)  # criterion code → raw value on its scale
    reviews: tuple[Review, ...] = ()


@dataclass(frozen=True)
class Rules:
    quotas: dict  # region → places
    waitlist_length: int = 0
    reallocate: bool = False
    minimum_total: float | None = None
    standardise: bool = False


@dataclass
class Entry:
    application: int | str
    registration_number: str
    region: str
    total: float | None
    scores: dict  # criterion code → score on 0..1
    outcome: str
    position: int | None = None  # national rank among ranked applications
    region_position: int | None = None
    waitlist_position: int | None = None

    @property
    def total_display(self) -> str:
        return "" if self.total is None else f"{self.total:.2f}"


class InvalidGrid(ValueError):
    pass


def check_grid(criteria: Sequence[Criterion]) -> None:
    if not criteria:
        raise InvalidGrid("The scoring grid has no criterion.")
    if any(criterion.weight < 0 for criterion in criteria):
        raise InvalidGrid("A weight cannot be negative.")
    if sum(criterion.weight for criterion in criteria) <= 0:
        raise InvalidGrid("The weights sum to zero.")
    for criterion in criteria:
        if criterion.scale_max <= criterion.scale_min:
            raise InvalidGrid(f"The scale of {criterion.code} is empty.")


def _standardised(candidates: Sequence[Candidate], criteria: Sequence[Criterion]) -> dict:
    """(application, criterion) → list of reviewer values after per-reviewer standardisation."""
    by_criterion_reviewer: dict = defaultdict(list)
    for candidate in candidates:
        for review in candidate.reviews:
            by_criterion_reviewer[(review.criterion, review.reviewer)].append(
                (candidate.application, review.value)
            )
    pooled: dict = defaultdict(list)
    for (criterion, _reviewer), values in by_criterion_reviewer.items():
        pooled[criterion].extend(value for _application, value in values)
    bounds = {criterion.code: (criterion.scale_min, criterion.scale_max) for criterion in criteria}
    result: dict = defaultdict(list)
    for (criterion, _reviewer), values in sorted(
        by_criterion_reviewer.items(), key=lambda item: str(item[0])
    ):
        all_values = pooled[criterion]
        pooled_mean, pooled_sd = fmean(all_values), pstdev(all_values)
        own = [value for _application, value in values]
        own_mean, own_sd = fmean(own), pstdev(own)
        low, high = bounds.get(criterion, (-math.inf, math.inf))
        for application, value in values:
            if own_sd > 0 and len(own) > 1:
                adjusted = pooled_mean + (value - own_mean) / own_sd * pooled_sd
            else:
                adjusted = value - own_mean + pooled_mean
            result[(application, criterion)].append(min(high, max(low, adjusted)))
    return result


def criterion_scores(
    candidates: Sequence[Candidate], criteria: Sequence[Criterion], *, standardise: bool
) -> dict:
    """application → {criterion code → score on 0..1 (None when nobody scored it)}."""
    adjusted = _standardised(candidates, criteria) if standardise else None
    scores = {}
    for candidate in candidates:
        raw: dict = defaultdict(list)
        if adjusted is None:
            for review in candidate.reviews:
                raw[review.criterion].append(review.value)
        row = {}
        for criterion in criteria:
            if criterion.reviewed:
                values = (
                    adjusted.get((candidate.application, criterion.code), [])
                    if adjusted
                    else raw[criterion.code]
                )
                row[criterion.code] = criterion.scaled(fmean(values)) if values else None
            else:
                value = candidate.computed.get(criterion.code)
                row[criterion.code] = None if value is None else criterion.scaled(float(value))
        scores[candidate.application] = row
    return scores


def weighted_total(scores: dict, criteria: Sequence[Criterion]) -> float:
    weights = sum(criterion.weight for criterion in criteria)
    return (
        100 * sum(criterion.weight * (scores.get(criterion.code) or 0.0) for criterion in criteria) / weights
    )


def _order_key(entry: Entry, submitted_at: dict):
    return (-round(entry.total, COMPARE_DECIMALS), submitted_at[entry.application], entry.registration_number)


def rank(candidates: Iterable[Candidate], criteria: Sequence[Criterion], rules: Rules) -> list[Entry]:
    """Rank, select by regional quota, reallocate, waitlist. Same inputs → same result."""
    check_grid(criteria)
    if any(places < 0 for places in rules.quotas.values()):
        raise InvalidGrid("A quota cannot be negative.")
    if rules.waitlist_length < 0:
        raise InvalidGrid("The waitlist length cannot be negative.")
    candidates = sorted(
        candidates, key=lambda candidate: (candidate.registration_number, str(candidate.application))
    )
    scores = criterion_scores(candidates, criteria, standardise=rules.standardise)
    submitted_at = {candidate.application: candidate.submitted_at for candidate in candidates}

    ranked, others = [], []
    for candidate in candidates:
        entry = Entry(
            application=candidate.application,
            registration_number=candidate.registration_number,
            region=candidate.region,
            total=weighted_total(scores[candidate.application], criteria) if candidate.eligible else None,
            scores=scores[candidate.application],
            outcome=Outcome.INELIGIBLE,
        )
        if not candidate.eligible:
            others.append(entry)
        elif rules.minimum_total is not None and round(entry.total, COMPARE_DECIMALS) < rules.minimum_total:
            entry.outcome = Outcome.BELOW_MINIMUM
            others.append(entry)
        else:
            ranked.append(entry)
    ranked.sort(key=lambda entry: _order_key(entry, submitted_at))

    selected_in: dict = defaultdict(int)
    seen_in: dict = defaultdict(int)
    for position, entry in enumerate(ranked, start=1):
        entry.position = position
        seen_in[entry.region] += 1
        entry.region_position = seen_in[entry.region]
        entry.outcome = Outcome.NOT_SELECTED
        if selected_in[entry.region] < rules.quotas.get(entry.region, 0):
            entry.outcome = Outcome.SELECTED
            selected_in[entry.region] += 1

    if rules.reallocate:
        free = sum(max(0, places - selected_in[region]) for region, places in rules.quotas.items())
        for entry in ranked:
            if free == 0:
                break
            if entry.outcome == Outcome.NOT_SELECTED:
                entry.outcome = Outcome.REALLOCATED
                free -= 1

    waitlisted_in: dict = defaultdict(int)
    for entry in ranked:
        if entry.outcome == Outcome.NOT_SELECTED and waitlisted_in[entry.region] < rules.waitlist_length:
            waitlisted_in[entry.region] += 1
            entry.outcome = Outcome.WAITLISTED
            entry.waitlist_position = waitlisted_in[entry.region]

    others.sort(key=lambda entry: (entry.outcome, entry.registration_number))
    return ranked + others


def checksum(payload) -> str:
    """A stable SHA-256 of JSON-able inputs/results, to prove a frozen ranking was not altered."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
