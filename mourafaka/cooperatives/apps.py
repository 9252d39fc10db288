from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativesConfig(AppConfig):
    name = "mourafaka.cooperatives"
    verbose_name = _("Cooperatives")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import (
            Cooperative,
            CooperativeDocument,
            DuplicateCandidate,
            Member,
            NationalProgramme,
            RegistrySettings,
            Sector,
        )

        auditlog.register(Cooperative, m2m_fields={"national_programmes"})
        auditlog.register(Member)
        auditlog.register(CooperativeDocument)
        auditlog.register(DuplicateCandidate)
        auditlog.register(RegistrySettings)
        auditlog.register(Sector)
        auditlog.register(NationalProgramme)
