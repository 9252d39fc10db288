"""Likely duplicates: found by a scan, settled by a person (merge or dismiss).

Exact duplicates (same registration number, same CIN) never exist: the import merges them and
the database refuses them. This module finds the *likely* ones, whose names are alike once
normalised (`core.text.comparable_name`: case, accents, Arabic letter variants and diacritics
folded, Arabic transliterated, generic words such as "coopérative" dropped):

* cooperatives of the same province;
* members of the same cooperative, or of the same province born the same day.

National scale: the scan works province by province and, inside a province, compares only the
records that share a blocking key (a word of their consonant skeleton, or the cooperative, or the
birth date). A block bigger than `MAX_BLOCK` is a word too common to tell anything and is skipped.
It never compares every pair of the country.

A merge moves everything that points to the dropped record (members, documents, applications,
enrolments, accounts…) to the kept one, fills the kept record's empty fields, writes a
`timeline.MERGE_KEY` entry in the kept record's audit journal, then deletes the dropped record
(its own journal stays, and the kept record's timeline shows it).
"""

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from rapidfuzz import fuzz

from mourafaka.accounts import policy
from mourafaka.core.jobs import report_progress, run_job, start_job
from mourafaka.core.text import comparable_name, skeleton

from .member_rules import validate_member
from .models import Cooperative, DuplicateCandidate, Member
from .services import sync_member_territory
from .timeline import MERGE_KEY

#: Minimum similarity (0–100) of two names to propose a pair.
THRESHOLD = 86
#: A blocking word shared by more records than this is too common to compare them all.
MAX_BLOCK = 300
#: Skeletons shorter than this (consonants, spaces excluded) say too little to be compared alone.
MIN_SKELETON = 5

COOPERATIVE_BLANKS = (
    "name_fr",
    "name_ar",
    "creation_date",
    "activity_start_date",
    "sector_id",
    "branch_id",
    "president_name",
    "phone",
    "email",
    "ice",
)
MEMBER_BLANKS = ("full_name_fr", "full_name_ar", "birth_date", "phone", "joined_date")

CANNOT_COMBINE = _(
    "Both records have %(what)s that cannot be combined (for example two applications to the "
    "same call). Settle that first, then merge."
)
ALREADY_DECIDED = _("This pair was already decided.")
NOT_A_SIDE = _("Choose which of the two records to keep.")


@dataclass(frozen=True)
class Named:
    """What the comparison needs of a record: its key and its names, ready to compare."""

    pk: int
    names: tuple[str, ...]
    skeletons: tuple[str, ...]

    @classmethod
    def of(cls, pk: int, *raw_names: str) -> "Named":
        names = tuple(dict.fromkeys(name for name in map(comparable_name, raw_names) if name))
        skeletons = tuple(dict.fromkeys(sk for sk in map(skeleton, raw_names) if sk))
        return cls(pk, names, skeletons)

    def blocking_words(self) -> set[str]:
        return {word for sk in self.skeletons for word in sk.split() if len(word) >= 2}


def _long_enough(text: str) -> bool:
    return len(text.replace(" ", "")) >= MIN_SKELETON


def similarity(a: Named, b: Named) -> tuple[int, str]:
    """The best score (0–100) between any name of `a` and any name of `b`, and how it was found."""
    best, how = 0, ""
    for x, y in itertools.product(a.names, b.names):
        score = fuzz.ratio(x, y)
        if score > best:
            best, how = score, "spelling"
    # Across scripts Arabic writes no short vowels: the consonant skeletons still meet.
    for x, y in itertools.product(a.skeletons, b.skeletons):
        if _long_enough(x) and _long_enough(y):
            score = fuzz.ratio(x, y)
            if score > best:
                best, how = score, "sound"
    return round(best), how


def pairs_in_blocks(blocks: Iterable[list[Named]]) -> set[tuple[Named, Named]]:
    """Every pair of records sharing a block (records ordered by pk), skipping oversize blocks."""
    pairs = set()
    for block in blocks:
        if len(block) < 2 or len(block) > MAX_BLOCK:
            continue
        ordered = sorted(set(block), key=lambda named: named.pk)
        pairs.update(itertools.combinations(ordered, 2))
    return pairs


def alike_pairs(pairs: Iterable[tuple[Named, Named]], threshold: int = THRESHOLD):
    for a, b in pairs:
        score, how = similarity(a, b)
        if score >= threshold:
            yield a, b, score, how


# ---------------------------------------------------------------------------
# The scan


def _known_pairs(kind: str, province_id: int) -> set[tuple[int, int]]:
    first, second = (
        ("cooperative_a_id", "cooperative_b_id")
        if kind == DuplicateCandidate.Kind.COOPERATIVE
        else ("member_a_id", "member_b_id")
    )
    return set(
        DuplicateCandidate.objects.filter(kind=kind, province_id=province_id).values_list(first, second)
    )


def scan_cooperatives(province_id: int) -> list[DuplicateCandidate]:
    records = [
        Named.of(pk, name_fr, name_ar)
        for pk, name_fr, name_ar in Cooperative.objects.filter(province_id=province_id).values_list(
            "pk", "name_fr", "name_ar"
        )
    ]
    blocks = defaultdict(list)
    for named in records:
        for word in named.blocking_words():
            blocks[word].append(named)
    known = _known_pairs(DuplicateCandidate.Kind.COOPERATIVE, province_id)
    return [
        DuplicateCandidate(
            kind=DuplicateCandidate.Kind.COOPERATIVE,
            province_id=province_id,
            cooperative_a_id=a.pk,
            cooperative_b_id=b.pk,
            score=score,
            reasons={"names": how, "same": "province"},
        )
        for a, b, score, how in alike_pairs(pairs_in_blocks(blocks.values()))
        if (a.pk, b.pk) not in known
    ]


def scan_members(province_id: int) -> list[DuplicateCandidate]:
    rows = Member.objects.filter(province_id=province_id).values_list(
        "pk", "cooperative_id", "birth_date", "cin", "full_name_fr", "full_name_ar"
    )
    by_cooperative, by_birth_date, facts = defaultdict(list), defaultdict(list), {}
    for pk, cooperative_id, birth_date, cin, name_fr, name_ar in rows:
        named = Named.of(pk, name_fr, name_ar)
        facts[pk] = (cooperative_id, birth_date, cin)
        by_cooperative[cooperative_id].append(named)
        if birth_date:
            by_birth_date[birth_date].append(named)
    known = _known_pairs(DuplicateCandidate.Kind.MEMBER, province_id)
    pairs = pairs_in_blocks([*by_cooperative.values(), *by_birth_date.values()])
    found = []
    for a, b, score, how in alike_pairs(pairs):
        cooperative_a, birth_a, cin_a = facts[a.pk]
        cooperative_b, birth_b, cin_b = facts[b.pk]
        if cin_a and cin_b:
            continue  # two different national IDs: two different people
        if birth_a and birth_b and birth_a != birth_b:
            continue
        if (a.pk, b.pk) in known:
            continue
        same = "cooperative" if cooperative_a == cooperative_b else "birth_date"
        found.append(
            DuplicateCandidate(
                kind=DuplicateCandidate.Kind.MEMBER,
                province_id=province_id,
                member_a_id=a.pk,
                member_b_id=b.pk,
                score=score,
                reasons={"names": how, "same": same},
            )
        )
    return found


def scan_duplicates(
    *, province_ids: Iterable[int] | None = None, kinds: Iterable[str] | None = None, progress=None
) -> int:
    """Record the new likely duplicates of the given provinces (all when None); return how many.

    `progress(done, total)` is called after each province."""
    kinds = set(kinds or DuplicateCandidate.Kind.values)
    if province_ids is None:
        province_ids = Cooperative.objects.values_list("province_id", flat=True).distinct()
    province_ids = sorted(set(province_ids))
    found = 0
    for done, province_id in enumerate(province_ids, start=1):
        candidates = []
        if DuplicateCandidate.Kind.COOPERATIVE in kinds:
            candidates += scan_cooperatives(province_id)
        if DuplicateCandidate.Kind.MEMBER in kinds:
            candidates += scan_members(province_id)
        DuplicateCandidate.objects.bulk_create(candidates, batch_size=500, ignore_conflicts=True)
        found += len(candidates)
        if progress is not None:
            progress(done, len(province_ids))
    return found


def _scan_job_work(job) -> dict:
    def progress(done, total):
        report_progress(job.pk, done=done, total=total)

    found = scan_duplicates(province_ids=job.parameters.get("provinces"), progress=progress)
    return {"found": found}


@task()
def duplicate_scan_task(job_id: int) -> dict:
    return run_job(job_id, _scan_job_work)


def provinces_changed_since(moment) -> set[int]:
    """Provinces of the cooperatives and members written since `moment` (e.g. by an import)."""
    provinces = set(
        Cooperative.objects.filter(updated_at__gte=moment).values_list("province_id", flat=True).distinct()
    )
    provinces |= set(
        Member.objects.filter(updated_at__gte=moment).values_list("province_id", flat=True).distinct()
    )
    return provinces


def scan_after_import(run) -> None:
    """Once an import is committed, look for likely duplicates in the provinces it touched, as a
    background job (the import does not wait for it)."""
    provinces = provinces_changed_since(run.created_at)
    if provinces:
        start_scan(owner=run.owner, province_ids=provinces)


def start_scan(*, owner, province_ids: Iterable[int]):
    return start_job(
        task=duplicate_scan_task,
        kind="cooperatives.duplicate_scan",
        label=gettext("Search for likely duplicates"),
        owner=owner,
        parameters={"provinces": sorted(province_ids)},
    )


# ---------------------------------------------------------------------------
# Reading and deciding


def open_candidates_for(user):
    """The pairs still to review in the user's scope, with both records ready to show."""
    return (
        policy.visible(user, DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN))
        .select_related(
            "province",
            "cooperative_a__province",
            "cooperative_a__sector",
            "cooperative_b__province",
            "cooperative_b__sector",
            "member_a__cooperative",
            "member_b__cooperative",
        )
        .order_by("-score", "pk")
    )


def sides(candidate: DuplicateCandidate):
    if candidate.kind == DuplicateCandidate.Kind.COOPERATIVE:
        return candidate.cooperative_a, candidate.cooperative_b
    return candidate.member_a, candidate.member_b


def _check_open(candidate: DuplicateCandidate, by) -> None:
    policy.require(by, "cooperatives.review_duplicates", candidate)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise ValidationError(ALREADY_DECIDED, code="decided")


def _decide(candidate: DuplicateCandidate, status: str, by, **reasons) -> None:
    candidate.status = status
    candidate.decided_by = by
    candidate.decided_at = timezone.now()
    candidate.reasons = {**candidate.reasons, **reasons}
    candidate.save()


@transaction.atomic
def dismiss(candidate: DuplicateCandidate, by) -> DuplicateCandidate:
    """Not the same: the pair is kept as dismissed so that later scans do not propose it again."""
    _check_open(candidate, by)
    _decide(candidate, DuplicateCandidate.Status.DISMISSED, by)
    return candidate


@transaction.atomic
def merge(candidate: DuplicateCandidate, by, *, keep: str = "a") -> DuplicateCandidate:
    """Merge the pair into the record on side `keep` ("a" or "b"); audited on both sides."""
    _check_open(candidate, by)
    if keep not in ("a", "b"):
        raise ValidationError(NOT_A_SIDE, code="side")
    first, second = sides(candidate)
    kept, dropped = (first, second) if keep == "a" else (second, first)
    for record in (kept, dropped):
        policy.require(by, "cooperatives.review_duplicates", record)
    label = f"{dropped} (#{dropped.pk})"
    if candidate.kind == DuplicateCandidate.Kind.COOPERATIVE:
        label = f"{dropped.registration_number} · {dropped} (#{dropped.pk})"
        moved = _merge_cooperatives(kept, dropped)
    else:
        moved = _merge_members(kept, dropped)
    _decide(
        candidate,
        DuplicateCandidate.Status.MERGED,
        by,
        kept=kept.pk,
        dropped=dropped.pk,
        dropped_label=label,
        moved=moved,
    )
    LogEntry.objects.log_create(
        kept,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        actor=by,
        changes={MERGE_KEY: [label, f"{kept} (#{kept.pk})"]},
        additional_data={"merged": dropped.pk, "moved": moved, "candidate": candidate.pk},
    )
    _drop(candidate, dropped)
    return candidate


def _drop(candidate: DuplicateCandidate, dropped) -> None:
    """Delete the dropped record; other pending pairs about it have nothing left to decide."""
    field = "cooperative" if isinstance(dropped, Cooperative) else "member"
    DuplicateCandidate.objects.filter(
        Q(**{f"{field}_a": dropped}) | Q(**{f"{field}_b": dropped}), status=DuplicateCandidate.Status.OPEN
    ).exclude(pk=candidate.pk).delete()
    dropped.delete()


def _move_related(kept, dropped) -> dict[str, int]:
    """Point every record that refers to `dropped` at `kept`; count them by kind."""
    moved = {}
    for relation in type(kept)._meta.related_objects:
        if relation.many_to_many or relation.related_model is DuplicateCandidate:
            continue
        model, field = relation.related_model, relation.field.name
        try:
            with transaction.atomic():
                count = model._base_manager.filter(**{field: dropped}).update(**{field: kept})
        except IntegrityError as error:
            raise ValidationError(
                CANNOT_COMBINE, code="conflict", params={"what": model._meta.verbose_name_plural}
            ) from error
        if count:
            moved[model._meta.label_lower] = count
    return moved


def _fill_blanks(kept, dropped, fields) -> None:
    for name in fields:
        if getattr(kept, name) in (None, "") and getattr(dropped, name) not in (None, ""):
            setattr(kept, name, getattr(dropped, name))


def _merge_cooperatives(kept: Cooperative, dropped: Cooperative) -> dict[str, int]:
    moved = _move_related(kept, dropped)
    kept.national_programmes.add(*dropped.national_programmes.all())
    _fill_blanks(kept, dropped, COOPERATIVE_BLANKS)
    kept.legal_status_ok = kept.legal_status_ok and dropped.legal_status_ok
    kept.full_clean(exclude=["registration_number"])
    kept.save()
    sync_member_territory(cooperative=kept)
    return moved


def _merge_members(kept: Member, dropped: Member) -> dict[str, int]:
    moved = _move_related(kept, dropped)
    _fill_blanks(kept, dropped, MEMBER_BLANKS)
    if not kept.cin and dropped.cin:
        kept.cin, dropped.cin = dropped.cin, None
        dropped.save(update_fields=["cin", "updated_at"])  # the CIN is unique: free it first
    if dropped.consent and not kept.consent:
        kept.consent, kept.consent_date = True, dropped.consent_date
    kept.active = kept.active or dropped.active
    validate_member(kept)
    kept.full_clean()
    kept.save()
    return moved
