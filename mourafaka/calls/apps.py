from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "mourafaka.calls"
    verbose_name = _("Calls for applications")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, timeline_sources  # noqa: F401  (registers the timeline sources)

        auditlog.register(models.Call, m2m_fields={"regions"})
        auditlog.register(models.CallQuota)
        auditlog.register(models.Criterion)
        auditlog.register(models.Application)
        auditlog.register(models.ApplicationDocument)
        auditlog.register(models.EligibilityCheck, exclude_fields=["report"])
        auditlog.register(models.ReviewerAssignment)
        auditlog.register(models.ConflictOfInterest)
        auditlog.register(models.Score)
        auditlog.register(models.RankingVersion, exclude_fields=["inputs"])
        auditlog.register(models.Appeal)
