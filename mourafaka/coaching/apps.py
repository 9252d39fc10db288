from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoachingConfig(AppConfig):
    name = "mourafaka.coaching"
    verbose_name = _("Individual coaching")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Provider)
        auditlog.register(models.ProviderStaff)
        auditlog.register(models.Contract, m2m_fields={"regions"})
        auditlog.register(models.UnitPrice)
        auditlog.register(models.Deliverable)
        auditlog.register(models.Coach, m2m_fields={"regions"})
        auditlog.register(models.Engagement)
        auditlog.register(models.CoachChange)
        auditlog.register(models.Visit, m2m_fields={"members_present"})
        auditlog.register(models.VisitActionProgress)
        auditlog.register(models.VisitAttachment)
        auditlog.register(models.AcknowledgementCode, exclude_fields=["code_hash"])
