"""Template helpers of the training pages."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

register = template.Library()

STAFF_READERS = (Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.TRAINER)


def training_links(user) -> list[tuple[str, str, str]]:
    """(key, url, label) of the training pages the user may open, in the order shown."""
    role = policy.role_of(user)
    links = [("catalogue", reverse("trainings:modules"), _("Catalogue"))]
    if role in STAFF_READERS:
        links += [
            ("sessions", reverse("trainings:sessions"), _("Sessions")),
            ("calendar", reverse("trainings:calendar"), _("Calendar")),
            ("trainers", reverse("trainings:trainers"), _("Trainers")),
        ]
    if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE):
        links.append(("counts", reverse("trainings:counts"), _("Figures")))
    if role == Role.COOPERATIVE:
        links.append(("my", reverse("trainings:my"), _("My members' trainings")))
    return links


@register.inclusion_tag("trainings/partials/nav.html", takes_context=True)
def training_nav(context, current: str = ""):
    return {"links": training_links(context["request"].user), "current": current}


@register.filter
def percent(value) -> str:
    """0.8 → "80 %" (a share shown as a whole percentage)."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value) * 100)} %"


@register.filter
def get_item(mapping, key):
    """mapping[key], or None (dictionaries keyed by question codes)."""
    return (mapping or {}).get(key)
