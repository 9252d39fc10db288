"""What every API endpoint shares: scoped querysets and errors answered in the user's language."""

from contextlib import contextmanager

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, renderers, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from mourafaka.accounts import policy


class ScopedQuerysetMixin:
    """Start every queryset from what the policy lets the user see (others answer 404)."""

    def get_queryset(self):
        return policy.visible(self.request.user, super().get_queryset())


class SignedIn(permissions.BasePermission):
    """Any signed-in user may call; the services decide with the policy (they raise 403 with the reason)."""

    def has_permission(self, request, view) -> bool:
        return policy.is_active(request.user)


class ScopedField(serializers.PrimaryKeyRelatedField):
    """A reference to a record the caller may see (others do not exist: "invalid pk")."""

    def get_queryset(self):
        return policy.visible(self.context["request"].user, super().get_queryset())


class BoundedModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Ids beyond the 64-bit range are invalid choices, not a database error (a 500)."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # the parent refuses it
            if not -(2**63) <= number < 2**63:
                raise DjangoValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class BoundedModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = BoundedModelMultipleChoiceField


class IdFilter(django_filters.NumberFilter):
    """A filter on a record id: a whole number within the database's range (else a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def as_400(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's refusal as a 400 carrying its translated message(s)."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"detail": error.messages})


@contextmanager
def refused_as_400():
    """Run service calls whose refusals (Django ValidationError) become 400 answers."""
    try:
        yield
    except DjangoValidationError as error:
        raise as_400(error) from error


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a download action answer with the file itself (and its errors as JSON)."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


class PdfRenderer(DownloadRenderer):
    media_type = "application/pdf"
    format = "pdf"


class XlsxRenderer(DownloadRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


class InUse(exceptions.APIException):
    """A deletion the database refuses because other records point to this one."""

    status_code = 409
    default_detail = _("Other records depend on this one: it cannot be deleted.")
    default_code = "in_use"


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = InUse()
    return drf_exception_handler(exc, context)
