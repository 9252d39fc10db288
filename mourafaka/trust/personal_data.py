"""Rights of the people in the registry under Moroccan law 09-08: access, erasure, retention.

Access request
    `export_member_data` gives, as one JSON document (`export_member_data_xlsx`: the same as a
    workbook), everything the platform holds about a member: the member record, their cooperative
    and role in it, their consent and its history, training invitations, attendance, scores and
    certificates, the coaching visits they attended, the changes recorded in the audit journal, and
    the erasure if any. Diagnostics, applications and financing hold figures about the cooperative
    (numbers of members), never a link to a person: nothing of them is personal to a member.
    Head office, and the delegate of the member's province, answer access requests; each export
    is written to the personal-data access log.

Erasure by anonymisation (`anonymise_member`)
    Names, CIN and phone are replaced by neutral values ("Membre anonymisé #<id>"); what the
    statistics need is kept: sex, role, dates of joining and leaving, cooperative, region and
    province, and every training and coaching fact (registrations, attendance, scores, visits).
    The birth date is reduced (see `reduced_birth_date`). Certificates carry the neutral name;
    earlier entries of the audit journal about the member lose the erased values. An
    `ErasureRecord` keeps who, when and why. It cannot be undone and is refused a second time.
    Decision: only head office erases (the data controller, and an act that cannot be undone); a
    delegate may export the data of its provinces but is refused (403) an erasure; a member outside
    one's scope does not exist (404).
    Not reached: files uploaded for imports (spreadsheets kept with their import run) and free text
    typed by people (visit reports, notes) that may name the person.

Retention (`members_due_for_retention`, `apply_retention`, command `apply_retention`)
    Members of cooperatives that left all programmes — at least one enrolment, none active, and
    the last one ended more than `settings.MOURAFAKA["RETENTION_MONTHS_AFTER_PROGRAMMES"]` months
    (default 60) before the date — are anonymised. An enrolment ends on its withdrawal date when
    withdrawn, on its edition's end date when completed (the last change of the enrolment when that
    date is unknown).
"""

import datetime as dt
import json
import logging
from io import BytesIO

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from mourafaka.accounts import policy
from mourafaka.accounts.models import NATIONAL_ROLES, Role
from mourafaka.coaching.models import Visit
from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.core.exports import log_personal_data_access
from mourafaka.core.spreadsheets import safe_cell
from mourafaka.programmes.models import Enrolment
from mourafaka.trainings.counts import age_band, with_last_day
from mourafaka.trainings.models import Attendance, Certificate, Registration

from .models import ConsentEvent, ErasureRecord

logger = logging.getLogger("mourafaka.trust")

EXPORT_ACTION = "trust.member_export"
ERASED = "[anonymised]"
#: Member fields replaced by neutral values (their earlier values are also removed from the audit journal).
ERASED_FIELDS = ("full_name_fr", "full_name_ar", "cin", "phone", "birth_date", "search_name")
KEPT_FIELDS = ("sex", "role", "joined_date", "active", "cooperative", "region", "province", "consent")

ALREADY_ANONYMISED = _("This member's personal data were already erased.")
REASON_REQUIRED = _("Give the reason for the erasure.")


# ---------------------------------------------------------------------------
# Policy


@policy.rule("trust.export_member_data")
def export_member_data_rule(user, member) -> policy.Decision:
    """Head office, and the delegate of the member's province (others in scope: 403; out: 404)."""
    role = policy.role_of(user)
    if role in NATIONAL_ROLES:
        return policy.ALLOW
    if role == Role.DELEGATE and (member is None or policy.can_see(user, member)):
        return policy.ALLOW
    return policy.deny(
        _("Only head office and the delegate of the member's province answer access requests.")
    )


@policy.rule("trust.anonymise_member")
def anonymise_member_rule(user, member) -> policy.Decision:
    if policy.role_of(user) in NATIONAL_ROLES:
        return policy.ALLOW
    return policy.deny(_("Only head office erases a member's personal data."))


def is_anonymised(member: Member) -> bool:
    return ErasureRecord.objects.filter(member_id=member.pk).exists()


def anonymised_names(pk: int) -> tuple[str, str]:
    """The neutral names of an anonymised member (not translated: they are stored)."""
    return f"Membre anonymisé #{pk}", f"عضو مجهول الهوية #{pk}"


# ---------------------------------------------------------------------------
# Access request


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _registrations(member: Member) -> list[dict]:
    registrations = with_last_day(
        Registration.objects.filter(member=member).select_related("session__module", "session__province")
    ).order_by("session__pk")
    attendance: dict[int, list] = {}
    for row in (
        Attendance.objects.filter(registration__member=member)
        .order_by("day__date")
        .values("registration_id", "day__date", "present")
    ):
        attendance.setdefault(row["registration_id"], []).append(
            {"date": _date(row["day__date"]), "present": row["present"]}
        )
    certificates = {
        certificate.registration_id: certificate
        for certificate in Certificate.objects.filter(registration__member=member)
    }
    rows = []
    for registration in registrations:
        session = registration.session
        certificate = certificates.get(registration.pk)
        rows.append(
            {
                "id": registration.pk,
                "session": session.pk,
                "module": session.module.code,
                "module_fr": session.module.name_fr,
                "module_ar": session.module.name_ar,
                "venue": session.venue,
                "province": session.province.code if session.province_id else None,
                "last_day": _date(registration.last_day),
                "status": registration.status,
                "source": registration.source,
                "invited_at": registration.invited_at,
                "responded_at": registration.responded_at,
                "pre_test_score": registration.pre_test_score,
                "post_test_score": registration.post_test_score,
                "satisfaction": registration.satisfaction,
                "attendance": attendance.get(registration.pk, []),
                "certificate": None
                if certificate is None
                else {
                    "code": certificate.code,
                    "holder_name": certificate.holder_name,
                    "first_day": _date(certificate.first_day),
                    "last_day": _date(certificate.last_day),
                    "issued_at": certificate.issued_at,
                    "revoked_at": certificate.revoked_at,
                },
            }
        )
    return rows


def _visits(member: Member) -> list[dict]:
    visits = (
        Visit.objects.filter(members_present=member).select_related("engagement").order_by("held_on", "pk")
    )
    return [
        {
            "id": visit.pk,
            "engagement": visit.engagement_id,
            "number": visit.number,
            "held_on": _date(visit.held_on),
            "status": visit.status,
            "place": visit.place,
            "topics": visit.topics,
        }
        for visit in visits
    ]


def _history(member: Member) -> list[dict]:
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Member), object_pk=str(member.pk)
    ).order_by("timestamp", "pk")
    return [
        {
            "at": entry.timestamp,
            "action": entry.get_action_display(),
            "by": str(entry.actor) if entry.actor_id else None,
            "changes": entry.changes_dict,
        }
        for entry in entries.select_related("actor")
    ]


def member_data(member: Member) -> dict:
    """Everything the platform holds about `member`, as plain data."""
    member = Member.objects.select_related("cooperative", "region", "province").get(pk=member.pk)
    cooperative = member.cooperative
    erasure = ErasureRecord.objects.filter(member=member).first()
    return {
        "document": "access request (law 09-08)",
        "generated_at": timezone.now(),
        "member": {
            "id": member.pk,
            "full_name_fr": member.full_name_fr,
            "full_name_ar": member.full_name_ar,
            "sex": member.sex,
            "birth_date": _date(member.birth_date),
            "cin": member.cin,
            "phone": member.phone,
            "role": member.role,
            "joined_date": _date(member.joined_date),
            "active": member.active,
            "region": member.region.code,
            "province": member.province.code,
            "created_at": member.created_at,
            "updated_at": member.updated_at,
        },
        "cooperative": {
            "id": cooperative.pk,
            "registration_number": cooperative.registration_number,
            "name_fr": cooperative.name_fr,
            "name_ar": cooperative.name_ar,
            "role_of_the_member": member.role,
            "named_as_president": bool(cooperative.president_name)
            and cooperative.president_name in (member.full_name_fr, member.full_name_ar),
        },
        "consent": {
            "given": member.consent,
            "date": _date(member.consent_date),
            "history": [
                {
                    "given": event.given,
                    "date": _date(event.consent_date),
                    "recorded_at": event.recorded_at,
                    "recorded_by": str(event.recorded_by) if event.recorded_by_id else None,
                }
                for event in ConsentEvent.objects.filter(member=member)
                .select_related("recorded_by")
                .order_by("recorded_at", "pk")
            ],
        },
        "trainings": _registrations(member),
        "coaching_visits": _visits(member),
        "diagnostics": [],  # diagnostics describe the cooperative: no data about its members as persons
        "history": _history(member),
        "erasure": None
        if erasure is None
        else {"at": erasure.at, "source": erasure.source, "reason": erasure.reason},
    }


def _log_export(member: Member, by, file_format: str) -> None:
    log_personal_data_access(
        user=by,
        action=EXPORT_ACTION,
        filters={"member": member.pk, "cooperative": member.cooperative_id, "format": file_format},
        rows=1,
    )


def export_member_data(*, member: Member, by) -> bytes:
    """The access-request document of `member` as JSON (UTF-8), logged. The caller checks scope."""
    policy.require(by, "trust.export_member_data", member)
    content = json.dumps(member_data(member), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    _log_export(member, by, "json")
    return content.encode("utf-8")


def _flat(value) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def export_member_data_xlsx(*, member: Member, by) -> bytes:
    """The same document as a workbook: one sheet per part, one row per record."""
    policy.require(by, "trust.export_member_data", member)
    data = member_data(member)
    workbook = Workbook(write_only=True)
    for title in ("member", "cooperative"):
        sheet = workbook.create_sheet(title)
        for key, value in data[title].items():
            sheet.append([key, safe_cell(_flat(value))])
    consent = workbook.create_sheet("consent")
    consent.append(["given", "date", "recorded_at", "recorded_by"])
    consent.append([data["consent"]["given"], data["consent"]["date"], "", ""])
    for event in data["consent"]["history"]:
        consent.append(
            [safe_cell(_flat(event[key])) for key in ("given", "date", "recorded_at", "recorded_by")]
        )
    for title in ("trainings", "coaching_visits", "history"):
        sheet = workbook.create_sheet(title)
        rows = data[title]
        if rows:
            header = list(rows[0])
            sheet.append(header)
            for row in rows:
                sheet.append([safe_cell(_flat(row[key])) for key in header])
    buffer = BytesIO()
    workbook.save(buffer)
    _log_export(member, by, "xlsx")
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Erasure by anonymisation

MIDYEAR = (7, 1)


def _days_of_year(year: int) -> list[dt.date]:
    start = dt.date(year, 1, 1)
    days = [start + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - start).days)]
    middle = dt.date(year, *MIDYEAR)
    return sorted(days, key=lambda day: (abs((day - middle).days), day))


def reduced_birth_date(birth_date: dt.date | None, reference_dates) -> dt.date | None:
    """The birth date kept after an erasure: 1 July of the birth year, unless that would move the
    member to another age band (`trainings.counts.age_band`, the bands of the indicators) on one of
    `reference_dates`; then the day of the birth year nearest to 1 July that keeps every one of them.

    The indicators read a member's age band on the last day of a session (the first they
    completed); passing the last days of all the member's sessions keeps every band they can
    report. The birth year is always kept, so an age computed at any other date is off by one year
    at most. The true date itself is the last candidate, so a value is always found."""
    if birth_date is None:
        return None
    references = sorted({day for day in reference_dates if day is not None})
    bands = [age_band(birth_date, day) for day in references]
    for candidate in _days_of_year(birth_date.year):
        if all(age_band(candidate, day) == band for day, band in zip(references, bands, strict=True)):
            return candidate
    return birth_date  # pragma: no cover  (the true date is among the candidates)


def reference_dates_of(member: Member) -> list[dt.date]:
    """The last days of the sessions `member` is registered in: where the indicators read age bands."""
    return [
        day
        for day in with_last_day(Registration.objects.filter(member=member)).values_list(
            "last_day", flat=True
        )
        if day is not None
    ]


def _redact_changes(changes, fields) -> dict | None:
    if not isinstance(changes, dict):
        return changes
    return {
        name: (
            [ERASED if value not in (None, "None", "") else value for value in values]
            if name in fields
            else values
        )
        for name, values in changes.items()
    }


def _scrub_audit(member: Member, old_names: set[str], label: str) -> int:
    """Remove the erased values from the audit journal; return the number of entries rewritten."""
    rewritten = 0
    member_type = ContentType.objects.get_for_model(Member)
    for entry in LogEntry.objects.filter(content_type=member_type, object_pk=str(member.pk)):
        entry.object_repr = label
        entry.changes = _redact_changes(entry.changes, ERASED_FIELDS)
        entry.changes_text = ""
        entry.serialized_data = None
        entry.save(update_fields=["object_repr", "changes", "changes_text", "serialized_data"])
        rewritten += 1
    registrations = [
        str(pk) for pk in Registration.objects.filter(member=member).values_list("pk", flat=True)
    ]
    rewritten += LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Registration), object_pk__in=registrations
    ).update(object_repr=label)
    certificates = [
        str(pk) for pk in Certificate.objects.filter(registration__member=member).values_list("pk", flat=True)
    ]
    for entry in LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Certificate), object_pk__in=certificates
    ):
        entry.changes = _redact_changes(entry.changes, {"holder_name"})
        entry.save(update_fields=["changes"])
        rewritten += 1
    visits = [str(pk) for pk in Visit.objects.filter(members_present=member).values_list("pk", flat=True)]
    names = {name for name in old_names if name}
    for entry in LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Visit), object_pk__in=visits
    ):
        present = (entry.changes or {}).get("members_present")
        if isinstance(present, dict) and any(name in present.get("objects", []) for name in names):
            present["objects"] = [label if name in names else name for name in present["objects"]]
            entry.save(update_fields=["changes"])
            rewritten += 1
    return rewritten


def _clean_satisfaction(answers):
    """Satisfaction answers keep their scores, not free text."""
    if not isinstance(answers, dict):
        return answers
    return {key: value for key, value in answers.items() if not isinstance(value, str) or not value.strip()}


@transaction.atomic
def erase(*, member: Member, by, reason: str, source: str = ErasureRecord.Source.REQUEST) -> Member:
    """Anonymise `member` (no permission check: `anonymise_member` and the retention call it)."""
    member = Member.objects.select_for_update().select_related("cooperative").get(pk=member.pk)
    if ErasureRecord.objects.filter(member=member).exists():
        raise ValidationError(ALREADY_ANONYMISED, code="already_anonymised")
    old_names = {member.full_name_fr, member.full_name_ar}
    name_fr, name_ar = anonymised_names(member.pk)
    had_birth_date = member.birth_date is not None
    member.birth_date = reduced_birth_date(member.birth_date, reference_dates_of(member))
    member.full_name_fr, member.full_name_ar = name_fr, name_ar
    member.cin = None
    member.phone = ""
    with disable_auditlog():  # the journal must not keep the values being erased
        member.save(
            update_fields=["full_name_fr", "full_name_ar", "cin", "phone", "birth_date", "updated_at"]
        )
        certificates = Certificate.objects.filter(registration__member=member).update(holder_name=name_fr)
        registrations = 0
        for registration in Registration.objects.filter(member=member).exclude(satisfaction={}):
            cleaned = _clean_satisfaction(registration.satisfaction)
            if cleaned != registration.satisfaction:
                registration.satisfaction = cleaned
                registration.save(update_fields=["satisfaction"])
                registrations += 1
        cooperative = member.cooperative
        president_cleared = bool(cooperative.president_name) and cooperative.president_name in old_names
        if president_cleared:
            Cooperative.objects.filter(pk=cooperative.pk).update(president_name="")
    audit_entries = _scrub_audit(member, old_names, name_fr)
    ErasureRecord.objects.create(
        member=member,
        source=source,
        reason=reason,
        by=by,
        details={
            "erased": list(ERASED_FIELDS),
            "kept": list(KEPT_FIELDS),
            "birth_date": "reduced to the birth year" if had_birth_date else "none",
            "certificates": certificates,
            "satisfaction_answers_cleaned": registrations,
            "president_name_cleared": president_cleared,
            "audit_entries_rewritten": audit_entries,
        },
    )
    logger.info("Member %s anonymised (%s) by %s", member.pk, source, getattr(by, "pk", "system"))
    return member


def anonymise_member(*, member: Member, by, reason: str) -> Member:
    """Erase `member`'s personal data on request: head office only, a reason required, once."""
    policy.require(by, "trust.anonymise_member", member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]}, code="required")
    return erase(member=member, by=by, reason=reason, source=ErasureRecord.Source.REQUEST)


# ---------------------------------------------------------------------------
# Retention


def retention_months() -> int:
    return int(getattr(settings, "MOURAFAKA", {}).get("RETENTION_MONTHS_AFTER_PROGRAMMES", 60))


def enrolment_end(status: str, withdrawn_on, edition_ends_on, updated_at) -> dt.date | None:
    """The day an enrolment ended (None while active)."""
    if status == Enrolment.Status.ACTIVE:
        return None
    fallback = timezone.localdate(updated_at) if updated_at else None
    if status == Enrolment.Status.WITHDRAWN:
        return withdrawn_on or fallback
    return edition_ends_on or fallback


def cooperatives_due_for_retention(on: dt.date, months: int | None = None) -> set[int]:
    """Cooperatives with enrolments, none active, the last ended more than `months` months before `on`."""
    months = retention_months() if months is None else months
    cutoff = on - relativedelta(months=months)
    last_end: dict[int, dt.date | None] = {}
    active: set[int] = set()
    for row in Enrolment.objects.values_list(
        "cooperative_id", "status", "withdrawn_on", "edition__ends_on", "updated_at"
    ):
        cooperative_id = row[0]
        end = enrolment_end(*row[1:])
        if end is None:
            active.add(cooperative_id)
            continue
        if last_end.get(cooperative_id) is None or end > last_end[cooperative_id]:
            last_end[cooperative_id] = end
    return {pk for pk, end in last_end.items() if pk not in active and end is not None and end < cutoff}


def members_due_for_retention(on: dt.date, months: int | None = None):
    """Members not yet anonymised of the cooperatives due (see `cooperatives_due_for_retention`)."""
    return Member.objects.filter(
        cooperative_id__in=cooperatives_due_for_retention(on, months), erasure__isnull=True
    ).order_by("pk")


def apply_retention(*, on: dt.date, dry_run: bool = False, months: int | None = None) -> dict:
    """Anonymise the members due on `on`; return the counts. Running it again changes nothing."""
    months = retention_months() if months is None else months
    cooperatives = cooperatives_due_for_retention(on, months)
    due = list(
        Member.objects.filter(cooperative_id__in=cooperatives, erasure__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    already = ErasureRecord.objects.filter(member__cooperative_id__in=cooperatives).count()
    reason = (
        f"Retention: the cooperative left all programmes more than {months} months before {on.isoformat()}."
    )
    anonymised = 0
    if not dry_run:
        for member in Member.objects.filter(pk__in=due).order_by("pk").iterator(chunk_size=500):
            erase(member=member, by=None, reason=reason, source=ErasureRecord.Source.RETENTION)
            anonymised += 1
    counts = {
        "date": on.isoformat(),
        "months": months,
        "cooperatives": len(cooperatives),
        "due": len(due),
        "anonymised": anonymised,
        "already_anonymised": already,
        "dry_run": dry_run,
    }
    logger.info("Retention %s", counts)
    return counts
