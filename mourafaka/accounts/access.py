"""Fetch one record for a user: 404 when it is outside their scope, 403 (with the reason)
when they may see it but not do what they ask."""

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from . import policy


def get_for_user(queryset: QuerySet | type[Model], user, *, action: str | None = None, **lookup):
    """Return the record matching `lookup` among those visible to `user`.

    `action` (e.g. "cooperatives.change_cooperative") is checked too; its refusal raises
    PermissionDenied with the policy's reason.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    obj = get_object_or_404(policy.visible(user, queryset), **lookup)
    if action:
        policy.require(user, action, obj)
    return obj
