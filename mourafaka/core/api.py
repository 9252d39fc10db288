"""What every API endpoint shares: scoped querysets and errors answered in the user's language."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from mourafaka.accounts import policy


class ScopedQuerysetMixin:
    """Start every queryset from what the policy lets the user see (others answer 404)."""

    def get_queryset(self):
        return policy.visible(self.request.user, super().get_queryset())


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
