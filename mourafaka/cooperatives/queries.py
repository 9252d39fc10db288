"""Reads of the registry, always starting from what the user may see."""

from django.db.models import Q, QuerySet

from mourafaka.core.text import search_key

from .models import Cooperative


def search_condition(q: str) -> Q:
    """Name in either script (case, accents, Arabic diacritics and letter variants ignored) or
    registration number."""
    q = (q or "").strip()
    key = search_key(q)
    condition = Q(registration_number__iexact=q)
    if key:
        condition |= Q(search_name__contains=key)
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
    if extra is not None:
        queryset = queryset.filter(extra)
    return queryset.order_by("name_fr", "name_ar", "pk")
