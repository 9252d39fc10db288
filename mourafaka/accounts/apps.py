from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "mourafaka.accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from auditlog.registry import auditlog

        from . import rules  # noqa: F401  (registers the object permissions)
        from .models import Assignment, User

        auditlog.register(User, exclude_fields=["password", "last_login"])
        auditlog.register(Assignment)
