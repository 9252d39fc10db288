"""Reads of the registry, always starting from what the user may see."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from mourafaka.core.text import search_key

from .leadership import women_led_q, youth_led_q
from .models import Cooperative, RegistrySettings

# Programme status of a cooperative: one of three, exclusive.
ENROLLED = "enrolled"
APPLIED = "applied"
NONE = "none"


def search_condition(q: str) -> Q:
    """Name in either script (case, accents, Arabic diacritics and letter variants ignored) or
    registration number."""
    q = (q or "").strip()
    key = search_key(q)
    # Registration numbers are stored upper-case; an exact match keeps the unique index in use.
    condition = Q(registration_number__in={q, q.upper()})
    if key:
        condition |= Q(search_name__contains=key)
    return condition


def programme_status_condition(status: str) -> Q | None:
    """Enrolled in an edition / submitted an application but not enrolled / neither."""
    from mourafaka.calls.models import Application
    from mourafaka.programmes.models import Enrolment

    enrolled = Exists(Enrolment.objects.filter(cooperative=OuterRef("pk")))
    applied = Exists(
        Application.objects.filter(cooperative=OuterRef("pk"), status=Application.Status.SUBMITTED)
    )
    if status == ENROLLED:
        return Q(enrolled)
    if status == APPLIED:
        return Q(applied) & ~Q(enrolled)
    if status == NONE:
        return ~Q(applied) & ~Q(enrolled)
    return None


def leadership_condition(women_led: bool | None, youth_led: bool | None) -> Q:
    """The women-/youth-led rules with the office's current thresholds (one query for them)."""
    condition = Q()
    if women_led is None and youth_led is None:
        return condition
    settings = RegistrySettings.current()
    for wanted, rule in ((women_led, women_led_q), (youth_led, youth_led_q)):
        if wanted is not None:
            condition &= rule(settings) if wanted else ~rule(settings)
    return condition


def cooperatives_for(
    user,
    *,
    q: str = "",
    region=None,
    province=None,
    sector=None,
    rural: bool | None = None,
    legal_status_ok: bool | None = None,
    national_programme=None,
    women_led: bool | None = None,
    youth_led: bool | None = None,
    programme_status: str = "",
    extra: Q | None = None,
) -> QuerySet[Cooperative]:
    queryset = Cooperative.objects.visible_to(user).select_related("region", "province", "sector")
    if q:
        queryset = queryset.filter(search_condition(q))
    filters = {
        "region": region,
        "province": province,
        "sector": sector,
        "rural": rural,
        "legal_status_ok": legal_status_ok,
        "national_programmes": national_programme,
    }
    queryset = queryset.filter(**{key: value for key, value in filters.items() if value is not None})
    queryset = queryset.filter(leadership_condition(women_led, youth_led))
    status_condition = programme_status_condition(programme_status)
    if status_condition is not None:
        queryset = queryset.filter(status_condition)
    if extra is not None:
        queryset = queryset.filter(extra)
    return queryset.order_by("name_fr", "name_ar", "pk")
