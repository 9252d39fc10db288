"""What group training adds to a cooperative's timeline (registered in `apps.ready`).

Two queries whatever the cooperative's past: sessions its members were invited to or attended (one
event per session, naming them), and certificates issued to its members.
"""

from collections.abc import Iterable

from django.db.models import Min
from django.urls import reverse
from django.utils.translation import gettext as _

from mourafaka.cooperatives.timeline import Event, timeline_source

from .models import Certificate, Registration


@timeline_source
def training_sessions(cooperative, *, limit: int) -> Iterable[Event]:
    registrations = (
        Registration.objects.filter(member__cooperative=cooperative)
        .exclude(status__in=[Registration.Status.PROPOSED, Registration.Status.CANCELLED])
        .select_related("session__module", "member")
        .annotate(first_day=Min("session__days__date"))
        .order_by("-first_day", "session_id", "pk")
    )
    by_session: dict[int, list[Registration]] = {}
    for registration in registrations:
        if registration.session_id not in by_session and len(by_session) >= limit:
            break
        by_session.setdefault(registration.session_id, []).append(registration)
    for people in by_session.values():
        session = people[0].session
        if people[0].first_day is None:
            continue
        yield Event(
            at=people[0].first_day,
            kind="training",
            title=_("Training session: %(module)s") % {"module": session.module.name},
            detail=session.venue,
            details=[f"{r.member.full_name} – {r.get_status_display()}" for r in people],
            url=reverse("trainings:session", args=[session.pk]),
        )


@timeline_source
def certificates(cooperative, *, limit: int) -> Iterable[Event]:
    issued = (
        Certificate.objects.filter(registration__member__cooperative=cooperative)
        .select_related("issued_by")
        .order_by("-issued_at")[:limit]
    )
    for certificate in issued:
        title = _("Certificate %(code)s issued to %(name)s for %(module)s") % {
            "code": certificate.code,
            "name": certificate.holder_name,
            "module": certificate.module_title,
        }
        if certificate.revoked:
            title = _("%(title)s (revoked)") % {"title": title}
        yield Event(at=certificate.issued_at, kind="certificate", title=title, actor=certificate.issued_by)
