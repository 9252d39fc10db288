from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "mourafaka.programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Edition, Enrolment, Phase, Programme, RegionalQuota

        auditlog.register(Programme)
        auditlog.register(Edition)
        auditlog.register(Phase, m2m_fields={"regions"})
        auditlog.register(RegionalQuota)
        auditlog.register(Enrolment)
