"""The permission policy as a DRF permission class (kept apart from views to avoid import cycles)."""

from rest_framework import exceptions, permissions

from mourafaka.accounts import policy


class PolicyPermission(permissions.BasePermission):
    """Signed-in users only; writes go through the policy action the view names.

    A viewset sets `policy_actions = {"create": "...", "update": "...", "destroy": "..."}`; an
    action it does not name is refused for writing.
    """

    def has_permission(self, request, view) -> bool:
        if not policy.is_active(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        action = _write_action(view)
        if action is None:
            raise exceptions.PermissionDenied(str(policy.READ_ONLY))
        if getattr(view, "action", None) == "create":
            decision = policy.check(request.user, action, None)
            if not decision:
                raise exceptions.PermissionDenied(decision.reason)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        action = _write_action(view)
        decision = policy.check(request.user, action, obj) if action else policy.deny(policy.READ_ONLY)
        if not decision:
            raise exceptions.PermissionDenied(decision.reason)
        return True


def _write_action(view) -> str | None:
    actions = getattr(view, "policy_actions", {})
    name = getattr(view, "action", None)
    if name in ("update", "partial_update"):
        return actions.get("update")
    return actions.get(name)
