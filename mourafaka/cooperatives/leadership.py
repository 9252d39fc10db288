"""Women-led and youth-led cooperatives: a derived property, never stored.

The rule (the same for both, with its own threshold from `RegistrySettings`):

    a cooperative is women-led when members_total > 0
    and members_women >= women_led_min_share × members_total

(youth-led likewise with members_youth and youth_led_min_share). The comparison is done on
whole numbers (shares have two decimals, so both sides are multiplied by 100): the Python rule
and the SQL expression give the same answer, with no rounding at the boundary.

`is_led` and friends work on plain numbers (tested with hypothesis); `women_led_q` and
`youth_led_q` build the same rule as a database condition for list filters and annotations.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.lookups import GreaterThanOrEqual

SCALE = 100  # shares are stored with two decimals


def share_in_hundredths(share) -> int:
    """0.50 → 50. Shares are bounded to [0, 1] with two decimals by the settings model."""
    value = (Decimal(str(share)) * SCALE).to_integral_value()
    return max(0, min(SCALE, int(value)))


def is_led(*, group: int, total: int, min_share) -> bool:
    """Whether `group` members out of `total` reach the minimum share (never for an empty cooperative)."""
    if total <= 0:
        return False
    return group * SCALE >= share_in_hundredths(min_share) * total


def is_women_led(*, members_women: int, members_total: int, settings) -> bool:
    return is_led(group=members_women, total=members_total, min_share=settings.women_led_min_share)


def is_youth_led(*, members_youth: int, members_total: int, settings) -> bool:
    return is_led(group=members_youth, total=members_total, min_share=settings.youth_led_min_share)


def led_q(group_field: str, min_share, *, total_field: str = "members_total") -> Q:
    """The rule as a condition on a queryset of cooperatives (usable in filter() and annotate())."""
    return Q(**{f"{total_field}__gt": 0}) & GreaterThanOrEqual(
        F(group_field) * SCALE, F(total_field) * share_in_hundredths(min_share)
    )


def women_led_q(settings) -> Q:
    return led_q("members_women", settings.women_led_min_share)


def youth_led_q(settings) -> Q:
    return led_q("members_youth", settings.youth_led_min_share)


@dataclass(frozen=True)
class Leadership:
    """What the cooperative page shows: the answer, the figures and the threshold used."""

    led: bool
    group: int
    total: int
    min_share_percent: int


def leadership_of(cooperative, settings) -> dict[str, Leadership]:
    total = cooperative.members_total
    women = share_in_hundredths(settings.women_led_min_share)
    youth = share_in_hundredths(settings.youth_led_min_share)
    return {
        "women": Leadership(
            is_led(group=cooperative.members_women, total=total, min_share=settings.women_led_min_share),
            cooperative.members_women,
            total,
            women,
        ),
        "youth": Leadership(
            is_led(group=cooperative.members_youth, total=total, min_share=settings.youth_led_min_share),
            cooperative.members_youth,
            total,
            youth,
        ),
    }
