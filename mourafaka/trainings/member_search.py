"""Finding the members to add to a session's list or to mark as walk-ins.

Candidates are the active members of the session's region whom the user may see; the trainer who
runs the session also finds the members of the cooperatives already on its list (a cooperative often
sends someone else than the person invited). Searching by CIN or phone is offered only to the roles
that may read them, so that a search cannot reveal what the page would mask."""

import re

from django.db.models import Q, QuerySet

from mourafaka.accounts import policy
from mourafaka.cooperatives.models import Member
from mourafaka.core.text import search_key

from .models import Registration, Session
from .participants import WITHDRAWN
from .session_pages import personal_fields_shown, shown_phone

LIMIT = 20
DIGITS = re.compile(r"\D")


def _pool(user, session: Session) -> QuerySet:
    visible = Q(pk__in=Member.objects.visible_to(user).values("pk"))
    if policy.runs_session(user, session):
        listed = Registration.objects.filter(session=session, member__isnull=False).values(
            "member__cooperative"
        )
        visible |= Q(cooperative__in=listed)
    return Member.objects.filter(visible, region_id=session.region_id, active=True)


def _matching(user, query: str) -> Q:
    key = search_key(query)
    condition = Q(search_name__contains=key) if key else Q(pk__in=[])
    if policy.sees_personal_field(user, "cin") and query.strip():
        condition |= Q(cin__iexact=query.strip())
    digits = DIGITS.sub("", query)
    if policy.sees_personal_field(user, "phone") and len(digits) >= 6:
        condition |= Q(phone__contains=digits[-9:])
    return condition


def candidates(user, session: Session, query: str) -> list[Member]:
    """Up to LIMIT members matching `query`, not already on the list, phones masked as the role needs."""
    if not (query or "").strip():
        return []
    listed = Registration.objects.filter(session=session, member__isnull=False).exclude(status__in=WITHDRAWN)
    members = list(
        _pool(user, session)
        .filter(_matching(user, query))
        .exclude(pk__in=listed.values("member_id"))
        .select_related("cooperative")
        .order_by("full_name_fr", "full_name_ar", "pk")[:LIMIT]
    )
    shown = personal_fields_shown(user)
    for member in members:
        member.shown_phone = shown_phone(member, shown)
    return members


def candidate(user, session: Session, pk: int) -> Member | None:
    """The member `pk` if the user could have found them for this session."""
    return _pool(user, session).filter(pk=pk).select_related("cooperative").first()
