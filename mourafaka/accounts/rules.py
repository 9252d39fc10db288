"""Expose the policy's actions as Django permissions, so `user.has_perm(action, obj)` and
`{% if perms… %}` in templates give the same answers as the policy itself."""

import rules

from . import policy


def _predicate(action: str):
    @rules.predicate(name=action)
    def decide(user, obj=None) -> bool:
        return bool(policy.check(user, action, obj))

    return decide


for _action in list(policy.RULES):
    rules.add_perm(_action, _predicate(_action))
