from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosticsConfig(AppConfig):
    name = "mourafaka.diagnostics"
    verbose_name = _("Diagnostics")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Template)
        auditlog.register(models.Axis)
        auditlog.register(models.Question)
        auditlog.register(models.Diagnostic)
        auditlog.register(models.Answer)
        auditlog.register(models.CapacityPlanItem)
        auditlog.register(models.DevelopmentObjective)
        auditlog.register(models.DevelopmentAction)
        auditlog.register(models.DiagnosticAttachment)
