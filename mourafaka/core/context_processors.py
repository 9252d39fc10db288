from django.urls import reverse
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

from .notifications import unread_count


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if policy.is_active(user):
        role = policy.role_of(user)
        items.append((reverse("home"), _("Home")))
        if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE) or role in policy.ASSIGNED_ROLES:
            items.append((reverse("cooperatives:list"), _("Cooperatives")))
        if role == Role.COOPERATIVE and user.cooperative_id:
            items.append((reverse("cooperatives:detail", args=[user.cooperative_id]), _("My cooperative")))
        items.append((reverse("programmes:list"), _("Programmes")))
        items.append((reverse("calls:list"), _("Calls")))
        if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.CONSULTANT, Role.COOPERATIVE):
            items.append((reverse("diagnostics:list"), _("Diagnostics")))
        if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.TRAINER):
            items.append((reverse("trainings:sessions"), _("Training")))
        elif role == Role.COOPERATIVE:
            items.append((reverse("trainings:my"), _("Training")))
        if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.COACH):
            items.append((reverse("coaching:home"), _("Coaching")))
        elif role == Role.COOPERATIVE:
            items.append((reverse("coaching:my"), _("Coaching")))
        if role in (Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.COACH, Role.COOPERATIVE, Role.JUROR):
            items.append((reverse("financing:home"), _("Financing")))
        if role in (Role.ADMIN, Role.MANAGER):
            items.append((reverse("coaching:providers"), _("Providers")))
        if policy.check(user, "diagnostics.manage_templates"):
            items.append((reverse("diagnostics:templates"), _("Questionnaires")))
        if policy.check(user, "core.view_statistics"):
            items.append((reverse("statistics"), _("Statistics")))
        items.append((reverse("jobs:list"), _("My jobs")))
        if user.is_staff:
            items.append((reverse("admin:index"), _("Back office")))
    unread = unread_count(user) if policy.is_active(user) else 0
    return {"nav_items": items, "is_rtl": get_language_bidi(), "unread_notifications": unread}
