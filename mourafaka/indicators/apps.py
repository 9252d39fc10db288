from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "mourafaka.indicators"
    verbose_name = _("Indicators and reports")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.Indicator,
            models.Target,
            models.Snapshot,
            models.Validation,
            models.Highlights,
            models.MonthlyReport,
            models.PerformanceFigures,
        ):
            auditlog.register(model)
