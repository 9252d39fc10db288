"""Certificates of the participants who completed a session, their PDF and their verification.

A certificate freezes, when it is issued, what it certifies (the holder's name in the certificate's
language, the module's titles, the first and last day), so that renaming a module or correcting a
member later does not change a certificate already handed out. Its code, printed with a QR code,
opens the public page /verify/<code>/, which confirms the certificate and says nothing more.
"""

import base64
import secrets

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.diagnostics.report import pdf_from_html

from .attendance import Progress, registration_progress, session_progress
from .models import Certificate, Registration, Session

#: Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_ATTEMPTS = 20
LANGUAGES = ("fr", "ar")
#: Characters people add when they type a code (grouping); ignored when looking a code up.
CODE_SEPARATORS = str.maketrans("", "", " -._")


# ---------------------------------------------------------------------------
# Codes and languages


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


def unused_code() -> str:
    """A code no certificate has yet (a collision among 31^10 codes is retried, not hoped away)."""
    for _attempt in range(CODE_ATTEMPTS):
        code = new_code()
        if not Certificate.objects.filter(code=code).exists():
            return code
    raise RuntimeError("No unused certificate code found; is the random source broken?")


def normalise_code(code: str) -> str:
    return (code or "").strip().upper().translate(CODE_SEPARATORS)


def certificate_language(language: str | None) -> str:
    """The language of a certificate: French unless Arabic is asked for."""
    if not language:
        return "fr"
    language = language.lower()[:2]
    if language not in LANGUAGES:
        raise ValidationError(_("A certificate is issued in French or in Arabic."))
    return language


def pdf_language(requested: str | None, certificate: Certificate) -> str:
    """The language of a PDF asked for by a page or the API (the certificate's own by default)."""
    requested = (requested or "").lower()[:2]
    return requested if requested in LANGUAGES else certificate.language


# ---------------------------------------------------------------------------
# Issuing and revoking


def holder_name(registration: Registration, language: str) -> str:
    """The participant's name as printed on a certificate in `language`."""
    if registration.member_id:
        member = registration.member
        if language == "ar":
            return member.full_name_ar or member.full_name_fr
        return member.full_name_fr or member.full_name_ar
    if registration.trainer_id:
        return registration.trainer.full_name
    return registration.staff.full_name or registration.staff.email


def _refuse_below_rule(registration: Registration, progress: Progress) -> None:
    raise ValidationError(
        _("%(name)s attended %(present)s of %(total)s days; %(needed)s needed."),
        params={
            "name": registration.person_name,
            "present": progress.days_present,
            "total": progress.days_total,
            "needed": max(progress.days_needed, 1),
        },
        code="below_completion_rule",
    )


def _issue(registration: Registration, progress: Progress, *, by, language: str) -> Certificate:
    """Issue the certificate of a registration whose progress is known."""
    if not progress.completed:
        _refuse_below_rule(registration, progress)
    if Certificate.objects.filter(registration=registration).exists():
        raise ValidationError(
            _("%(name)s already has a certificate for this session."),
            params={"name": registration.person_name},
            code="already_issued",
        )
    days = registration.session.days.aggregate(first=Min("date"), last=Max("date"))
    module = registration.session.module
    with set_actor(by):
        return Certificate.objects.create(
            registration=registration,
            code=unused_code(),
            language=language,
            holder_name=holder_name(registration, language),
            module_title_fr=module.name_fr or module.name_ar,
            module_title_ar=module.name_ar,
            first_day=days["first"],
            last_day=days["last"],
            issued_by=by,
        )


def _refuse_cancelled(session: Session) -> None:
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("This session is cancelled: it gives no certificate."), code="cancelled")


@transaction.atomic
def issue_certificate(*, registration: Registration, by, language: str | None = None) -> Certificate:
    """Issue the certificate of a participant who completed the session (attendance at least the
    session's completion rate); one per participant and session."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("session__module", "member", "trainer", "staff")
        .get(pk=registration.pk)
    )
    policy.require(by, "trainings.run", registration)
    language = certificate_language(language)
    _refuse_cancelled(registration.session)
    return _issue(registration, registration_progress(registration), by=by, language=language)


@transaction.atomic
def issue_certificates(*, session: Session, by, language: str | None = None) -> list[Certificate]:
    """Issue a certificate to every participant of `session` who completed it and has none yet."""
    policy.require(by, "trainings.run", session)
    language = certificate_language(language)
    _refuse_cancelled(session)
    progress = session_progress(session)
    registrations = (
        Registration.objects.select_for_update(of=("self",))
        .filter(session=session, pk__in=[pk for pk, found in progress.items() if found.completed])
        .exclude(certificate__isnull=False)
        .select_related("session__module", "member", "trainer", "staff")
        .order_by("priority", "pk")
    )
    return [
        _issue(registration, progress[registration.pk], by=by, language=language)
        for registration in registrations
    ]


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, reason: str, by) -> Certificate:
    """Revoke a certificate: the verification page shows it as revoked from now on (the reason stays
    inside the platform)."""
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=certificate.pk)
    policy.require(by, "trainings.revoke_certificate", certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for revoking the certificate."), code="reason_required")
    if certificate.revoked:
        raise ValidationError(_("This certificate is already revoked."), code="already_revoked")
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = by
    certificate.revocation_reason = reason
    with set_actor(by):
        certificate.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    return certificate


# ---------------------------------------------------------------------------
# Verification


def find_certificate(code: str) -> Certificate | None:
    """The certificate with this code (case, spaces and dashes ignored), or None."""
    code = normalise_code(code)
    if not code or len(code) > Certificate._meta.get_field("code").max_length:
        return None
    return Certificate.objects.filter(code=code).first()


def verification_url(certificate: Certificate, request=None) -> str:
    """The absolute address of the certificate's public verification page (from the request when
    there is one, otherwise from settings.MOURAFAKA["SITE_URL"], as printed on the PDF)."""
    path = reverse("verify_certificate", args=[certificate.code])
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.MOURAFAKA["SITE_URL"].rstrip("/") + path


# ---------------------------------------------------------------------------
# The PDF


def qr_svg(data: str) -> str:
    """A QR code of `data` as an SVG document (vector paths, no image library needed)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(data, image_factory=SvgPathImage, border=2)
    return image.to_string(encoding="unicode")


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def certificate_context(certificate: Certificate, language: str) -> dict:
    session = certificate.registration.session
    url = verification_url(certificate)
    return {
        "certificate": certificate,
        "language": language,
        "module_title": (certificate.module_title_ar or certificate.module_title_fr)
        if language == "ar"
        else certificate.module_title_fr,
        "session": session,
        "region": session.region,
        "province": session.province,
        "verification_url": url,
        "qr_src": svg_data_uri(qr_svg(url)),
    }


def certificate_html(certificate: Certificate, *, language: str | None = None) -> str:
    language = language or certificate.language
    with translation.override(language):
        return render_to_string("trainings/certificate.html", certificate_context(certificate, language))


def certificate_pdf(certificate: Certificate, *, language: str | None = None) -> bytes:
    """The certificate as a one-page A4 landscape PDF in French or Arabic (the certificate's own
    language by default), with its code and a QR code of its verification address."""
    return pdf_from_html(certificate_html(certificate, language=language))


def certificate_filename(certificate: Certificate, language: str) -> str:
    return f"certificate-{certificate.code}-{language}.pdf"
