"""Visit reports: written by the coach on a phone, submitted, acknowledged by the cooperative.

Workflow (who may fire each transition is in `TRANSITIONS`):

    planned ──save_draft──▶ draft ──submit_report──▶ submitted ──acknowledge(_with_code)──▶ confirmed
    planned/draft ──engagements.cancel_visit──▶ cancelled

Lost updates: every save names the `version` it was edited from; a save from an older version is
refused with `StaleReport` and changes nothing, so the person keeps their text and can merge it.
The version moves by one on each save (a submit included), with a compare-and-set on the row so
that two saves racing on any database cannot both win.

Lost responses: a submit that reached the server but whose answer was lost is sent again by the
phone with the same version; a visit already submitted from that version (or holding it) is
answered as it stands, not refused.

Plan progress: on submit each development-plan action reported is applied to the plan through
`diagnostics.plans.update_action_progress` (same checks, same journal), in the same transaction.

One-time codes: 6 digits, only an HMAC kept, valid 30 minutes; a new code replaces the earlier ones;
5 wrong attempts lock it; a used code is refused.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.documents import check_document_file
from mourafaka.cooperatives.member_rules import normalise_phone
from mourafaka.cooperatives.models import Member, RegistrySettings
from mourafaka.core.files import delete_with_file, save_with_file
from mourafaka.core.notifications import notify
from mourafaka.core.sms import send_sms
from mourafaka.diagnostics.attachments import IMAGE_TYPES
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.diagnostics.plans import update_action_progress

from .engagements import _link, latest_validated_diagnostic
from .models import ACKNOWLEDGEMENT_CODE_MINUTES, AcknowledgementCode, Engagement, Visit, VisitAttachment

MAX_CODE_ATTEMPTS = 5

#: The workflow of a visit report: {status: {next status: action of the policy that fires it}}.
TRANSITIONS = {
    Visit.Status.PLANNED: {
        Visit.Status.DRAFT: "coaching.report",
        Visit.Status.SUBMITTED: "coaching.report",
        Visit.Status.CANCELLED: "coaching.organise",
    },
    Visit.Status.DRAFT: {
        Visit.Status.DRAFT: "coaching.report",
        Visit.Status.SUBMITTED: "coaching.report",
        Visit.Status.CANCELLED: "coaching.organise",
    },
    Visit.Status.SUBMITTED: {Visit.Status.CONFIRMED: "coaching.acknowledge"},
    Visit.Status.CONFIRMED: {},
    Visit.Status.CANCELLED: {},
}
WRITABLE = (Visit.Status.PLANNED, Visit.Status.DRAFT)


def may(user, visit: Visit, status: str) -> bool:
    """Whether `user` may move `visit` to `status` now (for pages: which buttons to show)."""
    action = TRANSITIONS.get(visit.status, {}).get(status)
    return action is not None and bool(policy.check(user, action, visit))


TEXT_FIELDS = ("place", "topics", "advice", "decisions", "next_steps")
REPORT_FIELDS = frozenset(
    {"held_on", "duration_minutes", "latitude", "longitude", "members_present", "actions", *TEXT_FIELDS}
)
REQUIRED_ON_SUBMIT = {
    "held_on": _("Give the date of the visit."),
    "duration_minutes": _("Give the duration of the visit."),
    "topics": _("Give the topics discussed."),
}

STALE_MESSAGE = _(
    "Someone else saved this report since you opened it. Your text is kept below: copy what you need, "
    "reload the report and add it again."
)
ALREADY_ACKNOWLEDGED = _("This visit is already acknowledged.")
CODE_NOT_VALID = _("This code is not valid.")
CODE_EXPIRED = _("This code has expired.")
CODE_USED = _("This code has already been used.")
CODE_LOCKED = _("Too many wrong attempts: ask the coach to send a new code.")


class StaleReport(ValidationError):
    """The report was saved by someone else since the version the writer started from."""

    def __init__(self, current_version: int | None = None):
        super().__init__(STALE_MESSAGE, code="stale")
        self.current_version = current_version


# ---------------------------------------------------------------------------
# Reading the input


def _locked(visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("engagement__enrolment__cooperative", "engagement__coach")
        .get(pk=visit.pk)
    )


def _require_writable(visit: Visit) -> None:
    if visit.status in (Visit.Status.SUBMITTED, Visit.Status.CONFIRMED):
        raise ValidationError(_("This report is submitted: it can no longer be changed."), code="submitted")
    if visit.status == Visit.Status.CANCELLED:
        raise ValidationError(_("This visit is cancelled."), code="cancelled")
    if visit.engagement.status == Engagement.Status.STOPPED:
        raise ValidationError(_("This coaching engagement is stopped."), code="stopped")


def _as_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _as_ids(values) -> list[int]:
    if values in (None, ""):
        return []
    if isinstance(values, str | int):
        values = [values]
    return sorted({int(value) for value in values})


def _coordinate(value, limit: int):
    if value in (None, ""):
        return None
    number = Decimal(str(value).strip())
    if not number.is_finite() or abs(number) > limit:
        raise ValueError
    return number.quantize(Decimal("0.000001"))


def _clean(visit: Visit, data: dict) -> tuple[dict, dict]:
    """(values to set on the visit, errors by field) from the report's input; only the keys given."""
    values, errors = {}, {}
    engagement = visit.engagement
    for name in TEXT_FIELDS:
        if name in data:
            values[name] = str(data[name] or "").strip()
    if len(values.get("place", "")) > 255:
        errors["place"] = _("The place is at most 255 characters.")
    if "held_on" in data:
        try:
            held_on = _as_date(data["held_on"])
        except (TypeError, ValueError):
            errors["held_on"] = _("Give a date (YYYY-MM-DD).")
        else:
            if held_on is not None and held_on > timezone.localdate():
                errors["held_on"] = _("The visit date cannot be in the future.")
            elif held_on is not None and held_on < engagement.starts_on:
                errors["held_on"] = _("The visit date comes before the start of the coaching.")
            values["held_on"] = held_on
    if "duration_minutes" in data:
        raw = data["duration_minutes"]
        try:
            duration = None if raw in (None, "") else int(raw)
        except (TypeError, ValueError):
            duration = -1
        if duration is not None and not 1 <= duration <= 24 * 60:
            errors["duration_minutes"] = _("The duration is a number of minutes from 1 to 1440.")
        values["duration_minutes"] = duration
    for name, limit in (("latitude", 90), ("longitude", 180)):
        if name in data:
            try:
                values[name] = _coordinate(data[name], limit)
            except (ArithmeticError, TypeError, ValueError, InvalidOperation):
                errors[name] = _("The location is not valid.")
    if "members_present" in data:
        try:
            ids = _as_ids(data["members_present"])
        except (TypeError, ValueError):
            ids = None
        members = list(
            Member.objects.filter(pk__in=ids or [], cooperative=engagement.enrolment.cooperative_id)
        )
        if ids is None or len(members) != len(ids):
            errors["members_present"] = _("Only members of this cooperative can be marked present.")
        values["members_present"] = members
    if "actions" in data:
        actions, error = _clean_actions(visit, data["actions"])
        if error:
            errors["actions"] = error
        values["actions"] = actions
    return values, errors


def _clean_actions(visit: Visit, rows) -> tuple[list[dict], object]:
    """The action rows, each naming an action of the beneficiary's development plan (its latest
    validated diagnostic), a known status and a percentage."""
    rows = list(rows or [])
    if not rows:
        return [], None
    try:
        wanted = [int(row["action"]) for row in rows]
    except (KeyError, TypeError, ValueError):
        return [], _("Each action reported names an action of the development plan.")
    if len(set(wanted)) != len(wanted):
        return [], _("An action is reported twice.")
    diagnostic = latest_validated_diagnostic(visit.engagement.enrolment)
    actions = {
        action.pk: action
        for action in DevelopmentAction.objects.filter(pk__in=wanted, objective__diagnostic=diagnostic)
    }
    if diagnostic is None or len(actions) != len(wanted):
        return [], _("Only actions of this cooperative's development plan can be reported.")
    cleaned = []
    for row in rows:
        action = actions[int(row["action"])]
        status = str(row.get("status") or "")
        if status not in DevelopmentAction.Status.values:
            return [], _("Choose the status of the action “%(action)s”.") % {"action": action.what}
        try:
            progress = int(row.get("progress"))
        except (TypeError, ValueError):
            progress = -1
        if not 0 <= progress <= 100:
            return [], _("The progress of “%(action)s” is a percentage from 0 to 100.") % {
                "action": action.what
            }
        cleaned.append(
            {
                "action": action,
                "status": status,
                "progress": progress,
                "comment": str(row.get("comment") or "").strip(),
            }
        )
    return cleaned, None


def _write(visit: Visit, data: dict, version: int, by, *, status: str) -> Visit:
    """Check and save the input (nothing when anything is refused), moving the version by one."""
    try:
        version = int(version)
    except (TypeError, ValueError) as error:
        raise StaleReport(visit.version) from error
    unknown = set(data) - REPORT_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s."), params={"fields": ", ".join(sorted(unknown))})
    values, errors = _clean(visit, data)
    if errors:
        raise ValidationError(errors)
    # Compare-and-set first: of two saves from the same version only one moves it.
    if version != visit.version or not Visit.objects.filter(pk=visit.pk, version=version).update(
        version=F("version") + 1
    ):
        raise StaleReport(visit.version)
    members = values.pop("members_present", None)
    actions = values.pop("actions", None)
    with set_actor(by):
        for name, value in values.items():
            setattr(visit, name, value)
        visit.version = version + 1
        visit.status = status
        visit.coach = by
        if status == Visit.Status.SUBMITTED:
            visit.submitted_at = timezone.now()
        visit.save()
        if members is not None:
            visit.members_present.set(members)
        if actions is not None:
            kept = {row["action"].pk for row in actions}
            for stale in visit.action_progress.exclude(action_id__in=kept):
                stale.delete()  # one by one, so the journal records each
            for row in actions:
                visit.action_progress.update_or_create(
                    action=row["action"],
                    defaults={
                        "status": row["status"],
                        "progress": row["progress"],
                        "comment": row["comment"],
                    },
                )
    return visit


# ---------------------------------------------------------------------------
# Services


@transaction.atomic
def save_draft(*, visit, data: dict, version: int, by) -> Visit:
    """Save what the coach has typed so far (only the fields given). Refused with the reason, nothing
    saved: not this cooperative's coach, a date in the future, members of another cooperative,
    actions of another plan, a submitted report, or a stale `version` (`StaleReport`)."""
    visit = _locked(visit)
    policy.require(by, "coaching.report", visit)
    _require_writable(visit)
    return _write(visit, data or {}, version, by, status=Visit.Status.DRAFT)


@transaction.atomic
def submit_report(*, visit, data: dict | None, version: int, by) -> Visit:
    """Save the last input and submit the report: the progress of each action reported goes to the
    development plan and the cooperative's representatives are asked to acknowledge the visit. Sent
    again after a lost answer, it returns the visit as submitted."""
    visit = _locked(visit)
    policy.require(by, "coaching.report", visit)
    if visit.status in (Visit.Status.SUBMITTED, Visit.Status.CONFIRMED):
        try:
            resent = int(version) in (visit.version - 1, visit.version)
        except (TypeError, ValueError):
            resent = False
        if resent:
            return visit
    _require_writable(visit)
    visit = _write(visit, data or {}, version, by, status=Visit.Status.SUBMITTED)
    missing = {
        name: message for name, message in REQUIRED_ON_SUBMIT.items() if getattr(visit, name) in (None, "")
    }
    if missing:
        raise ValidationError(missing)
    for progress in visit.action_progress.select_related("action"):
        update_action_progress(
            action=progress.action, percent=progress.progress, status=progress.status, by=by
        )
    cooperative = visit.engagement.enrolment.cooperative
    notify(
        users=representatives(cooperative),
        title=_("Coaching visit of %(date)s"),
        body=_(
            "Your coach has submitted the report of the visit of %(date)s. Please read and acknowledge it."
        ),
        params={"date": visit.held_on.isoformat()},
        link=_link("coaching:my"),  # the representative acknowledges in the portal
    )
    return visit


def representatives(cooperative):
    return User.objects.filter(role=Role.COOPERATIVE, cooperative=cooperative, is_active=True)


def _confirm(visit: Visit, *, by, via: str) -> Visit:
    with set_actor(by):
        visit.status = Visit.Status.CONFIRMED
        visit.acknowledged_at = timezone.now()
        visit.acknowledged_by = by
        visit.acknowledged_via = via
        visit.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledged_via", "updated_at"]
        )
    if visit.coach_id:
        notify(
            users=[visit.coach],
            title=_("Visit acknowledged"),
            body=_("%(cooperative)s acknowledged the visit of %(date)s."),
            params={
                "cooperative": str(visit.engagement.enrolment.cooperative),
                "date": visit.held_on.isoformat(),
            },
            link=_link("coaching:visit", visit.pk),
        )
    return visit


def _require_acknowledgeable(visit: Visit) -> None:
    if visit.status == Visit.Status.CONFIRMED:
        raise ValidationError(ALREADY_ACKNOWLEDGED, code="already")
    if visit.status != Visit.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be acknowledged."), code="not_submitted")


@transaction.atomic
def acknowledge(*, visit, by) -> Visit:
    """The cooperative's representative acknowledges the visit in the portal: it is confirmed."""
    visit = _locked(visit)
    policy.require(by, "coaching.acknowledge", visit)
    _require_acknowledgeable(visit)
    return _confirm(visit, by=by, via="portal")


def _code_hash(visit_id: int, code: str) -> str:
    message = f"coaching-visit:{visit_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def send_acknowledgement_code(*, visit, by, phone: str | None = None) -> AcknowledgementCode:
    """Send a one-time code by SMS (to the cooperative's phone, or `phone`) so that the cooperative
    acknowledges the visit on the spot; earlier codes of the visit stop working."""
    visit = _locked(visit)
    policy.require(by, "coaching.report", visit)
    _require_acknowledgeable(visit)
    cooperative = visit.engagement.enrolment.cooperative
    number = normalise_phone(phone or cooperative.phone)
    if not number:
        raise ValidationError(
            {"phone": _("The cooperative has no phone number: give the number to send the code to.")}
        )
    now = timezone.now()
    visit.codes.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    with set_actor(by):
        record = AcknowledgementCode.objects.create(
            visit=visit,
            code_hash=_code_hash(visit.pk, code),
            phone=number,
            expires_at=now + dt.timedelta(minutes=ACKNOWLEDGEMENT_CODE_MINUTES),
        )
    language = next((user.language for user in representatives(cooperative) if user.language), "")
    with translation.override(language or settings.LANGUAGE_CODE):
        text = str(
            _(
                "Mourafaka: code %(code)s to acknowledge the coaching visit of %(date)s. Valid %(minutes)s minutes."
            )
            % {"code": code, "date": visit.held_on.isoformat(), "minutes": ACKNOWLEDGEMENT_CODE_MINUTES}
        )
    transaction.on_commit(lambda: send_sms(number, text))
    return record


def acknowledge_with_code(*, visit, code: str) -> Visit:
    """Acknowledge a visit with the code sent by SMS (no sign-in: the code is the proof). A wrong
    code counts as an attempt even though the call is refused."""
    refusal = None
    with transaction.atomic():
        visit = _locked(visit)
        record = visit.codes.select_for_update().order_by("-created_at", "-pk").first()
        if record is not None and record.used_at is not None:
            raise ValidationError({"code": CODE_USED})
        _require_acknowledgeable(visit)
        code = "".join(str(code or "").split())
        if record is None:
            refusal = CODE_NOT_VALID
        elif record.attempts >= MAX_CODE_ATTEMPTS:
            refusal = CODE_LOCKED
        elif record.expires_at <= timezone.now():
            refusal = CODE_EXPIRED
        elif not hmac.compare_digest(record.code_hash, _code_hash(visit.pk, code)):
            refusal = CODE_NOT_VALID
            record.attempts += 1
            record.save(update_fields=["attempts"])
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            return _confirm(visit, by=None, via="sms")
    raise ValidationError({"code": refusal})


@transaction.atomic
def add_attachment(*, visit, file, kind: str, caption: str, by) -> VisitAttachment:
    """A photo or document of the visit, checked on its content (type, size) like the registry's."""
    visit = _locked(visit)
    policy.require(by, "coaching.report", visit)
    _require_writable(visit)
    if file is None:
        raise ValidationError({"file": _("Choose a file to attach.")})
    if kind not in VisitAttachment.Kind.values:
        raise ValidationError({"kind": _("Choose a photo or a document.")})
    file_type = check_document_file(file, max_mb=RegistrySettings.current().max_upload_mb)
    if kind == VisitAttachment.Kind.PHOTO and file_type not in IMAGE_TYPES:
        raise ValidationError({"file": _("A photo must be a JPEG or PNG image.")})
    original_name = PurePath(file.name).name[:255]
    attachment = VisitAttachment(
        visit=visit,
        kind=kind,
        caption=(caption or "").strip(),
        original_name=original_name,
        content_type=file_type.content_type,
        size=file.size,
        uploaded_by=by,
    )
    attachment.full_clean(exclude=["file"])
    with set_actor(by):
        save_with_file(attachment, file, name=original_name, by=by)
    return attachment


@transaction.atomic
def remove_attachment(*, attachment, by) -> None:
    """Delete the record now and its file once the deletion is committed."""
    visit = _locked(attachment.visit)
    policy.require(by, "coaching.report", visit)
    _require_writable(visit)
    delete_with_file(attachment, by=by)
