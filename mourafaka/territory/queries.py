from django.db.models import QuerySet

from .models import Delegation, Province, Region


def regions() -> QuerySet[Region]:
    return Region.objects.order_by("code")


def provinces_of_region(region_id: int) -> QuerySet[Province]:
    return Province.objects.filter(region_id=region_id).order_by("name_fr")


def province_ids_of_delegation(delegation: Delegation | None) -> frozenset[int]:
    if delegation is None:
        return frozenset()
    return frozenset(Province.objects.filter(delegation=delegation).values_list("id", flat=True))
